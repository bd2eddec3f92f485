"""Record once, re-time many on RISC-V (issue 18 item 2): a timing sweep re-run vs re-timed on

1. gap8: the PULP-NN u8 x i8 -> u8 l16 layer of the Bruschi 2020 experiment on 8 cores, sweeping
   ``l2_latency`` (the cluster is replayed: contention, barriers, I-cache recomputed);
2. ri5cy: the division-heavy loop of tests/test_rvr_retime.py (MIX, 20000 iterations) on one
   core, sweeping ``load_use``.

For each: ``--points`` fresh runs, then one run with a recording and ``--points`` re-timings of it
(every re-timed result is checked equal to its fresh run); prints the wall times, the ratio
re-run / re-time (with and without the recording run), the recording's size and its bytes per
retired instruction. Best of ``--repeat`` (the machine is shared). ELFs are built (cached) and the
engines loaded before anything is timed.

Usage: python benchmarks/bench_retime_rv.py [--points 5] [--repeat 2]
"""
import argparse
import os
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXP = os.path.join(ROOT, "experiments", "bruschi2020")
KEYS = ("cycles", "instructions", "stalls", "counters", "per_core", "energy_uj", "exit_code",
        "op_counts")


def elf_of(target, cores, shape):
    sys.path.insert(0, EXP)
    import bruschi2020_kernels as K
    from isasim.experiments import runner
    kdir = os.path.join(ROOT, "kernels_asm", "ri5cy", "pulpnn")
    v = {"id": "k", "target": target, "sources": [os.path.join(kdir, "pulp_nn_conv.c"),
                                                  K.kernel_path(8, 8, 8, "xpulpv2")],
         "include": [os.path.join(ROOT, "kernels_asm", "ri5cy", "include"), kdir], "plugins": []}
    if cores:
        v["cores"] = cores
    p = {"experiment": "bench_retime_rv", "variant": v,
         "generator": "bruschi2020_workload:conv_layer",
         "params": dict(act_bits=8, wgt_bits=8, out_bits=8, isa="xpulpv2", shape=shape,
                        im2col_skew=0), "sweep": {}, "config_dir": EXP}
    return runner._prepare(p)[1]


def sweep(elf, target, run, knob, values, d, rep):
    from isasim.retime import retime
    from isasim.simulate import run_elf
    t0 = time.perf_counter()
    fresh = [run_elf(elf, target, timing={knob: x}, **run) for x in values]
    t_rerun = time.perf_counter() - t0
    rec = os.path.join(d, f"{target}-{rep}.npz")
    t0 = time.perf_counter()
    run_elf(elf, target, record=rec, **run)
    t_record = time.perf_counter() - t0
    t0 = time.perf_counter()
    re = [retime(rec, timing={knob: x}) for x in values]
    t_retime = time.perf_counter() - t0
    for x, f, r in zip(values, fresh, re):
        bad = [k for k in KEYS if f.get(k) != r.get(k)]
        if bad:
            sys.exit(f"{target} {knob}={x}: re-timed result differs from the fresh run in {bad}")
    return t_rerun, t_record, t_retime, os.path.getsize(rec), fresh[0]["instructions"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--points", type=int, default=5)
    ap.add_argument("--repeat", type=int, default=2)
    a = ap.parse_args()
    from isasim.simulate import run_elf
    from isasim.retime import retime
    cases = [("gap8", {"cores": 8}, "l2_latency", [10 + 2 * i for i in range(a.points)],
              elf_of("gap8", 8, "l16"), "PULP-NN u8xi8->u8 l16, 8 cores"),
             ("ri5cy", {}, "load_use", list(range(1, a.points + 1)), None,
              "division-heavy loop (tests/test_rvr_retime.py MIX), 1 core")]
    with tempfile.TemporaryDirectory() as d:
        sys.path.insert(0, os.path.join(ROOT, "tests"))
        from test_rvr_retime import MIX
        from isasim.toolchain.build import build_elf
        with open(os.path.join(d, "mix.S"), "w") as f:
            f.write(MIX)
        cases[1] = cases[1][:4] + (build_elf("ri5cy", [os.path.join(d, "mix.S")],
                                             os.path.join(d, "mix.elf"),
                                             defines=["ITER=20000"]),) + cases[1][5:]
        for target, run, knob, values, elf, what in cases:
            warm = os.path.join(d, "warm.npz")     # engines compiled/loaded: not timed
            run_elf(elf, target, record=warm, **run)
            retime(warm)
            ms = [sweep(elf, target, run, knob, values, d, i) for i in range(max(a.repeat, 1))]
            t_rerun, t_record, t_retime = (min(m[i] for m in ms) for i in range(3))
            size, n = ms[0][3], ms[0][4]
            print(f"{target}: {what}, {len(values)}-point {knob} sweep, {n} instructions")
            print(f"  re-run   {t_rerun:7.2f} s  {[round(m[0], 2) for m in ms]}")
            print(f"  record   {t_record:7.2f} s  {[round(m[1], 2) for m in ms]}")
            print(f"  re-time  {t_retime:7.2f} s  {[round(m[2], 2) for m in ms]}")
            print(f"  ratio re-run / re-time {t_rerun / t_retime:.2f}x; with the recording run "
                  f"{t_rerun / (t_retime + t_record):.2f}x")
            print(f"  recording {size} bytes, {size / n:.2f} bytes per retired instruction "
                  f"(ELF included)")


if __name__ == "__main__":
    main()
