"""Built-in QNN instructions for the Cortex-M7 (Thumb-2 CDE on coprocessor p0), shipped as an
ordinary plug-in. Hypothetical instructions (Rusci et al. 2018 propose "a small set of
QNN-related specialized instructions" without publishing them, papers.md §1.4).

Cost: the MAC-like ones use the single M7 MAC unit with the latency of SMLAD (2, late accumulator
read, isa_timing.md §2.2) and may dual-issue like SMLAD; the unpack helper is a SIMD-unit op with
latency 1 that must lead a pair (like SXTB16, §2.3 rule 4). All ASSUMPTIONS of the proposal.

Lanes (the lane profile, run(..., lanes=True)): the dot products declare their lanes (8 x 4-bit,
16 x 2-bit, signed rn and rm). qnn.xnorpc declares none: its 1-bit lanes encode -1/+1, never
zero, so the useful/zero split of the profile does not apply to it.
"""
from isasim.isa.helpers import dot, lane, popcount
from isasim.plugins import Instr, cde

MAC = {"latency": 2, "occupancy": 1, "resource": "mac", "dual_issue": True}


def _unpack4(rn, half):
    """Four signed nibbles of rn (low or high 16 bits) -> two registers of 2 x int16 lanes."""
    base = 4 * (half & 1)
    w = [lane(rn, base + i, 4, True) & 0xFFFF for i in range(4)]
    return (w[1] << 16) | w[0], (w[3] << 16) | w[2]


INSTRUCTIONS = [
    Instr("qnn.sdot4", "rd, rn, rm", cde.cx3(opc=0, coproc=0, acc=True), isa="thumb2",
          sem=lambda rd, rn, rm: rd + dot(rn, rm, 4, True, True), cost=MAC,
          params={"macs": 8, "lanes": 8, "lane_bits": 4, "signed": (True, True)}, ext="qnn",
          doc="Rd += sum of 8 signed 4-bit products (cx3a p0 #0)"),
    Instr("qnn.sdot2", "rd, rn, rm", cde.cx3(opc=1, coproc=0, acc=True), isa="thumb2",
          sem=lambda rd, rn, rm: rd + dot(rn, rm, 2, True, True), cost=MAC,
          params={"macs": 16, "lanes": 16, "lane_bits": 2, "signed": (True, True)}, ext="qnn",
          doc="Rd += sum of 16 signed 2-bit products (cx3a p0 #1)"),
    Instr("qnn.xnorpc", "rd, rn, rm", cde.cx3(opc=2, coproc=0, acc=True), isa="thumb2",
          sem=lambda rd, rn, rm: rd + popcount(~(rn ^ rm)),
          cost={"latency": 1, "occupancy": 1, "resource": "alu", "dual_issue": True},
          params={"macs": 32}, ext="qnn", doc="Rd += popcount(~(Rn ^ Rm)) (cx3a p0 #2)"),
    # CX2 with D=1 on p1: writes the register pair Rd, Rd+1 (Rd even); uimm selects the half
    Instr("qnn.unpk4", "rd, rn, uimm", "111 0 1110 01 uimm[8:7] rn:4 rd:4 0 001 uimm[6] 1 uimm[5:0]",
          isa="thumb2", sem=lambda rn, uimm: _unpack4(rn, uimm), params={"writes": ("rd", "rd1")},
          cost={"latency": 1, "occupancy": 1, "resource": "simd", "dual_issue": True,
                "begin_group": True}, ext="qnn",
          doc="{Rd, Rd+1} = nibbles 4*uimm..4*uimm+3 of Rn as 2 x int16 lanes each (cx2d p1)"),
]
