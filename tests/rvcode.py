"""RI5CY machine code for tests, encoded with isasim's own instruction table (no assembler, so a
test can place any word, including ones an assembler would refuse)."""
from isasim.isa.registry import load_table

T = load_table("rv32")
M = 0xFFFFFFFF


def enc(name, syntax=None, **v):
    """Bytes of table entry ``name`` (the first with ``syntax`` if given) with field values ``v``."""
    ins = [i for i in T.by_name[name] if syntax is None or i.syntax == syntax][0]
    return ins.encode(v).to_bytes(ins.width // 8, "little")


def li_parts(value):
    """(hi20, lo12) such that lui hi; addi lo gives ``value``."""
    value &= M
    lo = ((value & 0xFFF) ^ 0x800) - 0x800
    hi = ((value - lo) >> 12) & 0xFFFFF
    return hi, lo


def li(rd, value):
    """lui + addi: 2 instructions, 2 cycles (the addi reads the lui result: ALU->ALU, no stall)."""
    hi, lo = li_parts(value)
    return enc("lui", rd=rd, imm20=hi) + enc("addi", rd=rd, rs1=rd, imm=lo)


EXIT = enc("addi", rd=17, rs1=0, imm=93) + enc("ecall")     # li a7, 93; ecall
