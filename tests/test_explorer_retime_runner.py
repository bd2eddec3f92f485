"""The runner re-times points that differ only in timing/cost knobs (issue 18 item 2): the first
point of a group runs with a recording, the others are re-timed from it, and every row equals a
fresh run of that point; `isasim retime` refuses what it cannot re-time in one line."""
import os
import re
import textwrap

import pytest

from isasim.cli import main as cli_main
from isasim.experiments import config as C
from isasim.experiments.runner import run_experiment, run_point

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOC = os.path.join(ROOT, "docs", "explorer.md")
COLS = ("cycles", "instructions", "energy_uj", "energy_uj_min", "energy_uj_max", "golden")


def _loop(tmp_path):
    src = re.search(r"```asm file=loop.S\n(.*?)```", open(DOC).read(), re.S).group(1)
    (tmp_path / "loop.S").write_text(src)
    return tmp_path / "loop.S"


def test_knob_only_points_are_retimed_and_equal_fresh_runs(tmp_path):
    loop = _loop(tmp_path)
    cfg = tmp_path / "r.yaml"
    cfg.write_text(textwrap.dedent(f"""\
        name: retime_runner
        sweep:
          cost.qnn.sdot4.latency: [1, 6]
          timing.lat_mac: [2, 3]
        variants:
          - {{id: loop, target: cm7, plugins: [qnn], sources: [{loop}]}}
        """))
    df, _ = run_experiment(str(cfg), out=str(tmp_path / "o"), jobs=1, use_cache=False, quiet=True)
    assert list(df["retimed"]) == [False, True, True, True]
    assert df["cycles"].nunique() > 1                    # the knobs change the figures
    for p, (_, row) in zip(C.load(str(cfg))["points"], df.iterrows()):
        fresh = run_point(p, use_cache=False)            # a full run of that point alone
        assert fresh["retimed"] is False
        for c in COLS + tuple(k for k in fresh if k.startswith("stall_")):
            assert fresh[c] == row[c], (p["knobs"], c)


def test_retime_refuses_what_it_cannot_retime(tmp_path, capsys):
    loop = _loop(tmp_path)
    elf, rec = str(tmp_path / "loop.elf"), str(tmp_path / "loop.npz")
    assert cli_main(["build", "--target", "cm7", "--plugin", "qnn", str(loop), "-o", elf, "-q"]) == 0
    assert cli_main(["exec", elf, "--target", "cm7", "--plugin", "qnn", "--record", rec]) == 0
    capsys.readouterr()
    for args, needle in ((["--timing", "no_such=1"], "no_such"),
                         (["--cost", "qnn.nope.latency=2"], "nope"),
                         (["--cost", "latency"], "MNEMONIC.KNOB=VALUE")):
        rc = cli_main(["retime", rec] + args)
        err = capsys.readouterr().err
        assert rc == 2 and needle in err and len(err.strip().splitlines()) == 1, err


def test_lanes_and_op_classes_in_results(tmp_path):
    """lanes: true on cm7: the lane profile of the plug-in MAC reaches results.csv (JSON and the
    useful share), with the instruction-class shares and both plots."""
    import json
    loop = _loop(tmp_path)
    cfg = tmp_path / "l.yaml"
    cfg.write_text(f"name: lanes\nlanes: true\nvariants:\n"
                   f"  - {{id: loop, target: cm7, plugins: [qnn], sources: [{loop}]}}\n")
    df, out = run_experiment(str(cfg), out=str(tmp_path / "o"), jobs=1, use_cache=False, quiet=True)
    r = df.iloc[0]
    lanes = json.loads(r["lanes"])["qnn.sdot4"]
    assert lanes["executions"] == 64 and lanes["lanes"] == 8 and lanes["lane_bits"] == 4
    assert lanes["useful"] + lanes["zero"] == 64 * 8
    assert r["lane_useful_pct"] == pytest.approx(100.0 * lanes["useful"] / (64 * 8))
    ops = json.loads(r["op_counts"])
    assert ops["qnn.sdot4"] == 64 and r["opshare_plugin"] == pytest.approx(64 / r["instructions"])
    assert abs(sum(r[c] for c in df.columns if c.startswith("opshare_")) - 1) < 1e-9
    for f in ("lanes_useful.png", "op_classes.png", "lane_widths.png"):
        assert os.path.isfile(os.path.join(out, f)), f


def test_lanes_for_some_sweep_points_only(tmp_path):
    """lanes: {sweep key: [values]}: only those points run with the lane profile (it is slower);
    a key that is not swept or a value that is not among its sweep values is refused with
    file:line."""
    from isasim.errors import IsasimError
    loop = _loop(tmp_path)
    cfg = tmp_path / "l.yaml"
    body = ("sweep:\n  timing.lat_mac: [2, 3]\nvariants:\n"
            f"  - {{id: loop, target: cm7, plugins: [qnn], sources: [{loop}]}}\n")
    cfg.write_text("name: lanes_some\nlanes: {timing.lat_mac: [3]}\n" + body)
    assert [p["lanes"] for p in C.load(str(cfg))["points"]] == [False, True]
    df, _ = run_experiment(str(cfg), out=str(tmp_path / "o"), jobs=1, use_cache=False, quiet=True)
    assert df["lane_useful_pct"].isna().tolist() == [True, False]
    for bad, needle in (("{layer: [l16]}", "'layer' is not a sweep key"),
                        ("{timing.lat_mac: [4]}", "not among the sweep values"),
                        ("3", "true, false or a mapping")):
        cfg.write_text(f"name: lanes_some\nlanes: {bad}\n" + body)
        with pytest.raises(IsasimError, match=r"l\.yaml:2.*" + re.escape(needle)):
            C.load(str(cfg))
