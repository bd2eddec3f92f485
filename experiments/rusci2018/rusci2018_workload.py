"""Rusci et al. 2018 reproduction (experiments/rusci2018/): the workload generator for the
convolution kernels in ``kernels_asm/cm7/rusci`` (CMSIS-NN q7 and INT-Q 4/2/1-bit, software and
QNN-instruction variants). The config is rusci2018.yaml next to this file, the report generator
rusci2018_report.py, the generated document README.md.

Data layout (all kernels): HWC activations, weights ``[co][ky][kx][ci]``, input channels padded to
the kernel's channel granularity (``KERNELS[k]['cgran']``) with neutral values (see
:mod:`isasim.qnn.golden`), packed into little-endian 32-bit words (lane i = channel i). Symbols:
``act_in`` (whole input tensor), ``wgt`` (all weights, one row per output channel), ``qparam``
(int8 bias for q7, int16 thresholds otherwise), ``act_out`` (the output rows). Placement by role
section: ``wgt`` and ``qparam`` in ``.weights``, ``act_in`` and ``act_out`` in ``.activations``
(the Cortex-M7 target places the roles by the operating point and the variant's ``memory``:
docs/cm7.md "Placement"); the im2col buffer is ``.scratch`` (the drivers).

Full layers by default: ``rows`` output rows from ``row0`` (default all OH rows) for a smaller
test; the kernels' control flow is identical for every output pixel pair, so a centred tile's
cycles x OH / rows approximate the layer (boundary rows differ only in the cheaper zero-fill of
im2col).
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

# The kernels. Each entry is data for conv_driver.c and the golden model:
#   bits: operand precision; cgran: input-channel granularity; chblock: output channels per
#   matmul call; co_mult: output channels must be a multiple of this; qnn: needs the qnn plug-in;
#   im2col: how im2col stores a packed input word (IM2COL below); quant: output stage (QUANT below);
#   source: the matmul kernel (kernels_asm/cm7/rusci/).
# A new kernel with the data layout of an existing one is a variant with params
# {kernel: NAME, like: EXISTING} (optionally im2col: SCHEME) and its own matmul source: no change
# here or in conv_driver.c (README.md, "Adding a kernel").
KERNELS = {
    "q7":         dict(bits=8, cgran=4, chblock=2, co_mult=2, qnn=False, im2col="q7", quant="q7", source="mm_q7.S", label="8-bit CMSIS-NN (SW)"),
    "int4_sw":    dict(bits=4, cgran=8, chblock=2, co_mult=2, qnn=False, im2col="int4", quant="tree", source="mm_int4_sw.S", label="INT4 INT-Q (SW)"),
    "int2_sw":    dict(bits=2, cgran=16, chblock=2, co_mult=4, qnn=False, im2col="int2", quant="tree", source="mm_int2_sw.S", label="INT2 INT-Q (SW)"),
    "bin_sw":     dict(bits=1, cgran=32, chblock=1, co_mult=1, qnn=False, im2col="copy", quant="bin", source="mm_bin_sw.S", label="BIN INT-Q (SW popcount)"),
    "int4_sdot4": dict(bits=4, cgran=8, chblock=2, co_mult=2, qnn=True, im2col="copy", quant="tree", source="mm_int4_sdot4.S", label="INT4 qnn.sdot4"),
    "int4_unpk4": dict(bits=4, cgran=8, chblock=2, co_mult=2, qnn=True, im2col="unpk4", quant="tree", source="mm_int4_unpk4.S", label="INT4 qnn.unpk4+SMLAD"),
    "int2_sdot2": dict(bits=2, cgran=16, chblock=2, co_mult=4, qnn=True, im2col="copy", quant="tree", source="mm_int2_sdot2.S", label="INT2 qnn.sdot2"),
    "bin_xnorpc": dict(bits=1, cgran=32, chblock=2, co_mult=2, qnn=True, im2col="copy", quant="bin", source="mm_bin_xnorpc.S", label="BIN qnn.xnorpc"),
    # Compiled C (clang -O3) with the CMSIS-NN / INT-Q source structure, the whole layer in C
    # (kernels_asm/cm7/nn/: im2col, one matmul call per pixel pair over all output channels,
    # output stage): same data layout as the kernel named in `layout`, own driver (`sources`).
    "q7_c":       dict(bits=8, cgran=4, chblock=2, co_mult=2, qnn=False, im2col="q7", quant="q7", source="nn_conv_q7.c", label="8-bit CMSIS-NN (C -O3)", layout="q7"),
    "int4_c":     dict(bits=4, cgran=8, chblock=2, co_mult=2, qnn=False, im2col="int4", quant="tree", source="nn_conv_intq.c", label="INT4 INT-Q (C -O3)", layout="int4_sw"),
    "int2_c":     dict(bits=2, cgran=16, chblock=2, co_mult=4, qnn=False, im2col="int2", quant="tree", source="nn_conv_intq.c", label="INT2 INT-Q (C -O3)", layout="int2_sw"),
    "bin_c":      dict(bits=1, cgran=32, chblock=1, co_mult=1, qnn=False, im2col="copy", quant="bin", source="nn_conv_intq.c", label="BIN INT-Q (C -O3)", layout="bin_sw"),
}
COMPILED_DIR = ("kernels_asm", "cm7", "nn")     # sources of the compiled kernels (entries with layout)
# im2col schemes of conv_driver.c: name -> (EXPAND define, colbuf words per packed input word,
# operand precisions it applies to)
IM2COL = {"copy": (0, 1, (1, 2, 4, 8)), "q7": (1, 2, (8,)), "int4": (2, 4, (4,)),
          "int2": (3, 8, (2,)), "unpk4": (4, 4, (4,))}
QUANT = {"q7": 1, "tree": 2, "bin": 3}


def kernel_def(kernel, like=None, im2col=None):
    """The KERNELS entry of ``kernel``, or of a new kernel defined by the base ``like`` (same data
    layout and output stage) and optionally its own im2col scheme. Raises ValueError naming the
    known kernels and how to add one."""
    if kernel in KERNELS and like is None:
        kd = dict(KERNELS[kernel])
    elif like is not None:
        if like not in KERNELS:
            raise ValueError(f"like: '{like}' is not a kernel (known: {', '.join(KERNELS)})")
        if kernel in KERNELS:
            raise ValueError(f"kernel '{kernel}' exists already; give the new kernel its own name")
        kd = dict(KERNELS[like], label=kernel, like=like)
    else:
        raise ValueError(
            f"unknown kernel '{kernel}' (known: {', '.join(KERNELS)}). To add one with the data "
            f"layout of an existing kernel, give the variant params {{kernel: {kernel}, like: "
            f"<existing kernel>}} (and im2col: <scheme> if its im2col differs; schemes: "
            f"{', '.join(IM2COL)}) and put its matmul source in the variant's sources; see "
            f"experiments/rusci2018/README.md, 'Adding a kernel'")
    if im2col is not None:
        if im2col not in IM2COL:
            raise ValueError(f"im2col: '{im2col}' is not a scheme of conv_driver.c "
                             f"(schemes: {', '.join(IM2COL)})")
        kd["im2col"] = im2col
    if kd["bits"] not in IM2COL[kd["im2col"]][2]:
        raise ValueError(f"im2col scheme '{kd['im2col']}' does not apply to {kd['bits']}-bit "
                         f"operands")
    kd["exp"] = IM2COL[kd["im2col"]][1]
    return kd


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


def conv_layer(kernel="q7", layer="l16", rows=None, row0=None, seed=0, shape=None, relu=0,
               like=None, im2col=None):
    """Workload generator (see isasim/qnn/workloads.py for the contract) for one conv layer tile.

    kernel: key of :data:`KERNELS`, or the name of a new kernel with ``like`` = the existing kernel
    whose data layout and output stage it shares (``im2col``: its own im2col scheme of
    :data:`IM2COL`); layer: key of :data:`LAYERS` (or ``shape`` = dict with ih, iw, ci, co, k, pad,
    stride); rows: simulated output rows (default: the whole layer, OH; capped at OH); row0: first
    row (default: centred). Raises ValueError for shapes the kernel does not support."""
    kd = kernel_def(kernel, like, im2col)
    s = layer_shape(layer, shape)
    ih, iw, ci, co, k, pad, stride = (s[n] for n in ("ih", "iw", "ci", "co", "k", "pad", "stride"))
    oh, ow = G.out_size(ih, k, stride, pad), G.out_size(iw, k, stride, pad)
    rows = min(rows or oh, oh)
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
    defines = dict(EXPAND=IM2COL[kd["im2col"]][0], QUANT=QUANT[kd["quant"]], BITS=bits,
                   CHBLOCK=kd["chblock"], IH=ih, IW=iw, CP=cp, CO=co, K=k, PAD=pad, STRIDE=stride, OH=oh,
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
            "macs": rows * ow * co * k * k * ci, "sections": SECTIONS}


# role sections of the data symbols (docs/cm7.md "Placement")
SECTIONS = {"wgt": ".weights", "qparam": ".weights", "act_in": ".activations",
            "act_out": ".activations"}


def _words(a8):
    """int8 array (channel-last, C order) -> uint32 words (little endian)."""
    b = np.ascontiguousarray(a8.reshape(-1).astype(np.int8)).view(np.uint8)
    if b.size % 4:
        raise ValueError("int8 tensor size must be a multiple of 4 bytes")
    return b.view("<u4").copy()


def kernel_sources(kernel, root):
    """Source files of a kernel (paths under ``root`` = the repository): conv_driver.c and the
    matmul source for the hand-written kernels, rusci_driver.c and the compiled layer source for
    the compiled ones (entries with ``layout``)."""
    import os
    kd = KERNELS[kernel]
    if kd.get("layout"):
        d = os.path.join(root, *COMPILED_DIR)
        return [os.path.join(d, "rusci_driver.c"), os.path.join(d, kd["source"])]
    d = os.path.join(root, "kernels_asm", "cm7", "rusci")
    return [os.path.join(d, "conv_driver.c"), os.path.join(d, kd["source"])]


def include_dirs(kernel, root):
    """Include directories of a kernel's sources."""
    import os
    sub = COMPILED_DIR if KERNELS[kernel].get("layout") else ("kernels_asm", "cm7", "rusci")
    return [os.path.join(root, *sub)]


def _validate(params):
    """Checked by the config loader for every point, before anything runs (an unknown kernel is
    reported with the variant's file:line)."""
    kernel_def(params.get("kernel", "q7"), params.get("like"), params.get("im2col"))
    layer_shape(params.get("layer", "l16"), params.get("shape"))


conv_layer.validate = _validate
