"""Differential test of the RI5CY core against Unicorn RV32 on random RV32IMC programs.

Hypothesis generates straight-line programs with small forward branches/jumps made of every RV32I
ALU / immediate op, lui/auipc, loads and stores of every size (sign/zero extension, some misaligned)
to a data buffer in TCDM, the whole M extension (register values biased to 0, -1, INT_MIN, ...),
forward branches of all 6 conditions, jal/jalr, and the compressed forms. Each program ends in
``li a7, 93; ecall``; Unicorn stops at the ecall address. All 32 registers and the data buffer
must be identical.

Instruction words are produced with the instruction table's ``encode``; Unicorn decodes the same
bytes itself, so a wrong encoding in the table shows up as a mismatch too.
"""
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from unicorn import Uc, UC_ARCH_RISCV, UC_MODE_RISCV32
from unicorn.riscv_const import UC_RISCV_REG_X0

from isasim.cores.ri5cy.core import RI5CY, L2_BASE, TCDM_BASE
from isasim.elf import Program


from rvcode import M as M32, enc, li, EXIT

BUF = 512                     # data buffer at TCDM_BASE
CODE_MAX = 0x4000


# ---- the Unicorn oracle (one instance, reused) ------------------------------------------------------
class Oracle:
    def __init__(self):
        self.uc = Uc(UC_ARCH_RISCV, UC_MODE_RISCV32)
        self.uc.mem_map(L2_BASE, 0x10000)
        self.uc.mem_map(TCDM_BASE, 0x10000)
        self.last_len = 0

    def run(self, code, regs, data):
        uc = self.uc
        # drop translated blocks of the previous program (same addresses, different bytes)
        uc.ctl_remove_cache(L2_BASE, L2_BASE + max(self.last_len, len(code)) + 16)
        uc.mem_write(L2_BASE, code + bytes(max(0, self.last_len - len(code))))
        self.last_len = len(code)
        uc.mem_write(TCDM_BASE, data)
        for i in range(32):
            uc.reg_write(UC_RISCV_REG_X0 + i, regs[i] if i else 0)
        ecall = L2_BASE + len(code) - 4
        uc.emu_start(L2_BASE, ecall, count=100000)
        return [uc.reg_read(UC_RISCV_REG_X0 + i) & M32 for i in range(32)], bytes(uc.mem_read(TCDM_BASE, BUF))


_ORACLE = []


def oracle():
    if not _ORACLE:
        _ORACLE.append(Oracle())
    return _ORACLE[0]


def run_core(code, regs, data):
    core = RI5CY(Program.from_code(code, L2_BASE, data=[(TCDM_BASE, data)]))
    for i in range(1, 32):
        core.R[i] = regs[i]
    core.run(max_instructions=100000)
    return [int(core.R[i]) & M32 for i in range(32)], core.mem.read(TCDM_BASE, BUF)


def check(code, regs, data, what=""):
    ur, um = oracle().run(code, regs, data)
    cr, cm = run_core(code, regs, data)
    diff = [f"x{i}: unicorn 0x{u:08x} core 0x{c:08x}" for i, (u, c) in enumerate(zip(ur, cr)) if u != c]
    assert not diff, f"{what} register mismatch: {diff}\ncode={code.hex()}\nregs={[hex(r) for r in regs]}"
    if um != cm:
        bad = [i for i in range(BUF) if um[i] != cm[i]]
        pytest.fail(f"{what} memory mismatch at TCDM+{bad[:8]}: unicorn {um[bad[0]]:02x} core "
                    f"{cm[bad[0]]:02x}\ncode={code.hex()}")


# ---- program items ------------------------------------------------------------------------------------
# An item is (size in bytes, encoder(addr_of_item, addrs_of_all_items_plus_end, my_index) -> bytes).
EDGE = [0, 1, 2, 3, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 0x10000, 0x7FFFFFFF, 0x80000000,
        0x80000001, 0xFFFFFFFE, 0xFFFFFFFF, 31, 32, 0xFFFF8000, 0xFFFFFF80, 0xAAAAAAAA, 0x55555555]
reg_value = st.one_of(st.sampled_from(EDGE), st.integers(0, M32))
reg = st.integers(0, 31)
reg_nz = st.integers(1, 31)
regp = st.integers(8, 15)
imm12 = st.one_of(st.sampled_from([-2048, 2047, -1, 0, 1]), st.integers(-2048, 2047))
shamt = st.one_of(st.sampled_from([0, 1, 31]), st.integers(0, 31))
imm6 = st.one_of(st.sampled_from([-32, 31, -1, 0, 1]), st.integers(-32, 31))

R_OPS = ["add", "sub", "sll", "slt", "sltu", "xor", "srl", "sra", "or", "and",
         "mul", "mulh", "mulhsu", "mulhu", "div", "divu", "rem", "remu"]
I_OPS = ["addi", "slti", "sltiu", "xori", "ori", "andi"]
SH_OPS = ["slli", "srli", "srai"]
LOADS = {"lb": 1, "lh": 2, "lw": 4, "lbu": 1, "lhu": 2}
STORES = {"sb": 1, "sh": 2, "sw": 4}
BRANCHES = ["beq", "bne", "blt", "bge", "bltu", "bgeu"]


def fixed(b):
    return (len(b), lambda a, addrs, i: b)


def target_of(addrs, i, skip):
    return addrs[min(i + skip, len(addrs) - 1)]


@st.composite
def item(draw):
    k = draw(st.sampled_from(
        ["r"] * 6 + ["i"] * 3 + ["sh", "lui", "auipc"] + ["ld"] * 3 + ["st"] * 3 +
        ["br"] * 3 + ["jal", "jalr", "c.alu", "c.alu", "c.alu", "c.mem", "c.br", "c.j", "c.jr"]))
    if k == "r":
        return fixed(enc(draw(st.sampled_from(R_OPS)), rd=draw(reg), rs1=draw(reg), rs2=draw(reg)))
    if k == "i":
        return fixed(enc(draw(st.sampled_from(I_OPS)), rd=draw(reg), rs1=draw(reg), imm=draw(imm12)))
    if k == "sh":
        return fixed(enc(draw(st.sampled_from(SH_OPS)), rd=draw(reg), rs1=draw(reg), shamt=draw(shamt)))
    if k in ("lui", "auipc"):
        imm = draw(st.one_of(st.sampled_from([0, 1, 0x80000, 0xFFFFF, 0x7FFFF]), st.integers(0, 0xFFFFF)))
        return fixed(enc(k, rd=draw(reg), imm20=imm))
    if k in ("ld", "st"):
        name = draw(st.sampled_from(sorted(LOADS if k == "ld" else STORES)))
        size = (LOADS if k == "ld" else STORES)[name]
        if draw(st.integers(0, 9)) == 0:            # misaligned now and then
            off = draw(st.integers(0, BUF - size))
        else:
            off = draw(st.integers(0, BUF // size - 1)) * size
        imm = draw(imm12)
        rb = draw(reg_nz)
        code = li(rb, TCDM_BASE + off - imm)
        if k == "ld":
            code += enc(name, rd=draw(reg), rs1=rb, imm=imm)
        else:
            code += enc(name, rs2=draw(reg), rs1=rb, imm=imm)
        return fixed(code)
    if k == "br":
        name = draw(st.sampled_from(BRANCHES))
        r1 = draw(reg)
        r2 = draw(st.one_of(reg, st.just(r1)))
        skip = draw(st.integers(1, 4))
        return (4, lambda a, addrs, i: enc(name, rs1=r1, rs2=r2, off=target_of(addrs, i, skip) - a))
    if k == "jal":
        rd = draw(reg)
        skip = draw(st.integers(1, 4))
        return (4, lambda a, addrs, i: enc("jal", rd=rd, off=target_of(addrs, i, skip) - a))
    if k == "jalr":
        rd, rb, imm, odd = draw(reg), draw(reg_nz), draw(imm12), draw(st.booleans())
        skip = draw(st.integers(1, 4))

        def e(a, addrs, i):
            t = target_of(addrs, i, skip)
            return li(rb, t - imm + odd) + enc("jalr", rd=rd, rs1=rb, imm=imm)
        return (12, e)
    if k == "c.alu":
        c = draw(st.sampled_from(["c.addi", "c.li", "c.lui", "c.mv", "c.add", "c.sub", "c.xor",
                                  "c.or", "c.and", "c.andi", "c.srli", "c.srai", "c.slli",
                                  "c.addi4spn", "c.addi16sp", "c.nop"]))
        if c == "c.addi":
            return fixed(enc(c, rd=draw(reg_nz), nzimm=draw(imm6.filter(bool))))
        if c == "c.li":
            return fixed(enc(c, rd=draw(reg_nz), imm=draw(imm6)))
        if c == "c.lui":
            rd = draw(reg_nz.filter(lambda r: r != 2))
            return fixed(enc(c, rd=rd, imm=draw(imm6.filter(bool)) * 4096))
        if c in ("c.mv", "c.add"):
            return fixed(enc(c, rd=draw(reg_nz), rs2=draw(reg_nz)))
        if c in ("c.sub", "c.xor", "c.or", "c.and"):
            return fixed(enc(c, rdp=draw(regp), rs2p=draw(regp)))
        if c == "c.andi":
            return fixed(enc(c, rdp=draw(regp), imm=draw(imm6)))
        if c in ("c.srli", "c.srai"):
            return fixed(enc(c, rdp=draw(regp), shamt=draw(st.integers(1, 31))))
        if c == "c.slli":
            return fixed(enc(c, rd=draw(reg_nz), shamt=draw(st.integers(1, 31))))
        if c == "c.addi4spn":
            return fixed(enc(c, rdp=draw(regp), nzuimm=draw(st.integers(1, 255)) * 4))
        if c == "c.addi16sp":
            return fixed(enc(c, nzimm=draw(st.integers(-32, 31).filter(bool)) * 16))
        return fixed(enc("c.nop"))
    if k == "c.mem":
        c = draw(st.sampled_from(["c.lw", "c.sw", "c.lwsp", "c.swsp"]))
        off = draw(st.integers(0, BUF // 4 - 1)) * 4
        if c in ("c.lw", "c.sw"):
            uimm = draw(st.integers(0, 31)) * 4
            rb = draw(regp)
            code = li(rb, TCDM_BASE + off - uimm)
            if c == "c.lw":
                return fixed(code + enc(c, rdp=draw(regp), uimm=uimm, rs1p=rb))
            return fixed(code + enc(c, rs2p=draw(regp), uimm=uimm, rs1p=rb))
        uimm = draw(st.integers(0, 63)) * 4
        code = li(2, TCDM_BASE + off - uimm)
        if c == "c.lwsp":
            return fixed(code + enc(c, rd=draw(reg_nz), uimm=uimm))
        return fixed(code + enc(c, rs2=draw(reg), uimm=uimm))
    if k == "c.br":
        c = draw(st.sampled_from(["c.beqz", "c.bnez"]))
        r = draw(regp)
        skip = draw(st.integers(1, 4))
        return (2, lambda a, addrs, i: enc(c, rs1p=r, off=target_of(addrs, i, skip) - a))
    if k == "c.j":
        c = draw(st.sampled_from(["c.j", "c.jal"]))
        skip = draw(st.integers(1, 4))
        return (2, lambda a, addrs, i: enc(c, off=target_of(addrs, i, skip) - a))
    # c.jr / c.jalr through a register loaded with the (absolute) target
    c = draw(st.sampled_from(["c.jr", "c.jalr"]))
    rb = draw(reg_nz)
    odd = draw(st.booleans())
    skip = draw(st.integers(1, 4))
    return (10, lambda a, addrs, i: li(rb, target_of(addrs, i, skip) + odd) + enc(c, rs1=rb))


def assemble(items):
    addrs = []
    a = L2_BASE
    for size, _ in items:
        addrs.append(a)
        a += size
    addrs.append(a)                       # the exit sequence
    code = b"".join(e(addrs[i], addrs, i) for i, (_, e) in enumerate(items))
    assert len(code) == a - L2_BASE
    return code + EXIT


@st.composite
def program(draw):
    items = draw(st.lists(item(), min_size=1, max_size=24))
    regs = [0] + [draw(reg_value) for _ in range(31)]
    data = draw(st.binary(min_size=BUF, max_size=BUF))
    return assemble(items), regs, data


@settings(max_examples=2000, deadline=None, suppress_health_check=list(HealthCheck))
@given(program())
def test_random_programs_match_unicorn(prog):
    check(*prog)


@pytest.mark.slow
@settings(max_examples=20000, deadline=None, suppress_health_check=list(HealthCheck))
@given(program())
def test_random_programs_match_unicorn_long(prog):
    check(*prog)


# ---- deterministic M-extension edge cases (all pairs) -------------------------------------------------
M_EDGE = [0, 1, 2, 3, 7, 0xFFFFFFFF, 0xFFFFFFFE, 0x80000000, 0x80000001, 0x7FFFFFFF, 0xFFFF, 0x10000,
          0xFFFF0000, 0x12345678]
M_OPS = ["mul", "mulh", "mulhsu", "mulhu", "div", "divu", "rem", "remu"]


@pytest.mark.parametrize("a", M_EDGE, ids=hex)
def test_m_extension_edge_pairs(a):
    for b in M_EDGE:
        code = li(5, a) + li(6, b)
        for k, op in enumerate(M_OPS):
            code += enc(op, rd=10 + k, rs1=5, rs2=6)
        # the same with rd == rs1 / rd == rs2 (the result must use the old operand values)
        code += li(20, a) + li(21, b) + enc("div", rd=20, rs1=20, rs2=21)
        code += li(22, a) + li(23, b) + enc("remu", rd=23, rs1=22, rs2=23)
        check(code + EXIT, [0] * 32, bytes(BUF), f"a=0x{a:08x} b=0x{b:08x}")


def test_m_extension_known_values():
    """Spot values straight from the RISC-V M spec table (division by zero, overflow)."""
    code = li(5, 0x80000000) + li(6, 0xFFFFFFFF)
    code += enc("div", rd=10, rs1=5, rs2=6) + enc("rem", rd=11, rs1=5, rs2=6)
    code += enc("div", rd=12, rs1=5, rs2=0) + enc("divu", rd=13, rs1=5, rs2=0)
    code += enc("rem", rd=14, rs1=5, rs2=0) + enc("remu", rd=15, rs1=5, rs2=0)
    code += enc("mulh", rd=16, rs1=5, rs2=5) + enc("mulhu", rd=18, rs1=6, rs2=6)
    code += enc("mulhsu", rd=19, rs1=6, rs2=6)
    r, _ = run_core(code + EXIT, [0] * 32, bytes(BUF))
    assert r[10:16] == [0x80000000, 0, 0xFFFFFFFF, 0xFFFFFFFF, 0x80000000, 0x80000000]
    assert r[16] == 0x40000000 and r[18] == 0xFFFFFFFE and r[19] == 0xFFFFFFFF


def test_oracle_detects_a_difference():
    """The comparison itself can fail: a program whose result differs is reported."""
    code = li(5, 1234) + EXIT
    ur, _ = oracle().run(code, [0] * 32, bytes(BUF))
    cr, _ = run_core(li(5, 1235) + EXIT, [0] * 32, bytes(BUF))
    assert ur[5] == 1234 and cr[5] == 1235
