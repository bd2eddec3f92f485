"""The peluso2019 experiment: the small config (DS-CNN-S at n = 1, 3, 8, per layer and as one
program) in the default suite, the full config (4 networks x n = 1..8) with -m slow; the generated
document."""
import os
import sys

import numpy as np
import pandas as pd
import pytest

from isasim.experiments.runner import run_experiment

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXP = os.path.join(ROOT, "experiments", "peluso2019")
sys.path.insert(0, EXP)
import peluso2019_report as report  # noqa: E402


def _check_run(out, config, networks, bits):
    df = pd.read_csv(os.path.join(out, "results.csv"))
    assert (df["golden"] == "bit-exact").all()
    nt = pd.read_csv(os.path.join(out, "networks.csv"))
    assert sorted(set(nt["network"])) == sorted(networks) and sorted(set(nt["wbits"])) == sorted(bits)
    assert nt["bit_exact"].all()
    comp = pd.read_csv(os.path.join(out, "comparison.csv"))
    r8 = comp[comp["id"].str.startswith("R8.")]
    assert len(r8) == len(nt) and r8["paper"].isna().all() and (r8["simulated"] > 0).all()
    for f in ("per_layer.csv", "pareto_memory_latency.png", "per_layer_cycles.png", "report.md"):
        assert os.path.isfile(os.path.join(out, f)), f
    # model size shrinks with n; the 8-bit size is the int8 weights + biases
    for name, d in nt.groupby("network"):
        sizes = d.sort_values("wbits")["model_bytes"].to_numpy()
        assert (np.diff(sizes) > 0).all(), name
    # the whole-network program agrees with the per-layer sum (same kernels, one program) up to the
    # memory system: warm caches across layers and other tensor addresses (measured up to 1.3 %)
    e2e = nt.dropna(subset=["program_cycles"])
    assert len(e2e) and (e2e["program_vs_layers"].abs() < 0.02).all()
    text = report.report(out, None, config)
    assert "R8" in text and "## VQ design choices" in text
    # cycle_range: every layer's corners, summed per network; flash + caches: the AXI ranges move it
    assert (df["cycles_min"] <= df["cycles"]).all() and (df["cycles"] <= df["cycles_max"]).all()
    assert (nt["cycles_fast"] < nt["cycles"]).all() and (nt["cycles"] < nt["cycles_slow"]).all()
    assert "## Cycle range" in text
    return df, nt


def test_small_config(tmp_path):
    cfg = os.path.join(EXP, "peluso2019_small.yaml")
    df, out = run_experiment(cfg, out=str(tmp_path / "run"), jobs=2, quiet=True)
    _check_run(out, cfg, ["dscnn"], [1, 3, 8])


@pytest.mark.slow
def test_full_config(tmp_path):
    cfg = os.path.join(EXP, "peluso2019.yaml")
    df, out = run_experiment(cfg, out=str(tmp_path / "run"), jobs=2, quiet=True)
    df, nt = _check_run(out, cfg, ["cifar10", "dscnn", "fer", "mobilenet_v1_025"], range(1, 9))
    mb = nt[nt.network == "mobilenet_v1_025"].set_index("wbits")
    # with the weights in flash (the default operating point) MobileNetV1 0.25 fits at every n and
    # runs as one program, bit-exact end to end (the refusal of a network that does not fit its
    # memories: tests/test_nn_network.py)
    assert mb["fits"].all()
    whole = df[df["layer"] == "mobilenet_v1_025"]
    assert len(whole) == 8 and (whole["golden"] == "bit-exact").all()
