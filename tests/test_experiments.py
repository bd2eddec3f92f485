"""Experiment framework (issue #7): config validation errors, golden-model mismatches, the result
cache, `isasim table/plot`, and the Dask executor. Tiny configs in tmp_path reuse the quick-start
kernels by absolute path; RI5CY points only (plus one Cortex-M7 point), jobs=1."""
import os
import re
import sys
import textwrap

import pandas as pd
import pytest

from isasim.cli import main as cli
from isasim.experiments.runner import run_experiment

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
Q = os.path.join(ROOT, "kernels_asm", "quickstart")
RV_SW = os.path.join(Q, "rv_dot4_sw.S")
RV_QNN = os.path.join(Q, "rv_dot4_qnn.S")
M7_SW = os.path.join(Q, "cm7_dot4_sw.S")

# columns that legitimately differ between two runs of the same points
VOLATILE = ["sim_seconds", "cached"]

# The result cache persists across sessions: a fresh input seed per session makes the first run
# of these points a real simulation (and the cache assertions meaningful) every time.
SEED = 1000 + int.from_bytes(os.urandom(4), "little") % 10**9
SMALL = f"""\
name: small
workload:
  generator: isasim.qnn.workloads:packed_dot
  params: {{bits: 4, seed: {SEED}}}
sweep:
  n: [64, 128]
variants:
  - {{id: rv_sw,  target: ri5cy, sources: [{RV_SW}]}}
  - {{id: rv_qnn, target: ri5cy, sources: [{RV_QNN}], plugins: [qnn]}}
  - {{id: m7_sw,  target: cm7,   sources: [{M7_SW}], params: {{seed: {SEED + 1}}}}}
baselines:
  - {{name: speedup, baseline: rv_sw, compare: [rv_qnn], metric: cycles}}
"""


def write(tmp_path, text, name="cfg.yaml"):
    p = tmp_path / name
    p.write_text(textwrap.dedent(text))
    return str(p)


def run_cli(capsys, *argv):
    rc = cli(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


# ------------------------------------------------------------------------------------- bad configs
def _cfg(variant_extra="", top_extra="", target="ri5cy", sources=None):
    sources = sources or f"[{RV_SW}]"
    return (f"name: bad\n"                                  # line 1
            f"workload:\n"                                  # 2
            f"  generator: isasim.qnn.workloads:packed_dot\n"   # 3
            f"  params: {{bits: 4, n: 64}}\n"               # 4
            f"{top_extra}"
            f"variants:\n"
            f"  - id: a\n"
            f"    target: {target}\n"
            f"    sources: {sources}\n"
            f"{variant_extra}")


BAD = {
    # name: (config text, line, field, substrings of the message)
    "unknown_variant_field": (_cfg("    plugins: []\n    colour: red\n"), 10, "variants[0].colour",
                              ["unknown field 'colour'", "allowed:", "max_instructions", "sources"]),
    "unknown_top_field": (_cfg(top_extra="sweeps: {n: [64]}\n"), 5, "sweeps",
                          ["unknown field 'sweeps'", "allowed:", "sweep", "variants"]),
    "wrong_type_cores": (_cfg("    cores: many\n"), 9, "variants[0].cores",
                         ["expected an integer", "'many'"]),
    "wrong_type_max_instructions": (_cfg("    max_instructions: '1e6'\n"), 9,
                                    "variants[0].max_instructions", ["expected an integer"]),
    "wrong_type_sources": (_cfg(sources=RV_SW), 8, "variants[0].sources", ["expected a list"]),
    "missing_kernel_file": (_cfg(sources=f"\n      - {RV_SW}\n      - no_such_kernel.S"), 10,
                            "variants[0].sources[1]", ["no_such_kernel.S", "not found"]),
    "unknown_plugin": (_cfg("    plugins: [qnx]\n"), 9, "variants[0].plugins[0]",
                       ["unknown plug-in 'qnx'", "built-in plug-ins: qnn"]),
    "unknown_target": (_cfg(target="riscv"), 7, "variants[0].target",
                       ["'riscv' is not a target", "allowed: cm7, ri5cy, gap8"]),
    "unknown_generator": (_cfg().replace("workloads:packed_dot", "workloads:no_such_fn"), 3,
                          "workload.generator", ["no function 'no_such_fn'"]),
    "unknown_baseline_variant": (_cfg() + "baselines:\n  - {name: s, baseline: zz, metric: cycles}\n",
                                 10, "baselines[0]", ["unknown variant 'zz'"]),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_config_one_line_error(tmp_path, capsys, case):
    text, line, field, needles = BAD[case]
    path = write(tmp_path, text)
    # the expected line really is where the offending field sits in the file
    assert len(text.splitlines()) >= line
    out_dir = tmp_path / "out"
    rc, out, err = run_cli(capsys, "run", path, "--out", str(out_dir), "--jobs", "1")
    assert rc != 0
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    msg = lines[0]
    assert msg.startswith("isasim: error: ")
    assert f"{path}:{line}: {field}: " in msg, msg
    for n in needles:
        assert n in msg, (n, msg)
    assert "Traceback" not in err
    assert not out_dir.exists() or not (out_dir / "results.csv").exists()


def test_bad_config_line_points_at_field(tmp_path, capsys):
    """The reported line is the line of the offending key, also deep in a long file."""
    text = _cfg("    defines: {A: 1}\n    include: []\n    timing: {}\n    label: x\n    cores: 1\n"
                "    params: {n: 128}\n    plugins: [qnn, nope_plugin]\n")
    path = write(tmp_path, text)
    rc, _, err = run_cli(capsys, "run", path)
    want = next(i for i, ln in enumerate(text.splitlines(), 1) if "nope_plugin" in ln)
    assert rc != 0 and f"{path}:{want}: variants[0].plugins[1]: " in err, err


# ------------------------------------------------------------------------------- golden mismatches
WRONG_GOLDEN = """\
from isasim.qnn.workloads import packed_dot


def wrong(**params):
    w = packed_dot(**params)
    w["outputs"]["result"] = w["outputs"]["result"] + 1     # a wrong golden model
    return w
"""


def _assert_failed(out_dir, needle):
    names = set(os.listdir(out_dir))
    assert {"results.csv", "comparison.csv", "report.md"}.isdisjoint(names), names
    assert not any(n.endswith(".partial") for n in names), names
    assert "FAILED.txt" in names
    assert needle in (out_dir / "FAILED.txt").read_text()


def test_golden_mismatch_wrong_model(tmp_path, capsys, monkeypatch):
    """A golden model that disagrees with the kernel fails the run, even when the very same ELF
    was measured (and cached) before with a correct golden model, and stale outputs go away."""
    (tmp_path / "isasim_test_wrong_golden.py").write_text(WRONG_GOLDEN)
    monkeypatch.syspath_prepend(str(tmp_path))
    sys.modules.pop("isasim_test_wrong_golden", None)
    body = f"""\
      params: {{bits: 4, seed: 5, n: 64}}
    variants:
      - {{id: rv, target: ri5cy, sources: [{RV_SW}]}}
    """
    good = write(tmp_path, "name: good\nworkload:\n  generator: isasim.qnn.workloads:packed_dot\n"
                 + textwrap.dedent(body), "good.yaml")
    bad = write(tmp_path, "name: bad\nworkload:\n  generator: isasim_test_wrong_golden:wrong\n"
                + textwrap.dedent(body), "bad.yaml")
    out_dir = tmp_path / "out"
    rc, _, err = run_cli(capsys, "run", good, "--out", str(out_dir), "--jobs", "1")
    assert rc == 0, err
    assert (out_dir / "results.csv").exists() and (out_dir / "report.md").exists()
    rc, out, err = run_cli(capsys, "run", bad, "--out", str(out_dir), "--jobs", "1")
    assert rc == 4, err
    msg = [ln for ln in err.splitlines() if ln.startswith("isasim: error:")]
    assert len(msg) == 1 and "differs from the golden model" in msg[0], err
    assert "got" in msg[0] and "expected" in msg[0]
    _assert_failed(out_dir, "differs from the golden model")


def test_golden_mismatch_wrong_kernel(tmp_path, capsys):
    """A kernel variant that writes a wrong result fails the run (no results, only FAILED.txt)."""
    src = open(RV_QNN).read()
    assert "  sw    a0, 0(t0)" in src
    (tmp_path / "rv_wrong.S").write_text(src.replace("  sw    a0, 0(t0)",
                                                     "  addi  a0, a0, 3\n  sw    a0, 0(t0)"))
    cfg = write(tmp_path, f"""\
    name: wrongkernel
    workload: {{generator: isasim.qnn.workloads:packed_dot, params: {{bits: 4, seed: 5, n: 64}}}}
    variants:
      - {{id: ok, target: ri5cy, sources: [{RV_QNN}], plugins: [qnn]}}
      - {{id: broken, target: ri5cy, sources: [rv_wrong.S], plugins: [qnn]}}
    """)
    out_dir = tmp_path / "out"
    rc, out, err = run_cli(capsys, "run", cfg, "--out", str(out_dir), "--jobs", "1")
    assert rc == 4, err
    assert "wrongkernel/broken" in err and "differs from the golden model" in err
    _assert_failed(out_dir, "wrongkernel/broken")


# ------------------------------------------------------------------------------- cache, table, plot
@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    """The small config, run once without the cache (every point simulated)."""
    d = tmp_path_factory.mktemp("small")
    cfg = write(d, SMALL)
    df, out = run_experiment(cfg, out=str(d / "out"), jobs=1, use_cache=False, quiet=True)
    return cfg, df, out


def test_small_run_results(small_run):
    cfg, df, out = small_run
    assert len(df) == 6 and not df["cached"].any()
    assert set(df["golden"]) == {"bit-exact"}
    for f in ("results.csv", "comparison.csv", "report.md", "speedup_vs_rv_sw.png",
              "cycle_breakdown.png"):
        assert os.path.getsize(os.path.join(out, f)) > 0, f
    assert not os.path.exists(os.path.join(out, "FAILED.txt"))
    qnn = df[df["variant"] == "rv_qnn"].set_index("n")
    sw = df[df["variant"] == "rv_sw"].set_index("n")
    assert (qnn["speedup"] - sw["cycles"] / qnn["cycles"]).abs().max() < 1e-12
    assert (qnn["speedup"] > 1).all()
    assert df[df["variant"] == "m7_sw"]["seed"].tolist() == [SEED + 1] * 2    # per-variant params
    comp = pd.read_csv(os.path.join(out, "comparison.csv"))
    assert list(comp.columns) == ["id", "quantity", "paper", "simulated", "unit", "deviation_pct",
                                  "note"]


def test_rerun_from_cache(small_run, capsys, tmp_path):
    cfg, df1, out1 = small_run
    out2 = tmp_path / "again"
    rc, out, err = run_cli(capsys, "run", cfg, "--out", str(out2), "--jobs", "1")
    assert rc == 0, err
    assert re.search(r"\b6 points \(6 from cache\)", out), out
    a = pd.read_csv(os.path.join(out1, "results.csv"))
    b = pd.read_csv(out2 / "results.csv")
    assert list(a.columns) == list(b.columns)
    pd.testing.assert_frame_equal(a.drop(columns=["sim_seconds"]), b.drop(columns=["sim_seconds"]))
    # and --no-cache really re-simulates
    df3, _ = run_experiment(cfg, out=str(tmp_path / "nocache"), jobs=1, use_cache=False, quiet=True)
    assert not df3["cached"].any()


def test_cache_key_covers_run_parameters(small_run, tmp_path):
    """Changed run parameters (max_instructions, timing overrides) are not served from the cache;
    a renamed/relabelled variant with the same ELF and run parameters is served from the cache but
    shows its new name and label."""
    cfg, df1, _ = small_run
    text = open(cfg).read()
    text = text.replace("{id: rv_sw,  target: ri5cy, sources: [",
                        "{id: renamed_sw, target: ri5cy, max_instructions: 4000000, sources: [")
    text = text.replace("baseline: rv_sw", "baseline: renamed_sw")
    text = text.replace(f"{{id: rv_qnn, target: ri5cy, sources: [{RV_QNN}], plugins: [qnn]}}",
                        f"{{id: rv_qnn, target: ri5cy, sources: [{RV_QNN}], plugins: [qnn], "
                        f"timing: {{load_use: 2}}}}")
    text = text.replace(f"{{id: m7_sw,  target: cm7,   sources: [{M7_SW}], params: {{seed: {SEED + 1}}}}}",
                        f"{{id: m7_again, label: M7 baseline, target: cm7, sources: [{M7_SW}], "
                        f"params: {{seed: {SEED + 1}}}}}")
    p = write(tmp_path, text, "changed.yaml")
    df, _ = run_experiment(p, out=str(tmp_path / "out"), jobs=1, quiet=True)
    cached = dict(zip(df["variant"] + "/" + df["n"].astype(str), df["cached"]))
    assert cached == {"renamed_sw/64": False, "renamed_sw/128": False, "rv_qnn/64": False,
                      "rv_qnn/128": False, "m7_again/64": True, "m7_again/128": True}
    m7 = df[df["variant"] == "m7_again"]
    assert set(m7["label"]) == {"M7 baseline"} and set(m7["experiment"]) == {"small"}
    assert df["speedup"].notna().sum() == 4
    old = df1.set_index(["variant", "n"])["cycles"]
    new = df.set_index(["variant", "n"])["cycles"]
    for n in (64, 128):
        assert new[("m7_again", n)] == old[("m7_sw", n)]
        assert new[("renamed_sw", n)] == old[("rv_sw", n)]
        assert new[("rv_qnn", n)] > old[("rv_qnn", n)]      # load-use stalls now cost 2 cycles


@pytest.mark.parametrize("fmt", ["md", "csv", "latex"])
def test_table_command(small_run, capsys, fmt):
    _, df, out = small_run
    rc, text, err = run_cli(capsys, "table", out, "--format", fmt)
    assert rc == 0, err
    lines = text.strip().splitlines()
    if fmt == "md":
        assert lines[0].startswith("| variant | target | plugins |")
        assert len(lines) == 2 + len(df)
        assert sum(ln.startswith("| rv_qnn |") for ln in lines) == 2
    elif fmt == "csv":
        from io import StringIO
        t = pd.read_csv(StringIO(text))
        assert len(t) == len(df)
        assert {"variant", "n", "cycles", "speedup"} <= set(t.columns)
        assert t["cycles"].tolist() == df["cycles"].tolist()
    else:
        assert lines[0].startswith(r"\begin{tabular}") and lines[-1] == r"\end{tabular}"
        assert sum(ln.endswith(r"\\") for ln in lines) == 1 + len(df)
        assert r"rv\_qnn" in text


def test_table_missing_results(tmp_path, capsys):
    rc, _, err = run_cli(capsys, "table", str(tmp_path / "nothing"))
    assert rc != 0 and len(err.strip().splitlines()) == 1 and "no such results file" in err


def test_plot_command(small_run, capsys, tmp_path):
    _, _, out = small_run
    dest = tmp_path / "plots"
    rc, text, err = run_cli(capsys, "plot", out, "--out", str(dest))
    assert rc == 0, err
    files = text.split()
    assert any(f.endswith("cycle_breakdown.png") for f in files)
    assert any(os.path.basename(f).startswith("speedup") for f in files)
    for f in files:
        assert f.startswith(str(dest)) and os.path.getsize(f) > 1000, f


# ------------------------------------------------------------------------------------------ Dask
@pytest.fixture(scope="module")
def dask_cluster():
    distributed = pytest.importorskip("distributed", reason="install the dev extras: "
                                      "pip install -e '.[dev]' (dask[distributed])")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  dashboard_address=None, silence_logs=40) as cluster:
        yield cluster


def test_dask_executor_matches_local_pool(small_run, dask_cluster, tmp_path):
    cfg, df_local, _ = small_run
    df_dask, out = run_experiment(cfg, out=str(tmp_path / "dask"), use_cache=False, quiet=True,
                                  dask=dask_cluster.scheduler_address)
    assert not df_dask["cached"].any()          # simulated on the worker, not read from the cache
    a = df_local.drop(columns=VOLATILE).reset_index(drop=True)
    b = df_dask.drop(columns=VOLATILE).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)
    assert os.path.isfile(os.path.join(out, "results.csv"))


def test_dask_golden_mismatch(dask_cluster, tmp_path, capsys):
    """A mismatch raised on a Dask worker fails the run like a local one (exit 4, FAILED.txt)."""
    src = open(RV_SW).read().replace("  sw    a0, 0(t0)", "  addi  a0, a0, 1\n  sw    a0, 0(t0)")
    (tmp_path / "rv_wrong.S").write_text(src)
    cfg = write(tmp_path, f"""\
    name: daskwrong
    workload: {{generator: isasim.qnn.workloads:packed_dot, params: {{bits: 4, seed: 6, n: 64}}}}
    variants:
      - {{id: broken, target: ri5cy, sources: [rv_wrong.S]}}
    """)
    out_dir = tmp_path / "out"
    rc, _, err = run_cli(capsys, "run", cfg, "--out", str(out_dir), "--dask",
                         dask_cluster.scheduler_address)
    assert rc == 4, err
    assert "daskwrong/broken" in err and "differs from the golden model" in err
    _assert_failed(out_dir, "daskwrong/broken")


def test_dask_is_installed_for_dev():
    """The dev extras include dask[distributed]: the Dask test above must not be skipped there."""
    import tomllib
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
        dev = tomllib.load(f)["project"]["optional-dependencies"]["dev"]
    assert any(d.startswith("dask[distributed]") for d in dev)
    import distributed  # noqa: F401   fails (not skips) when the dev extras are not installed
