"""Sub-byte packing formats shared by kernels and golden models.

Q-bit values are packed little-endian into 32-bit words: element i occupies bits
[Q*(i % (32/Q)), Q*(i % (32/Q)) + Q) of word i // (32/Q), i.e. lane i of the SIMD helpers
(``isasim.isa.helpers.lane``). Signed values are two's complement in Q bits.
"""
import numpy as np


def pack(values, bits):
    """int array (len multiple of 32/bits) -> uint32 words."""
    v = np.asarray(values, dtype=np.int64)
    per = 32 // bits
    if v.size % per:
        raise ValueError(f"length {v.size} is not a multiple of {per} for {bits}-bit packing")
    u = (v & ((1 << bits) - 1)).astype(np.uint64).reshape(-1, per)
    shifts = (np.arange(per, dtype=np.uint64) * np.uint64(bits))
    return (u << shifts).sum(axis=1).astype(np.uint32)


def unpack(words, bits, signed=True):
    w = np.asarray(words, dtype=np.uint64)
    per = 32 // bits
    shifts = (np.arange(per, dtype=np.uint64) * np.uint64(bits))
    v = ((w[:, None] >> shifts) & np.uint64((1 << bits) - 1)).astype(np.int64).reshape(-1)
    if signed:
        v = np.where(v >= (1 << (bits - 1)), v - (1 << bits), v)
    return v
