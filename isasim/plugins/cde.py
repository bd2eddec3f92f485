"""Bit patterns of the Armv8.1-M Custom Datapath Extension (CDE) forms, for Thumb-2 plug-ins.

Layout (isa_timing.md §2.7, LLVM ARMInstrCDE.td), written as one 32-bit word hw1:hw2:
  CX1{A}{D} p<cp>, Rd, #imm13       hw1 = 111 A 1110 00 imm[12:7]        hw2 = Rd 0 cp imm[6] D imm[5:0]
  CX2{A}{D} p<cp>, Rd, Rn, #imm9    hw1 = 111 A 1110 01 imm[8:7] Rn      hw2 = Rd 0 cp imm[6] D imm[5:0]
  CX3{A}{D} p<cp>, Rd, Rn, Rm, #imm6 hw1 = 111 A 1110 1 imm[5:3] Rn      hw2 = Rm 0 cp imm[2] D imm[1:0] Rd
On an Armv7E-M core (the M7) these are coprocessor-space encodings on p0-p7 that raise NOCP, which
Unicorn reports as intno 17: isasim's trap hook runs the plug-in's semantics there.
The functions return encoding strings in the instruction-table format with the opcode immediate
fixed, so one coprocessor can hold many plug-in instructions (64 CX3 opcodes each).
"""


def _bits(v, n):
    return format(v, f"0{n}b")


def cx3(opc, coproc=0, acc=True, dual=False):
    """'rd, rn, rm' form: rd (+= if acc) f(rn, rm)."""
    _check(coproc, opc, 6)
    o = _bits(opc, 6)
    return (f"111 {int(acc)} 1110 1 {o[0:3]} rn:4 rm:4 0 {_bits(coproc, 3)} {o[3]} {int(dual)} "
            f"{o[4:6]} rd:4")


def cx2(opc, coproc=0, acc=False, dual=False):
    """'rd, rn' form with a 9-bit opcode immediate."""
    _check(coproc, opc, 9)
    o = _bits(opc, 9)
    return f"111 {int(acc)} 1110 01 {o[0:2]} rn:4 rd:4 0 {_bits(coproc, 3)} {o[2]} {int(dual)} {o[3:9]}"


def cx1(opc, coproc=0, acc=False, dual=False):
    """'rd' form with a 13-bit opcode immediate."""
    _check(coproc, opc, 13)
    o = _bits(opc, 13)
    return f"111 {int(acc)} 1110 00 {o[0:6]} rd:4 0 {_bits(coproc, 3)} {o[6]} {int(dual)} {o[7:13]}"


def _check(coproc, opc, bits):
    if not 0 <= coproc <= 7:
        raise ValueError(f"CDE coprocessor must be p0-p7 (p8-p15 do not trap), got p{coproc}")
    if not 0 <= opc < (1 << bits):
        raise ValueError(f"CDE opcode immediate must fit in {bits} bits, got {opc}")
