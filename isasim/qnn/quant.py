"""Integer-exact golden model of PULP-NN-style mixed-precision quantized convolutions
(PULP-NN, Garofalo et al. 2020; the mixed-precision library of Bruschi et al., CF 2020;
reference notes: papers.md §2.4 and §4.2).

Conventions (those of the public PULP-NN ``mixed/`` code at 39048ae, papers.md §2.4):

* Activations are **unsigned** ``Q_in``-bit integers (``uint8``/``uint4``/``uint2``), weights are
  **signed** ``Q_w``-bit two's-complement integers (``int8``/``int4``/``int2``), outputs are unsigned
  ``Q_out``-bit integers. Tensors are HWC (``x[h, w, c]``), weights ``w[co, ky, kx, ci]``.
* The accumulator ``phi`` is the exact integer convolution (:func:`isasim.qnn.golden.conv_acc`:
  im2col rows ordered (ky, kx, ci), spatial zero padding = activation value 0).
* Requantisation per output channel ``c`` (PULP-NN ``pulp_nn_bn_quant_u{8,4,2}``, batch-norm folded
  into integers): ``out = clip((k[c] * phi + lambda[c]) >> d, 0, 2^Q_out - 1)``.

  - ``k`` and ``lambda`` are int32 per output channel, ``d`` is one shift for the layer.
  - ``>>`` is an arithmetic shift (floor division by ``2^d``, ``srai``); there is **no rounding
    term** of its own: a rounding offset, if wanted, is part of ``lambda`` (``+ 2^(d-1)``).
  - The kernel computes ``k * phi + lambda`` in 32-bit registers (``mul``, ``add``), which wrap.
    :func:`requantize` refuses inputs for which the exact value does not fit in int32 (so the golden
    model never predicts a wrapped value silently, and a kernel result equals the exact formula).
  - ``clip`` is ``p.clipu`` with the bound ``2^Q_out - 1`` (values below 0 become 0).
* Sub-byte packing (:func:`pack_bytes`): element ``i`` of the flattened array occupies bits
  ``[Q*(i mod 8/Q), Q*(i mod 8/Q) + Q)`` of byte ``i // (8/Q)``, i.e. little-endian lanes, the same
  order as :func:`isasim.qnn.packing.pack` for 32-bit words (PULP-NN extracts channel 0 from bits
  [Q-1:0] with ``p.extractu``/``p.extract`` and packs outputs with ``p.insert``).
"""
import numpy as np

from .golden import INT32_MAX, INT32_MIN, conv_acc
from .packing import pack, unpack

PRECISIONS = (8, 4, 2)


def value_range(bits, signed):
    """(lo, hi) of a ``bits``-bit integer."""
    return (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)


def check_range(a, bits, signed, what="values"):
    """Raise ValueError unless every element of ``a`` is a ``bits``-bit (un)signed integer."""
    if bits not in PRECISIONS:
        raise ValueError(f"{what}: {bits}-bit precision is not one of {PRECISIONS}")
    lo, hi = value_range(bits, signed)
    a = np.asarray(a)
    if a.size and (a.min() < lo or a.max() > hi):
        kind = "signed" if signed else "unsigned"
        raise ValueError(f"{what}: values outside the {kind} {bits}-bit range [{lo}, {hi}]")


def pack_bytes(values, bits):
    """Flattened int array -> uint8 bytes, ``8 // bits`` little-endian lanes per byte (bits 8:
    plain bytes). The length times ``bits`` must be a multiple of 8."""
    v = np.asarray(values, dtype=np.int64).reshape(-1)
    if v.size * bits % 8:
        raise ValueError(f"{v.size} {bits}-bit values do not fill whole bytes")
    per = 32 // bits
    n = -(-v.size // per) * per
    padded = np.zeros(n, dtype=np.int64)
    padded[:v.size] = v
    return pack(padded, bits).view(np.uint8)[:v.size * bits // 8].copy()


def unpack_bytes(data, bits, signed=False):
    """Inverse of :func:`pack_bytes`: uint8 bytes -> int64 values (8 // bits per byte)."""
    b = np.asarray(data, dtype=np.uint8).reshape(-1)
    n = b.size
    words = np.zeros(-(-n // 4) * 4, dtype=np.uint8)
    words[:n] = b
    return unpack(words.view("<u4"), bits, signed)[:n * 8 // bits]


def requantize(phi, k, lam, d, out_bits):
    """PULP-NN requantisation ``clip((k * phi + lam) >> d, 0, 2^out_bits - 1)`` per output channel
    (last axis of ``phi``; ``k``, ``lam`` of shape (CO,)). Raises ValueError if ``k * phi`` or
    ``k * phi + lam`` leaves int32 (the kernel's registers would wrap)."""
    if out_bits not in PRECISIONS:
        raise ValueError(f"output precision {out_bits} is not one of {PRECISIONS}")
    if not 0 <= d <= 31:
        raise ValueError(f"shift d={d} outside 0..31")
    phi = np.asarray(phi, dtype=np.int64)
    k = np.asarray(k, dtype=np.int64)
    lam = np.asarray(lam, dtype=np.int64)
    for name, a in (("k", k), ("lambda", lam)):
        if a.size and (a.min() < INT32_MIN or a.max() > INT32_MAX):
            raise ValueError(f"{name} does not fit in int32")
    prod = k * phi
    acc = prod + lam
    for name, a in (("k * phi", prod), ("k * phi + lambda", acc)):
        if a.size and (a.min() < INT32_MIN or a.max() > INT32_MAX):
            raise ValueError(f"requantisation overflows int32 ({name} reaches "
                             f"{int(a.min())}..{int(a.max())})")
    return np.clip(acc >> d, 0, (1 << out_bits) - 1)


def conv(x, w, k, lam, d, in_bits, w_bits, out_bits, stride=1, pad=0):
    """PULP-NN mixed-precision convolution: unsigned ``in_bits`` activations ``x`` (H, W, CI),
    signed ``w_bits`` weights ``w`` (CO, K, K, CI), per-channel requantisation to unsigned
    ``out_bits``; returns the output values (OH, OW, CO), int64."""
    check_range(x, in_bits, False, "activations")
    check_range(w, w_bits, True, "weights")
    return requantize(conv_acc(x, w, stride, pad), k, lam, d, out_bits)


def choose_requant(phi, out_bits, rng, negative_every=8, span=2.0, margin=2 ** 30):
    """Data-derived requantisation parameters (no trained network is available): per channel, the
    interval mean +- ``span`` standard deviations of ``phi`` is mapped onto [0, 2^out_bits)
    (values outside clip), every ``negative_every``-th channel with a negative ``k`` (mirrored
    mapping, as a batch-norm with a negative scale gives). ``d`` is the largest shift (<= 24) for
    which ``|k * phi| + |lambda|`` stays below ``margin`` for every channel. Returns (k, lam, d)
    as int64 arrays and an int."""
    phi = np.asarray(phi, dtype=np.int64)
    co = phi.shape[-1]
    p = phi.reshape(-1, co).astype(np.float64)
    mu, sd = p.mean(axis=0), np.maximum(p.std(axis=0), 1.0)
    lo, hi = mu - span * sd, mu + span * sd
    scale = (1 << out_bits) / (hi - lo)
    sign = np.ones(co)
    if negative_every:
        sign[negative_every - 1::negative_every] = -1
    pmax = np.abs(p).max(axis=0)
    for d in range(24, -1, -1):
        k = np.maximum(np.rint(scale * 2.0 ** d), 1) * sign
        lam = np.rint(np.where(sign > 0, -k * lo, -k * hi)) + rng.integers(-2, 3, co)
        if np.all(np.abs(k) * pmax + np.abs(lam) < margin):
            return k.astype(np.int64), lam.astype(np.int64), d
    raise ValueError("no shift d keeps the requantisation inside int32 for this layer")

