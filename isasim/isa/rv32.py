"""RV32I, M, Zicsr and C (compressed) as instruction tables.

Encodings follow the RISC-V unprivileged spec (same bit drawings as riscv-opcodes). Compressed
forms name the 32-bit instruction they execute as (``expands``) with an operand mapping; the
disassembler shows the ``c.`` name.
"""
from .helpers import (s32, sx, mulh, mulhu, mulhsu, div, divu, rem, remu)
from .spec import Instr

EXT = "rv32i"


def _I(name, syntax, enc, **kw):
    kw.setdefault("ext", EXT)
    return Instr(name, syntax, enc, native=True, **kw)


def _alu_r(name, f7, f3, sem, timing="alu", ext=EXT, doc=""):
    return _I(name, "rd, rs1, rs2", f"{f7} rs2 rs1 {f3} rd 0110011", sem=sem, timing=timing,
              ext=ext, doc=doc)


def _alu_i(name, f3, sem, doc=""):
    return _I(name, "rd, rs1, imm", f"imm[11:0] rs1 {f3} rd 0010011", sem=sem, doc=doc)


def _shift_i(name, f7, f3, sem, doc=""):
    return _I(name, "rd, rs1, shamt", f"{f7} shamt:5 rs1 {f3} rd 0010011", sem=sem, doc=doc)


def _load(name, f3, size, signed):
    return _I(name, "rd, imm(rs1)", f"imm[11:0] rs1 {f3} rd 0000011", kind="load",
              timing="load", params={"size": size, "signed": signed},
              doc=f"rD = {'S' if signed else 'Z'}ext(Mem{8 * size}[rs1 + imm])")


def _store(name, f3, size):
    return _I(name, "rs2, imm(rs1)", f"imm[11:5] rs2 rs1 {f3} imm[4:0] 0100011", kind="store",
              timing="store", params={"size": size}, doc=f"Mem{8 * size}[rs1 + imm] = rs2")


def _branch(name, f3, cond, doc):
    return _I(name, "rs1, rs2, off", f"off[12|10:5] rs2 rs1 {f3} off[4:1|11] 1100011",
              kind="branch", timing="branch", sem=cond, doc=f"if {doc}: pc += off")


RV32I = [
    _I("lui", "rd, imm20", "imm20:20 rd 0110111", sem=lambda imm20: imm20 << 12,
       doc="rD = imm20 << 12"),
    _I("auipc", "rd, imm20", "imm20:20 rd 0010111", sem=lambda pc, imm20: pc + (imm20 << 12),
       doc="rD = pc + (imm20 << 12)"),
    _I("jal", "rd, off", "off[20|10:1|11|19:12] rd 1101111", kind="jump", timing="jump",
       doc="rD = pc + len; pc += off"),
    _I("jalr", "rd, imm(rs1)", "imm[11:0] rs1 000 rd 1100111", kind="jalr", timing="jump",
       doc="rD = pc + len; pc = (rs1 + imm) & ~1"),
    _branch("beq", "000", lambda rs1, rs2: rs1 == rs2, "rs1 == rs2"),
    _branch("bne", "001", lambda rs1, rs2: rs1 != rs2, "rs1 != rs2"),
    _branch("blt", "100", lambda rs1, rs2: s32(rs1) < s32(rs2), "rs1 < rs2 (signed)"),
    _branch("bge", "101", lambda rs1, rs2: s32(rs1) >= s32(rs2), "rs1 >= rs2 (signed)"),
    _branch("bltu", "110", lambda rs1, rs2: rs1 < rs2, "rs1 < rs2 (unsigned)"),
    _branch("bgeu", "111", lambda rs1, rs2: rs1 >= rs2, "rs1 >= rs2 (unsigned)"),
    _load("lb", "000", 1, True), _load("lh", "001", 2, True), _load("lw", "010", 4, True),
    _load("lbu", "100", 1, False), _load("lhu", "101", 2, False),
    _store("sb", "000", 1), _store("sh", "001", 2), _store("sw", "010", 4),
    _alu_i("addi", "000", lambda rs1, imm: rs1 + imm, "rD = rs1 + imm"),
    _alu_i("slti", "010", lambda rs1, imm: 1 if s32(rs1) < imm else 0, "rD = rs1 < imm (signed)"),
    _alu_i("sltiu", "011", lambda rs1, imm: 1 if rs1 < (imm & 0xFFFFFFFF) else 0,
           "rD = rs1 < imm (unsigned)"),
    _alu_i("xori", "100", lambda rs1, imm: rs1 ^ imm, "rD = rs1 ^ imm"),
    _alu_i("ori", "110", lambda rs1, imm: rs1 | imm, "rD = rs1 | imm"),
    _alu_i("andi", "111", lambda rs1, imm: rs1 & imm, "rD = rs1 & imm"),
    _shift_i("slli", "0000000", "001", lambda rs1, shamt: rs1 << shamt, "rD = rs1 << shamt"),
    _shift_i("srli", "0000000", "101", lambda rs1, shamt: rs1 >> shamt, "rD = rs1 >> shamt"),
    _shift_i("srai", "0100000", "101", lambda rs1, shamt: s32(rs1) >> shamt,
             "rD = rs1 >>> shamt"),
    _alu_r("add", "0000000", "000", lambda rs1, rs2: rs1 + rs2, doc="rD = rs1 + rs2"),
    _alu_r("sub", "0100000", "000", lambda rs1, rs2: rs1 - rs2, doc="rD = rs1 - rs2"),
    _alu_r("sll", "0000000", "001", lambda rs1, rs2: rs1 << (rs2 & 31), doc="rD = rs1 << rs2[4:0]"),
    _alu_r("slt", "0000000", "010", lambda rs1, rs2: 1 if s32(rs1) < s32(rs2) else 0,
           doc="rD = rs1 < rs2 (signed)"),
    _alu_r("sltu", "0000000", "011", lambda rs1, rs2: 1 if rs1 < rs2 else 0,
           doc="rD = rs1 < rs2 (unsigned)"),
    _alu_r("xor", "0000000", "100", lambda rs1, rs2: rs1 ^ rs2, doc="rD = rs1 ^ rs2"),
    _alu_r("srl", "0000000", "101", lambda rs1, rs2: rs1 >> (rs2 & 31), doc="rD = rs1 >> rs2[4:0]"),
    _alu_r("sra", "0100000", "101", lambda rs1, rs2: s32(rs1) >> (rs2 & 31),
           doc="rD = rs1 >>> rs2[4:0]"),
    _alu_r("or", "0000000", "110", lambda rs1, rs2: rs1 | rs2, doc="rD = rs1 | rs2"),
    _alu_r("and", "0000000", "111", lambda rs1, rs2: rs1 & rs2, doc="rD = rs1 & rs2"),
    _I("fence", "", "---- ---- ---- 00000 000 00000 0001111", kind="system", timing="alu",
       params={"op": "nop"}, doc="memory ordering (no effect in this model)"),
    _I("fence.i", "", "------------ 00000 001 00000 0001111", kind="system", timing="fencei",
       params={"op": "nop"}, doc="instruction-fetch fence"),
    _I("ecall", "", "000000000000 00000 000 00000 1110011", kind="system", timing="system",
       params={"op": "ecall"}, doc="environment call (a7 = 93: exit with code a0)"),
    _I("ebreak", "", "000000000001 00000 000 00000 1110011", kind="system", timing="system",
       params={"op": "ebreak"}, doc="breakpoint: stops the simulation"),
    _I("mret", "", "0011000 00010 00000 000 00000 1110011", kind="system", timing="system",
       params={"op": "mret"}, doc="return from machine trap (pc = mepc)"),
    _I("wfi", "", "0001000 00101 00000 000 00000 1110011", kind="system", timing="system",
       params={"op": "nop"}, doc="wait for interrupt (no effect in this model)"),
]

RV32M = [
    _alu_r("mul", "0000001", "000", lambda rs1, rs2: rs1 * rs2, "mul", "rv32m", "rD = (rs1*rs2)[31:0]"),
    _alu_r("mulh", "0000001", "001", lambda rs1, rs2: mulh(rs1, rs2), "mulh", "rv32m", "rD = (s(rs1)*s(rs2))[63:32]"),
    _alu_r("mulhsu", "0000001", "010", lambda rs1, rs2: mulhsu(rs1, rs2), "mulh", "rv32m", "rD = (s(rs1)*u(rs2))[63:32]"),
    _alu_r("mulhu", "0000001", "011", lambda rs1, rs2: mulhu(rs1, rs2), "mulh", "rv32m", "rD = (u(rs1)*u(rs2))[63:32]"),
    _alu_r("div", "0000001", "100", lambda rs1, rs2: div(rs1, rs2), "div", "rv32m", "rD = rs1 / rs2 (signed, RISC-V rules for 0 and overflow)"),
    _alu_r("divu", "0000001", "101", lambda rs1, rs2: divu(rs1, rs2), "div", "rv32m", "rD = rs1 / rs2 (unsigned)"),
    _alu_r("rem", "0000001", "110", lambda rs1, rs2: rem(rs1, rs2), "div", "rv32m", "rD = rs1 % rs2 (signed)"),
    _alu_r("remu", "0000001", "111", lambda rs1, rs2: remu(rs1, rs2), "div", "rv32m", "rD = rs1 % rs2 (unsigned)"),
]


def _csr(name, f3, op, imm):
    src = "zimm" if imm else "rs1"
    enc_src = "zimm:5" if imm else "rs1"
    return _I(name, f"rd, csr, {src}", f"csr:12 {enc_src} {f3} rd 1110011", kind="csr",
              timing="csr", ext="zicsr", params={"op": op, "imm": imm},
              doc=f"rD = CSR; CSR {'=' if op == 'rw' else '|=' if op == 'rs' else '&= ~'} {src}")


ZICSR = [_csr("csrrw", "001", "rw", False), _csr("csrrs", "010", "rs", False),
         _csr("csrrc", "011", "rc", False), _csr("csrrwi", "101", "rw", True),
         _csr("csrrsi", "110", "rs", True), _csr("csrrci", "111", "rc", True)]


def _C(name, syntax, enc, to, mapping, **kw):
    """A compressed form; params 'nonzero': fields whose zero value is a reserved encoding
    (the RVC spec; e.g. the all-zero halfword is the defined illegal instruction)."""
    return Instr(name, syntax, enc, native=True, ext="rv32c", expands=to,
                 params={"map": mapping, **kw.pop("params", {})}, **kw)


RV32C = [
    # quadrant 0
    _C("c.addi4spn", "rdp, sp, nzuimm", "000 nzuimm[5:4|9:6|2|3] rdp 00", "addi",
       lambda v: {"rd": v["rdp"], "rs1": 2, "imm": v["nzuimm"]}, params={"nonzero": ("nzuimm",)}),
    _C("c.lw", "rdp, uimm(rs1p)", "010 uimm[5:3] rs1p uimm[2|6] rdp 00", "lw",
       lambda v: {"rd": v["rdp"], "rs1": v["rs1p"], "imm": v["uimm"]}),
    _C("c.sw", "rs2p, uimm(rs1p)", "110 uimm[5:3] rs1p uimm[2|6] rs2p 00", "sw",
       lambda v: {"rs2": v["rs2p"], "rs1": v["rs1p"], "imm": v["uimm"]}),
    # quadrant 1
    _C("c.nop", "", "000 0 00000 00000 01", "addi", lambda v: {"rd": 0, "rs1": 0, "imm": 0}),
    _C("c.addi", "rd, nzimm", "000 nzimm[5] rd nzimm[4:0] 01", "addi",
       lambda v: {"rd": v["rd"], "rs1": v["rd"], "imm": v["nzimm"]}),
    _C("c.jal", "off", "001 off[11|4|9:8|10|6|7|3:1|5] 01", "jal",
       lambda v: {"rd": 1, "off": v["off"]}),
    _C("c.li", "rd, imm", "010 imm[5] rd imm[4:0] 01", "addi",
       lambda v: {"rd": v["rd"], "rs1": 0, "imm": v["imm"]}),
    _C("c.addi16sp", "sp, nzimm", "011 nzimm[9] 00010 nzimm[4|6|8:7|5] 01", "addi",
       lambda v: {"rd": 2, "rs1": 2, "imm": v["nzimm"]}, params={"nonzero": ("nzimm",)}),
    _C("c.lui", "rd, imm", "011 imm[17] rd imm[16:12] 01", "lui",
       lambda v: {"rd": v["rd"], "imm20": (v["imm"] >> 12) & 0xFFFFF}, params={"nonzero": ("imm",)}),
    _C("c.srli", "rdp, shamt", "100 0 00 rdp shamt[4:0] 01", "srli",
       lambda v: {"rd": v["rdp"], "rs1": v["rdp"], "shamt": v["shamt"]}),
    _C("c.srai", "rdp, shamt", "100 0 01 rdp shamt[4:0] 01", "srai",
       lambda v: {"rd": v["rdp"], "rs1": v["rdp"], "shamt": v["shamt"]}),
    _C("c.andi", "rdp, imm", "100 imm[5] 10 rdp imm[4:0] 01", "andi",
       lambda v: {"rd": v["rdp"], "rs1": v["rdp"], "imm": v["imm"]}),
    _C("c.sub", "rdp, rs2p", "100 0 11 rdp 00 rs2p 01", "sub",
       lambda v: {"rd": v["rdp"], "rs1": v["rdp"], "rs2": v["rs2p"]}),
    _C("c.xor", "rdp, rs2p", "100 0 11 rdp 01 rs2p 01", "xor",
       lambda v: {"rd": v["rdp"], "rs1": v["rdp"], "rs2": v["rs2p"]}),
    _C("c.or", "rdp, rs2p", "100 0 11 rdp 10 rs2p 01", "or",
       lambda v: {"rd": v["rdp"], "rs1": v["rdp"], "rs2": v["rs2p"]}),
    _C("c.and", "rdp, rs2p", "100 0 11 rdp 11 rs2p 01", "and",
       lambda v: {"rd": v["rdp"], "rs1": v["rdp"], "rs2": v["rs2p"]}),
    _C("c.j", "off", "101 off[11|4|9:8|10|6|7|3:1|5] 01", "jal",
       lambda v: {"rd": 0, "off": v["off"]}),
    _C("c.beqz", "rs1p, off", "110 off[8|4:3] rs1p off[7:6|2:1|5] 01", "beq",
       lambda v: {"rs1": v["rs1p"], "rs2": 0, "off": v["off"]}),
    _C("c.bnez", "rs1p, off", "111 off[8|4:3] rs1p off[7:6|2:1|5] 01", "bne",
       lambda v: {"rs1": v["rs1p"], "rs2": 0, "off": v["off"]}),
    # quadrant 2
    _C("c.slli", "rd, shamt", "000 0 rd shamt[4:0] 10", "slli",
       lambda v: {"rd": v["rd"], "rs1": v["rd"], "shamt": v["shamt"]}),
    _C("c.lwsp", "rd, uimm(sp)", "010 uimm[5] rd uimm[4:2|7:6] 10", "lw",
       lambda v: {"rd": v["rd"], "rs1": 2, "imm": v["uimm"]}, params={"nonzero": ("rd",)}),
    _C("c.jr", "rs1", "100 0 rs1 00000 10", "jalr", lambda v: {"rd": 0, "rs1": v["rs1"], "imm": 0},
       params={"nonzero": ("rs1",)}),
    _C("c.mv", "rd, rs2", "100 0 rd rs2 10", "add", lambda v: {"rd": v["rd"], "rs1": 0, "rs2": v["rs2"]}),
    _C("c.ebreak", "", "100 1 00000 00000 10", "ebreak", lambda v: {}),
    _C("c.jalr", "rs1", "100 1 rs1 00000 10", "jalr", lambda v: {"rd": 1, "rs1": v["rs1"], "imm": 0}),
    _C("c.add", "rd, rs2", "100 1 rd rs2 10", "add",
       lambda v: {"rd": v["rd"], "rs1": v["rd"], "rs2": v["rs2"]}),
    _C("c.swsp", "rs2, uimm(sp)", "110 uimm[5:2|7:6] rs2 10", "sw",
       lambda v: {"rs2": v["rs2"], "rs1": 2, "imm": v["uimm"]}),
]

_ = sx  # re-exported for plug-ins that import from here
