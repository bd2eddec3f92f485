"""Plug-in trap hook on the Cortex-M7 core: CDE (CX1/CX2/CX3 on p0-p7) and UDF."""
import pytest

from isasim.cores import cm7
from isasim.platforms import stm32h7
from isasim.cores.cm7.traps import Cost, decode, register_cde, register_udf
from isasim.errors import SimError
from isasim.toolchain.build import build_elf

# cx3 p0, r2, r0, r1, #5 from the CX3 layout (isa_timing.md §2.7):
#   hw1 = 0xEE80 | A<<12 | imm[5:3]<<4 | Rn      = 0xEE80 | 0<<4 | 0          = 0xEE80
#   hw2 = Rm<<12 | cp<<8 | imm[2]<<7 | D<<6 | imm[1:0]<<4 | Rd
#       = 1<<12 | 0<<8 | 1<<7 | 0 | 1<<4 | 2                                  = 0x1092
CX3_WORD = 0xEE801092
LOOP = r"""
  .syntax unified
  .thumb
  .text
  .globl main
  .thumb_func
main:
  movs r0, #7
  movs r1, #6
  movs r3, #0
  ldr r12, =N
1:
  .inst.w {word:#010x}
  add r3, r3, r2
  subs r12, r12, #1
  bne 1b
  ldr r0, =result
  str r3, [r0]
  movs r0, #0
  bx lr
  .pool
  .data
  .globl result
result: .word 0
"""


def _elf(tmp_path, n, word=CX3_WORD):
    src = tmp_path / f"cx_{word:x}.S"
    src.write_text(LOOP.format(word=word))
    out = str(tmp_path / f"cx_{word:x}_{n}.elf")
    build_elf("cm7", [str(src)], out, defines=[f"N={n}"])
    return out


def test_decode_cde_fields():
    d = decode(CX3_WORD >> 16, CX3_WORD & 0xFFFF)
    assert (d.kind, d.coproc, d.acc, d.rd, d.rn, d.rm, d.opc) == ("cx3", 0, False, 2, 0, 1, 5)
    assert d.reads == (0, 1) and d.writes == (2,)
    d = decode(0xEE00, 0x1005)           # cx1 p0, r1, #5 (isa_timing.md §2.7, verified word)
    assert (d.kind, d.coproc, d.rd, d.imm) == ("cx1", 0, 1, 5)
    d = decode(0xFE80 | 3, (4 << 12) | (7 << 8) | 9)   # cx3a p7, r9, r3, r4, #0
    assert (d.kind, d.coproc, d.acc, d.rd, d.rn, d.rm) == ("cx3", 7, True, 9, 3, 4)
    assert d.reads == (3, 4, 9)
    d = decode(0xEE40 | 5, (2 << 12) | (1 << 8) | 0x3F)  # cx2 p1, r2, r5, #63
    assert (d.kind, d.coproc, d.rd, d.rn, d.imm) == ("cx2", 1, 2, 5, 63)
    assert decode(0xDE05, 0).kind == "udf" and decode(0xDE05, 0).imm == 5
    assert decode(0xF7F0, 0xA001).imm == 1
    assert decode(0xEE00, 0x0A00) is None   # cp10 (FPU space) is not a trap


def toy(ctx):
    assert ctx.kind == "cx3" and ctx.coproc == 0
    ctx.write(ctx.rd, ctx.read(ctx.rn) * ctx.read(ctx.rm) + ctx.opc)


def _core(elf, cost, trace=None):
    core = cm7.Cm7Core(elf, traps=[register_cde(0, toy, cost)])
    core.run(max_instructions=100000, trace=trace)
    return core


def test_cx3_handler_result_and_resume(tmp_path):
    core = _core(_elf(tmp_path, 10), Cost(latency=2, resource="mac", dual_issue=True))
    assert core.exit_code == 0
    assert core.read_symbol_u32("result") == 10 * (7 * 6 + 5)


@pytest.mark.parametrize("cost,cpi", [
    # c0 bne | cx3 (dual-issue: the younger of the taken back-edge), c2 add (waits for latency 2)
    # | subs, c3 = next c0
    (Cost(latency=2, resource="mac", dual_issue=True), 3),
    # c0 bne, c1 cx3 (single issue), c2 add | subs, c3 = next c0
    (Cost(latency=1, resource="alu", dual_issue=False), 3),
    # occupancy 3: c0 bne, c1 cx3, c4 add | subs, c5 = next c0
    (Cost(latency=1, occupancy=3, resource="alu", dual_issue=False), 5),
])
def test_cx3_cost_enters_cycle_model(tmp_path, cost, cpi):
    a = _core(_elf(tmp_path, 8), cost)
    b = _core(_elf(tmp_path, 24), cost)
    assert (b.cycles - a.cycles) / 16 == cpi
    t = _core(_elf(tmp_path, 8), cost, trace=str(tmp_path / "tr.txt"))
    assert (t.cycles, t.instructions, t.stalls) == (a.cycles, a.instructions, a.stalls)


def test_untrapped_cde_is_one_line_error(tmp_path):
    with pytest.raises(SimError) as e:
        stm32h7.run(_elf(tmp_path, 2))
    msg = str(e.value)
    assert "\n" not in msg and "0xee801092" in msg and "pc 0x" in msg
    # a handler on another coprocessor does not catch p0
    with pytest.raises(SimError):
        stm32h7.run(_elf(tmp_path, 2), traps=[register_cde(1, toy)])


def test_udf_trap(tmp_path):
    src = tmp_path / "u.S"
    src.write_text("  .syntax unified\n  .thumb\n  .text\n  .globl main\n  .thumb_func\nmain:\n"
                   "  movs r0, #1\n  udf #42\n  bx lr\n")
    elf = str(tmp_path / "u.elf")
    build_elf("cm7", [str(src)], elf)
    seen = []

    def h(ctx):
        seen.append((ctx.kind, ctx.imm, ctx.pc))
        ctx.write(0, 9)
    r = stm32h7.run(elf, traps=[register_udf(h, Cost(latency=1), imm=42)])
    assert r["exit_code"] == 9 and seen and seen[0][:2] == ("udf", 42)
    with pytest.raises(SimError) as e:
        stm32h7.run(elf)
    assert "illegal instruction" in str(e.value) and "0xde2a" in str(e.value)


def test_bad_registration():
    with pytest.raises(SimError):
        register_cde(10, toy)
    with pytest.raises(SimError):
        Cost(resource="fpu")
    with pytest.raises(SimError):
        stm32h7.run("x.elf", traps=["not a registration"])
