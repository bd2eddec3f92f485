"""The whole rusci2018 experiment (slow: ~1 minute on 2 cores) and the generated document."""
import os
import sys

import numpy as np
import pandas as pd
import pytest

from isasim.experiments.runner import run_experiment

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXP = os.path.join(ROOT, "experiments", "rusci2018")
CONFIG = os.path.join(EXP, "rusci2018.yaml")
sys.path.insert(0, EXP)
import rusci2018_report as rusci_report  # noqa: E402


@pytest.mark.slow
def test_rusci2018_experiment(tmp_path):
    df, out = run_experiment(CONFIG, out=str(tmp_path / "run"), jobs=2, use_cache=False, quiet=True)
    assert len(df) == 48 and (df["golden"] == "bit-exact").all()      # 12 kernels x 4 layers
    for f in ("results.csv", "comparison.csv", "report.md", "cycle_breakdown.png", "paper_vs_simulated.png"):
        assert os.path.isfile(os.path.join(out, f)), f
    comp = pd.read_csv(os.path.join(out, "comparison.csv"))
    ids = set(comp["id"])
    assert {"R1a", "R1b", "R2a", "R2b", "R3a-sw", "R3b-sw", "R3c-sw",
            "R3a-int8", "R3b-int8", "R3c-int8", "R3a-kernel", "R3b-kernel", "R3c-kernel"} <= ids
    assert np.isfinite(comp["simulated"]).all() and (comp["simulated"] > 0).all()
    # sanity of the physics, not of paper numbers: QNN instructions speed up their SW kernel,
    # binary SW beats 8-bit, sub-byte SW is slower than 8-bit on the l16 layer
    l16 = df[df["layer"] == "l16"].set_index("variant")
    for q, sw in (("int4_sdot4", "int4_sw"), ("int2_sdot2", "int2_sw"), ("bin_xnorpc", "bin_sw")):
        assert l16.loc[q, "cycles"] < l16.loc[sw, "cycles"]
    assert l16.loc["bin_sw", "cycles"] < l16.loc["q7", "cycles"] < l16.loc["int4_sw", "cycles"]
    # the matmul phase is part of the layer: kernel-level gains exceed the layer-level ones
    assert (l16["cycles_phase_matmul"] < l16["cycles"]).all()
    for q, sw in (("int4_sdot4", "int4_sw"), ("int2_sdot2", "int2_sw"), ("bin_xnorpc", "bin_sw")):
        assert l16.loc[q, "kernel_speedup_vs_sw"] > l16.loc[q, "speedup_vs_sw"]
    doc = tmp_path / "rusci2018.md"
    text = rusci_report.report(out, str(doc), CONFIG)
    assert doc.read_text() == text and "| R3a-sw |" in text and "same-precision SW" in text
    assert os.path.isfile(os.path.join(out, "cycles_per_mac_breakdown.png"))
