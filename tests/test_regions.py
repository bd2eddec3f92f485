"""User-marked regions (issue 18 item 3): ISASIM_REGION_BEGIN/END markers from C and assembly
(kernels_asm/include/isasim_region.h) give per-region cycles, instructions and stalls by cause,
exact per instruction, in results.csv with an Amdahl projection; markers cost nothing."""
import os
import textwrap

import pytest

from isasim.elf import Program
from isasim.errors import IsasimError
from isasim.experiments.runner import run_experiment
from isasim.simulate import run_elf
from isasim.toolchain.build import build_elf
from m7code import HEAD

M7_LOOP = '#include "isasim_region.h"\n' + HEAD + """\
  movs r0, #0
  movs r1, #100
  ldr r2, =buf
ISASIM_REGION_BEGIN inner
1:
  ldr r3, [r2]
  adds r0, r0, r3
  subs r1, r1, #1
  bne 1b
ISASIM_REGION_END inner
  movs r0, #0
  bx lr
  .pool
  .data
buf: .word 3
"""

C_PROG = """\
#include "isasim_region.h"
volatile int v[64];
int main(void) {
    int s = 0;
    ISASIM_REGION_BEGIN(sum);
    for (int i = 0; i < 64; i++) s += v[i];
    ISASIM_REGION_END(sum);
    v[0] = s;
    ISASIM_REGION_BEGIN(sum);
    for (int i = 0; i < 64; i++) v[i] = i;
    ISASIM_REGION_END(sum);
    return 0;
}
"""


def _build(tmp_path, target, name, text):
    src = tmp_path / name
    src.write_text(text)
    elf = str(tmp_path / (name + f".{target}.elf"))
    build_elf(target, [str(src)], elf)
    return elf


def test_cm7_region_is_exact_per_instruction_and_costs_nothing(tmp_path):
    elf = _build(tmp_path, "cm7", "loop.S", M7_LOOP)
    plain = _build(tmp_path, "cm7", "plain.S", M7_LOOP.replace("ISASIM_REGION_BEGIN inner\n", "")
                   .replace("ISASIM_REGION_END inner\n", ""))
    res = run_elf(elf, "cm7", profile=True)
    ref = run_elf(plain, "cm7", profile=True)
    assert res["cycles"] == ref["cycles"] and res["instructions"] == ref["instructions"]
    assert ref.get("regions") is None and set(res["profile"]) == set(ref["profile"])
    r = res["regions"]["inner"]
    assert r["instructions"] == 4 * 100              # ldr, adds, subs, bne per iteration
    # the loop falls through into the region from main's first block: the block path alone
    # would charge that first iteration to main; the per-instruction figures equal the trace
    tr = run_elf(elf, "cm7", profile=True, trace=str(tmp_path / "t.txt"))
    assert tr["regions"] == res["regions"] and tr["cycles"] == res["cycles"]
    assert 0 < r["cycles"] < res["cycles"]
    assert sum(r["stalls"].values()) <= r["cycles"]


RV_LOOP = """\
#include "isasim_region.h"
  .text
  .globl main
main:
  li a0, 0
  li a1, 100
  la a2, buf
ISASIM_REGION_BEGIN inner
1:
  lw a3, 0(a2)
  add a0, a0, a3
  addi a1, a1, -1
  bnez a1, 1b
ISASIM_REGION_END inner
  li a0, 0
  ret
  .data
buf: .word 3
"""


@pytest.mark.parametrize("target", ["ri5cy", "gap8"])
def test_riscv_region_is_exact_per_instruction_and_costs_nothing(tmp_path, target):
    elf = _build(tmp_path, target, "loop.S", RV_LOOP)
    plain = _build(tmp_path, target, "plain.S", RV_LOOP.replace("ISASIM_REGION_BEGIN inner\n", "")
                   .replace("ISASIM_REGION_END inner\n", ""))
    kw = {"cores": 2} if target == "gap8" else {}
    res = run_elf(elf, target, profile=True, **kw)
    ref = run_elf(plain, target, profile=True, **kw)
    assert res["cycles"] == ref["cycles"] and ref.get("regions") is None
    r = res["regions"]["inner"]
    ncores = kw.get("cores", 1)
    assert r["instructions"] == 4 * 100 * ncores           # lw, add, addi, bnez per iteration
    # load-use (lw -> add) once per iteration per core, all inside the region
    assert r["stalls"]["load_use"] == 100 * ncores
    total = res.get("core_cycles", res["cycles"])
    assert 0 < r["cycles"] < total
    # the region's figures equal the sum of its instructions' figures in the function profile
    # (the loop is all of the region, the rest of main is outside it)
    assert r["cycles"] < res["profile"]["main"]["cycles"]


@pytest.mark.parametrize("target", ["cm7", "ri5cy"])
def test_c_markers_build_and_pair_up(tmp_path, target):
    elf = _build(tmp_path, target, "prog.c", C_PROG)
    regs = Program(elf).regions()
    assert list(regs) == ["sum"] and len(regs["sum"]) == 2
    assert all(b <= e for b, e in regs["sum"])
    # the markers are not symbols of the function profile (symbolize skips them)
    p = Program(elf)
    for b, _ in regs["sum"]:
        assert "isasim_region" not in (p.symbolize(b) or "")


def test_unpaired_marker_is_one_line_error(tmp_path):
    elf = _build(tmp_path, "cm7", "bad.S", M7_LOOP.replace("ISASIM_REGION_END inner\n", ""))
    with pytest.raises(IsasimError, match=r"bad\.S\.cm7\.elf: region 'inner': 1 ISASIM_REGION_BEGIN "
                                          r"and 0 ISASIM_REGION_END"):
        run_elf(elf, "cm7", profile=True)


def test_region_columns_in_results(tmp_path):
    (tmp_path / "loop.S").write_text(M7_LOOP)
    cfg = tmp_path / "r.yaml"
    cfg.write_text(f"name: regions\nregions: true\nvariants:\n"
                   f"  - {{id: loop, target: cm7, sources: [{tmp_path / 'loop.S'}]}}\n")
    df, out = run_experiment(str(cfg), out=str(tmp_path / "o"), jobs=1, use_cache=False, quiet=True)
    assert os.path.isfile(os.path.join(out, "region_breakdown.png"))
    row = df.iloc[0]
    assert row["instructions_region_inner"] == 400
    assert row["amdahl_region_inner"] == pytest.approx(
        row["cycles"] / (row["cycles"] - row["cycles_region_inner"]))


@pytest.mark.parametrize("target", ["ri5cy", "gap8"])
def test_riscv_retimed_run_has_the_regions_of_a_fresh_run(tmp_path, target):
    from isasim.retime import retime
    elf = _build(tmp_path, target, "loop.S", RV_LOOP)
    kw = {"cores": 2} if target == "gap8" else {}
    rec = str(tmp_path / "r.npz")
    run_elf(elf, target, profile=True, record=rec, **kw)
    again = retime(rec, timing={"load_use": 3}, profile=True)
    fresh = run_elf(elf, target, profile=True, timing={"load_use": 3}, **kw)
    assert again["regions"] == fresh["regions"] and again["cycles"] == fresh["cycles"]
    assert again["regions"]["inner"]["stalls"]["load_use"] == 3 * 100 * kw.get("cores", 1)
