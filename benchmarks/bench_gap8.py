"""Aggregate simulated MIPS of the GAP-8 cluster model on a PULP-NN-style kernel.

Kernel (written below, built for --target gap8): each core runs the inner loop of a PULP-NN 4x2
MatMul (4 output channels x 2 output pixels, 8 int32 accumulators) over K = 256 int8 inputs, in a
hardware loop with post-increment loads (2 activation words + 4 weight words per iteration) and
8 pv.sdotsp.b; weights are shared by all cores, each core has its own im2col buffer; all data in
TCDM (rows padded by one word so that they start in different banks), so bank contention between
the cores is modelled (cores reading the same weight word in the same cycle do conflict). The loop is repeated REPS times and ends
with a barrier; core 0's exit ends the run.

Prints: aggregate simulated MIPS (all cores' instructions / wall time of the simulation, build
excluded; a first untimed run loads the compiled engine), cycles, contention stalls, and per round
the raw single-core engine and raw Unicorn RV32 (no hooks, bench_ri5cy's plain loop) on the same
machine: best / median / worst over RUNS rounds and the same-round ratio cluster / Unicorn.

    python benchmarks/bench_gap8.py [--cores 8] [--reps 1500] [--quantum 256] [--runs 5]
                                    [--icache 0|1] [--shared-im2col]
"""
import argparse
import os
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

KERNEL = r"""
#include "pulp_cluster.h"
#define K 256
#define KP (K + 4)                   /* row pitch padded by one word: rows start in different banks */
  .text
  .globl main
main:
  PULP_CORE_ID(a6)
  li    t0, 2 * KP + 8
#ifndef SHARED_IM2COL
  mul   t0, t0, a6
#else
  li    t0, 0                       /* every core reads the same buffer: many bank conflicts */
#endif
  la    s0, im2col
  add   s0, s0, t0                  /* this core's im2col buffer (2 pixels x K) */
  li    s11, REPS
  lp.setup x1, s11, 9f
  la    a1, weights                 /* 4 weight rows */
  addi  a2, a1, KP
  addi  a3, a1, 2 * KP
  addi  a4, a1, 3 * KP
  mv    a5, s0                      /* pixel 0 */
  addi  t6, s0, KP                  /* pixel 1 */
  li    s10, K / 4
  lp.setup x0, s10, 1f
  p.lw  t0, 4(a5!)
  p.lw  t1, 4(t6!)
  p.lw  t2, 4(a1!)
  p.lw  t3, 4(a2!)
  p.lw  t4, 4(a3!)
  p.lw  t5, 4(a4!)
  pv.sdotsp.b s1, t0, t2
  pv.sdotsp.b s2, t1, t2
  pv.sdotsp.b s3, t0, t3
  pv.sdotsp.b s4, t1, t3
  pv.sdotsp.b s5, t0, t4
  pv.sdotsp.b s6, t1, t4
  pv.sdotsp.b s7, t0, t5
1: pv.sdotsp.b s8, t1, t5
9: nop
#ifndef NO_BARRIER
  PULP_BARRIER(t0)
#endif
  li    a0, 0
  ret

  .section .tcdm, "aw"
  .align 2
weights: .space 4 * KP
im2col:  .space 16 * (2 * KP + 8)
"""


def kernel_elf(tmp, reps, defines=()):
    """Build KERNEL for gap8 in directory ``tmp`` with REPS=``reps`` and ``defines``; returns the
    ELF path (named by the defines, so several can be built in one directory)."""
    from isasim.toolchain.build import build_elf
    inc = os.path.join(os.path.dirname(HERE), "kernels_asm", "ri5cy", "include")
    src = os.path.join(tmp, "pulpnn_matmul.S")
    with open(src, "w") as f:
        f.write(KERNEL)
    elf = os.path.join(tmp, "_".join(["k"] + list(defines)) + ".elf")
    build_elf("gap8", [src], elf, include_dirs=[inc], defines=[f"REPS={reps}"] + list(defines))
    return elf


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cores", type=int, default=8)
    ap.add_argument("--reps", type=int, default=1500)
    ap.add_argument("--quantum", type=int, default=None)
    ap.add_argument("--runs", type=int, default=5,
                    help="rounds; each runs the cluster, the raw single-core engine and raw "
                         "Unicorn once (the machine is shared: best-of-N and the spread are "
                         "reported)")
    ap.add_argument("--icache", type=int, choices=(0, 1), default=1,
                    help="the cluster's shared instruction cache (default 1: modelled)")
    ap.add_argument("--shared-im2col", action="store_true",
                    help="all cores read one im2col buffer (a contention-heavy variant)")
    a = ap.parse_args()
    from isasim.platforms.gap8 import run_cluster, ClusterConfig
    from isasim.cores.ri5cy.core import RI5CY
    from bench_ri5cy import plain_elf, unicorn_mips, spread
    with tempfile.TemporaryDirectory() as tmp:
        elf = kernel_elf(tmp, a.reps, ["SHARED_IM2COL"] if a.shared_im2col else [])
        # reference: the raw engine on one core (no log, no arbitration), same kernel
        elf1 = kernel_elf(tmp, a.reps, ["NO_BARRIER"])
        pelf = plain_elf(tmp)
        cfg = ClusterConfig()
        if a.quantum:
            cfg.quantum = a.quantum
        cfg.icache = a.icache
        t = time.perf_counter()
        run_cluster(elf, cores=a.cores, config=cfg)     # loads the engine and the loop: not timed
        t_setup = time.perf_counter() - t
        cl, one, raw, cl_cpu, raw_cpu = [], [], [], [], []
        r = None
        for _ in range(a.runs):
            t, c0 = time.perf_counter(), time.process_time()
            rr = run_cluster(elf, cores=a.cores, config=cfg)
            dt, dc = time.perf_counter() - t, time.process_time() - c0
            assert rr["exit_code"] == 0, rr["exit_code"]
            assert r is None or rr["cycles"] == r["cycles"], "cycle count differs between rounds"
            r = rr
            cl.append(r["instructions"] / dt / 1e6)
            cl_cpu.append(r["instructions"] / dc / 1e6)
            c = RI5CY(elf1)
            t = time.perf_counter()
            c.run()
            one.append(int(c.counters()["instructions"]) / (time.perf_counter() - t) / 1e6)
            w, c0 = unicorn_mips(pelf, 20_000_000, hook=False)
            raw.append(w)
            raw_cpu.append(c0)
    print(f"gap8 cluster, {a.cores} cores, PULP-NN-style 4x2 matmul loop in TCDM, quantum "
          f"{r['cluster']['quantum']} cycles, I-cache {'on' if a.icache else 'off'} "
          f"({r['cluster']['quanta']} quanta, {r['cluster']['quanta_without_conflict']} of them "
          f"without a bank conflict)")
    macs = 32 * 64 * a.reps * a.cores          # 8 pv.sdotsp.b x 4 MACs x K/4 iterations
    print(f"  instructions {r['instructions']}  cycles {r['cycles']}  MACs {macs}  "
          f"MACs/cycle {macs / r['cycles']:.2f}  icache misses {r['counters']['icache_misses']}")
    print(f"  tcdm_contention stall cycles {r['stalls']['tcdm_contention']} "
          f"(per core {[p['stalls']['tcdm_contention'] for p in r['per_core']]})")
    print(f"  {a.runs} rounds (2-core machine shared with other processes: absolute figures vary "
          f"with its load; ratios are taken in the same round); first run incl. engine load "
          f"{t_setup:.2f} s")
    print(f"  cluster, aggregate simulated MIPS : {spread(cl)}")
    print(f"  raw single-core engine (no access log/arbitration): {spread(one)}")
    print(f"  raw Unicorn RV32, no hooks (bench_ri5cy's plain loop): {spread(raw)}")
    ratios = sorted(x / u for x, u in zip(cl, raw))
    print(f"  ratio cluster / raw Unicorn: best-of-N {max(cl) / max(raw):.2f}, per round median "
          f"{ratios[len(ratios) // 2]:.2f} (range {ratios[0]:.2f}-{ratios[-1]:.2f})")
    print(f"  per CPU-second of this process (time.process_time): cluster {spread(cl_cpu)}, "
          f"raw Unicorn {spread(raw_cpu)} M instructions/CPU-s")
    print(f"  target >= 50 MIPS aggregate (best-of-N): {'met' if max(cl) >= 50 else 'NOT met'}")


if __name__ == "__main__":
    main()
