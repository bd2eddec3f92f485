"""The rusci2018 experiment: a reduced config (4 of the 12 kernels in each of its three
configurations on two layer tiles, through the whole runner, postprocess and report generator) in
the default run; the whole experiment (80 full-layer points with the l16 lane profile and the
cycle corners; 7 min wall on 2 cores loaded by 3 other jobs) under ``-m slow``."""
import os
import sys

import numpy as np
import pandas as pd
import pytest
import yaml

from isasim.experiments.runner import run_experiment

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXP = os.path.join(ROOT, "experiments", "rusci2018")
CONFIG = os.path.join(EXP, "rusci2018.yaml")
sys.path.insert(0, EXP)
import rusci2018_report as rusci_report  # noqa: E402

KEEP = {"q7_c", "int2_c", "q7", "int2_sw", "int2_sdot2", "q7_tcm", "int2_sw_tcm", "int2_sdot2_tcm"}


def reduced_config(tmp_path):
    full = yaml.safe_load(open(CONFIG))
    for v in full["variants"]:
        v["sources"] = [os.path.normpath(os.path.join(EXP, s)) for s in v["sources"]]
        v["include"] = [os.path.normpath(os.path.join(EXP, s)) for s in v.get("include", [])]
    cfg = {"name": "rusci_small", "postprocess": full["postprocess"], "phases": full["phases"],
           "lanes": full["lanes"], "cycle_range": full["cycle_range"],
           "workload": {"generator": full["workload"]["generator"],
                        "params": dict(full["workload"]["params"], rows=2)},
           "sweep": {"layer": ["conv1", "l16"]},
           "variants": [v for v in full["variants"] if v["id"] in KEEP],
           "baselines": [dict(b, compare=[c for c in b["compare"] if c in KEEP])
                         for b in full["baselines"] if b["baseline"] in KEEP
                         and set(b["compare"]) & KEEP],
           "paper": [r for r in full["paper"] if r["simulated"]["variant"] in KEEP]}
    path = tmp_path / "rusci_small.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path


def _physics(df):
    """Sanity of the physics, not of paper numbers."""
    l16 = df[df["layer"] == "l16"].set_index("variant")
    for s in ("", "_tcm"):
        assert l16.loc["int2_sdot2" + s, "cycles"] < l16.loc["int2_sw" + s, "cycles"]
        assert l16.loc["int2_sdot2" + s, "kernel_speedup_vs_sw"] > l16.loc["int2_sdot2" + s, "speedup_vs_sw"]
    # the same code from flash through the caches is slower than from ITCM, and only the flash
    # configuration has memory stalls
    assert l16.loc["q7", "cycles"] > l16.loc["q7_tcm", "cycles"]
    assert l16.loc["q7", "stall_dcache_miss"] > 0 and not l16.loc["q7_tcm", "stall_dcache_miss"] > 0
    # the compiled kernels inline their matmul: no phase measured, not "0 cycles"
    assert np.isnan(l16.loc["q7_c", "cycles_phase_matmul"]) and np.isnan(l16.loc["q7_c", "amdahl_matmul"])
    assert (l16.loc[["q7", "int2_sw"], "cycles_phase_matmul"] < l16.loc[["q7", "int2_sw"], "cycles"]).all()
    # ratios stay within a configuration
    assert l16.loc["int2_sw_tcm", "vs_int8_cycles"] == pytest.approx(
        l16.loc["q7_tcm", "cycles"] / l16.loc["int2_sw_tcm", "cycles"])


def test_reduced_experiment_runs_and_reports(tmp_path):
    path = reduced_config(tmp_path)
    df, out = run_experiment(str(path), out=str(tmp_path / "run"), jobs=2, quiet=True)
    assert len(df) == 16 and (df["golden"] == "bit-exact").all() and (df["rows"] == 2).all()
    _physics(df)
    comp = pd.read_csv(os.path.join(out, "comparison.csv"))
    assert {"R1b", "R3b-sw", "R3b-kernel", "R1b-tcm", "R3b-sw-tcm"} <= set(comp["id"])
    text = rusci_report.report(out, str(tmp_path / "page.md"), str(path))
    assert (tmp_path / "page.md").read_text() == text
    assert "| R3b-sw-tcm |" in text and "How the configuration moves R1-R3" in text
    assert "rows sim." in text and "all-TCM" in text
    # lane profile on l16 only (config lanes: {layer: [l16]}), cycle range on every point
    assert df[df["layer"] == "conv1"]["lane_useful_pct"].isna().all()
    l16 = df[df["layer"] == "l16"].set_index("variant")
    assert l16.loc[["q7", "int2_sw", "int2_sdot2"], "lane_useful_pct"].notna().all()
    assert (df["cycles_min"] <= df["cycles"]).all() and (df["cycles"] <= df["cycles_max"]).all()
    assert (l16["cycles_slow"] > l16["cycles"]).all()       # taken_branch_pairs 0 at the slow end
    assert "## Lanes and precision (layer l16)" in text and "| 8-bit CMSIS-NN (SW) | smlad |" in text
    assert "## Cycle range (layer l16)" in text and "simulated_fast" in set(comp.columns)


@pytest.mark.slow
def test_rusci2018_experiment(tmp_path):
    df, out = run_experiment(CONFIG, out=str(tmp_path / "run"), jobs=2, use_cache=False, quiet=True)
    assert len(df) == 80 and (df["golden"] == "bit-exact").all()      # 20 variants x 4 layers
    for f in ("results.csv", "comparison.csv", "report.md", "cycle_breakdown.png", "paper_vs_simulated.png"):
        assert os.path.isfile(os.path.join(out, f)), f
    comp = pd.read_csv(os.path.join(out, "comparison.csv"))
    ids = set(comp["id"])
    assert {"R1a", "R1b", "R2a", "R2b", "R3a-sw", "R3b-sw", "R3c-sw",
            "R3a-int8", "R3b-int8", "R3c-int8", "R3a-kernel", "R3b-kernel", "R3c-kernel"} <= ids
    assert {i + "-tcm" for i in ("R1a", "R1b", "R2a", "R2b", "R3a-sw", "R3c-kernel")} <= ids
    assert np.isfinite(comp["simulated"]).all() and (comp["simulated"] > 0).all()
    _physics(df)
    l16 = df[df["layer"] == "l16"].set_index("variant")
    for s in ("", "_tcm"):
        for q, sw in (("int4_sdot4", "int4_sw"), ("bin_xnorpc", "bin_sw")):
            assert l16.loc[q + s, "cycles"] < l16.loc[sw + s, "cycles"]
        assert l16.loc["bin_sw" + s, "cycles"] < l16.loc["q7" + s, "cycles"] < l16.loc["int4_sw" + s, "cycles"]
    doc = tmp_path / "rusci2018.md"
    text = rusci_report.report(out, str(doc), CONFIG)
    assert doc.read_text() == text and "| R3a-sw |" in text and "same-precision SW" in text
    assert os.path.isfile(os.path.join(out, "cycles_per_mac_breakdown.png"))
