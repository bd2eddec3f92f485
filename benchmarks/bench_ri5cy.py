"""RI5CY engine speed: simulated MIPS with the timing model on, next to Unicorn RV32.

Workload: the 8-bit PULP-NN 4x2 matmul inner loop (4 weight rows x 2 activation columns, hardware
loop, post-increment loads, 8 x pv.sdotsp.b per 4 columns: 14 instructions per iteration), repeated
by an outer hardware loop until >= 20 M instructions have run. Unicorn runs the equivalent plain
RV32IM loop (lw + addi instead of post-increment, mul/add instead of dot products: Unicorn has no
XpulpV2) with no hooks and with a per-instruction Python hook, in the same process.

    python benchmarks/bench_ri5cy.py [--instructions 20000000] [--runs 7] [--hooked 2000000]

Each round runs the engine and raw Unicorn once; printed: best / median / worst MIPS of both and
the ratio engine / raw Unicorn (best-of-N and per round), in wall time and per CPU-second of the
process (time.process_time: less sensitive to other jobs on the machine).
"""
import argparse
import os
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

K = 256         # bytes per row: 64 inner iterations of 4 columns

XPULP = r"""
  .section .tcdm, "aw"
  .balign 4
w: .space 4*%(K)d
x: .space 2*%(K)d
  .text
  .globl main
main:
  li    t6, %(OUTER)d
  lp.setup x1, t6, 9f
  la    a0, w
  addi  a1, a0, %(K)d
  addi  a2, a1, %(K)d
  addi  a3, a2, %(K)d
  la    a4, x
  addi  a5, a4, %(K)d
  li    t5, %(INNER)d
  lp.setup x0, t5, 8f
  p.lw  t0, 4(a0!)
  p.lw  t1, 4(a1!)
  p.lw  t2, 4(a2!)
  p.lw  t3, 4(a3!)
  p.lw  t4, 4(a4!)
  p.lw  a6, 4(a5!)
  pv.sdotsp.b s0, t0, t4
  pv.sdotsp.b s1, t1, t4
  pv.sdotsp.b s2, t2, t4
  pv.sdotsp.b s3, t3, t4
  pv.sdotsp.b s4, t0, a6
  pv.sdotsp.b s5, t1, a6
  pv.sdotsp.b s6, t2, a6
8: pv.sdotsp.b s7, t3, a6
9: nop
  li    a0, 0
  ret
"""

PLAIN = r"""
  .data
  .balign 4
w: .space 4*%(K)d
x: .space 2*%(K)d
  .text
  .globl _start
_start:
  li    t6, %(OUTER)d
1:
  la    a0, w
  addi  a1, a0, %(K)d
  addi  a2, a1, %(K)d
  addi  a3, a2, %(K)d
  la    a4, x
  addi  a5, a4, %(K)d
  li    t5, %(INNER)d
2:
  lw    t0, 0(a0)
  lw    t1, 0(a1)
  lw    t2, 0(a2)
  lw    t3, 0(a3)
  lw    t4, 0(a4)
  lw    a6, 0(a5)
  mul   a7, t0, t4
  add   s0, s0, a7
  mul   a7, t1, t4
  add   s1, s1, a7
  mul   a7, t0, a6
  add   s4, s4, a7
  mul   a7, t1, a6
  add   s5, s5, a7
  addi  a0, a0, 4
  addi  a1, a1, 4
  addi  a4, a4, 4
  addi  a5, a5, 4
  addi  t5, t5, -1
  bnez  t5, 2b
  addi  t6, t6, -1
  bnez  t6, 1b
end:
  j end
"""


def spread(xs):
    """best / median / worst of a list of MIPS figures, as text."""
    xs = sorted(xs)
    return f"best {xs[-1]:6.1f}  median {xs[len(xs) // 2]:6.1f}  worst {xs[0]:6.1f}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--instructions", type=int, default=20_000_000)
    ap.add_argument("--runs", type=int, default=7,
                    help="rounds; each runs the engine and raw Unicorn once (the machine is shared: "
                         "best-of-N and the spread are reported)")
    ap.add_argument("--hooked", type=int, default=2_000_000,
                    help="instructions for the per-instruction-hook Unicorn run (slow; 0: skip)")
    a = ap.parse_args()
    from isasim.cores.ri5cy.core import RI5CY
    with tempfile.TemporaryDirectory() as d:
        elf = xpulp_elf(d, a.instructions)
        pelf = plain_elf(d)
        t0 = time.perf_counter()
        core = RI5CY(elf)
        core.step(0)        # loads the compiled engine from numba's cache: start-up, not run time
        t_setup = time.perf_counter() - t0
        eng, raw, eng_cpu, raw_cpu = [], [], [], []
        cycles = None
        for _ in range(a.runs):
            core = RI5CY(elf)
            t0, c0 = time.perf_counter(), time.process_time()
            core.run()
            t_run, c_run = time.perf_counter() - t0, time.process_time() - c0
            cnt = core.counters()
            assert cycles in (None, cnt["cycles"]), "cycle count differs between rounds"
            cycles = cnt["cycles"]
            eng.append(cnt["instructions"] / t_run / 1e6)
            eng_cpu.append(cnt["instructions"] / c_run / 1e6)
            w, c = unicorn_mips(pelf, a.instructions, hook=False)
            raw.append(w)
            raw_cpu.append(c)
        hooked = unicorn_mips(pelf, a.hooked, hook=True)[0] if a.hooked else None
    n = cnt["instructions"]
    print("(2-core machine shared with other processes: absolute figures vary with its load; the "
          "ratio to raw Unicorn is taken in the same round)")
    ratios = sorted(e / r for e, r in zip(eng, raw))
    print(f"RI5CY engine, timing on : {spread(eng)} MIPS  ({n:,} instructions, {cnt['cycles']:,} "
          f"cycles per run, {a.runs} runs; {t_setup:.2f} s start-up incl. engine load)")
    print(f"Unicorn RV32, no hooks  : {spread(raw)} MIPS  (plain RV32IM loop, same rounds)")
    if hooked is not None:
        print(f"Unicorn RV32, code hook : {hooked:6.1f} MIPS  (per-instruction Python hook)")
    print(f"ratio engine / raw Unicorn: best-of-N {max(eng) / max(raw):.3f}, per round median "
          f"{ratios[len(ratios) // 2]:.3f} (range {ratios[0]:.3f}-{ratios[-1]:.3f})")
    print(f"per CPU-second of this process (time.process_time; steadier on a loaded machine): "
          f"engine {spread(eng_cpu)}, raw Unicorn {spread(raw_cpu)} M instructions/CPU-s; ratio "
          f"best-of-N {max(eng_cpu) / max(raw_cpu):.2f}")
    ok = max(eng) >= 100 and max(eng) / max(raw) >= 0.30
    print(f"targets >= 100 MIPS and >= 0.30 x raw Unicorn (best-of-N): {'met' if ok else 'NOT met'}")


def xpulp_elf(d, instructions):
    """Build the XpulpV2 matmul loop (XPULP) for the engine in directory ``d``, with enough outer
    iterations for ``instructions`` instructions; returns the ELF path."""
    from isasim.toolchain.build import build_elf
    inner = K // 4
    outer = instructions // (14 * inner + 10) + 1
    src = os.path.join(d, "mm.S")
    with open(src, "w") as f:
        f.write(XPULP % {"K": K, "INNER": inner, "OUTER": outer})
    return build_elf("ri5cy", [src], os.path.join(d, "mm.elf"))


def plain_elf(d):
    """Build the plain RV32IM loop (PLAIN) for Unicorn in directory ``d``; returns the ELF path."""
    from isasim.toolchain import zig
    psrc = os.path.join(d, "plain.S")
    with open(psrc, "w") as f:
        f.write(PLAIN % {"K": K, "INNER": K // 4, "OUTER": 10 ** 6})
    obj = os.path.join(d, "plain.o")
    zig.cc("rv32", ["-c", psrc, "-o", obj])
    pelf = os.path.join(d, "plain.elf")
    zig.lld(["-T", os.path.join(ROOT, "isasim", "toolchain", "data", "gap8.ld"), obj, "-o", pelf])
    return pelf


def unicorn_mips(elf, count, hook):
    from unicorn import Uc, UC_ARCH_RISCV, UC_MODE_RISCV32, UC_HOOK_CODE
    from isasim.elf import Program
    prog = Program(elf)
    mu = Uc(UC_ARCH_RISCV, UC_MODE_RISCV32)
    mu.mem_map(0x1C000000, 512 * 1024)
    mu.mem_map(0x10000000, 64 * 1024)
    for addr, data, _ in prog.segments:
        mu.mem_write(addr, bytes(data))
    if hook:
        n = [0]

        def cb(uc, addr, size, ud):
            n[0] += 1
        mu.hook_add(UC_HOOK_CODE, cb)
    t0, c0 = time.perf_counter(), time.process_time()
    mu.emu_start(prog.entry, 0xFFFFFFFF, count=count)
    return count / (time.perf_counter() - t0) / 1e6, count / (time.process_time() - c0) / 1e6


if __name__ == "__main__":
    main()
