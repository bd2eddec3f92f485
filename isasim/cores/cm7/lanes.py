"""Lane and precision profile of the SIMD multiplies on the Cortex-M7 (run(..., lanes=True)).

Per execution of a SIMD multiply / dot-product instruction, the two multiplied source operands a
and b (Rn and Rm) are read before the instruction executes (a UC_HOOK_CODE on its address runs
before it; on the block path only these addresses are hooked, the cycle model is untouched), and
split into lanes. Lane pair i = (lane i of a, lane i of b as multiplied: the X forms exchange the
halves of Rm, Armv7-M ARM DDI 0403E A7.7.117 SMLAD "if exchange then operand2 = ROR(R[m], 16)").
A pair is ``useful`` when both values are non-zero, ``zero`` otherwise; ``width`` counts, per
operand, the minimal bit width of each lane value (two's complement for a signed lane, plain
binary otherwise; 0 -> 0 bits): isasim/qnn/lanes.py, shared with RI5CY / GAP-8.

Which instructions: the dual 16 x 16 multiplies of the DSP extension, signed lanes (DDI 0403E
A7.7.115-A7.7.143: SMLAD/SMLADX, SMLSD/SMLSDX, SMUAD/SMUADX, SMUSD/SMUSDX, SMLALD/SMLALDX,
SMLSLD/SMLSLDX), and plug-in instructions that declare params ``{"lanes": L, "lane_bits": b,
"signed": (sa, sb)}`` (operands rn, rm). Single-lane multiplies (SMULBB, SMLABB, ...) are not SIMD
and are not listed. An instruction in an IT block whose condition fails does not execute and is
not counted (it is in op_counts: it issues).
"""
import numpy as np
from capstone.arm_const import ARM_OP_REG

from ...qnn.lanes import add_samples, finish, plugin_lanes as _plugin_lanes
from ...timing import cm7 as T

# mnemonic -> (index of Rn among the register operands, exchange)
DSP = {"smlad": (1, False), "smladx": (1, True), "smlsd": (1, False), "smlsdx": (1, True),
       "smuad": (1, False), "smuadx": (1, True), "smusd": (1, False), "smusdx": (1, True),
       "smlald": (2, False), "smlaldx": (2, True), "smlsld": (2, False), "smlsldx": (2, True)}


def plugin_lanes(ins):
    """(lanes, lane bits, signed a, signed b) declared by plug-in instruction ``ins``, or None."""
    return _plugin_lanes(ins, ("rn", "rm"))


class LaneProfile:
    """Collects the operands of the lane instructions of one run (``attach`` to a Cm7Core)."""

    def __init__(self, table=None):
        self.table = table
        self.by_name = {}
        if table is not None:
            for ins in table.instrs[table.n_builtin:]:
                lanes = plugin_lanes(ins)
                if lanes is not None:
                    self.by_name[ins.name] = lanes
        self.clear()

    def clear(self):
        self.samples = {}          # pc -> [mnemonic, spec, list of (a << 32) | b]

    def attach(self, core):
        core.lane_spec = self.spec
        core.lane_profile = self

    def spec(self, d, insn, dec, cost):
        """(a register, b register, lanes, lane bits, signed a, signed b, exchange) of Desc ``d``
        or None."""
        if cost is not None and dec is not None and self.table is not None:
            ins, vals = self.table.decode(dec.word, 4)
            if ins is None or ins.name not in self.by_name:
                return None
            L, b, sa, sb = self.by_name[ins.name]
            return (vals["rn"], vals["rm"], L, b, sa, sb, False)
        if insn is None:
            return None
        mn = T._mn(insn)
        if mn not in DSP:
            return None
        i, x = DSP[mn]
        regs = [T._reg(insn, op.reg) for op in insn.operands if op.type == ARM_OP_REG]
        return (regs[i], regs[i + 1], 2, 16, True, True, x)

    def add(self, d, a, b):
        s = self.samples.get(d.pc)
        if s is None:
            s = self.samples[d.pc] = [d.mnem, d.lanes, []]
        s[2].append((a << 32) | b)

    def result(self):
        out = {}
        for mn, spec, vals in self.samples.values():
            if not vals:
                continue
            _, _, L, bits, sa, sb, x = spec
            v = np.array(vals, np.uint64)
            A = (v >> np.uint64(32)).astype(np.int64)
            B = (v & np.uint64(0xFFFFFFFF)).astype(np.int64)
            if x:                              # operand2 = ROR(Rm, 16)
                B = ((B >> 16) | (B << 16)) & 0xFFFFFFFF
            add_samples(out, mn, A, B, L, bits, sa, sb)
        return finish(out)
