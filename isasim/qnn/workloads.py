"""Workload generators for experiment configs.

A generator is ``fn(**params) -> dict`` with
  data:     {symbol: numpy array}  inputs, emitted into a generated data file (little endian)
  outputs:  {symbol: numpy array}  expected outputs: the kernel writes them, the runner reads them
                                   back after the run and compares bit-exactly
  defines:  {NAME: value}          preprocessor defines for the kernel sources
  macs:     int                    multiply-accumulates of the workload (for MAC/cycle)
  sections: {symbol: section}      optional placement (default .data; '.tcdm' for GAP-8 L1)
"""
import numpy as np

from .packing import pack


def packed_dot(n=256, bits=4, seed=0, section=None):
    """Dot product of two signed ``bits``-bit vectors of length n, packed 32/bits per word.
    Golden model: the int32 sum of products (numpy, integer exact). ``section``: where the
    vectors and the result go (default .data; ``.tcdm`` puts them in the GAP-8 cluster's L1)."""
    if n % (32 // bits):
        raise ValueError(f"n={n} must be a multiple of {32 // bits}")
    rng = np.random.default_rng(seed)
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1))
    a = rng.integers(lo, hi, n)
    b = rng.integers(lo, hi, n)
    # include the most negative value explicitly
    a[0], b[0] = lo, lo
    res = np.array([int(np.dot(a, b))], dtype=np.int32)
    return {"data": {"vec_a": pack(a, bits), "vec_b": pack(b, bits)},
            "outputs": {"result": res},
            "defines": {"N": n, "NWORDS": n * bits // 32},
            "macs": n,
            "sections": {k: section for k in ("vec_a", "vec_b", "result")} if section else {}}
