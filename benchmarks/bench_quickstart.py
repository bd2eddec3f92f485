"""Wall time of ``isasim run experiments/quickstart.yaml``: cold and re-run from the cache.

    python benchmarks/bench_quickstart.py [--config experiments/quickstart.yaml] [--jobs N]
                                          [--keep DIR]

Cold: a fresh ISASIM_CACHE_DIR in a temporary directory, so the RISC-V engine is compiled by
numba, the toolchain cache, kernel builds and every point's result are all empty. The cold run is
one process: it first builds and runs a 2-instruction RI5CY program (timed separately: toolchain
start-up + first build, and the numba compilation of the engine), then does exactly what
``isasim run`` does (which then finds the engine compiled).
The result cache is keyed by a hash of every isasim source file: if the sources change while the
benchmark runs (someone edits the checkout), the re-run cannot use the cache; this is detected and
reported.
Re-run: ``isasim run`` again with the same cache: every point must come from the cache.
Both runs must write the same results.csv (apart from the ``sim_seconds`` timing column).
Targets: cold < 60 s, re-run < 5 s. Exit status 1 if the two results differ or a run fails (a
missed time target is printed, not an error: the figures depend on the machine).
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

COLD = r"""
import os, sys, tempfile, time
t0 = time.perf_counter()
from isasim.toolchain.build import build_elf
from isasim.simulate import run_elf
d = tempfile.mkdtemp()
with open(os.path.join(d, "ret0.S"), "w") as f:
    f.write("  .text\n  .globl main\nmain:\n  li a0, 0\n  ret\n")
build_elf("ri5cy", [os.path.join(d, "ret0.S")], os.path.join(d, "ret0.elf"))
t1 = time.perf_counter()
run_elf(os.path.join(d, "ret0.elf"), "ri5cy")          # first RI5CY run: numba compiles the engine
t2 = time.perf_counter()
print(f"TOOLCHAIN_SECONDS {t1 - t0:.2f}", flush=True)
print(f"ENGINE_SECONDS {t2 - t1:.2f}", flush=True)
from isasim.cli import main
sys.exit(main(sys.argv[1:]))
"""


def timed(cmd, env):
    t0 = time.perf_counter()
    p = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True)
    dt = time.perf_counter() - t0
    if p.returncode != 0:
        sys.stderr.write(p.stdout + p.stderr)
        raise SystemExit(f"FAILED: {' '.join(cmd)} exited with {p.returncode}")
    return dt, p.stdout


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--config", default=os.path.join("experiments", "quickstart.yaml"))
    ap.add_argument("--jobs", type=int, default=None)
    ap.add_argument("--keep", metavar="DIR", help="use DIR (kept) instead of a temporary directory")
    a = ap.parse_args()
    import pandas as pd

    tmp = a.keep or tempfile.mkdtemp(prefix="isasim_bench_")
    env = dict(os.environ, ISASIM_CACHE_DIR=os.path.join(tmp, "cache"))
    if os.path.exists(env["ISASIM_CACHE_DIR"]) and os.listdir(env["ISASIM_CACHE_DIR"]):
        raise SystemExit(f"{env['ISASIM_CACHE_DIR']} is not empty: the cold run needs a fresh cache")
    jobs = ["--jobs", str(a.jobs)] if a.jobs else []
    out1, out2 = os.path.join(tmp, "cold"), os.path.join(tmp, "rerun")
    print(f"config {a.config}; cache {env['ISASIM_CACHE_DIR']} (fresh); {os.cpu_count()} CPUs",
          flush=True)

    from isasim.experiments.runner import code_fingerprint
    fp0 = code_fingerprint()
    cold, text = timed([sys.executable, "-c", COLD, "run", a.config, "--out", out1] + jobs, env)
    engine = float(re.search(r"ENGINE_SECONDS ([\d.]+)", text).group(1))
    tool = float(re.search(r"TOOLCHAIN_SECONDS ([\d.]+)", text).group(1))
    n_cold = re.search(r"(\d+) points \((\d+) from cache\)", text)
    print(f"cold run:   {cold:6.1f} s wall  (toolchain start-up + first build {tool:.1f} s, engine "
          f"compile {engine:.1f} s, the rest {cold - engine - tool:.1f} s: interpreter start, "
          f"kernel builds, {n_cold.group(1)} points simulated, "
          f"{n_cold.group(2)} from cache)   target < 60 s: {'met' if cold < 60 else 'NOT MET'}",
          flush=True)

    rerun, text = timed([sys.executable, "-m", "isasim", "run", a.config, "--out", out2] + jobs, env)
    n = re.search(r"(\d+) points \((\d+) from cache\)", text)
    print(f"re-run:     {rerun:6.1f} s wall  ({n.group(2)} of {n.group(1)} points from cache)"
          f"   target < 5 s: {'met' if rerun < 5 else 'NOT MET'}")

    import isasim.experiments.runner as runner
    runner._CODE_HASH.clear()
    if runner.code_fingerprint() != fp0:
        print("ERROR: isasim's sources changed while the benchmark ran (concurrent edits), so the "
              "result cache was invalidated between the two runs; run the benchmark again")
        return 1
    r1 = pd.read_csv(os.path.join(out1, "results.csv")).drop(columns=["sim_seconds"])
    r2 = pd.read_csv(os.path.join(out2, "results.csv")).drop(columns=["sim_seconds"])
    ok = True
    if n.group(1) != n.group(2):
        print("ERROR: the re-run simulated points again (not all from cache)")
        ok = False
    try:
        pd.testing.assert_frame_equal(r1, r2)
        print(f"results.csv: identical ({len(r1)} rows, {len(r1.columns)} columns, "
              f"sim_seconds ignored)")
    except AssertionError as e:
        print(f"ERROR: results.csv differ: {e}")
        ok = False
    if not a.keep:
        import shutil
        shutil.rmtree(tmp, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
