"""Built-in QNN instructions for RISC-V (RI5CY), shipped as an ordinary plug-in.

Nibble (8 x 4-bit) and crumb (16 x 2-bit) sum-of-dot-products with the accumulate semantics of
pv.sdotsp.b, XpulpNN-style: encodings of the PULP binutils XpulpNN class (isa_timing.md §1.3/§1.5;
GreenWaves GVSoC uses the same ones). The unsigned x signed forms pv.sdotusp.n / pv.sdotusp.c
(unsigned activations, signed weights, as PULP-NN's kernels use them) have the binutils MATCH values
0xa8002057 / 0xaa002057 (isa_timing.md §1.3, XpulpNN table). GAP-8 itself has no XpulpNN: these are
hypothetical on GAP-8.
XNOR-popcount accumulate: a new encoding in the free custom-0 funct3 110 slot (no public source).
Cost: 1 cycle like the 8-bit dot products (hardware cost of XpulpNN ops is UNCONFIRMED, §1.5).
Lanes (the lane profile, run(..., lanes=True)): the dot products declare their lanes (8 x 4-bit,
16 x 2-bit; a = rs1, b = rs2, signed as their names say). pv.xnorpopc declares none: its 1-bit
lanes encode -1/+1, never zero.
"""
from isasim.isa.helpers import dot, popcount
from isasim.plugins import Instr

INSTRUCTIONS = [
    Instr("pv.sdotsp.n", "rd, rs1, rs2", "1011100 rs2 rs1 010 rd 1010111",
          sem=lambda rd, rs1, rs2: rd + dot(rs1, rs2, 4, True, True),
          timing="dot", cost={"latency": 1},
          params={"macs": 8, "lanes": 8, "lane_bits": 4, "signed": (True, True)}, ext="qnn",
          doc="rD += sum_i s(rs1[i])*s(rs2[i]); 8x4-bit lanes"),
    Instr("pv.sdotup.n", "rd, rs1, rs2", "1010000 rs2 rs1 010 rd 1010111",
          sem=lambda rd, rs1, rs2: rd + dot(rs1, rs2, 4, False, False),
          timing="dot", cost={"latency": 1},
          params={"macs": 8, "lanes": 8, "lane_bits": 4, "signed": (False, False)}, ext="qnn",
          doc="rD += sum_i u(rs1[i])*u(rs2[i]); 8x4-bit lanes"),
    Instr("pv.sdotsp.c", "rd, rs1, rs2", "1011101 rs2 rs1 010 rd 1010111",
          sem=lambda rd, rs1, rs2: rd + dot(rs1, rs2, 2, True, True),
          timing="dot", cost={"latency": 1},
          params={"macs": 16, "lanes": 16, "lane_bits": 2, "signed": (True, True)}, ext="qnn",
          doc="rD += sum_i s(rs1[i])*s(rs2[i]); 16x2-bit lanes"),
    Instr("pv.sdotup.c", "rd, rs1, rs2", "1010001 rs2 rs1 010 rd 1010111",
          sem=lambda rd, rs1, rs2: rd + dot(rs1, rs2, 2, False, False),
          timing="dot", cost={"latency": 1},
          params={"macs": 16, "lanes": 16, "lane_bits": 2, "signed": (False, False)}, ext="qnn",
          doc="rD += sum_i u(rs1[i])*u(rs2[i]); 16x2-bit lanes"),
    Instr("pv.sdotusp.n", "rd, rs1, rs2", "1010100 rs2 rs1 010 rd 1010111",
          sem=lambda rd, rs1, rs2: rd + dot(rs1, rs2, 4, False, True),
          timing="dot", cost={"latency": 1},
          params={"macs": 8, "lanes": 8, "lane_bits": 4, "signed": (False, True)}, ext="qnn",
          doc="rD += sum_i u(rs1[i])*s(rs2[i]); 8x4-bit lanes"),
    Instr("pv.sdotusp.c", "rd, rs1, rs2", "1010101 rs2 rs1 010 rd 1010111",
          sem=lambda rd, rs1, rs2: rd + dot(rs1, rs2, 2, False, True),
          timing="dot", cost={"latency": 1},
          params={"macs": 16, "lanes": 16, "lane_bits": 2, "signed": (False, True)}, ext="qnn",
          doc="rD += sum_i u(rs1[i])*s(rs2[i]); 16x2-bit lanes"),
    Instr("pv.xnorpopc", "rd, rs1, rs2", "0000000 rs2 rs1 110 rd 0001011",
          sem=lambda rd, rs1, rs2: rd + popcount(~(rs1 ^ rs2)),
          timing="alu", cost={"latency": 1}, params={"macs": 32}, ext="qnn",
          doc="rD += popcount(~(rs1 ^ rs2)): 32 binary MACs (XNOR-popcount accumulate)"),
]
