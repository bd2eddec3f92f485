"""Lane and precision profile of the SIMD dot products on RI5CY / GAP-8 (run(..., lanes=True)).

Which instructions: the XpulpV2 dot products pv.dotup / pv.dotusp / pv.dotsp and their
accumulating forms pv.sdotup / pv.sdotusp / pv.sdotsp, in .h (2 x 16-bit lanes) and .b (4 x 8-bit)
forms, vector-vector, .sc (operand b = lane 0 of rs2 replicated) and .sci (operand b = the
immediate replicated: sign-extended imm6 for the signed-b forms, zero-extended uimm6 for dotup);
signedness u/us/s = a unsigned x b unsigned / a unsigned x b signed / both signed
(isa_timing.md, XpulpV2 table: "lanes i: .h 2x16-bit, .b 4x8-bit; .sc = operand 2 is lane 0 of rs2
replicated; .sci = operand 2 is imm6"). Plug-in instructions that declare params ``{"lanes": L,
"lane_bits": b, "signed": (sa, sb)}`` count too, with a = rs1 and b = rs2.

How: the run takes the engine's trace path (same cycles by construction), whose rows hold the
values of the rs1 and rs2 columns of each instruction read BEFORE it executed (layout.TR_NAMES
"a", "b": rd may be rs1 or rs2); the rows of the lane instructions are classified by
isasim/qnn/lanes.py (shared with the Cortex-M7). A Python-path plug-in is read before the core
executes it (``python_exec``).
"""
import re

import numpy as np

from ...qnn.lanes import add_samples, finish, plugin_lanes, replicate
from . import layout
from .codegen import operand_slots

_DOT = re.compile(r"^pv\.s?dot(up|usp|sp)\.(sc\.|sci\.)?([hb])$")
_SIGNS = {"up": (False, False), "usp": (False, True), "sp": (True, True)}
_TR = {k: i for i, k in enumerate(layout.TR_NAMES)}


def dot_lanes(ins):
    """(lanes, lane bits, signed a, signed b, form "" / "sc" / "sci") of an XpulpV2 dot product,
    or None."""
    m = _DOT.match(ins.name)
    if m is None:
        return None
    bits = 16 if m.group(3) == "h" else 8
    return (32 // bits, bits) + _SIGNS[m.group(1)] + ((m.group(2) or "").rstrip("."),)


class LaneProfile:
    """Collects the lane instructions of one program's runs (one or more cores)."""

    def __init__(self, table, dec):
        self.table, self.dec = table, dec
        self.spec = {}
        for ins in table.instrs:
            if ins.alias or ins.expands:
                continue
            if ins.id < table.n_builtin:
                s = dot_lanes(ins)
            else:
                p = plugin_lanes(ins, ("rs1", "rs2"))
                s = p and p + ("",)
            if s is None:
                continue
            imm = None
            if s[4] == "sci":           # the immediate's column of the decoded program (I0..I2)
                slots = operand_slots(ins)
                imm = getattr(dec, slots[ins.operands[-1]].upper())
            self.spec[ins.id] = s + (imm,)
        self.is_lane = np.zeros(len(table.instrs) + 1, bool)
        self.is_lane[list(self.spec)] = True
        self.out = {}

    def add_rows(self, TR, n):
        """Add the lane instructions among the first ``n`` trace rows ``TR`` of one core."""
        if n <= 0:
            return
        slots = TR[:n, _TR["slot"]]
        ops = self.dec.OP[slots]
        sel = self.is_lane[ops]
        if not sel.any():
            return
        slots, ops = slots[sel], ops[sel]
        A = TR[:n, _TR["a"]][sel] & 0xFFFFFFFF
        B = TR[:n, _TR["b"]][sel] & 0xFFFFFFFF
        for op in np.unique(ops):
            m = ops == op
            self._add(int(op), A[m], B[m], slots[m])

    def python_exec(self, core):
        """The Python-path plug-in at ``core.pc``, before the core executes it."""
        d = core.dec
        s = (core.pc - d.base) >> 1
        op = int(d.OP[s])
        if op >= 0 and self.is_lane[op]:
            a, b = int(core.R[int(d.RS1[s])]), int(core.R[int(d.RS2[s])])
            self._add(op, np.array([a & 0xFFFFFFFF]), np.array([b & 0xFFFFFFFF]), np.array([s]))

    def _add(self, op, A, B, slots):
        L, bits, sa, sb, form, imm = self.spec[op]
        if form == "sc":
            B = replicate(B, bits)
        elif form == "sci":
            B = replicate(imm[slots], bits)
        add_samples(self.out, self.table.instrs[op].name, A, B, L, bits, sa, sb)

    def result(self):
        return finish(self.out)
