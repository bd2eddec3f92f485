"""Workload generator of the Bruschi et al. 2020 reproduction (experiments/bruschi2020/bruschi2020.yaml):
one PULP-NN mixed-precision convolution layer with random data and its golden output
(:mod:`isasim.qnn.quant`), laid out for the kernels in ``kernels_asm/ri5cy/pulpnn``.

Layers (``shape``):

* ``l16``: 16x16x32 -> 16x16x64, 3x3, stride 1, pad 1 -- PULP-NN's single-layer test
  (``test/layer_parameters/int8_conv_layer_parameters.h`` of pulp-nn v1.0, papers.md §4.2), probably
  the layer behind its MAC/cycle figures.
* ``l11``: 11x11x32 -> 11x11x32, 3x3, stride 1, pad 1 -- our choice, to exercise what ``l16`` does
  not: 11 output rows do not divide over 8 cores, so pairs of cores split each row (PULP-NN's scheme),
  the row halves have 5 and 6 pixels (odd pixel left over: ``pn_matmul1``), and the chunks are
  unequal (3, 3, 3, 2 rows): it shows the cost of load imbalance.

Memory (all in the TCDM, section ``.tcdm``): act_in, wgt, kappa, lambd, act_out and the im2col
buffers (``IM2COL_CORES`` = 8 private buffers of 2 columns, declared in pulp_nn_conv.c). The 8-bit
l16 layer needs 48,128 of the 49,152 bytes left below the 16 core stacks of 1 KB (linker script
isasim/toolchain/data/gap8.ld): it fits without changing the memory map.

Data: activations uniform in [0, 2^in_bits), weights uniform in the signed w_bits range (the extreme
values included), seeded. Requantisation parameters are derived from the accumulators
(:func:`isasim.qnn.quant.choose_requant`: mean +- 2 standard deviations onto the output range, every
8th channel with a negative k); no trained network is available.

STM32H7 comparison (R6, ``kernel="cmsis_q7_c"``): the same layer shape as the compiled 8-bit
CMSIS-NN-style kernel of the Rusci reproduction on the Cortex-M7 (experiments/rusci2018/
rusci2018_workload.py ``q7_c``: signed int8 activations and weights, shift requantisation, its own
data and golden model), so the GAP-8 and STM32H7 points do the same MACs.
"""
import importlib.util
import os

import numpy as np

from isasim.qnn import quant as Q
from isasim.qnn.golden import conv_acc, out_size

SHAPES = {
    "l16": dict(ih=16, iw=16, ci=32, co=64, k=3, stride=1, pad=1),
    "l11": dict(ih=11, iw=11, ci=32, co=32, k=3, stride=1, pad=1),
    # small layers for the default-suite test of the experiment (tests/test_bruschi_experiment.py)
    "s5": dict(ih=5, iw=5, ci=16, co=8, k=3, stride=1, pad=1),
    "s6": dict(ih=6, iw=7, ci=32, co=12, k=3, stride=2, pad=0),
}
IM2COL_CORES = 8                 # private im2col buffers allocated (cores supported)
TCDM_BYTES = 64 * 1024 - 16 * 1024   # TCDM below the 16 core stacks of 1 KB (gap8.ld)
ISAS = ("xpulpv2", "xpulpnn", "rv32imc")


def layer_shape(shape):
    if isinstance(shape, dict):
        s = dict(stride=1, pad=0)
        s.update(shape)
        return s
    if shape not in SHAPES:
        raise ValueError(f"unknown shape '{shape}' (known: {', '.join(SHAPES)})")
    return dict(SHAPES[shape])


def buffer_bits(act_bits, wgt_bits, isa):
    """Element width of the im2col buffer: 8 (XpulpV2: activations expanded to uint8; plain C
    reads the input directly), the packed width for the XpulpNN kernels."""
    if isa == "xpulpnn":
        if act_bits != wgt_bits or act_bits not in (4, 2):
            raise ValueError(f"isa xpulpnn: kernels exist for u4 x i4 and u2 x i2 only "
                             f"(got u{act_bits} x i{wgt_bits})")
        return act_bits
    if isa == "rv32imc" and (act_bits, wgt_bits) != (8, 8):
        raise ValueError("isa rv32imc: the plain C baseline is the 8-bit layer only")
    return 8


def check_layer(s, act_bits, wgt_bits, out_bits, isa, im2col_skew=0):
    """Raise ValueError (one line, naming the constraint) for layers the kernels do not support."""
    for n, b in (("act_bits", act_bits), ("wgt_bits", wgt_bits), ("out_bits", out_bits)):
        if b not in Q.PRECISIONS:
            raise ValueError(f"{n}={b}: precision must be one of {Q.PRECISIONS}")
    if isa not in ISAS:
        raise ValueError(f"isa '{isa}' (allowed: {', '.join(ISAS)})")
    bb = buffer_bits(act_bits, wgt_bits, isa)
    ih, iw, ci, co, k = s["ih"], s["iw"], s["ci"], s["co"], s["k"]
    if isa == "rv32imc" and out_bits != 8:
        raise ValueError("isa rv32imc: the plain C baseline is the 8-bit layer only")
    if (ci * act_bits) % 32 or (ci * bb) % 32:
        raise ValueError(f"ci={ci}: an input pixel must be whole 32-bit words "
                         f"(ci a multiple of {32 // min(act_bits, bb)}); other channel counts are "
                         "not supported by these kernels")
    numcol = k * k * ci
    if numcol % (32 // wgt_bits):
        raise ValueError(f"k*k*ci={numcol} must be a multiple of {32 // wgt_bits} (one "
                         f"{wgt_bits}-bit weight word per channel and inner-loop iteration); "
                         "column leftovers are not supported")
    if co % 4:
        raise ValueError(f"co={co} must be a multiple of 4 (4 output channels per MatMul step); "
                         "channel leftovers are not supported")
    if 3 * numcol * wgt_bits // 8 + 4 > 2047 or numcol * bb // 8 + 16 > 2047:
        raise ValueError(f"k*k*ci={numcol}: weight rows / im2col columns exceed the 12-bit load "
                         "offsets the kernels use")
    oh, ow = out_size(ih, k, s["stride"], s["pad"]), out_size(iw, k, s["stride"], s["pad"])
    if oh < 1 or ow < 1:
        raise ValueError("empty output")
    sizes = {"act_in": ih * iw * ci * act_bits // 8, "wgt": co * numcol * wgt_bits // 8,
             "kappa": 4 * co, "lambd": 4 * co, "act_out": oh * ow * co * out_bits // 8,
             "im2col": IM2COL_CORES * (2 * numcol * bb // 8 + 4 * im2col_skew) if isa != "rv32imc" else 0}
    total = sum(-(-n // 4) * 4 for n in sizes.values())
    if total > TCDM_BYTES:
        raise ValueError(f"layer needs {total} bytes of TCDM ({', '.join(f'{k} {v}' for k, v in sizes.items())}); "
                         f"{TCDM_BYTES} are free below the core stacks")
    return oh, ow, numcol, bb


# kernels of another reproduction run on the same layer shapes (R6): name -> that generator's kernel
FOREIGN = {"cmsis_q7_c": "q7_c"}


def _rusci():
    """The Rusci 2018 workload module (experiments/rusci2018/), imported from its file."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "rusci2018",
                        "rusci2018_workload.py")
    spec = importlib.util.spec_from_file_location("rusci2018_workload", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def conv_layer(act_bits=8, wgt_bits=8, out_bits=8, shape="l16", isa="xpulpv2", im2col_skew=0,
               seed=2020, kernel=None):
    """Workload generator (contract: isasim/qnn/workloads.py) for one layer. ``im2col_skew``: words
    of gap between the per-core im2col buffers (0 = PULP-NN's back-to-back layout). ``kernel``:
    None = the PULP-NN kernels; a key of :data:`FOREIGN` = that kernel of another reproduction on
    the same layer shape (8-bit only)."""
    s = layer_shape(shape)
    if kernel is not None:
        if kernel not in FOREIGN:
            raise ValueError(f"unknown kernel '{kernel}' (known: {', '.join(FOREIGN)}; none = PULP-NN)")
        if (act_bits, wgt_bits, out_bits) != (8, 8, 8):
            raise ValueError(f"kernel {kernel} is 8-bit only (act_bits, wgt_bits, out_bits = 8)")
        return _rusci().conv_layer(kernel=FOREIGN[kernel], shape=s, seed=seed)
    if not isinstance(im2col_skew, int) or not 0 <= im2col_skew <= 64:
        raise ValueError(f"im2col_skew={im2col_skew!r}: expected an integer 0..64 (words)")
    oh, ow, numcol, bb = check_layer(s, act_bits, wgt_bits, out_bits, isa, im2col_skew)
    ih, iw, ci, co, k, stride, pad = (s[n] for n in ("ih", "iw", "ci", "co", "k", "stride", "pad"))
    rng = np.random.default_rng([seed, act_bits, wgt_bits, out_bits, ih, iw, ci, co, k])
    xlo, xhi = Q.value_range(act_bits, False)
    wlo, whi = Q.value_range(wgt_bits, True)
    x = rng.integers(xlo, xhi + 1, (ih, iw, ci))
    w = rng.integers(wlo, whi + 1, (co, k, k, ci))
    x.flat[0], w.flat[0] = xhi, wlo
    phi = conv_acc(x, w, stride, pad)
    kk, lam, d = Q.choose_requant(phi, out_bits, rng)
    y = Q.requantize(phi, kk, lam, d, out_bits)
    sym = ("act_in", "wgt", "kappa", "lambd", "act_out")
    return {
        "data": {"act_in": Q.pack_bytes(x, act_bits), "wgt": Q.pack_bytes(w, wgt_bits),
                 "kappa": kk.astype(np.int32), "lambd": lam.astype(np.int32)},
        "outputs": {"act_out": Q.pack_bytes(y, out_bits)},
        "defines": dict(IB=act_bits, WB=wgt_bits, OB=out_bits, BB=bb, IH=ih, IW=iw, CI=ci, CO=co,
                        K=k, STRIDE=stride, PAD=pad, OH=oh, OW=ow, NUMCOL=numcol, OUT_SHIFT=d,
                        IM2COL_CORES=IM2COL_CORES, IM2COL_SKEW=im2col_skew),
        "macs": oh * ow * co * k * k * ci,
        "sections": {n: ".tcdm" for n in sym},
    }
