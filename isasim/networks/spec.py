"""Network descriptions: validation and shape inference.

A network is a mapping ``{name, input: [H, W, C], layers: [layer, ...], source: "..."}``; a layer
is ``{name, op, ...}`` with ``op`` one of

=========  ===============================================================================
conv       ``out: C_out, k: K | [KH, KW], stride: S | [SY, SX], pad: P | [PT, PL] | same | valid``
pwconv     1x1 convolution (``out``)
dwconv     depthwise convolution, channel multiplier 1 (``k, stride, pad``)
fc         fully connected over the flattened HWC input (``out``)
maxpool    ``k, stride, pad`` (window clipped to the input, CMSIS-NN legacy semantics)
avgpool    same; ``k: global`` averages the whole feature map
relu       ReLU
add        residual add of ``input`` and ``input2`` (same shape), ``shift`` (right shift, default 1)
=========  ===============================================================================

Optional on every layer: ``input`` (name of the producing layer, default the previous one;
``input`` = the network input for the first), ``relu: true`` (fused ReLU, conv-like layers and add),
``wbits`` (weight precision of this layer, overriding the network's n; conv-like layers only).
``pad: same`` is TensorFlow's SAME (output ceil(in / stride), the smaller half of the padding
before); an integer pad is symmetric.
"""
from ..errors import IsasimError

OPS = {"conv", "pwconv", "dwconv", "fc", "maxpool", "avgpool", "relu", "add"}
WEIGHTED = {"conv", "pwconv", "dwconv", "fc"}
FIELDS = {"name", "op", "out", "k", "stride", "pad", "input", "input2", "relu", "wbits", "shift"}


class NetworkError(IsasimError, ValueError):
    """A network description or placement error (one line)."""


def _pair(v, what, where):
    if isinstance(v, bool):
        raise NetworkError(f"{where}: {what} must be an integer or [a, b], got {v!r}")
    if isinstance(v, int):
        return v, v
    if isinstance(v, (list, tuple)) and len(v) == 2 and all(isinstance(x, int) and not isinstance(x, bool) for x in v):
        return int(v[0]), int(v[1])
    raise NetworkError(f"{where}: {what} must be an integer or [a, b], got {v!r}")


def _pad_out(n, k, s, pad, where):
    """(output size, padding before) along one axis."""
    if pad == "same":
        out = -(-n // s)
        total = max((out - 1) * s + k - n, 0)
        return out, total // 2
    if pad == "valid":
        pad = 0
    if not isinstance(pad, int) or isinstance(pad, bool) or pad < 0:
        raise NetworkError(f"{where}: pad must be same, valid or a non-negative integer, got {pad!r}")
    out = (n + 2 * pad - k) // s + 1
    if out < 1:
        raise NetworkError(f"{where}: kernel {k} with stride {s} and pad {pad} leaves no output of an input of {n}")
    return out, pad


def parse(net):
    """Validate ``net`` and return it with every layer resolved: ``in_shape``, ``in2_shape``,
    ``shape`` (output HWC), ``kh, kw, sy, sx, py, px``, ``src`` / ``src2`` (index of the producing
    layer, -1 = network input) and ``macs``."""
    if not isinstance(net, dict) or "name" not in net or "layers" not in net or "input" not in net:
        raise NetworkError("a network needs name, input [H, W, C] and layers")
    name = net["name"]
    shp = net["input"]
    if not (isinstance(shp, (list, tuple)) and len(shp) == 3 and all(isinstance(x, int) and x > 0 for x in shp)):
        raise NetworkError(f"network {name}: input must be [H, W, C] positive integers, got {shp!r}")
    out = dict(net)
    shapes = {"input": tuple(shp)}
    index = {"input": -1}
    layers = []
    prev = "input"
    for i, l in enumerate(net["layers"]):
        lname = l.get("name", f"layer{i}") if isinstance(l, dict) else f"layer{i}"
        where = f"network {name}: layer {lname}"
        if not isinstance(l, dict):
            raise NetworkError(f"{where}: expected a mapping")
        bad = sorted(set(l) - FIELDS)
        if bad:
            raise NetworkError(f"{where}: unknown field {bad[0]!r} (allowed: {', '.join(sorted(FIELDS))})")
        if lname in index:
            raise NetworkError(f"{where}: duplicate layer name")
        op = l.get("op")
        if op not in OPS:
            raise NetworkError(f"{where}: op {op!r} is not one of {', '.join(sorted(OPS))}")
        src = l.get("input", prev)
        if src not in shapes:
            raise NetworkError(f"{where}: input {src!r} is not an earlier layer")
        h, w, c = shapes[src]
        r = dict(l, name=lname, index=i, src=index[src], in_shape=(h, w, c), relu=bool(l.get("relu", False)))
        kh = kw = 1
        sy = sx = 1
        py = px = 0
        if op in ("conv", "dwconv", "maxpool", "avgpool"):
            if op == "avgpool" and l.get("k") == "global":
                kh, kw = h, w
            else:
                kh, kw = _pair(l.get("k", 1), "k", where)
            sy, sx = _pair(l.get("stride", 1), "stride", where)
            pad = l.get("pad", 0)
            if isinstance(pad, (list, tuple)):
                pt, pl = _pair(pad, "pad", where)
                oh, py = _pad_out(h, kh, sy, pt, where)
                ow, px = _pad_out(w, kw, sx, pl, where)
            else:
                oh, py = _pad_out(h, kh, sy, pad, where)
                ow, px = _pad_out(w, kw, sx, pad, where)
            co = c
            if op == "conv":
                co = l.get("out")
        elif op == "pwconv":
            oh, ow, co = h, w, l.get("out")
        elif op == "fc":
            oh, ow, co = 1, 1, l.get("out")
        else:
            oh, ow, co = h, w, c
        if op in ("conv", "pwconv", "fc") and (not isinstance(co, int) or isinstance(co, bool) or co < 1):
            raise NetworkError(f"{where}: out must be a positive integer, got {l.get('out')!r}")
        if op == "add":
            s2 = l.get("input2")
            if s2 not in shapes:
                raise NetworkError(f"{where}: input2 {s2!r} is not an earlier layer")
            if shapes[s2] != (h, w, c):
                raise NetworkError(f"{where}: input2 shape {shapes[s2]} differs from input shape {(h, w, c)}")
            r["src2"] = index[s2]
            r["in2_shape"] = shapes[s2]
            sh = l.get("shift", 1)
            if not isinstance(sh, int) or not 0 <= sh <= 8:
                raise NetworkError(f"{where}: shift must be an integer 0..8, got {sh!r}")
            r["shift"] = sh
        if "wbits" in l and (op not in WEIGHTED or l["wbits"] not in range(1, 9)):
            raise NetworkError(f"{where}: wbits must be 1..8 on a conv/pwconv/dwconv/fc layer")
        if r["relu"] and op not in ("conv", "pwconv", "dwconv", "fc", "add"):
            raise NetworkError(f"{where}: relu: true applies to conv-like layers and add (use op: relu)")
        ci = h * w * c if op == "fc" else c
        r.update(kh=kh, kw=kw, sy=sy, sx=sx, py=py, px=px, shape=(oh, ow, co), ci=ci)
        if op in ("conv", "pwconv", "fc"):
            r["macs"] = oh * ow * co * kh * kw * ci
        elif op == "dwconv":
            r["macs"] = oh * ow * c * kh * kw
        else:
            r["macs"] = 0
        shapes[lname] = (oh, ow, co)
        index[lname] = i
        layers.append(r)
        prev = lname
    if not layers:
        raise NetworkError(f"network {name}: no layers")
    out["layers"] = layers
    return out


def layer(net, name):
    """The parsed layer ``name`` of a parsed network."""
    for l in net["layers"]:
        if l["name"] == name:
            return l
    raise NetworkError(f"network {net['name']}: no layer {name!r} (layers: "
                       f"{', '.join(l['name'] for l in net['layers'])})")
