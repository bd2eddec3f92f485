"""Aggregate simulated MIPS of the GAP-8 cluster model on a PULP-NN-style kernel.

Kernel (written below, built for --target gap8): each core runs the inner loop of a PULP-NN 4x2
MatMul (4 output channels x 2 output pixels, 8 int32 accumulators) over K = 256 int8 inputs, in a
hardware loop with post-increment loads (2 activation words + 4 weight words per iteration) and
8 pv.sdotsp.b; weights are shared by all cores, each core has its own im2col buffer; all data in
TCDM (rows padded by one word so that they start in different banks), so bank contention between
the cores is modelled (cores reading the same weight word in the same cycle do conflict). The loop is repeated REPS times and ends
with a barrier; core 0's exit ends the run.

Prints: aggregate simulated MIPS (all cores' instructions / wall time of the simulation, build
excluded; the first run also loads the compiled engine, so the best of RUNS is reported), cycles,
contention stalls, and the raw single-core engine speed on the same machine for reference.

    python benchmarks/bench_gap8.py [--cores 8] [--reps 1500] [--quantum 256] [--shared-im2col]
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cores", type=int, default=8)
    ap.add_argument("--reps", type=int, default=1500)
    ap.add_argument("--quantum", type=int, default=None)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--shared-im2col", action="store_true",
                    help="all cores read one im2col buffer (a contention-heavy variant)")
    a = ap.parse_args()
    from isasim.toolchain.build import build_elf
    from isasim.platforms.gap8 import run_cluster, ClusterConfig
    from isasim.cores.ri5cy.core import RI5CY
    inc = os.path.join(os.path.dirname(HERE), "kernels_asm", "ri5cy", "include")
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "pulpnn_matmul.S")
        with open(src, "w") as f:
            f.write(KERNEL)
        elf = os.path.join(tmp, "k.elf")
        defs = [f"REPS={a.reps}"] + (["SHARED_IM2COL"] if a.shared_im2col else [])
        build_elf("gap8", [src], elf, include_dirs=[inc], defines=defs)
        cfg = ClusterConfig()
        if a.quantum:
            cfg.quantum = a.quantum
        best = None
        for _ in range(a.runs):
            t = time.perf_counter()
            r = run_cluster(elf, cores=a.cores, config=cfg)
            dt = time.perf_counter() - t
            if best is None or dt < best[0]:
                best = (dt, r)
        dt, r = best
        assert r["exit_code"] == 0, r["exit_code"]
        # reference: the raw engine on one core (no log, no arbitration), same kernel
        elf1 = os.path.join(tmp, "k1.elf")
        build_elf("gap8", [src], elf1, include_dirs=[inc],
                  defines=[f"REPS={a.reps}", "NO_BARRIER"])
        dt1 = None
        for _ in range(a.runs):                 # the first run also loads the engine
            c = RI5CY(elf1)
            t = time.perf_counter()
            c.run()
            d1 = time.perf_counter() - t
            dt1 = d1 if dt1 is None else min(dt1, d1)
        n1 = int(c.counters()["instructions"])
    mips = r["instructions"] / dt / 1e6
    print(f"gap8 cluster, {a.cores} cores, PULP-NN-style 4x2 matmul loop in TCDM, quantum "
          f"{r['cluster']['quantum']} cycles ({r['cluster']['quanta']} quanta, "
          f"{r['cluster']['quanta_without_conflict']} of them without a bank conflict)")
    macs = 32 * 64 * a.reps * a.cores          # 8 pv.sdotsp.b x 4 MACs x K/4 iterations
    print(f"  instructions {r['instructions']}  cycles {r['cycles']}  MACs {macs}  "
          f"MACs/cycle {macs / r['cycles']:.2f}")
    print(f"  tcdm_contention stall cycles {r['stalls']['tcdm_contention']} "
          f"(per core {[p['stalls']['tcdm_contention'] for p in r['per_core']]})")
    print(f"  wall {dt:.3f} s -> aggregate simulated MIPS: {mips:.1f}")
    print(f"  reference: raw single-core engine (no access log/arbitration): "
          f"{n1 / dt1 / 1e6:.1f} MIPS")


if __name__ == "__main__":
    main()
