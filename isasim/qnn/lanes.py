"""Lane-pair classification and operand width histograms of the lane profile (``run(...,
lanes=True)``, docs/explorer.md), shared by every target: the Cortex-M7 (isasim/cores/cm7/lanes.py)
and RI5CY / GAP-8 (isasim/cores/ri5cy/lanes.py) collect the two multiplied operands a and b of each
execution (as read before the instruction executes) and hand them here.

Per execution, lane pair i = (lane i of a, lane i of b). A pair is ``useful`` when both values are
non-zero, ``zero`` otherwise (padding and zero values do no useful work); ``width`` counts, per
operand, the minimal bit width of each lane value (two's complement for a signed lane, plain binary
otherwise; 0 -> 0 bits).
"""
import numpy as np

from ..errors import IsasimError


def plugin_lanes(ins, operands):
    """(lanes, lane bits, signed a, signed b) declared by plug-in instruction ``ins`` (params
    ``{"lanes": L, "lane_bits": b, "signed": (sa, sb)}``), or None. ``operands``: the names of the
    two multiplied operands on this ISA (they must be operands of ``ins``)."""
    p = ins.params
    if "lanes" not in p:
        return None
    where = f"{ins.source}: {ins.name}: params"
    L, b, sg = p.get("lanes"), p.get("lane_bits"), p.get("signed", (True, True))
    if isinstance(L, bool) or not isinstance(L, int) or L < 1 or \
            isinstance(b, bool) or not isinstance(b, int) or b < 1 or L * b > 32:
        raise IsasimError(f"{where}: lanes={L!r}, lane_bits={b!r}: expected integers >= 1 with "
                          f"lanes * lane_bits <= 32")
    if not isinstance(sg, (list, tuple)) or len(sg) != 2 or not all(isinstance(x, bool) for x in sg):
        raise IsasimError(f"{where}: signed={sg!r}: expected two booleans (a, b)")
    if not all(op in ins.operands for op in operands):
        raise IsasimError(f"{where}: lanes need the two multiplied operands "
                          f"{' and '.join(operands)}")
    return L, b, sg[0], sg[1]


def add_samples(out, mnemonic, A, B, L, bits, sa, sb):
    """Add the executions of ``mnemonic`` with operand words ``A``, ``B`` (int64 arrays, 32-bit
    values) and lane layout (L lanes of ``bits`` bits, signedness sa/sb) to ``out``
    {mnemonic: entry} (docs/explorer.md, "Lane and precision profile")."""
    r = out.get(mnemonic)
    if r is None:
        r = out[mnemonic] = {"executions": 0, "lanes": L, "lane_bits": bits, "useful": 0,
                             "zero": 0, "width": {"a": {}, "b": {}}}
    elif (r["lanes"], r["lane_bits"]) != (L, bits):
        raise IsasimError(f"lanes: {mnemonic} has two lane layouts")
    n = len(A)
    r["executions"] += n
    mask = (1 << bits) - 1
    for i in range(L):
        la = _lane(A, i, bits, mask, sa)
        lb = _lane(B, i, bits, mask, sb)
        useful = int(np.count_nonzero((la != 0) & (lb != 0)))
        r["useful"] += useful
        r["zero"] += n - useful
        for key, lv, sg in (("a", la, sa), ("b", lb, sb)):
            hist = r["width"][key]
            for k, c in zip(*np.unique(_width(lv, sg, bits), return_counts=True)):
                hist[int(k)] = hist.get(int(k), 0) + int(c)
    return r


def finish(out):
    """``out`` with its mnemonics and width histograms in order."""
    for r in out.values():
        for key in ("a", "b"):
            r["width"][key] = dict(sorted(r["width"][key].items()))
    return dict(sorted(out.items()))


def replicate(x, bits):
    """The 32-bit word with lane 0 of ``x`` (an int64 array) in every ``bits``-bit lane."""
    v = np.asarray(x, np.int64) & ((1 << bits) - 1)
    r = np.zeros_like(v)
    for i in range(32 // bits):
        r |= v << (i * bits)
    return r


def _lane(v, i, bits, mask, signed):
    x = (v >> (i * bits)) & mask
    if signed:
        x = np.where(x >= (1 << (bits - 1)), x - (1 << bits), x)
    return x


def _width(x, signed, bits):
    """Minimal bit width of each value (two's complement if signed; 0 -> 0)."""
    m = np.where(x < 0, ~x, x) if signed else x
    w = np.zeros(len(x), np.int64)
    for k in range(bits):
        w = np.where((m >> k) > 0, k + 1, w)
    if signed:
        w = np.where(x != 0, w + 1, 0)
    return w
