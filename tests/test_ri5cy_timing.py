"""Exact RI5CY cycle counts for small programs, from the per-instruction costs of
docs/reference/isa_timing.md §1.7 (CV32E40P v1 cycle table / UM / RTL):

  ALU, lui/auipc, addi, ecall ........... 1          load / store (aligned) ..... 1
  load-use (next instr reads the load) .. +1         misaligned word, or halfword
  branch not taken ...................... 1            crossing a word boundary . +1
  branch taken .......................... 3          jal / jalr ................. 2
  taken branch / jump to a non-word-aligned 32-bit target ........................ +1
  jalr using the result of the immediately preceding instruction ................. +1
  mulh/mulhsu/mulhu ..................... 5          mul ......................... 1
  div/divu/rem/remu ..... 3 + leading zeros of |divisor|, 35 for divisor 0
  hardware-loop back edge ............... 0          lp.* setup ................. 1
  CSR: 4 for mcycle/minstret/mstatus/... (V1 list), 1 for the others (mscratch)

The numbers are written here (not read from isasim.timing) so that a change of the model shows up.
Every program ends with ``li a7, 93`` (addi, 1) + ``ecall`` (1): EXIT_CYCLES = 2.
"""
import pytest

from isasim.cores.ri5cy.core import RI5CY, L2_BASE, TCDM_BASE
from isasim.elf import Program

from rvcode import T, enc, li, EXIT

ALU, LOAD, STORE, LOAD_USE, BR_NT, BR_T, MIS_TGT, JUMP, JALR_HAZ = 1, 1, 1, 1, 1, 3, 1, 2, 1
MULH, DIV_BASE, DIV_ZERO, MISALIGNED, CSR_SLOW, CSR_FAST, HWLOOP_SETUP = 5, 3, 35, 1, 4, 1, 1
EXIT_CYCLES = 2
LI = 2 * ALU                  # rvcode.li: lui + addi
NO_STALLS = {"load_use": 0, "branch": 0, "jump": 0, "muldiv": 0, "misaligned": 0, "csr": 0,
             "tcdm_contention": 0, "barrier": 0}


def run(code, data=(), **kw):
    core = RI5CY(Program.from_code(code + EXIT, L2_BASE, data=list(data)))
    core.run(max_instructions=1_000_000, **kw)
    return core


def check(core, cycles, instructions, **stalls):
    c = core.counters()
    want = dict(NO_STALLS, **stalls)
    assert c["cycles"] == cycles, f"cycles {c['cycles']} != expected {cycles} (stalls {c['stalls']})"
    assert c["instructions"] == instructions
    assert c["stalls"] == want


# ---- loads ----------------------------------------------------------------------------------------
def test_load_use_stall():
    code = li(6, TCDM_BASE) + enc("lw", rd=5, rs1=6, imm=0) + enc("addi", rd=7, rs1=5, imm=1)
    check(run(code), LI + LOAD + LOAD_USE + ALU + EXIT_CYCLES, 2 + 2 + 2, load_use=1)


def test_load_use_via_second_operand_and_store_data():
    # add reads the loaded x5 as rs2; sw reads it as the store data
    code = li(6, TCDM_BASE) + enc("lw", rd=5, rs1=6, imm=0) + enc("add", rd=7, rs1=0, rs2=5)
    code += enc("lw", rd=8, rs1=6, imm=4) + enc("sw", rs2=8, rs1=6, imm=8)
    check(run(code), LI + 2 * (LOAD + LOAD_USE) + ALU + STORE + EXIT_CYCLES, 2 + 4 + 2, load_use=2)


def test_load_then_independent_instruction():
    code = li(6, TCDM_BASE) + enc("lw", rd=5, rs1=6, imm=0) + enc("addi", rd=7, rs1=6, imm=1)
    code += enc("addi", rd=8, rs1=5, imm=1)             # uses x5 two instructions later: no stall
    check(run(code), LI + LOAD + 2 * ALU + EXIT_CYCLES, 2 + 3 + 2)


def test_load_to_x0_causes_no_stall():
    code = li(6, TCDM_BASE) + enc("lw", rd=0, rs1=6, imm=0) + enc("addi", rd=7, rs1=0, imm=1)
    check(run(code), LI + LOAD + ALU + EXIT_CYCLES, 2 + 2 + 2)


def test_misaligned_accesses():
    code = li(6, TCDM_BASE)
    code += enc("lw", rd=5, rs1=6, imm=1)               # misaligned word: +1
    code += enc("lh", rd=7, rs1=6, imm=1)               # halfword inside a word: +0
    code += enc("lh", rd=8, rs1=6, imm=3)               # halfword crossing a word: +1
    code += enc("sw", rs2=6, rs1=6, imm=6)              # misaligned store: +1
    code += enc("lw", rd=9, rs1=6, imm=8)               # aligned
    cyc = LI + 3 * LOAD + 2 * MISALIGNED + (STORE + MISALIGNED) + LOAD + EXIT_CYCLES
    check(run(code), cyc, 2 + 5 + 2, misaligned=3)


# ---- branches and jumps -----------------------------------------------------------------------------
def test_branch_taken_vs_not_taken():
    taken = enc("beq", rs1=0, rs2=0, off=8) + enc("addi", rd=5, rs1=0, imm=1) + enc("addi", rd=6, rs1=0, imm=1)
    c = run(taken)
    check(c, BR_T + ALU + EXIT_CYCLES, 1 + 1 + 2, branch=BR_T - 1)
    assert int(c.R[5]) == 0
    not_taken = enc("bne", rs1=0, rs2=0, off=8) + enc("addi", rd=5, rs1=0, imm=1) + enc("addi", rd=6, rs1=0, imm=1)
    c = run(not_taken)
    check(c, BR_NT + 2 * ALU + EXIT_CYCLES, 1 + 2 + 2)
    assert int(c.R[5]) == 1


@pytest.mark.parametrize("name", ["p.beqimm", "p.bneimm"])
def test_immediate_branch_timing(name):
    imm5 = 0 if name == "p.beqimm" else 1                # x0 == 0: taken for beqimm 0 / bneimm 1
    code = enc(name, rs1=0, imm5=imm5, off=8) + enc("addi", rd=5, rs1=0, imm=1)
    check(run(code), BR_T + EXIT_CYCLES, 1 + 2, branch=BR_T - 1)
    code = enc(name, rs1=0, imm5=1 - imm5, off=8) + enc("addi", rd=5, rs1=0, imm=1)
    check(run(code), BR_NT + ALU + EXIT_CYCLES, 2 + 2)


def test_branch_to_misaligned_32bit_target():
    # 0: beq -> 6; 4: c.nop (skipped); 6: addi (32-bit at a non-word-aligned address)
    code = enc("beq", rs1=0, rs2=0, off=6) + enc("c.nop") + enc("addi", rd=5, rs1=0, imm=1)
    c = run(code)
    check(c, BR_T + MIS_TGT + ALU + EXIT_CYCLES, 1 + 1 + 2, branch=BR_T - 1 + MIS_TGT)
    assert int(c.R[5]) == 1


def test_branch_to_misaligned_16bit_target_costs_nothing_extra():
    # 0: beq -> 6; 4: c.nop (skipped); 6: c.li (16-bit at a non-word-aligned address); 8: exit
    code = enc("beq", rs1=0, rs2=0, off=6) + enc("c.nop") + enc("c.li", rd=5, imm=3)
    check(run(code), BR_T + ALU + EXIT_CYCLES, 1 + 1 + 2, branch=BR_T - 1)


def test_jal_and_misaligned_jal_target():
    c = run(enc("jal", rd=1, off=4))
    check(c, JUMP + EXIT_CYCLES, 1 + 2, jump=JUMP - 1)
    assert int(c.R[1]) == L2_BASE + 4
    code = enc("jal", rd=0, off=6) + enc("c.nop") + enc("addi", rd=5, rs1=0, imm=1)
    check(run(code), JUMP + MIS_TGT + ALU + EXIT_CYCLES, 1 + 1 + 2, jump=JUMP - 1 + MIS_TGT)


def test_jalr_hazard():
    # auipc x5 then jalr through x5 immediately: +1
    code = enc("auipc", rd=5, imm20=0) + enc("jalr", rd=0, rs1=5, imm=8)
    check(run(code), ALU + JUMP + JALR_HAZ + EXIT_CYCLES, 2 + 2, jump=JUMP - 1 + JALR_HAZ)
    # one independent instruction in between: no hazard
    code = enc("auipc", rd=5, imm20=0) + enc("addi", rd=6, rs1=0, imm=0) + enc("jalr", rd=0, rs1=5, imm=12)
    check(run(code), 2 * ALU + JUMP + EXIT_CYCLES, 3 + 2, jump=JUMP - 1)


# ---- multiplier / divider ----------------------------------------------------------------------------
def test_mul_and_mulh():
    code = li(5, 0x12345678) + li(6, 0x9ABCDEF0)
    code += enc("mul", rd=7, rs1=5, rs2=6) + enc("mulh", rd=8, rs1=5, rs2=6)
    code += enc("mulhsu", rd=9, rs1=5, rs2=6) + enc("mulhu", rd=10, rs1=5, rs2=6)
    check(run(code), 2 * LI + ALU + 3 * MULH + EXIT_CYCLES, 4 + 4 + 2, muldiv=3 * (MULH - 1))


@pytest.mark.parametrize("op,divisor,cycles", [
    ("divu", 0, DIV_ZERO), ("div", 0, DIV_ZERO), ("rem", 0, DIV_ZERO),
    ("div", 1, DIV_BASE + 31), ("divu", 1, DIV_BASE + 31), ("remu", 2, DIV_BASE + 30),
    ("div", 0x80000000, DIV_BASE), ("divu", 0x80000000, DIV_BASE), ("divu", 0xFFFFFFFF, DIV_BASE),
    ("div", 0xFFFFFFFF, DIV_BASE + 31),         # |-1| = 1
    ("div", 0x00010000, DIV_BASE + 15), ("rem", 0xFFFF0000, DIV_BASE + 15),   # |-65536| = 2^16
])
def test_divider_latency(op, divisor, cycles):
    code = li(5, 1000) + li(6, divisor) + enc(op, rd=7, rs1=5, rs2=6)
    check(run(code), 2 * LI + cycles + EXIT_CYCLES, 4 + 1 + 2, muldiv=cycles - 1)


# ---- CSRs ---------------------------------------------------------------------------------------------
def test_slow_vs_fast_csr():
    code = enc("csrrs", rd=5, csr=0xB00, rs1=0)            # csrr x5, mcycle: slow (4)
    code += enc("csrrw", rd=0, csr=0x340, rs1=5)           # csrw mscratch, x5: fast (1)
    code += enc("csrrs", rd=6, csr=0x340, rs1=0)           # csrr x6, mscratch: fast (1)
    c = run(code)
    check(c, CSR_SLOW + 2 * CSR_FAST + EXIT_CYCLES, 3 + 2, csr=CSR_SLOW - CSR_FAST)
    assert int(c.R[5]) == 0 and int(c.R[6]) == 0


def test_mcycle_reads_cycles_before_the_instruction():
    code = enc("addi", rd=7, rs1=0, imm=1) + enc("mulh", rd=8, rs1=7, rs2=7)
    code += enc("csrrs", rd=5, csr=0xB00, rs1=0) + enc("csrrs", rd=6, csr=0xB02, rs1=0)
    c = run(code)
    assert int(c.R[5]) == ALU + MULH
    assert int(c.R[6]) == 3                                  # minstret: 3 instructions retired before
    check(c, ALU + MULH + 2 * CSR_SLOW + EXIT_CYCLES, 4 + 2, muldiv=MULH - 1, csr=2 * (CSR_SLOW - CSR_FAST))


# ---- hardware loops -------------------------------------------------------------------------------------
BODY3 = enc("addi", rd=10, rs1=10, imm=1) + enc("addi", rd=11, rs1=11, imm=1) + enc("addi", rd=12, rs1=12, imm=1)


@pytest.mark.parametrize("n", [1, 10, 500])
def test_hardware_loop_zero_overhead(n):
    code = enc("lp.setupi", L=0, uimm=n, loff=12) + BODY3 + enc("addi", rd=13, rs1=0, imm=1)
    c = run(code)
    check(c, HWLOOP_SETUP + 3 * ALU * n + ALU + EXIT_CYCLES, 1 + 3 * n + 1 + 2)
    assert int(c.R[10]) == n


def test_hardware_loop_vs_branch_loop():
    """The same loop with a counted branch costs 1 (addi) + 3 (taken bne) more per iteration."""
    n = 20
    code = li(5, n) + BODY3 + enc("addi", rd=5, rs1=5, imm=-1) + enc("bne", rs1=5, rs2=0, off=-16)
    c = run(code)
    per_iter = 3 * ALU + ALU
    cyc = LI + n * per_iter + (n - 1) * BR_T + BR_NT + EXIT_CYCLES
    check(c, cyc, 2 + 5 * n + 2, branch=(n - 1) * (BR_T - 1))


def test_nested_hardware_loops_timing():
    inner = enc("lp.setupi", L=0, uimm=4, loff=8) + enc("addi", rd=11, rs1=11, imm=1) + enc("addi", rd=12, rs1=12, imm=1)
    outer_body = enc("addi", rd=10, rs1=10, imm=1) + inner + enc("addi", rd=13, rs1=13, imm=1)
    code = enc("lp.setupi", L=1, uimm=3, loff=len(outer_body)) + outer_body
    c = run(code)
    per_outer = ALU + HWLOOP_SETUP + 4 * 2 * ALU + ALU
    check(c, HWLOOP_SETUP + 3 * per_outer + EXIT_CYCLES, 1 + 3 * (1 + 1 + 8 + 1) + 2)


def test_load_use_inside_hardware_loop():
    # body: lw x5; addi x6, x5 (+1 each iteration); the back edge itself is free
    n = 8
    code = li(7, TCDM_BASE) + enc("lp.setupi", L=0, uimm=n, loff=8)
    code += enc("lw", rd=5, rs1=7, imm=0) + enc("addi", rd=6, rs1=5, imm=1)
    check(run(code), LI + HWLOOP_SETUP + n * (LOAD + LOAD_USE + ALU) + EXIT_CYCLES,
          2 + 1 + 2 * n + 2, load_use=n)


# ---- trace path == fast path ---------------------------------------------------------------------------
def mixed_program():
    lw_post = [i for i in T.by_name["p.lw"] if i.syntax == "rd, imm(rs1!)"][0]
    code = li(6, TCDM_BASE) + li(7, 37)
    code += enc("lp.setup", L=0, rs1=7, loff=20)
    code += lw_post.encode({"rd": 5, "rs1": 6, "imm": 4}).to_bytes(4, "little")
    code += enc("add", rd=8, rs1=8, rs2=5)                                # load-use
    code += enc("divu", rd=9, rs1=8, rs2=7) + enc("mulh", rd=10, rs1=9, rs2=8)
    code += enc("pv.sdotsp.b", rd=11, rs1=10, rs2=9)                      # loop end (pc + 20)
    code += enc("beq", rs1=0, rs2=0, off=6) + enc("c.nop") + enc("sw", rs2=11, rs1=6, imm=1)
    code += enc("csrrs", rd=12, csr=0xB00, rs1=0) + enc("auipc", rd=13, imm20=0)
    code += enc("jalr", rd=1, rs1=13, imm=8)
    return code


def test_trace_path_equals_fast_path(tmp_path):
    data = [(TCDM_BASE, bytes(range(256)))]
    fast = run(mixed_program(), data)
    log = tmp_path / "t.log"
    traced = run(mixed_program(), data, trace=str(log))
    assert fast.counters() == traced.counters()
    assert [int(x) for x in fast.R[:32]] == [int(x) for x in traced.R[:32]]
    lines = log.read_text().splitlines()
    assert len(lines) == fast.counters()["instructions"] + 1
    assert lines[0].startswith("#")
    # every stall cause that the program exercises is non-zero
    st = fast.counters()["stalls"]
    for cause in ("load_use", "branch", "jump", "muldiv", "misaligned", "csr"):
        assert st[cause] > 0, cause


def test_trace_path_equals_fast_path_across_chunks(tmp_path):
    """The trace is written in chunks of 65536 instructions: a longer run must still agree."""
    n = 40000
    code = li(6, TCDM_BASE) + li(8, n) + enc("lp.setup", L=0, rs1=8, loff=8)
    code += enc("lw", rd=5, rs1=6, imm=0) + enc("addi", rd=7, rs1=5, imm=1)
    fast = run(code)
    log = tmp_path / "t.log"
    traced = run(code, trace=str(log))
    assert fast.counters() == traced.counters()
    with open(log) as f:
        assert sum(1 for _ in f) == fast.counters()["instructions"] + 1
    assert fast.counters()["instructions"] > 65536
