"""Virtual Quantization (Peluso, Grimaldi, Calimera, VLSI-SoC 2019, papers.md §3): n-bit weights
(n = 1..8) that run on the 8-bit CMSIS-NN datapath of the Cortex-M7. The paper's mechanism is not
public (papers.md §3.3); every choice below is isasim's, documented here and tested
(tests/test_vq_*.py).

**Value grid (choice).** An n-bit weight is a code on the 8-bit grid, so an n-bit network *is* an
8-bit network whose weights take only 2^n values (and the 8-bit requantisation, bias and shifts
stay as they are):

* n = 2..8: two's-complement code q in [-2^(n-1), 2^(n-1) - 1], 8-bit value w8 = q * 2^(8-n)
  (MSB-aligned, so the magnitude range, and with it the accumulator range and output shifts, is the
  same for every n).
* n = 1: bit b, value w8 = 64 * (2b - 1) in {-64, +64} (a symmetric binary weight; the two's
  complement 1-bit code {-1, 0} would not be a binary network).

**Storage (choice).** One weight row (an output channel of a convolution/fully connected layer)
holds the n-bit codes of the row in *im2col element order* (element j is multiplied by element j of
the kernel's q15 im2col column, see :func:`column_order`), padded with zero codes to a whole number
of units of ``unit_fields(n) = 32 / gcd(n, 32)`` fields = n 32-bit words, so every row starts on a
word and the kernel reads aligned words. Rows follow each other; the array is an ordinary uint32
(byte) array, no special allocation. Within a unit (:func:`field_bits`):

* n = 3, 5, 6, 7 (*dense*): a little-endian bitstream, element j at bits [j*n, j*n + n); fields
  cross word boundaries, so n bits per weight are stored (no per-word waste).
* n = 1, 2, 4 (*byte lanes*): one word, 8/n fields per byte; element j = 4s + t (t = 0..3) is field
  8/n - 1 - s of byte (0, 2, 1, 3)[t] (field i of a byte at bits [i*n, i*n + n)). The kernel then gets
  four weights with LSL #(s*n), AND with the byte mask of the top n bits and SXTB16 / SXTB16 ROR #8,
  already on the 8-bit grid: the cost of the 8-bit kernel's unpacking plus two instructions.
Depthwise weights ([ky][kx][c] natural order) are one dense bitstream (:func:`pack_bitstream`, for
every n) for the whole tensor; the depthwise kernel expands them once per layer to int8 in a scratch buffer (k*k*C bytes) and then
runs the 8-bit kernel (they are few and reused at every pixel). n = 8 is plain int8 in the CMSIS-NN
layout and runs the 8-bit CMSIS-NN kernel itself.

**Execution.** The kernel (kernels_asm/cm7/nn/nn_vq_mm.inc) builds each SMLAD operand (two
weights in 16-bit lanes) in the loop: dense n with SBFX (LSR + ORR(LSL) + SBFX for a straddling
field) and PKHBT, giving codes, so the 8-bit-grid accumulator is ``init + dot << (8 - n)``; byte-lane
n with LSL/AND/SXTB16, giving 8-bit-grid values directly (n = 2, 4: ``init + dot``; n = 1: lanes hold
-128 * b, so ``init - dot - 64 * colsum`` with colsum = sum of the im2col column). Either way the
result equals the 8-bit convolution with w8, which is the golden model
(:func:`isasim.qnn.golden.requantize_q7` of the int8 convolution).
"""
import math

import numpy as np

BITS = tuple(range(1, 9))


def check_bits(n):
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or not 1 <= n <= 8:
        raise ValueError(f"weight precision must be an integer 1..8, got {n!r}")
    return int(n)


def unit_fields(n):
    """Fields per storage unit (= n words): 32 / gcd(n, 32)."""
    n = check_bits(n)
    return 32 // math.gcd(n, 32)


def code_range(n):
    """(lo, hi) of the codes: two's complement for n >= 2, {0, 1} for n = 1."""
    n = check_bits(n)
    return (0, 1) if n == 1 else (-(1 << (n - 1)), (1 << (n - 1)) - 1)


def to_grid(codes, n):
    """Codes -> int values on the 8-bit grid (see module docstring)."""
    n = check_bits(n)
    c = np.asarray(codes, dtype=np.int64)
    lo, hi = code_range(n)
    if c.size and (c.min() < lo or c.max() > hi):
        raise ValueError(f"{n}-bit codes must lie in [{lo}, {hi}]")
    if n == 1:
        return 64 * (2 * c - 1)
    return c << (8 - n)


def random_codes(rng, shape, n):
    """Uniform random codes (every code, including both extremes, in each tensor of >= 2^n
    elements)."""
    lo, hi = code_range(n)
    c = rng.integers(lo, hi + 1, shape)
    if c.size >= 2:
        c.flat[0], c.flat[1] = lo, hi
    return c


def padded_length(length, n):
    """Row length in fields after padding to whole units."""
    u = unit_fields(n)
    return -(-length // u) * u


def pack_bitstream(codes, n):
    """1-D codes -> uint32 words: field j at bits [j*n, j*n + n) of the little-endian stream
    (two's complement field for n >= 2, the bit itself for n = 1). The length must be a whole
    number of units."""
    n = check_bits(n)
    c = np.asarray(codes, dtype=np.int64).reshape(-1)
    if c.size % unit_fields(n):
        raise ValueError(f"{c.size} fields are not a whole number of {unit_fields(n)}-field units")
    to_grid(c, n)                                   # range check
    u = (c & ((1 << n) - 1)).astype(np.uint64)
    bits = ((u[:, None] >> np.arange(n, dtype=np.uint64)) & 1).astype(np.uint8).reshape(-1)
    return np.packbits(bits, bitorder="little").view("<u4").copy()


def unpack_bitstream(words, n, count):
    """Inverse of :func:`pack_bitstream`: the first ``count`` codes."""
    n = check_bits(n)
    bits = np.unpackbits(np.asarray(words, dtype="<u4").view(np.uint8), bitorder="little")
    f = bits[:count * n].reshape(count, n).astype(np.int64) << np.arange(n)
    v = f.sum(axis=1)
    if n >= 2:
        v = np.where(v >= (1 << (n - 1)), v - (1 << n), v)
    return v


LANE_BITS = (1, 2, 4)


def field_bits(n):
    """Bit offset (within its unit of n words) of each element of a unit of a weight row."""
    n = check_bits(n)
    u = unit_fields(n)
    if n not in LANE_BITS:
        return np.arange(u) * n
    r = 8 // n
    j = np.arange(u)
    byte = np.array([0, 2, 1, 3])[j % 4]
    return byte * 8 + (r - 1 - j // 4) * n


def pack_unit_rows(codes, n):
    """Rows (co, L) of codes in element order, L a whole number of units -> uint32 words with
    every element at its :func:`field_bits` offset."""
    n = check_bits(n)
    c = np.asarray(codes, dtype=np.int64)
    co, L = c.shape
    u = unit_fields(n)
    if L % u:
        raise ValueError(f"{L} fields are not a whole number of {u}-field units")
    to_grid(c, n)
    units = (c & ((1 << n) - 1)).reshape(-1, u)                    # (units, u)
    pos = field_bits(n)
    bits = np.zeros((units.shape[0], u * n), dtype=np.uint8)
    for t in range(n):
        bits[:, pos + t] = (units >> t) & 1
    return np.packbits(bits.reshape(-1), bitorder="little").view("<u4").copy()


def unpack_unit_rows(words, n, co, L):
    """Inverse of :func:`pack_unit_rows`."""
    n = check_bits(n)
    u = unit_fields(n)
    bits = np.unpackbits(np.asarray(words, dtype="<u4").view(np.uint8), bitorder="little")
    bits = bits.reshape(-1, u * n).astype(np.int64)
    pos = field_bits(n)
    v = sum(bits[:, pos + t] << t for t in range(n))
    if n >= 2:
        v = np.where(v >= (1 << (n - 1)), v - (1 << n), v)
    return v.reshape(co, L)


def column_order(kh, kw, ci, reordered):
    """Natural (ky, kx, c) index of each im2col column element in memory order: the CMSIS-NN
    ``_fast`` order stores each group of 4 channels as (0, 2, 1, 3) (SXTB16 / SXTB16 ROR #8 pairs),
    the natural order (``_basic``, ci % 4 != 0) stores them as they are."""
    idx = np.arange(kh * kw * ci)
    if not reordered:
        return idx
    if ci % 4:
        raise ValueError("the reordered im2col needs ci % 4 == 0")
    return idx.reshape(-1, 4)[:, [0, 2, 1, 3]].reshape(-1)


def pack_rows(codes, n, order, colpad):
    """Weight rows (co, numcol) of codes in natural order -> uint32 words, each row a bitstream in
    im2col ``order`` (:func:`column_order`) padded with zero fields to ``colpad`` (a whole number
    of units)."""
    codes = np.asarray(codes, dtype=np.int64)
    co, numcol = codes.shape
    if colpad % unit_fields(n) or colpad < numcol:
        raise ValueError(f"colpad {colpad} must be >= {numcol} and a multiple of {unit_fields(n)}")
    rows = np.zeros((co, colpad), dtype=np.int64)
    rows[:, :numcol] = codes[:, order]
    return pack_unit_rows(rows, n) if co else np.zeros(0, "<u4")


def q7_rows(w8, reordered, colpad):
    """int8 weight rows (co, numcol), natural order -> the byte layout of nn_conv_q7.c: the
    reordered im2col takes natural weights (CMSIS-NN _fast); the natural-order im2col takes each
    group of 4 stored as (0, 2, 1, 3), so SXTB16 / SXTB16 ROR #8 give the pairs (0, 1), (2, 3)."""
    w8 = np.asarray(w8, dtype=np.int64)
    co, numcol = w8.shape
    if colpad % 4 or colpad < numcol:
        raise ValueError(f"colpad {colpad} must be >= {numcol} and a multiple of 4")
    rows = np.zeros((co, colpad), dtype=np.int64)
    rows[:, :numcol] = w8
    if not reordered:
        rows = rows.reshape(co, -1, 4)[:, :, [0, 2, 1, 3]].reshape(co, colpad)
    return rows.astype(np.int8)


def model_bytes(count, n):
    """Bytes of ``count`` weights stored as one padded bitstream (depthwise layout)."""
    return padded_length(count, n) * n // 8
