"""experiments/bruschi2020: the config validates, a reduced version (two precision triples, an
XpulpNN variant and the plain baseline on the two small layers) runs end to end through ``isasim run``
with its postprocess hook (R4 row, heatmaps, per-core stalls) and the report page is generated from
it; the full experiment under ``-m slow``."""
import os
import re

import sys

import pandas as pd
import pytest
import yaml

from isasim.experiments import config as C
from isasim.experiments.runner import run_experiment

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXP = os.path.join(ROOT, "experiments", "bruschi2020")
CFG = os.path.join(EXP, "bruschi2020.yaml")
sys.path.insert(0, EXP)          # generator and postprocess modules of the reduced config
import bruschi2020_report as R  # noqa: E402


def test_config_is_valid_and_complete():
    cfg = C.load(CFG)
    ids = {v["id"] for v in cfg["variants"]}
    for suf in ("c1", "c8", "c8s"):
        assert len([i for i in ids if re.fullmatch(rf"u\d_u\d_i\d_{suf}", i)]) == 27
        assert len([i for i in ids if re.fullmatch(rf"xnn_u\d_u\d_i\d_{suf}", i)]) == 6
    assert "plain_u8_u8_i8" in ids and {"h7_q7_c", "u8_u8_i8_c8_90"} <= ids
    # the two R6 variants run on l16 only
    assert len(cfg["points"]) == 2 * len(ids) - 2
    for v in cfg["variants"]:          # the params of a variant match its id and sources
        p = v["params"]
        if p.get("isa") == "rv32imc" or v["id"] in ("h7_q7_c", "u8_u8_i8_c8_90"):
            continue
        name = f"u{p['act_bits']}_u{p['out_bits']}_i{p['wgt_bits']}"
        assert name in v["id"] and any(s.endswith(name + ".S") for s in v["sources"])
        assert v["cores"] == (1 if v["id"].endswith("_c1") else 8)
        assert p.get("im2col_skew", 0) == (1 if v["id"].endswith("_c8s") else 0)
    assert {r["id"] for r in cfg["paper"]} >= {"R5", "R7a", "R7b", "A4a", "A4b", "A5a", "A5b",
                                               "R6-cycles", "R6-time-175", "R6-energy-175",
                                               "R6-time-90", "R6-energy-90"}


def reduced_config(tmp_path):
    full = yaml.safe_load(open(CFG))
    keep = {"u8_u8_i8_c1", "u8_u8_i8_c8", "u8_u8_i8_c8s", "u4_u4_i4_c1", "u4_u4_i4_c8",
            "u4_u4_i4_c8s", "xnn_u4_u4_i4_c1", "xnn_u4_u4_i4_c8", "plain_u8_u8_i8"}
    for v in full["variants"]:
        v["sources"] = [os.path.normpath(os.path.join(EXP, s)) for s in v["sources"]]
        v["include"] = [os.path.normpath(os.path.join(EXP, s)) for s in v.get("include", [])]
    cfg = {"name": "bruschi_small", "postprocess": full["postprocess"], "workload": full["workload"],
           "sweep": {"shape": ["s5", "s6"]},
           "variants": [v for v in full["variants"] if v["id"] in keep],
           "baselines": [b for b in full["baselines"] if b["baseline"] in keep
                         and set(b.get("compare", [])) <= keep],
           "paper": [dict(r, simulated=dict(r["simulated"], where=dict(r["simulated"].get("where", {}), shape="s5")))
                     for r in full["paper"] if r["simulated"].get("variant", "u8_u8_i8_c8") in keep
                     and not r["id"].startswith("R6")]}     # R6 needs the l16-only STM32H7 variant
    path = tmp_path / "bruschi_small.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path


def test_reduced_experiment_runs_and_reports(tmp_path):
    path = reduced_config(tmp_path)
    df, out = run_experiment(str(path), out=str(tmp_path / "out"), jobs=1, quiet=True)
    assert (df["golden"] == "bit-exact").all() and len(df) == 18
    comp = pd.read_csv(os.path.join(out, "comparison.csv"))
    r4 = comp[comp["id"] == "R4"].iloc[0]
    assert r4["paper"] == 27 and r4["simulated"] == 2        # u8_u8_i8 and u4_u4_i4
    assert {"R7a", "R7b", "A4a", "A5a", "R5"} <= set(comp["id"])
    pc = pd.read_csv(os.path.join(out, "per_core_stalls.csv"))
    assert len(pc) == 8 * len(df[(df["cores"] == 8)])
    # per-core cycles: core 0 ends the run
    for (v, s), g in pc.groupby(["variant", "shape"]):
        row = df[(df["variant"] == v) & (df["shape"] == s)].iloc[0]
        assert g[g["core"] == 0]["cycles"].iloc[0] == row["cycles"]
        assert g["instructions"].sum() == row["instructions"]
    for f in ("mac_heatmap_1core.png", "mac_heatmap_8cores.png", "mac_heatmap_8cores_skew.png",
              "scaling.csv", "report.md"):
        assert os.path.isfile(os.path.join(out, f)), f
    text = R.report(out, doc=str(tmp_path / "page.md"), config=str(path), shape="s5")
    assert "| R4 |" in text and "R6" in text and "I-cache" in text
    assert open(tmp_path / "page.md").read() == text


@pytest.mark.slow
def test_full_experiment(tmp_path):
    df, out = run_experiment(CFG, out=str(tmp_path / "out"), jobs=2, quiet=True)
    assert (df["golden"] == "bit-exact").all()
    comp = pd.read_csv(os.path.join(out, "comparison.csv"))
    assert comp[comp["id"] == "R4"]["simulated"].iloc[0] == 27
    assert len(df) == 202
    r6 = comp.set_index("id")
    # a cycle ratio does not depend on the clock; time ratios follow the clocks
    c = r6.loc["R6-cycles", "simulated"]
    assert r6.loc["R6-time-175", "simulated"] == pytest.approx(c * 175 / 400, rel=1e-3)
    assert r6.loc["R6-time-90", "simulated"] == pytest.approx(c * 90 / 400, rel=1e-3)
    assert r6.loc["R6-energy-90", "simulated"] > r6.loc["R6-energy-175", "simulated"] > 1


def test_r6_section_ratios_and_ranges():
    """R6 in the report: STM32H7 / GAP-8 ratios and the energy-ratio range pairing the models'
    extremes, from results rows (synthetic figures, so the arithmetic is checked)."""
    import json
    h7_op = json.dumps({"name": "400MHz-flash", "freq_mhz": 400})
    df = pd.DataFrame([
        dict(variant="h7_q7_c", label="H7", shape="l16", operating_point=h7_op, cycles=1000,
             time_us=2.5, energy_uj=100.0, energy_uj_min=100.0, energy_uj_max=150.0,
             vs_stm32h7_cycles=1.0, vs_stm32h7_time=1.0, vs_stm32h7_energy=1.0),
        dict(variant="g", label="G", shape="l16", operating_point="max_175MHz_1.2V", cycles=100,
             time_us=100 / 175, energy_uj=5.0, energy_uj_min=4.0, energy_uj_max=10.0,
             vs_stm32h7_cycles=10.0, vs_stm32h7_time=2.5 / (100 / 175), vs_stm32h7_energy=20.0)])
    text = "\n".join(R.r6_section(df))
    assert "| G | max_175MHz_1.2V | 100 |" in text and "| H7 | 400MHz-flash | 1,000 |" in text
    assert "| 10.00 |" in text and "| 20.00 |" in text and "| 10.0-37.5 |" in text   # 100/10, 150/4
