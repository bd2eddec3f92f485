"""Golden model of a whole network: seeded random weights and input, data-driven shifts (no trained
network is used: cycles and memory do not depend on the values, bit-exactness is checked for these
values), forward pass with every intermediate tensor.

Weights of a conv-like layer with precision n are codes on the VQ grid (:mod:`isasim.qnn.vq`,
n = 8: int8), their 8-bit values w8 enter the integer convolution, and the output stage is CMSIS-NN's
q7 requantisation (:func:`isasim.qnn.golden.requantize_q7`) with int8 bias, ``bias_shift`` and
``out_shift`` chosen from the layer's accumulators (output standard deviation ~ 2^5, like the
Rusci workload). Pooling clips its window to the input; the average truncates toward zero (C
division); the residual add is ``ssat8((a + b + round) >> shift)``.
"""
import functools
import json

import numpy as np

from ..qnn import golden as G
from ..qnn import vq
from . import spec


def _cols(x, l):
    """im2col of HWC ``x`` for layer ``l`` (asymmetric padding as resolved by spec.parse):
    (OH, OW, KH*KW*C), zeros outside the input."""
    h, w, c = x.shape
    oh, ow, _ = l["shape"]
    kh, kw, sy, sx, py, px = (l[k] for k in ("kh", "kw", "sy", "sx", "py", "px"))
    cols = np.zeros((oh, ow, kh, kw, c), dtype=np.int64)
    oy = np.arange(oh) * sy - py
    ox = np.arange(ow) * sx - px
    for ky in range(kh):
        iy = oy + ky
        vy = (iy >= 0) & (iy < h)
        for kx in range(kw):
            ix = ox + kx
            vx = (ix >= 0) & (ix < w)
            sub = x[np.clip(iy, 0, h - 1)][:, np.clip(ix, 0, w - 1)]
            cols[:, :, ky, kx] = np.where((vy[:, None] & vx[None, :])[..., None], sub, 0)
    return cols.reshape(oh, ow, kh * kw * c)


def conv_acc(x, w8, l):
    """Integer accumulators (OH, OW, CO) of a conv / pwconv / fc layer; w8 (co, kh, kw, ci)."""
    x = np.asarray(x, dtype=np.int64)
    if l["op"] == "fc":
        x = x.reshape(1, 1, -1)
    return _cols(x, l) @ np.asarray(w8, dtype=np.int64).reshape(w8.shape[0], -1).T


def dw_acc(x, w8, l):
    """Depthwise accumulators (OH, OW, C); w8 (kh, kw, c)."""
    x = np.asarray(x, dtype=np.int64)
    c = x.shape[2]
    cols = _cols(x, l).reshape(l["shape"][0], l["shape"][1], l["kh"] * l["kw"], c)
    return (cols * np.asarray(w8, dtype=np.int64).reshape(1, 1, -1, c)).sum(axis=2)


def pool(x, l, kind):
    h, w, c = x.shape
    oh, ow, _ = l["shape"]
    out = np.zeros((oh, ow, c), dtype=np.int64)
    for oy in range(oh):
        y0 = max(oy * l["sy"] - l["py"], 0)
        y1 = min(oy * l["sy"] - l["py"] + l["kh"], h)
        for ox in range(ow):
            x0 = max(ox * l["sx"] - l["px"], 0)
            x1 = min(ox * l["sx"] - l["px"] + l["kw"], w)
            win = np.asarray(x[y0:y1, x0:x1], dtype=np.int64).reshape(-1, c)
            if kind == "max":
                out[oy, ox] = win.max(axis=0)
            else:
                s, n = win.sum(axis=0), win.shape[0]
                out[oy, ox] = np.sign(s) * (np.abs(s) // n)      # C division
    return out.astype(np.int8)


def add(a, b, shift, relu):
    v = np.asarray(a, dtype=np.int64) + np.asarray(b, dtype=np.int64) + G.nn_round(shift)
    v = np.clip(v >> shift, -128, 127)
    if relu:
        v = np.maximum(v, 0)
    return v.astype(np.int8)


def _shifts(acc, rng):
    out_shift = int(max(0, np.ceil(np.log2(max(float(acc.std()), 1.0) / 32))))
    return max(0, out_shift - 2), out_shift, rng.integers(-128, 128, acc.shape[-1])


def layer_bits(l, wbits):
    """Weight precision of a conv-like layer: its own ``wbits`` or the network's."""
    return int(l.get("wbits", wbits))


@functools.lru_cache(maxsize=8)
def _run_cached(net_json, wbits, seed):
    return _run(spec.parse(json.loads(net_json)), wbits, seed)


def run(net, wbits, seed):
    """Golden forward pass of the (unparsed) network ``net`` with weight precision ``wbits``:
    {"input": x, "layers": [per-layer dict with n, codes, w8, bias, bias_shift, out_shift, out]}.
    Cached per (network, wbits, seed) in the process."""
    vq.check_bits(wbits)
    return _run_cached(json.dumps(net, sort_keys=True), int(wbits), int(seed))


def _run(net, wbits, seed):
    rng = np.random.default_rng([int(seed), int(wbits)])
    x = rng.integers(-128, 128, net["input"]).astype(np.int8)
    tensors = {-1: x}
    res = []
    for l in net["layers"]:
        a = tensors[l["src"]]
        r = {"name": l["name"]}
        op = l["op"]
        if op in ("conv", "pwconv", "fc", "dwconv"):
            n = layer_bits(l, wbits)
            if op == "dwconv":
                codes = vq.random_codes(rng, (l["kh"], l["kw"], l["shape"][2]), n)
            else:
                codes = vq.random_codes(rng, (l["shape"][2], l["kh"], l["kw"], l["ci"]), n)
            w8 = vq.to_grid(codes, n)
            acc = dw_acc(a, w8, l) if op == "dwconv" else conv_acc(a, w8, l)
            bs, os_, bias = _shifts(acc, rng)
            y = G.requantize_q7(acc, bias, bs, os_, relu=l["relu"])
            r.update(n=n, codes=codes, w8=w8, bias=bias, bias_shift=bs, out_shift=os_)
        elif op == "maxpool":
            y = pool(a, l, "max")
        elif op == "avgpool":
            y = pool(a, l, "avg")
        elif op == "relu":
            y = np.maximum(a, 0).astype(np.int8)
        else:
            y = add(a, tensors[l["src2"]], l["shift"], l["relu"])
        r["out"] = np.asarray(y, dtype=np.int8).reshape(l["shape"])
        tensors[l["index"]] = r["out"]
        res.append(r)
    return {"input": x, "layers": res, "net": net}
