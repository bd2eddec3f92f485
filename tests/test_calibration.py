"""Calibration of the Cortex-M7 model against measured throughputs (issue 18 item 5,
isasim/report/calibration.py, benchmarks/calibration_cm7.py)."""
import os
import subprocess
import sys

import pytest

from isasim.report import calibration

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_measured_figures_come_from_the_headers_with_their_source():
    m = calibration.measured()
    assert {"sb_strb_one_bank", "sb_strb_two_banks", "sb_strh_stride", "sb_str_unaligned",
            "sb_strb_stride"} <= set(m)
    for name, (cycles, src) in m.items():
        assert cycles > 0 and "JN" in src, (name, src)
    assert m["sb_strb_stride"][0] == pytest.approx(8 * 2.4)      # cm7_measured.md §1 "stores"


def test_table_gives_model_and_error_and_follows_the_timing():
    rows = {r[0]: r for r in calibration.table()}
    name, meas, model, err, _ = rows["sb_strb_stride"]
    assert model == 16.0 and err == pytest.approx(100 * (16 - 19.2) / 19.2)
    assert rows["sb_strb_two_banks"][3] == 0.0
    # the model figure is the model's: a slower read-modify-write moves it
    assert calibration.cycles_per_iteration("sb_strb_stride", {"sb_rmw_cycles": 5}) == 20.0


def test_benchmark_script_prints_the_largest_error():
    out = subprocess.run([sys.executable, os.path.join(ROOT, "benchmarks", "calibration_cm7.py")],
                         capture_output=True, text=True, check=True).stdout
    assert "largest error -16.7 % (sb_strb_stride)" in out, out
    # docs/cm7.md quotes this output: it must be the output of the current model
    import re
    doc = open(os.path.join(ROOT, "docs", "cm7.md")).read()
    block = re.search(r"### Calibration\n.*?```\n(.*?)```", doc, re.S).group(1)
    assert block == out, "docs/cm7.md 'Calibration' differs from benchmarks/calibration_cm7.py"
