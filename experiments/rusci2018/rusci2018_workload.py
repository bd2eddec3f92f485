"""Rusci et al. 2018 reproduction (experiments/rusci2018/): the workload generator for the
convolution kernels in ``kernels_asm/cm7/rusci`` (CMSIS-NN q7 and INT-Q 4/2/1-bit, software and
QNN-instruction variants). The config is rusci2018.yaml next to this file, the report generator
rusci2018_report.py, the generated document README.md.

Data layout (all kernels): HWC activations, weights ``[co][ky][kx][ci]``, input channels padded to
the kernel's channel granularity (``KERNELS[k]['cgran']``) with neutral values (see
:mod:`isasim.qnn.golden`), packed into little-endian 32-bit words (lane i = channel i). Symbols:
``act_in`` (whole input tensor), ``wgt`` (all weights, one row per output channel), ``qparam``
(int8 bias for q7, int16 thresholds otherwise), ``act_out`` (the output tile). Everything lives in
DTCM (.data); code in ITCM.

Spatial tiling: the simulator runs a tile of ``rows`` consecutive output rows from the middle of
the output (``ROW0 = (OH - rows) // 2``), the same tile for every kernel; the kernels' control
flow is identical for every output pixel pair, so full-layer cycles ~= tile cycles x OH / rows
(boundary rows differ only in the cheaper zero-fill of im2col).
"""
import numpy as np

from isasim.qnn import golden as G
from isasim.qnn.packing import pack

# CMSIS-NN CIFAR-10 example conv layers (papers.md §4.1) and the 16x16x32 -> 64, 3x3 layer.
LAYERS = {
    "conv1": dict(ih=32, iw=32, ci=3, co=32, k=5, pad=2, stride=1),
    "conv2": dict(ih=16, iw=16, ci=32, co=16, k=5, pad=2, stride=1),
    "conv3": dict(ih=8, iw=8, ci=16, co=32, k=5, pad=2, stride=1),
    "l16": dict(ih=16, iw=16, ci=32, co=64, k=3, pad=1, stride=1),
}
TILE_ROWS = 4          # default simulated output rows per layer

# kind: KIND define of conv_driver.c; bits: operand precision; cgran: input-channel granularity;
# exp: colbuf words per packed input word (im2col expansion); chblock: output channels per kernel call
KERNELS = {
    "q7":         dict(kind=1, bits=8, cgran=4, exp=2, chblock=2, co_mult=2, qnn=False, label="8-bit CMSIS-NN (SW)"),
    "int4_sw":    dict(kind=2, bits=4, cgran=8, exp=4, chblock=2, co_mult=2, qnn=False, label="INT4 INT-Q (SW)"),
    "int2_sw":    dict(kind=3, bits=2, cgran=16, exp=8, chblock=2, co_mult=4, qnn=False, label="INT2 INT-Q (SW)"),
    "bin_sw":     dict(kind=4, bits=1, cgran=32, exp=1, chblock=1, co_mult=1, qnn=False, label="BIN INT-Q (SW popcount)"),
    "int4_sdot4": dict(kind=5, bits=4, cgran=8, exp=1, chblock=2, co_mult=2, qnn=True, label="INT4 qnn.sdot4"),
    "int4_unpk4": dict(kind=6, bits=4, cgran=8, exp=4, chblock=2, co_mult=2, qnn=True, label="INT4 qnn.unpk4+SMLAD"),
    "int2_sdot2": dict(kind=7, bits=2, cgran=16, exp=1, chblock=2, co_mult=4, qnn=True, label="INT2 qnn.sdot2"),
    "bin_xnorpc": dict(kind=8, bits=1, cgran=32, exp=1, chblock=2, co_mult=2, qnn=True, label="BIN qnn.xnorpc"),
}


def layer_shape(layer=None, shape=None):
    """Shape dict of a named layer, or ``shape`` itself (for tests)."""
    if shape is not None:
        s = dict(stride=1, pad=0)
        s.update(shape)
        return s
    if layer not in LAYERS:
        raise ValueError(f"unknown layer '{layer}' (known: {', '.join(LAYERS)})")
    return dict(LAYERS[layer])


def layer_macs(s):
    oh = G.out_size(s["ih"], s["k"], s["stride"], s["pad"])
    ow = G.out_size(s["iw"], s["k"], s["stride"], s["pad"])
    return oh * ow * s["co"] * s["k"] * s["k"] * s["ci"]


def _quantile_thresholds(acc, levels, rng):
    """Per-channel sorted int16 thresholds at evenly spaced quantiles of the layer's accumulators
    (so every output level occurs), with a small random jitter."""
    co = acc.shape[-1]
    a = acc.reshape(-1, co).astype(np.float64)
    q = np.quantile(a, (np.arange(levels) + 1) / (levels + 1), axis=0).T       # (co, levels)
    q = np.rint(q + rng.integers(-1, 2, q.shape))
    q = np.clip(q, -32768, 32767).astype(np.int64)
    return np.sort(q, axis=1)


def conv_layer(kernel="q7", layer="l16", rows=None, row0=None, seed=0, shape=None, relu=0):
    """Workload generator (see isasim/qnn/workloads.py for the contract) for one conv layer tile.

    kernel: key of :data:`KERNELS`; layer: key of :data:`LAYERS` (or ``shape`` = dict with ih, iw, ci,
    co, k, pad, stride); rows: simulated output rows (default :data:`TILE_ROWS`, capped at OH);
    row0: first row (default: centred). Raises ValueError for shapes the kernel does not support."""
    if kernel not in KERNELS:
        raise ValueError(f"unknown kernel '{kernel}' (known: {', '.join(KERNELS)})")
    kd = KERNELS[kernel]
    s = layer_shape(layer, shape)
    ih, iw, ci, co, k, pad, stride = (s[n] for n in ("ih", "iw", "ci", "co", "k", "pad", "stride"))
    oh, ow = G.out_size(ih, k, stride, pad), G.out_size(iw, k, stride, pad)
    rows = min(rows or TILE_ROWS, oh)
    row0 = (oh - rows) // 2 if row0 is None else row0
    if not 0 <= row0 <= oh - rows:
        raise ValueError(f"row0={row0} with rows={rows} is outside the {oh} output rows")
    bits, cg = kd["bits"], kd["cgran"]
    if co % kd["co_mult"]:
        raise ValueError(f"kernel {kernel}: ch_out={co} must be a multiple of {kd['co_mult']} "
                         f"(2 output channels per kernel call{'; 4 crumbs per output byte' if kd['co_mult'] == 4 else ''})")
    if (rows * ow) % 2:
        raise ValueError(f"kernel {kernel}: the tile has {rows * ow} output pixels; the kernels process "
                         f"output pixels in pairs, so rows * OW must be even")
    cp = -(-ci // cg) * cg
    numcol = k * k * cp
    pixw = cp * bits // 32
    colw = k * k * pixw * kd["exp"]
    rowb = numcol * bits // 8
    b2off = colw * 4
    if rowb > 4095 or b2off > 4095:
        raise ValueError(f"kernel {kernel}: weight row ({rowb} B) or im2col column ({b2off} B) exceeds "
                         f"the 4095-byte immediate offset the kernel uses")
    rng = np.random.default_rng(seed)
    defines = dict(KIND=kd["kind"], IH=ih, IW=iw, CP=cp, CO=co, K=k, PAD=pad, STRIDE=stride, OH=oh,
                   OW=ow, ROW0=row0, NROWS=rows, NUMCOL=numcol, PIXW=pixw, COLW=colw, ROWB=rowb,
                   B2OFF=b2off, OUTW=-(-co // 32), BIAS_SHIFT=0, OUT_SHIFT=0, RELU=int(bool(relu)))
    tile = slice(row0, row0 + rows)
    if bits == 8:
        x = rng.integers(-128, 128, (ih, iw, ci))
        w = rng.integers(-128, 128, (co, k, k, ci))
        x.flat[0], w.flat[0] = -128, -128
        acc = G.conv_acc(x, w, stride, pad)
        # data-driven shifts (no trained network): output std ~ 2^5, bias comparable to the output
        out_shift = int(max(0, np.ceil(np.log2(max(acc.std(), 1) / 32))))
        bias_shift = max(0, out_shift - 2)
        bias = rng.integers(-128, 128, co)
        defines.update(BIAS_SHIFT=bias_shift, OUT_SHIFT=out_shift)
        y = G.requantize_q7(acc, bias, bias_shift, out_shift, relu=bool(relu))[tile]
        data = {"act_in": _words(G.pad_channels(x, cp, 0).astype(np.int8)),
                "wgt": _words(G.pad_channels(w, cp, 0).astype(np.int8)),
                "qparam": bias.astype(np.int8)}
        out = y.reshape(-1).astype(np.int8)
    elif bits in (4, 2):
        lo, hi = -(1 << (bits - 1)), (1 << (bits - 1))
        x = rng.integers(lo, hi, (ih, iw, ci))
        w = rng.integers(lo, hi, (co, k, k, ci))
        x.flat[0], w.flat[0] = lo, lo
        acc = G.conv_acc(x, w, stride, pad)
        th = _quantile_thresholds(acc, (1 << bits) - 1, rng)
        q = G.threshold_quantize(acc, th, bits)[tile]
        data = {"act_in": G.pack_hwc(x, bits, cp), "wgt": G.pack_hwc(w, bits, cp),
                "qparam": th.astype(np.int16).reshape(-1)}
        out = G.pack_bytes_hwc(q, bits)
    else:
        x = rng.choice([-1, 1], (ih, iw, ci))
        w = rng.choice([-1, 1], (co, k, k, ci))
        pc = G.binary_conv_popcount(x, w, stride, pad)
        th = np.rint(np.median(pc.reshape(-1, co), axis=0)).astype(np.int64) + rng.integers(-2, 3, co)
        ob = G.binary_output(pc, th)[tile]
        data = {"act_in": G.pack_hwc(x, 1, cp, "act"), "wgt": G.pack_hwc(w, 1, cp, "weight"),
                "qparam": th.astype(np.int16)}
        out = pack(G.pad_channels(ob, 32, 0).reshape(-1), 1)
    # keep qparam 4-byte sized (the data file aligns symbols to 4)
    return {"data": data, "outputs": {"act_out": out}, "defines": defines,
            "macs": rows * ow * co * k * k * ci, "sections": {}}


def _words(a8):
    """int8 array (channel-last, C order) -> uint32 words (little endian)."""
    b = np.ascontiguousarray(a8.reshape(-1).astype(np.int8)).view(np.uint8)
    if b.size % 4:
        raise ValueError("int8 tensor size must be a multiple of 4 bytes")
    return b.view("<u4").copy()


def kernel_sources(kernel, root):
    """Source files of a kernel (paths under ``root`` = the repository)."""
    import os
    d = os.path.join(root, "kernels_asm", "cm7", "rusci")
    return [os.path.join(d, "conv_driver.c"), os.path.join(d, f"mm_{kernel}.S")]
