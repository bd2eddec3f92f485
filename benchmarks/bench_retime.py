"""Record once, re-time many (issue 18 item 2): a 10-point latency sweep of the Rusci 2018 l16
layer (the INT4 qnn.sdot4 kernel, full layer) on the Cortex-M7 model, run twice in one process:

1. re-running: 10 fresh runs, ``cost.qnn.sdot4.latency`` = 1..10;
2. re-timing: one run with a recording (``run_elf(..., record=PATH)``), then 10 re-timings of it
   (``isasim.retime.retime``).

Checks that every re-timed result equals the fresh run (cycles, instructions, stalls, counters,
energy) and prints both wall times, the ratio (target >= 10x), the recording's size and bytes per
retired instruction. The ELF is built (and cached) before anything is timed. The whole
measurement is repeated (``--repeat``, 3) and the best time of each part printed, each
repetition's in brackets (the machine is shared); each repetition records to a new file.

Usage: python benchmarks/bench_retime.py [--points 10] [--repeat 3]
"""
import argparse
import os
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXP = os.path.join(ROOT, "experiments", "rusci2018")
KEYS = ("cycles", "instructions", "stalls", "counters", "energy_uj", "exit_code")


def build(d):
    sys.path.insert(0, EXP)
    import rusci2018_workload as W
    from isasim.experiments.runner import _data_asm
    from isasim.toolchain.build import build_elf
    w = W.conv_layer(kernel="int4_sdot4", layer="l16", seed=2018)
    data = os.path.join(d, "data.S")
    with open(data, "w") as f:
        f.write(_data_asm(w))
    srcs = W.kernel_sources("int4_sdot4", ROOT) + [data]
    defines = [f"{k}={v}" for k, v in w["defines"].items()]
    return build_elf("cm7", srcs, os.path.join(d, "l16.elf"), include_dirs=W.include_dirs("int4_sdot4", ROOT),
                     defines=defines, plugins=["qnn"]), w


def sweep(elf, d, lats, rep):
    """One measurement: (re-run s, record s, re-time s, recording bytes, fresh, re-timed)."""
    from isasim.retime import retime
    from isasim.simulate import run_elf
    t0 = time.perf_counter()
    fresh = [run_elf(elf, "cm7", plugins=["qnn"], cost={"qnn.sdot4": {"latency": x}})
             for x in lats]
    t_rerun = time.perf_counter() - t0
    rec = os.path.join(d, f"l16-{rep}.npz")        # a new file: parsed and decoded afresh
    t0 = time.perf_counter()
    run_elf(elf, "cm7", plugins=["qnn"], record=rec)
    t_record = time.perf_counter() - t0
    t0 = time.perf_counter()
    re = [retime(rec, cost={"qnn.sdot4": {"latency": x}}) for x in lats]
    t_retime = time.perf_counter() - t0
    for x, f, r in zip(lats, fresh, re):
        bad = [k for k in KEYS if f.get(k) != r.get(k)]
        if bad:
            sys.exit(f"latency {x}: re-timed result differs from the fresh run in {bad}")
    return t_rerun, t_record, t_retime, os.path.getsize(rec), fresh


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--points", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=3, help="measurements; the best of each is "
                    "printed (the machine is shared)")
    a = ap.parse_args()
    from isasim.simulate import run_elf
    lats = list(range(1, a.points + 1))
    with tempfile.TemporaryDirectory() as d:
        elf, w = build(d)
        run_elf(elf, "cm7", plugins=["qnn"])               # load the compiled hooks: not timed
        ms = [sweep(elf, d, lats, i) for i in range(max(a.repeat, 1))]
    fresh = ms[0][4]
    t_rerun, t_record, t_retime = (min(m[i] for m in ms) for i in range(3))
    size = ms[0][3]
    n = fresh[0]["instructions"]
    each = lambda i: ", ".join(f"{m[i]:.2f}" for m in ms)
    print(f"Rusci l16 int4_sdot4, {n:,} instructions per run, qnn.sdot4 latency {lats[0]}..{lats[-1]}: "
          f"cycles {fresh[0]['cycles']:,} .. {fresh[-1]['cycles']:,}; every re-timed result equals "
          f"the fresh run; best of {len(ms)}")
    print(f"re-running {len(lats)} points : {t_rerun:7.2f} s  ({each(0)})")
    print(f"record once              : {t_record:7.2f} s  ({each(1)}; a run with the recording on)")
    print(f"re-timing {len(lats)} points  : {t_retime:7.3f} s  ({each(2)})")
    print(f"ratio re-run / re-time   : {t_rerun / t_retime:7.1f}x  (with the recording run: "
          f"{t_rerun / (t_retime + t_record):.1f}x; target >= 10x)")
    print(f"recording                : {size:,} bytes, {size / n:.3f} bytes per retired instruction")


if __name__ == "__main__":
    main()
