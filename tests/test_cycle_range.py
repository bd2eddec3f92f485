"""Cycle uncertainty (issue 18 item 5): with ``cycle_range: true`` every point carries its cycles
at the two corners of the timing parameters' stated ranges (the ``RANGES`` of the target's timing
classes), each equal to a fresh run with that corner's timing, the ratios corner by corner, error
bars in the plots and the ranges in the report."""
import os
import re
import textwrap
from dataclasses import fields

import pytest

from isasim.errors import IsasimError
from isasim.experiments import config as C
from isasim.experiments.runner import run_experiment
from isasim.report import provenance
from isasim.simulate import run_elf

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MEM = "{code: flash, icache: on, dcache: on}"


def _loop(tmp_path):
    doc = open(os.path.join(ROOT, "docs", "explorer.md")).read()
    (tmp_path / "loop.S").write_text(re.search(r"```asm file=loop.S\n(.*?)```", doc, re.S).group(1))
    return tmp_path / "loop.S"


@pytest.mark.parametrize("target", ["cm7", "ri5cy", "gap8"])
def test_ranges_are_fields_with_a_stated_source_and_valid_ends(target):
    """Every ranged parameter is a field whose source comment states the range or the
    disagreement (ASSUMPTION / CONFLICT / a second source), and both corners are accepted."""
    classes = provenance.timing_class(target)
    src = {n: s for cls in classes for n, _, s, _, _ in provenance.fields(cls)}
    r = provenance.ranges(target)
    assert r
    for name, (fast, slow) in r.items():
        assert name in src, name
        assert re.search(r"ASSUMPTION|CONFLICT|\bUM\b|\bGM\b", src[name]), (name, src[name])
        assert fast != slow
    from isasim import targets
    check = targets.get(target).timing_validator()
    for corner in provenance.corners(target):
        check(corner)
    # a parameter the point sets itself is not varied
    name = next(iter(r))
    fast, slow = provenance.corners(target, {name: 7})
    assert fast[name] == slow[name] == 7


def test_corners_equal_fresh_runs_and_ratios_are_taken_corner_by_corner(tmp_path):
    loop = _loop(tmp_path)
    cfg = tmp_path / "r.yaml"
    cfg.write_text(textwrap.dedent(f"""\
        name: crange
        cycle_range: true
        sweep:
          timing.axi_latency: [2, 3]
        variants:
          - {{id: slow, target: cm7, plugins: [qnn], sources: [{loop}], memory: {MEM},
              cost: {{qnn.sdot4: {{latency: 4}}}}}}
          - {{id: quick, target: cm7, plugins: [qnn], sources: [{loop}], memory: {MEM}}}
        baselines:
          - {{name: speedup, baseline: slow, metric: cycles}}
        paper:
          - {{id: P1, quantity: speedup, value: 1.5, unit: x,
              simulated: {{column: speedup, variant: quick, where: {{timing.axi_latency: 2}}}}}}
        """))
    df, out = run_experiment(str(cfg), out=str(tmp_path / "o"), jobs=1, use_cache=False, quiet=True)
    pts = C.load(str(cfg))["points"]
    assert list(df["retimed"]) == [False, True, False, True]
    elf_of = {}
    for p, (_, row) in zip(pts, df.iterrows()):
        from isasim.experiments.runner import _prepare
        elf = _prepare(p)[1]
        elf_of[(p["variant"]["id"], p["knobs"]["timing.axi_latency"])] = elf
        fast, slow = provenance.corners("cm7", p["timing"])
        assert fast["axi_latency"] == slow["axi_latency"] == p["knobs"]["timing.axi_latency"]
        for corner, col in ((fast, "cycles_fast"), (slow, "cycles_slow")):
            fresh = run_elf(elf, "cm7", plugins=["qnn"], timing=corner, cost=p["cost"],
                            memory=p["variant"]["memory"])
            assert fresh["cycles"] == row[col], (p["variant"]["id"], col)
        assert row["cycles_fast"] < row["cycles"] < row["cycles_slow"]   # flash: AXI latencies
        assert row["cycles_min"] == row["cycles_fast"] and row["cycles_max"] == row["cycles_slow"]
    q = df[df["variant"] == "quick"].reset_index(drop=True)
    s = df[df["variant"] == "slow"].reset_index(drop=True)
    for corner in ("fast", "slow"):
        want = s[f"cycles_{corner}"] / q[f"cycles_{corner}"]
        assert list(q[f"speedup_{corner}"]) == pytest.approx(list(want))
    assert (q["speedup"] > 1).all()
    import pandas as pd
    comp = pd.read_csv(os.path.join(out, "comparison.csv"))
    for corner in ("fast", "slow"):        # the paper row at each corner, from the same row
        assert comp.loc[0, f"simulated_{corner}"] == pytest.approx(q.loc[0, f"speedup_{corner}"],
                                                                   abs=1e-4)
    for f in ("cycles_range.png", "speedup_vs_slow.png"):
        assert os.path.isfile(os.path.join(out, f)), f
    rep = open(os.path.join(out, "report.md")).read()
    assert "## Cycle range" in rep and "`axi_latency` 1 .. 4" in rep


def test_ri5cy_corners_without_a_recording_are_fresh_runs(tmp_path):
    """A division and a mulh: the RI5CY ranged parameters (UM vs V1) move the cycles; each corner
    equals a fresh run with it."""
    src = tmp_path / "div.S"
    src.write_text(textwrap.dedent("""\
        .globl main
        main:
            li t0, 100
            li t1, 7
            li t2, 0
        1:  div t3, t0, t1
            mulh t4, t0, t1
            addi t1, t1, 13
            addi t2, t2, 1
            blt t2, t0, 1b
            li a0, 0
            ret
        """))
    cfg = tmp_path / "d.yaml"
    cfg.write_text(f"name: rdiv\ncycle_range: true\nvariants:\n"
                   f"  - {{id: d, target: ri5cy, sources: [{src}]}}\n")
    df, _ = run_experiment(str(cfg), out=str(tmp_path / "o"), jobs=1, use_cache=False, quiet=True)
    row = df.iloc[0]
    from isasim.experiments.runner import _prepare
    elf = _prepare(C.load(str(cfg))["points"][0])[1]
    for corner, col in zip(provenance.corners("ri5cy"), ("cycles_fast", "cycles_slow")):
        assert run_elf(elf, "ri5cy", timing=corner)["cycles"] == row[col]
    assert row["cycles_fast"] < row["cycles"] == row["cycles_slow"]   # V1 is the slow end


def test_cycle_range_must_be_a_boolean(tmp_path):
    cfg = tmp_path / "b.yaml"
    (tmp_path / "a.S").write_text(".globl main\nmain: bx lr\n")
    cfg.write_text("name: b\ncycle_range: 3\nvariants:\n  - {id: x, target: cm7, sources: [a.S]}\n")
    with pytest.raises(IsasimError, match=r"b\.yaml:2.*cycle_range"):
        C.load(str(cfg))
