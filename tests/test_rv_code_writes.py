"""Instruction words the program writes itself: self-modifying code (a store over an already
executed, already decoded instruction, then fence.i) on RI5CY and on the GAP-8 cluster, and a GAP-8
.div instruction written by hand with `.word` (GVSoC `gap8` encoding) built and run end to end."""
import json
import subprocess
import sys

import pytest

from isasim.cli import main
from isasim.simulate import run_elf
from isasim.toolchain.build import build_elf

from rvcode import enc

ADDI_100 = int.from_bytes(enc("addi", rd=10, rs1=10, imm=100), "little")

SMC = f"""
  .text
  .globl main
main:
  .option norvc
  li    a0, 0
  la    t0, patch
  la    t3, newinsn
  lw    t1, 0(t3)
  li    t2, 2
loop:
patch:
  addi  a0, a0, 1           /* first pass: +1; then overwritten with addi a0, a0, 100 */
  addi  t2, t2, -1
  beqz  t2, done
  sw    t1, 0(t0)
  fence.i
  j     loop
done:
  ret
  .section .data
  .balign 4
newinsn: .word 0x{ADDI_100:08x}
"""


@pytest.fixture(scope="module")
def smc_elfs(tmp_path_factory):
    d = tmp_path_factory.mktemp("smc")
    (d / "smc.S").write_text(SMC)
    return {t: build_elf(t, [str(d / "smc.S")], str(d / f"smc_{t}.elf")) for t in ("ri5cy", "gap8")}


@pytest.mark.parametrize("target,cores", [("ri5cy", None), ("gap8", 1), ("gap8", 2)])
def test_store_over_executed_instruction_then_fence_i(smc_elfs, target, cores, tmp_path):
    """Second pass executes what memory holds now: 1 + 100 (it was 1 + 1 before: the decode of
    the first pass was reused)."""
    res = run_elf(smc_elfs[target], target, cores=cores)
    assert res["exit_code"] == 101
    log = tmp_path / "t.log"
    traced = run_elf(smc_elfs[target], target, cores=cores, trace=str(log))
    assert traced["cycles"] == res["cycles"] and traced["exit_code"] == 101
    text = log.read_text()
    assert "addi a0, a0, 1 " in text or "addi a0, a0, 1\n" in text
    assert "addi a0, a0, 100" in text


def test_store_into_code_that_is_never_run_again(tmp_path):
    """A data store that happens to hit the code range only re-decodes when reached."""
    src = tmp_path / "w.S"
    src.write_text("  .text\n  .globl main\nmain:\n  la t0, tail\n  sw zero, 0(t0)\n  li a0, 5\n"
                   "  ret\ntail:\n  nop\n")
    elf = build_elf("ri5cy", [str(src)], str(tmp_path / "w.elf"))
    assert run_elf(elf, "ri5cy")["exit_code"] == 5


def div_word(f7, f3, rd=10, rs1=5, rs2=6):
    """GAP-8 encoding (GVSoC isa_riscv_gen.py, list gap8), assembled here from the bit fields."""
    return (f7 << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | 0x57


DIV_CASES = [  # (mnemonic, funct7, funct3, rs1, rs2, RTL result: lane sum wrapped, then >>>)
    ("pv.add.h.div2", 0b0000000, 0b010, 0x7FFF0001, 0x00017FFF, 0xC000C000),
    ("pv.add.h.div4", 0b0000001, 0b010, 0x00040004, 0x00040008, 0x00020003),
    ("pv.sub.h.div2", 0b0000100, 0b010, 0x80000005, 0x00010001, 0x3FFF0002),
    ("pv.sub.b.div4", 0b0000101, 0b011, 0x80107F00, 0x01F081FF, 0x1F08FF00),
]


@pytest.mark.parametrize("name,f7,f3,a,b,want", DIV_CASES, ids=[c[0] for c in DIV_CASES])
def test_gap8_div_word_builds_decodes_and_runs(tmp_path, capsys, name, f7, f3, a, b, want):
    w = div_word(f7, f3)
    src = tmp_path / "d.S"
    src.write_text(f"  .text\n  .globl main\nmain:\n  li t0, 0x{a:08x}\n  li t1, 0x{b:08x}\n"
                   f"  .word 0x{w:08x}\n  li t2, 0x{want:08x}\n  bne a0, t2, 1f\n  li a0, 42\n"
                   f"  ret\n1:\n  li a0, 1\n  ret\n")
    elf = tmp_path / "d.elf"
    assert main(["build", "--target", "ri5cy", str(src), "-o", str(elf), "-q"]) == 0
    assert main(["exec", str(elf), "--target", "ri5cy", "--json"]) == 1     # non-zero exit code
    res = json.loads(capsys.readouterr().out)
    assert res["op_counts"][name] == 1 and res["exit_code"] == 42
    out = subprocess.run([sys.executable, "-m", "isasim", "disasm", str(elf)], capture_output=True,
                         text=True, check=True).stdout
    assert f"{w:08x}" in out and name in out
