"""Integer-exact numpy golden models of generic QNN operations: HWC convolution through im2col,
CMSIS-NN q7 requantisation, staircase (threshold) quantisation, binary XNOR-popcount convolution,
channel padding and sub-byte packing. Reproductions (experiments/<paper>/) build their workloads
from these; nothing here is specific to one paper.

Conventions:

* Tensors are HWC (activations ``x[h, w, c]``), weights are ``w[co, ky, kx, ci]``.
* Convolution = im2col (rows ordered ky, kx, ci) followed by an integer matrix product
  (:func:`im2col_hwc`, :func:`conv_acc`). Spatial zero padding uses ``pad_value`` (e.g. -1 for
  binary {-1, +1} data, whose all-zero packed words encode -1).
* q7 output: CMSIS-NN requantization (:func:`requantize_q7`), accumulator initialised with
  ``(bias << bias_shift) + NN_ROUND(out_shift)``, arithmetic right shift, saturation to int8.
* Staircase quantization (:func:`threshold_quantize`): with 2^Q - 1 sorted thresholds per output
  channel, ``out = -2^(Q-1) + #{i : acc >= th[i]}``; :func:`threshold_tree` is the same as the
  Q-comparison binary tree kernels use.
* Binary: values in {-1, +1}, bit = 1 for +1. The accumulator is the XNOR-popcount (number of
  matching signs, :func:`binary_conv_popcount`), output bit = ``popcount >= th[co]``
  (:func:`binary_output`).
* Sub-byte packing (:func:`pack_hwc`): per pixel (or per weight row) the channel vector is padded
  to a multiple of ``cp`` channels and packed with :func:`isasim.qnn.packing.pack` (lane i =
  channel i, little-endian in 32-bit words). Padded channels are neutral: value 0 for signed
  sub-byte data; for binary, activation bit 0 and weight bit 1, so the XNOR of a padded lane is
  always 0 (also against the all-zero words of padded pixels).
"""
import numpy as np

from .packing import pack

INT32_MIN, INT32_MAX = -(1 << 31), (1 << 31) - 1


def out_size(n, k, stride, pad):
    """Output extent of a convolution along one axis."""
    return (n + 2 * pad - k) // stride + 1


def im2col_hwc(x, k, stride=1, pad=0, pad_value=0):
    """HWC input (H, W, C) -> (OH, OW, k*k*C) receptive fields, ordered (ky, kx, c) like the
    CMSIS-NN im2col. Pixels outside the input read ``pad_value``."""
    x = np.asarray(x, dtype=np.int64)
    h, w, c = x.shape
    xp = np.full((h + 2 * pad, w + 2 * pad, c), pad_value, dtype=np.int64)
    xp[pad:pad + h, pad:pad + w] = x
    oh, ow = out_size(h, k, stride, pad), out_size(w, k, stride, pad)
    cols = np.empty((oh, ow, k, k, c), dtype=np.int64)
    for ky in range(k):
        for kx in range(k):
            cols[:, :, ky, kx, :] = xp[ky:ky + stride * oh:stride, kx:kx + stride * ow:stride]
    return cols.reshape(oh, ow, k * k * c)


def conv_acc(x, w, stride=1, pad=0, pad_value=0):
    """Integer convolution accumulators (OH, OW, CO), int64: im2col @ weights^T."""
    w = np.asarray(w, dtype=np.int64)
    co, k, k2, ci = w.shape
    assert k == k2 and np.asarray(x).shape[2] == ci, "weight shape (co, k, k, ci) must match x"
    cols = im2col_hwc(x, k, stride, pad, pad_value)
    return cols @ w.reshape(co, -1).T


def nn_round(out_shift):
    """CMSIS-NN NN_ROUND(out_shift): 1 << (out_shift - 1) (0 for a zero shift)."""
    return (1 << (out_shift - 1)) if out_shift > 0 else 0


def requantize_q7(acc, bias, bias_shift, out_shift, relu=False):
    """CMSIS-NN q7 output stage: ssat8((acc + (bias << bias_shift) + NN_ROUND) >> out_shift),
    then optional ReLU. ``acc`` (..., CO) int, ``bias`` (CO,) int8. The int32 accumulator of the
    kernel must not overflow (asserted)."""
    acc = np.asarray(acc, dtype=np.int64)
    v = acc + (np.asarray(bias, dtype=np.int64) << bias_shift) + nn_round(out_shift)
    if v.size and (v.min() < INT32_MIN or v.max() > INT32_MAX):
        raise ValueError("q7 accumulator overflows int32")
    v = np.clip(v >> out_shift, -128, 127)
    if relu:
        v = np.maximum(v, 0)
    return v.astype(np.int8)


def conv_q7(x, w, bias, bias_shift, out_shift, stride=1, pad=0, relu=False):
    """CMSIS-NN ``arm_convolve_HWC_q7_*`` golden model: int8 HWC output (OH, OW, CO)."""
    return requantize_q7(conv_acc(x, w, stride, pad), bias, bias_shift, out_shift, relu)


def threshold_quantize(acc, thresholds, bits):
    """Staircase output quantization for Q = 4 or 2: ``thresholds`` (CO, 2^Q - 1) int16, sorted
    ascending per channel; out = -2^(Q-1) + number of thresholds <= acc (int8 values)."""
    th = np.asarray(thresholds, dtype=np.int64)
    levels = (1 << bits) - 1
    if th.shape[-1] != levels:
        raise ValueError(f"{bits}-bit thresholds need {levels} values per channel, got {th.shape[-1]}")
    if np.any(np.diff(th, axis=-1) < 0):
        raise ValueError("thresholds must be sorted ascending per output channel")
    acc = np.asarray(acc, dtype=np.int64)
    cnt = (acc[..., None] >= th).sum(axis=-1)
    return (cnt - (1 << (bits - 1))).astype(np.int8)


def threshold_tree(acc, th, bits):
    """The kernels' binary-tree form of :func:`threshold_quantize` for one scalar accumulator
    (INT-Q ``int4_quant``-style: Q comparisons instead of 2^Q - 1)."""
    i = 0
    step = 1 << (bits - 1)
    while step:
        if acc >= th[i + step - 1]:
            i += step
        step >>= 1
    return i - (1 << (bits - 1))


def binarize_bits(v):
    """{-1, +1} values -> bits (1 for +1, 0 for -1)."""
    v = np.asarray(v)
    if not np.all((v == 1) | (v == -1)):
        raise ValueError("binary values must be -1 or +1")
    return (v > 0).astype(np.int64)


def binary_conv_popcount(x, w, stride=1, pad=0):
    """Binary convolution accumulator: number of positions where input and weight signs match
    (= popcount of XNOR), padded pixels read -1. Equals (k*k*ci + dot) / 2."""
    binarize_bits(x), binarize_bits(w)
    n = int(np.prod(np.asarray(w).shape[1:]))
    dot = conv_acc(x, w, stride, pad, pad_value=-1)
    return (n + dot) // 2


def binary_output(popcnt, thresholds):
    """Output bits: 1 (+1) where popcount >= threshold of the channel, else 0 (-1)."""
    return (np.asarray(popcnt, dtype=np.int64) >= np.asarray(thresholds, dtype=np.int64)).astype(np.int64)


def conv_subbyte(x, w, thresholds, bits, stride=1, pad=0):
    """INT-Q 4/2-bit convolution: accumulators then staircase quantization; values (OH, OW, CO)."""
    return threshold_quantize(conv_acc(x, w, stride, pad), thresholds, bits)


def conv_binary(x, w, thresholds, stride=1, pad=0):
    """INT-Q binary convolution: output bits (OH, OW, CO) (1 = +1)."""
    return binary_output(binary_conv_popcount(x, w, stride, pad), thresholds)


def pad_channels(a, cp, value):
    """Pad the last axis up to a multiple of cp with ``value``."""
    a = np.asarray(a, dtype=np.int64)
    c = a.shape[-1]
    c2 = -(-c // cp) * cp
    if c2 == c:
        return a
    out = np.full(a.shape[:-1] + (c2,), value, dtype=np.int64)
    out[..., :c] = a
    return out


def pack_hwc(a, bits, cp=None, binary_role="act"):
    """Pack the last (channel) axis of an int array, padded to a multiple of ``cp`` (default
    32 / bits), into uint32 words (flattened, C order). For bits == 1, ``a`` holds {-1, +1} and
    padded channels get bit 0 (``binary_role='act'``) or bit 1 (``'weight'``)."""
    per = 32 // bits
    cp = cp or per
    if cp % per:
        raise ValueError(f"channel granularity {cp} is not a multiple of {per} for {bits}-bit")
    if bits == 1:
        b = binarize_bits(a)
        b = pad_channels(b, cp, 0 if binary_role == "act" else 1)
        return pack(b.reshape(-1), 1)
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    a = np.asarray(a, dtype=np.int64)
    if a.size and (a.min() < lo or a.max() > hi):
        raise ValueError(f"values out of the signed {bits}-bit range")
    return pack(pad_channels(a, cp, 0).reshape(-1), bits)


def pack_bytes_hwc(q, bits):
    """Pack a (..., CO) sub-byte output (CO * bits a multiple of 8) into uint8, lane order."""
    per = 8 // bits
    q = np.asarray(q, dtype=np.int64)
    if q.shape[-1] % per:
        raise ValueError(f"CO={q.shape[-1]} is not a multiple of {per} for {bits}-bit byte packing")
    u = (q & ((1 << bits) - 1)).reshape(-1, per)
    return (u << (np.arange(per) * bits)).sum(axis=1).astype(np.uint8)
