"""Issue 20: the researcher's loop without reading source — variant tags, sweep plots, point
artefacts (isasim show / run --profile), documented config fields, a closed pipe."""
import json
import os
import subprocess
import sys
import textwrap

import pandas as pd
import pytest

from isasim.cli import main as cli_main
from isasim.experiments.runner import run_experiment

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
Q = os.path.join(ROOT, "kernels_asm", "quickstart")
SEED = 9000 + int.from_bytes(os.urandom(4), "little") % 10**9


def cli(capsys, *argv):
    rc = cli_main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def _cfg(tmp_path, extra_variants="", baselines=""):
    p = tmp_path / "t.yaml"
    p.write_text(textwrap.dedent(f"""\
        name: tags
        workload:
          generator: isasim.qnn.workloads:packed_dot
          params: {{bits: 4, seed: {SEED}}}
        sweep:
          n: [64, 128]
        variants:
          - {{id: sw, target: ri5cy, sources: [{Q}/rv_dot4_sw.S], tags: {{lat: 0, family: sw}}}}
          - {{id: q1, target: ri5cy, sources: [{Q}/rv_dot4_qnn.S], plugins: [qnn],
              tags: {{lat: 1, family: qnn}}}}
          - {{id: q2, target: ri5cy, sources: [{Q}/rv_dot4_qnn.S], plugins: [qnn],
              tags: {{lat: 2, family: qnn}}}}
        {extra_variants}
        baselines:
          - {{name: speedup, baseline: sw, compare: [q1, q2], metric: cycles}}
        {baselines}"""))
    return str(p)


def test_tags_are_columns_never_generator_params(tmp_path):
    """A tag such as unpk_latency: 4 used to be a TypeError (variant params go to the generator)."""
    df, out = run_experiment(_cfg(tmp_path), out=str(tmp_path / "o"), jobs=1, quiet=True)
    assert list(df[df.variant == "q2"]["lat"]) == [2, 2] and set(df["family"]) == {"sw", "qnn"}
    csv = pd.read_csv(os.path.join(out, "results.csv"))
    assert {"lat", "family"} <= set(csv.columns) and csv["speedup"].notna().sum() == 6


def test_tag_collision_refused(tmp_path, capsys):
    p = tmp_path / "c.yaml"
    p.write_text(f"name: c\nvariants:\n  - {{id: a, target: ri5cy, sources: [{Q}/rv_dot4_sw.S], "
                 f"tags: {{cycles: 1}}}}\n")
    rc, _, err = cli(capsys, "run", str(p))
    assert rc == 2 and "variants[0].tags.cycles" in err and "collide" in err


def test_sweep_line_plot_and_many_bars(tmp_path, capsys):
    rows = []
    for lat in range(1, 8):
        for n in (64, 128, 256, 512, 1024, 2048, 4096, 8192):
            rows.append(dict(experiment="x", variant=f"q{lat}", target="ri5cy", cycles=n * lat,
                             instructions=n, lat=lat, n=n, speedup=8.0 / lat, label=f"q{lat}"))
    pd.DataFrame(rows).to_csv(tmp_path / "results.csv", index=False)
    rc, out, err = cli(capsys, "plot", str(tmp_path), "--x", "lat", "--y", "speedup", "--hue", "n")
    assert rc == 0, err
    png = [l for l in out.split() if l.endswith(".png")]
    assert png and os.path.isfile(png[0]) and "speedup_vs_lat_by_n" in png[0]
    rc, out, err = cli(capsys, "plot", str(tmp_path), "--x", "n", "--y", "cycles", "--facet", "variant")
    assert rc == 0, err
    rc, _, err = cli(capsys, "plot", str(tmp_path), "--x", "lat", "--y", "nope")
    assert rc == 2 and "no column 'nope'" in err
    # 56 points: the bar charts stay readable (horizontal, a bounded width) instead of 8,270 px wide
    from matplotlib.image import imread
    rc, out, _ = cli(capsys, "plot", str(tmp_path))
    for f in [l for l in out.split() if l.endswith(".png")]:
        assert imread(f).shape[1] < 2000, f


def test_show_and_profile_columns(tmp_path, capsys):
    df, out = run_experiment(_cfg(tmp_path), out=str(tmp_path / "o"), jobs=1, quiet=True,
                             profile=True)
    fn = [c for c in df.columns if c.startswith("cycles_fn_")]
    assert "cycles_fn_main" in fn and (df[fn].fillna(0).sum(axis=1) == df["cycles"]).all()
    tr = tmp_path / "t.log"
    rc, stdout, err = cli(capsys, "show", out, "variant=q2,n=128", "--trace", str(tr), "--profile",
                          "--json")
    assert rc == 0, err
    info = json.loads(stdout)
    row = df[(df.variant == "q2") & (df.n == 128)].iloc[0]
    assert info["cycles"] == row["cycles"] and os.path.isfile(info["elf"])
    assert "pv.sdotsp.n" in tr.read_text() and info["profile"]
    rc, _, err = cli(capsys, "show", out, "variant=q2")
    assert rc == 2 and "matches 2 rows" in err


def _documented_fields():
    text = open(os.path.join(ROOT, "docs", "experiments.md")).read()
    import re
    return set(re.findall(r"^\| `([a-z_]+)` \|", text, re.M)) | \
        set(re.findall(r"^\| `[a-z_]+\.([a-z_]+)` \|", text, re.M))


def _fields(node, out):
    if isinstance(node, dict):
        for k, v in node.items():
            out.add(k)
            if k not in ("params", "defines", "sweep", "tags", "where", "timing", "phases", "cost",
                         "memory", "only", "lanes"):   # memory: docs/cm7.md; only, lanes: sweep keys
                _fields(v, out)
    elif isinstance(node, list):
        for v in node:
            _fields(v, out)
    return out


def test_every_field_of_the_shipped_configs_is_documented():
    """postprocess: was used by the Rusci config and missing from docs/experiments.md."""
    import glob
    import yaml
    doc = _documented_fields()
    for p in glob.glob(os.path.join(ROOT, "experiments", "**", "*.yaml"), recursive=True):
        used = _fields(yaml.safe_load(open(p)), set())
        missing = sorted(used - doc)
        assert not missing, f"{p}: fields not documented in docs/experiments.md: {missing}"


def test_closed_pipe_is_not_an_internal_error(tmp_path):
    """`isasim disasm ... | head` ended with 'internal error: BrokenPipeError'."""
    elf = tmp_path / "p.elf"
    subprocess.run([sys.executable, "-m", "isasim", "build", "--target", "gap8",
                    os.path.join(ROOT, "kernels_asm", "ri5cy", "examples", "parallel_dot.S"),
                    "-o", str(elf), "-q"], check=True)
    p = subprocess.run(f"{sys.executable} -m isasim disasm {elf} | head -2", shell=True,
                       capture_output=True, text=True)
    assert "internal error" not in p.stderr and "Traceback" not in p.stderr, p.stderr


def test_cost_knob_sweep_without_editing_the_plugin(tmp_path):
    """Issue 18 item 1: sweep a plug-in cost knob (and a timing parameter) from the config; the
    cycles follow the knob, the baseline is simulated once, results carry the knob columns."""
    p = tmp_path / "c.yaml"
    p.write_text(textwrap.dedent(f"""\
        name: costsweep
        workload:
          generator: isasim.qnn.workloads:packed_dot
          params: {{bits: 4, seed: {SEED + 11}, n: 256}}
        sweep:
          cost.pv.sdotsp.n.latency: [1, 2, 4]
        variants:
          - {{id: sw, target: ri5cy, sources: [{Q}/rv_dot4_sw.S]}}
          - {{id: qnn, target: ri5cy, sources: [{Q}/rv_dot4_qnn.S], plugins: [qnn]}}
          - {{id: m7, target: cm7, sources: [{Q}/cm7_dot4_qnn.S], plugins: [qnn],
              cost: {{qnn.sdot4: {{latency: 3}}}}}}
        baselines:
          - {{name: speedup, baseline: sw, compare: [qnn], metric: cycles}}
        """))
    df, _ = run_experiment(str(p), out=str(tmp_path / "o"), jobs=1, quiet=True)
    q = df[df.variant == "qnn"].sort_values("cost.pv.sdotsp.n.latency")
    c = list(q["cycles"])
    assert c[0] < c[1] < c[2]                          # the knob reaches the engine
    n = 256 // 8
    assert c[1] - c[0] == n and c[2] - c[1] == 2 * n   # one plug-in execution per word
    sw = df[df.variant == "sw"]
    # simulated once: the other two points are cache hits or (ri5cy has a re-timer, the runner
    # groups knob-only points) re-timed from the first one's recording
    assert sw["cycles"].nunique() == 1 and (sw["cached"] | sw["retimed"]).sum() == 2
    assert q["speedup"].is_monotonic_decreasing


@pytest.mark.parametrize("sweep,needle", [
    ("cost.pv.nosuch.latency: [1]", "no variant loads a plug-in instruction 'pv.nosuch'"),
    ("cost.pv.sdotsp.n.speed: [1]", "unknown cost knob"),
    ("cost.pv.sdotsp.n.latency: [-1]", "is not a valid value"),
    ("timing.no_such: [1]", "no_such"),
])
def test_bad_cost_knobs_refused_at_load(tmp_path, capsys, sweep, needle):
    p = tmp_path / "b.yaml"
    p.write_text(f"name: b\nsweep:\n  {sweep}\nvariants:\n"
                 f"  - {{id: qnn, target: ri5cy, sources: [{Q}/rv_dot4_qnn.S], plugins: [qnn]}}\n")
    rc, _, err = cli(capsys, "run", str(p))
    assert rc == 2 and "b.yaml:3: sweep." in err and needle in err, err


def test_phases_and_amdahl(tmp_path):
    """Issue 18 item 3: cycles per phase (functions by name) add up to the cycles, Amdahl columns,
    phase metrics usable in baselines, and a stacked phase plot."""
    p = tmp_path / "ph.yaml"
    p.write_text(textwrap.dedent(f"""\
        name: phases
        phases: {{kernel: [main], startup: ["_st*"]}}
        workload:
          generator: isasim.qnn.workloads:packed_dot
          params: {{bits: 4, seed: {SEED + 21}, n: 256}}
        variants:
          - {{id: sw, target: ri5cy, sources: [{Q}/rv_dot4_sw.S]}}
          - {{id: qnn, target: ri5cy, sources: [{Q}/rv_dot4_qnn.S], plugins: [qnn]}}
          - {{id: m7, target: cm7, sources: [{Q}/cm7_dot4_sw.S]}}
        baselines:
          - {{name: kernel_speedup, baseline: sw, compare: [qnn], metric: cycles_phase_kernel}}
        """))
    df, out = run_experiment(str(p), out=str(tmp_path / "o"), jobs=1, quiet=True)
    total = df["cycles_phase_kernel"] + df["cycles_phase_startup"] + df["cycles_phase_other"]
    assert (total == df["cycles"]).all() and (df["cycles_phase_kernel"] > 0).all()
    assert (df["amdahl_kernel"] > 1).all()
    q = df[df.variant == "qnn"].iloc[0]
    s = df[df.variant == "sw"].iloc[0]
    assert q["kernel_speedup"] == pytest.approx(s["cycles_phase_kernel"] / q["cycles_phase_kernel"])
    assert os.path.isfile(os.path.join(out, "phase_breakdown.png"))


def test_a_phase_no_function_of_a_point_ran_is_empty_not_zero():
    """A point whose profile has none of a phase's functions (e.g. a compiled kernel whose matmul
    clang inlined) gets an empty phase and Amdahl column, not 0 cycles and speedup 1.0: the phase
    was not measured there, it did not cost nothing."""
    import numpy as np
    import pandas as pd
    from isasim.experiments.runner import add_phases
    df = pd.DataFrame({"cycles": [100, 80], "cycles_fn_mm_kernel": [60, np.nan],
                       "cycles_fn_main": [40, 80]})
    out = add_phases(df, {"_path": "x.yaml", "phases": {"matmul": ["mm_*"]}})
    assert out.loc[0, "cycles_phase_matmul"] == 60 and out.loc[0, "amdahl_matmul"] == 2.5
    assert np.isnan(out.loc[1, "cycles_phase_matmul"]) and np.isnan(out.loc[1, "amdahl_matmul"])
    assert list(out["cycles_phase_other"]) == [40, 80]


def test_a_variant_may_run_at_some_sweep_values_only(tmp_path, capsys):
    """`only:` restricts a variant to some sweep values (a kernel that supports one of the swept
    layers, e.g. the Cortex-M7 baseline of the Bruschi R6 rows); its ratios are empty elsewhere."""
    import numpy as np
    p = tmp_path / "o.yaml"
    body = textwrap.dedent(f"""\
        name: only
        workload:
          generator: isasim.qnn.workloads:packed_dot
          params: {{bits: 4, seed: {SEED + 31}}}
        sweep:
          n: [64, 128]
        variants:
          - {{id: sw, target: ri5cy, sources: [{Q}/rv_dot4_sw.S], ONLY}}
          - {{id: qnn, target: ri5cy, sources: [{Q}/rv_dot4_qnn.S], plugins: [qnn]}}
        baselines:
          - {{name: speedup, baseline: sw, compare: [qnn], metric: cycles}}
        """)
    p.write_text(body.replace("ONLY", "only: {n: [64]}"))
    df, _ = run_experiment(str(p), out=str(tmp_path / "o"), jobs=1, quiet=True)
    assert sorted(zip(df.variant, df.n)) == [("qnn", 64), ("qnn", 128), ("sw", 64)]
    q = df[df.variant == "qnn"].set_index("n")
    assert q.loc[64, "speedup"] > 1 and np.isnan(q.loc[128, "speedup"])
    for bad, needle in (("only: {m: [64]}", "'m' is not a sweep key"),
                        ("only: {n: [32]}", "not among the sweep values of 'n'")):
        p.write_text(body.replace("ONLY", bad))
        rc, _, err = cli(capsys, "run", str(p))
        assert rc == 2 and "o.yaml:8: variants[0].only" in err and needle in err, err


def test_phases_carry_instructions_and_stalls_where_the_profile_has_them():
    """Issue 18 item 3: a profile {function: {cycles, instructions, stalls}} gives per-phase
    instructions and stall cycles by cause (phasestall_<phase>__<cause>); a point none of whose
    phase functions ran has them empty; the phases' instructions add up to the run's."""
    import numpy as np
    import pandas as pd
    from isasim.experiments.runner import add_phases, _profile_columns
    rows = []
    for prof, cyc, ins in (({"mm_kernel": {"cycles": 60, "instructions": 50, "stalls": {"load_use": 5}},
                             "main": {"cycles": 40, "instructions": 30, "stalls": {"load_use": 1}}}, 100, 80),
                           ({"main": {"cycles": 80, "instructions": 70, "stalls": {}}}, 80, 70)):
        rows.append({"cycles": cyc, "instructions": ins, **_profile_columns(prof)})
    out = add_phases(pd.DataFrame(rows), {"_path": "x.yaml", "phases": {"matmul": ["mm_*"]}})
    assert out.loc[0, "instructions_phase_matmul"] == 50 and out.loc[0, "phasestall_matmul__load_use"] == 5
    assert out.loc[0, "instructions_phase_other"] == 30
    assert np.isnan(out.loc[1, "instructions_phase_matmul"]) and out.loc[1, "instructions_phase_other"] == 70
    # a plain {function: cycles} profile (targets without per-function instructions) still works
    old = add_phases(pd.DataFrame([{"cycles": 10, "instructions": 9, **_profile_columns({"mm_kernel": 4})}]),
                     {"_path": "x.yaml", "phases": {"matmul": ["mm_*"]}})
    assert old.loc[0, "cycles_phase_matmul"] == 4 and "instructions_phase_matmul" not in old.columns
