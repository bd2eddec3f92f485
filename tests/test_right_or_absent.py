"""Issue 12, "every number is right or absent": options, outputs, caches, exit status and
interrupts of the CLI and the experiment runner (the cores' own share is tested in the cm7/RI5CY
test files). Each test reproduces a failure that main had before the fix."""
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pytest

from isasim import cache, targets
from isasim.cli import main as cli_main
from isasim.simulate import run_elf
from isasim.errors import IsasimError
from isasim.toolchain.build import build_elf

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
Q = os.path.join(ROOT, "kernels_asm", "quickstart")
RV_SW = os.path.join(Q, "rv_dot4_sw.S")
SEED = 5000 + int.from_bytes(os.urandom(4), "little") % 10**9
RET = "  .text\n  .globl main\nmain:\n  li a0, 0\n  ret\n"
SPIN = "  .text\n  .globl main\nmain:\n1: j 1b\n"


def cli(capsys, *argv):
    rc = cli_main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


@pytest.fixture(scope="module")
def rv_elf(tmp_path_factory):
    d = tmp_path_factory.mktemp("rv")
    (d / "r.S").write_text(RET)
    return build_elf("ri5cy", [str(d / "r.S")], str(d / "r.elf"))


@pytest.fixture(scope="module")
def m7_elf(tmp_path_factory):
    d = tmp_path_factory.mktemp("m7")
    (d / "r.S").write_text("  .syntax unified\n  .thumb\n  .text\n  .globl main\n  .thumb_func\n"
                           "main:\n  movs r0, #0\n  bx lr\n")
    return build_elf("cm7", [str(d / "r.S")], str(d / "r.elf"))


# ---- item 4 and 6: one meaning of every run option on every target ------------------------------
@pytest.mark.parametrize("target", ["ri5cy", "gap8", "cm7"])
@pytest.mark.parametrize("n", [0, -1, "100"])
def test_max_instructions_same_meaning_everywhere(rv_elf, m7_elf, target, n):
    elf = m7_elf if target == "cm7" else rv_elf
    with pytest.raises(IsasimError, match="must be a positive integer"):
        run_elf(elf, target, max_instructions=n)


def test_default_instruction_limit(tmp_path, monkeypatch):
    """exec/run had no default limit on RI5CY/GAP-8: a runaway kernel needed kill -9."""
    (tmp_path / "s.S").write_text(SPIN)
    elf = build_elf("ri5cy", [str(tmp_path / "s.S")], str(tmp_path / "s.elf"))
    monkeypatch.setattr(targets, "DEFAULT_MAX_INSTRUCTIONS", 50_000)
    for t in ("ri5cy", "gap8"):
        with pytest.raises(IsasimError, match="stopped after"):
            run_elf(elf, t)


@pytest.mark.parametrize("argv,needle", [
    (["--cores", "0"], "--cores must be an integer 1..16"),            # ran 8 cores
    (["--cores", "17"], "--cores must be an integer 1..16"),
])
def test_cores_validated(rv_elf, capsys, argv, needle):
    rc, _, err = cli(capsys, "exec", rv_elf, "--target", "gap8", *argv)
    assert rc == 2 and needle in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("target,argv,needle", [
    ("ri5cy", ["--cores", "4"], "--cores does not apply to target ri5cy"),
    ("ri5cy", ["--timeline", "t.json"], "--timeline does not apply to target ri5cy"),
    ("cm7", ["--timeline", "t.json"], "--timeline does not apply to target cm7"),
    ("ri5cy", ["--operating-point", "fast"], "unknown operating point 'fast' for target ri5cy"),
    ("cm7", ["--operating-point", "fast"], "unknown operating point 'fast' for target cm7"),
    ("ri5cy", ["--timing", "no_such_knob=1"], "no_such_knob"),
])
def test_option_that_does_not_apply_is_refused(rv_elf, m7_elf, capsys, tmp_path, target, argv,
                                               needle):
    elf = m7_elf if target == "cm7" else rv_elf
    argv = [str(tmp_path / a) if a.endswith(".json") else a for a in argv]
    rc, _, err = cli(capsys, "exec", elf, "--target", target, *argv)
    assert rc == 2 and needle in err and len(err.strip().splitlines()) == 1, err


def test_cm7_operating_point_names(m7_elf):
    assert run_elf(m7_elf, "cm7", operating_point="400")["operating_point"]["freq_mhz"] == 400
    assert run_elf(m7_elf, "cm7", operating_point="400MHz")["operating_point"]["freq_mhz"] == 400


# ---- item 11: output files ----------------------------------------------------------------------
def test_build_output_equal_to_source_refused(tmp_path, capsys):
    src = tmp_path / "k.S"
    src.write_text(RET)
    rc, _, err = cli(capsys, "build", "--target", "ri5cy", str(src), "-o", str(src))
    assert rc == 2 and "is one of the sources" in err
    assert src.read_text() == RET                       # the source used to be overwritten


@pytest.mark.parametrize("kind", ["directory", "unwritable"])
def test_unwritable_outputs_are_one_line_errors(tmp_path, capsys, rv_elf, kind):
    """-o, --trace, --timeline, --out to a directory or an unwritable place: exit 70 before."""
    d = tmp_path / "ro"
    d.mkdir()
    (tmp_path / "k.S").write_text(RET)
    if kind == "directory":
        bad = str(d)
    else:
        d.chmod(0o500)
        if os.access(str(d), os.W_OK):          # running as root: permissions do not apply
            pytest.skip("root ignores directory permissions")
        bad = str(d / "x")
    cases = [["build", "--target", "ri5cy", str(tmp_path / "k.S"), "-o", bad],
             ["exec", rv_elf, "--target", "ri5cy", "--trace", bad],
             ["exec", rv_elf, "--target", "gap8", "--timeline", bad]]
    for argv in cases:
        rc, _, err = cli(capsys, *argv)
        assert rc == 2 and len(err.strip().splitlines()) == 1 and "internal error" not in err, (argv, err)


def test_trace_is_written_whole_or_marked_incomplete(tmp_path, capsys):
    (tmp_path / "s.S").write_text(SPIN)
    elf = build_elf("ri5cy", [str(tmp_path / "s.S")], str(tmp_path / "s.elf"))
    tr = tmp_path / "t.log"
    rc, _, _ = cli(capsys, "exec", elf, "--target", "ri5cy", "--trace", str(tr),
                   "--max-instructions", "100")
    assert rc == 3
    assert tr.read_text().splitlines()[-1].startswith("# isasim: INCOMPLETE")
    assert not [f for f in os.listdir(tmp_path) if f.endswith(".partial")]


def test_table_and_plot_refuse_bad_results_files(tmp_path, capsys):
    (tmp_path / "other.csv").write_text("a,b\n1,2\n")
    for cmd in ("table", "plot"):
        rc, _, err = cli(capsys, cmd, str(tmp_path / "other.csv"))
        assert rc == 2 and "not a results file" in err, err          # plot: KeyError, exit 70
    good = "experiment,variant,target,cycles,instructions\nx,a,ri5cy,10,5\nx,b,ri5cy,12,6\n"
    (tmp_path / "trunc.csv").write_text(good[:-4])                # cut inside the last row
    rc, out, err = cli(capsys, "table", str(tmp_path / "trunc.csv"))
    assert rc == 2 and "truncated" in err and out == ""            # printed the broken row


# ---- item 5: caches under concurrency, verified entries ------------------------------------------
def test_concurrent_builds_of_one_source(tmp_path):
    """A fixed '<key>.elf.part' temporary name made concurrent builds fail."""
    src = tmp_path / "c.S"
    src.write_text(RET.replace("li a0, 0", f"li a0, {SEED % 2000}"))
    errs = []

    def one(i):
        try:
            build_elf("ri5cy", [str(src)], str(tmp_path / f"o{i}.elf"))
        except Exception as e:      # noqa: BLE001 - collected and asserted below
            errs.append(e)
    ts = [threading.Thread(target=one, args=(i,)) for i in range(8)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert not errs
    outs = {(tmp_path / f"o{i}.elf").read_bytes() for i in range(8)}
    assert len(outs) == 1


def test_corrupted_build_cache_entry_is_rebuilt(tmp_path, capsys):
    src = tmp_path / "c.S"
    src.write_text(RET.replace("li a0, 0", f"li a0, {SEED % 1999 + 1}"))
    a = build_elf("ri5cy", [str(src)], str(tmp_path / "a.elf"))
    d = os.path.join(cache.root(), "build")
    newest = max((os.path.join(d, f) for f in os.listdir(d) if f.endswith(".elf")),
                 key=os.path.getmtime)
    with open(newest, "r+b") as f:
        f.truncate(100)
    b = build_elf("ri5cy", [str(src)], str(tmp_path / "b.elf"))
    assert open(a, "rb").read() == open(b, "rb").read()
    assert "discarded a bad cache entry" in capsys.readouterr().err


def _small_cfg(tmp_path, seed=SEED, extra="", name="cfg.yaml", n="[64, 128]"):
    p = tmp_path / name
    p.write_text(textwrap.dedent(f"""\
        name: rob
        workload:
          generator: isasim.qnn.workloads:packed_dot
          params: {{bits: 4, seed: {seed}}}
        sweep:
          n: {n}
        variants:
          - {{id: rv_sw, target: ri5cy, sources: [{RV_SW}]}}
        {extra}"""))
    return str(p)


def test_corrupted_result_cache_entry_is_recomputed(tmp_path, capsys):
    """One corrupted cache JSON used to block its config for good (JSONDecodeError, no file)."""
    from isasim.experiments.runner import run_experiment
    cfg = _small_cfg(tmp_path, seed=SEED + 7)
    df, _ = run_experiment(cfg, out=str(tmp_path / "o1"), jobs=1, quiet=True)
    key = df["point_key"].iloc[0]
    path = os.path.join(cache.root(), "experiments", "results", key + ".json")
    with open(path, "w") as f:
        f.write('{"cycles": 1')
    df2, _ = run_experiment(cfg, out=str(tmp_path / "o2"), jobs=1, quiet=True)
    err = capsys.readouterr().err
    assert path in err and "discarded" in err
    assert list(df2["cycles"]) == list(df["cycles"]) and not df2["cached"].iloc[0]
    assert df2["cached"].iloc[1]


def test_two_runs_into_one_out(tmp_path):
    from isasim.experiments.runner import OutputDir
    out = str(tmp_path / "o")
    with OutputDir(out):
        with pytest.raises(IsasimError, match="another isasim run .* is writing to this directory"):
            with OutputDir(out):
                pass


def test_stale_outputs_of_another_experiment_removed(tmp_path):
    from isasim.experiments.runner import run_experiment
    out = tmp_path / "o"
    run_experiment(_small_cfg(tmp_path, seed=SEED + 3), out=str(out), jobs=1, quiet=True)
    (out / "made_by_us.png").write_bytes(b"x")
    with open(out / ".isasim-outputs", "a") as f:
        f.write("made_by_us.png\n")
    (out / "users_own_notes.txt").write_text("keep me")
    run_experiment(_small_cfg(tmp_path, seed=SEED + 3), out=str(out), jobs=1, quiet=True)
    assert not (out / "made_by_us.png").exists() and (out / "users_own_notes.txt").exists()
    assert (out / "results.csv").exists() and not (out / "FAILED.txt").exists()


def test_cache_info_and_clear(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ISASIM_CACHE_DIR", str(tmp_path / "c"))
    (tmp_path / "k.S").write_text(RET)
    build_elf("ri5cy", [str(tmp_path / "k.S")], str(tmp_path / "k.elf"))
    rc, out, _ = cli(capsys, "cache", "info")
    assert rc == 0 and str(tmp_path / "c") in out and "0 bad" in out
    rc, out, _ = cli(capsys, "cache", "clear", "build")
    assert rc == 0 and not os.path.exists(tmp_path / "c" / "build")


# ---- item 9: golden outputs start from a sentinel, not zeros -------------------------------------
def test_kernel_that_never_writes_its_output_fails(tmp_path):
    from isasim.experiments.runner import GoldenMismatch, run_experiment
    gen = tmp_path / "zgen.py"
    gen.write_text("import numpy as np\n"
                   "def zero(n=4):\n"
                   "    return {'outputs': {'result': np.zeros(n, np.int32)}, 'macs': 1}\n")
    k = tmp_path / "nowrite.S"
    k.write_text(RET)                                   # returns 0, never touches result
    cfg = tmp_path / "z.yaml"
    cfg.write_text(f"name: z\nworkload: {{generator: 'zgen:zero'}}\n"
                   f"variants:\n  - {{id: a, target: ri5cy, sources: [{k}]}}\n")
    with pytest.raises(GoldenMismatch, match="differs from the golden model in 4 of 4"):
        run_experiment(str(cfg), out=str(tmp_path / "o"), jobs=1, quiet=True)
    assert (tmp_path / "o" / "FAILED.txt").exists() and not (tmp_path / "o" / "results.csv").exists()


# ---- item 12: config errors found at load time, with file:line ----------------------------------
@pytest.mark.parametrize("extra,needle", [
    ("sweep:\n  nn: [1]\n", ":6: sweep.nn: 'nn' is not a parameter of the workload generator"),
    ("    operating_point: fast\n", "variants[0].operating_point: unknown operating point 'fast'"),
    ("    max_instructions: -1\n", "variants[0].max_instructions: max_instructions must be a positive"),
    ("    timing: {load_use: 2}\n", "variants[0].timing"),        # cm7 accepted and ignored it
])
def test_config_errors_before_any_point_runs(tmp_path, capsys, extra, needle):
    base = (f"name: e\nworkload:\n  generator: isasim.qnn.workloads:packed_dot\n  params: {{n: 64}}\n"
            f"variants:\n  - id: a\n    target: {'cm7' if 'timing' in extra else 'ri5cy'}\n"
            f"    sources: [{RV_SW}]\n")
    text = base + extra if extra.startswith("    ") else base.replace("variants:", extra + "variants:")
    p = tmp_path / "e.yaml"
    p.write_text(text)
    rc, _, err = cli(capsys, "run", str(p), "--out", str(tmp_path / "o"))
    assert rc == 2 and needle in err and "e.yaml:" in err, err


def test_generator_with_syntax_error_names_its_line(tmp_path, capsys):
    (tmp_path / "badgen.py").write_text("def g(n=1):\n    return {\n")
    p = tmp_path / "g.yaml"
    p.write_text(f"name: g\nworkload: {{generator: 'badgen:g'}}\n"
                 f"variants:\n  - {{id: a, target: ri5cy, sources: [{RV_SW}]}}\n")
    rc, _, err = cli(capsys, "run", str(p), "--out", str(tmp_path / "o"))
    assert rc == 2 and "badgen.py:2" in err and "syntax error" in err, err


def test_bad_generator_symbol_names_the_generator(tmp_path, capsys):
    (tmp_path / "symgen.py").write_text(
        "import numpy as np\ndef g(n=1):\n    return {'data': {'my-buf': np.zeros(4, np.int32)}}\n")
    p = tmp_path / "s.yaml"
    p.write_text(f"name: s\nworkload: {{generator: 'symgen:g'}}\n"
                 f"variants:\n  - {{id: a, target: ri5cy, sources: [{RV_SW}]}}\n")
    rc, _, err = cli(capsys, "run", str(p), "--out", str(tmp_path / "o"))
    assert rc == 2 and "symgen:g" in err and "'my-buf' is not a valid assembler symbol" in err, err


def test_undefined_hwloop_label_names_the_source_line(tmp_path, capsys):
    src = tmp_path / "hw.S"
    src.write_text("  .text\n  .globl main\nmain:\n  li a0, 0\n  lp.setupi x0, 4, nolabel\n"
                   "  addi a0, a0, 1\n  ret\n")
    rc, _, err = cli(capsys, "build", "--target", "ri5cy", str(src), "-o", str(tmp_path / "h.elf"))
    assert rc == 2 and f"{src}:5:" in err and "nolabel" in err and "isasim-build-" not in err, err


# ---- item 13: SIGINT/SIGTERM end a pooled run at once -------------------------------------------
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupt_pooled_run(tmp_path, sigint_default, sig):
    """SIGINT to the parent of a pooled `isasim run` printed 'interrupted' and hung while the
    workers kept running."""
    spin = tmp_path / "spin.S"
    spin.write_text(SPIN)
    cfg = tmp_path / "spin.yaml"
    cfg.write_text(f"name: spin\nvariants:\n"
                   f"  - {{id: a, target: ri5cy, sources: [{spin}], max_instructions: 100000000000}}\n"
                   f"  - {{id: b, target: ri5cy, sources: [{spin}], max_instructions: 100000000001}}\n")
    env = dict(os.environ)
    p = subprocess.Popen([sys.executable, "-m", "isasim", "run", str(cfg), "--out",
                          str(tmp_path / "o"), "--jobs", "2", "--no-cache"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                         start_new_session=True)
    time.sleep(8)               # engine load + pool start; both points are spinning by now
    t0 = time.monotonic()
    p.send_signal(sig)
    try:
        _, err = p.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        pytest.fail("isasim run did not stop after the signal")
    assert p.returncode == 130 and "interrupted" in err
    assert time.monotonic() - t0 < 10
    assert (tmp_path / "o" / "FAILED.txt").exists() and not (tmp_path / "o" / "results.csv").exists()
    for _ in range(50):         # workers and the resource tracker end (zombies do not count)
        ps = subprocess.run(["ps", "-o", "stat=,pid=,args=", "-s", str(p.pid)], capture_output=True,
                            text=True).stdout.splitlines()
        left = [x for x in ps if x.strip() and not x.strip().startswith("Z")]
        if not left:
            break
        time.sleep(0.1)
    assert not left, f"processes left running: {left}"


def test_config_timing_checked_against_the_variants_target(tmp_path):
    """Config timing: used to be validated against RI5CY fields for every target: gap8 refused
    cluster knobs that exec --timing accepts, cm7 accepted and ignored RI5CY knobs."""
    from isasim.experiments import config as C
    for target, timing, ok in (("gap8", "{quantum: 128, load_use: 1}", True),
                               ("ri5cy", "{quantum: 128}", False),
                               ("cm7", "{load_use: 1}", False)):
        p = tmp_path / f"{target}.yaml"
        p.write_text(f"name: t\nvariants:\n  - id: a\n    target: {target}\n"
                     f"    sources: [{RV_SW}]\n    timing: {timing}\n")
        if ok:
            C.load(str(p))
        else:
            with pytest.raises(IsasimError, match=r":6: variants\[0\].timing"):
                C.load(str(p))


@pytest.mark.parametrize("target", ["ri5cy", "gap8", "cm7"])
def test_truncated_elf_is_a_one_line_error(tmp_path, capsys, rv_elf, m7_elf, target):
    src = m7_elf if target == "cm7" else rv_elf
    bad = tmp_path / "t.elf"
    bad.write_bytes(open(src, "rb").read()[:3000])
    for argv in (["exec", str(bad), "--target", target], ["disasm", str(bad)]):
        rc, _, err = cli(capsys, *argv)
        assert rc == 2 and str(bad) in err and "internal error" not in err, err


@pytest.mark.parametrize("target", ["cm7", "ri5cy", "gap8"])
def test_bad_timing_option_is_bad_input_on_every_target(rv_elf, m7_elf, capsys, target):
    elf = m7_elf if target == "cm7" else rv_elf
    rc, _, err = cli(capsys, "exec", elf, "--target", target, "--timing", "no_such=1")
    assert rc == 2 and "no_such" in err


def test_results_carry_time_and_energy_range(tmp_path):
    from isasim.experiments.runner import run_experiment
    df, _ = run_experiment(_small_cfg(tmp_path, seed=SEED + 31, n="[64]"), out=str(tmp_path / "o"),
                           jobs=1, quiet=True)
    r = df.iloc[0]
    assert r["freq_mhz"] > 0 and r["time_us"] == pytest.approx(r["cycles"] / r["freq_mhz"])
    assert r["energy_uj_min"] < r["energy_uj"] < r["energy_uj_max"]
