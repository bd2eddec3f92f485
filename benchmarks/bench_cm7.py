"""Speed of the Cortex-M7 core on a CMSIS-NN style q7 matmul inner loop.

Prints MIPS for (1) raw Unicorn, no hooks; (2) Unicorn with a per-instruction Python hook
(UC_HOOK_CODE, trivial body); (3) isasim cm7 with the cycle model on (block path). Same ELF, one run.

The kernel follows arm_nn_mat_mult_kernel_s8_s16: 2 rows x 2 columns per iteration; q7 weights
loaded 4 at a time with post-indexed LDR and unpacked with SXTB16 / SXTB16 ROR #8, q15 inputs
loaded with post-indexed LDR, 8 SMLADs into 4 accumulators.

Usage: python benchmarks/bench_cm7.py [iterations]   (default 16000 -> ~6.2 M instructions)
"""
import os
import sys
import tempfile
import time

from unicorn import unicorn_const as UC
from unicorn import arm_const as ARM

from isasim.cores.cm7.core import Cm7Core
from isasim.toolchain.build import build_elf

KERNEL = r"""
  .syntax unified
  .thumb
  .text
  .globl main
  .thumb_func
main:
  push {r4-r11, lr}
  ldr lr, =ITER
  movs r8, #0
  movs r9, #0
  movs r10, #0
  movs r11, #0
outer:
  ldr r0, =wa            @ row A weights (q7)
  ldr r1, =wb            @ row B weights (q7)
  ldr r2, =ia            @ column A inputs (q15)
  ldr r3, =ib            @ column B inputs (q15)
  movs r12, #16
inner:
  ldr r4, [r0], #4       @ 4 q7 weights, row A
  sxtb16 r5, r4, ror #8
  sxtb16 r4, r4
  ldr r6, [r2], #4       @ 2 q15 inputs, column A
  ldr r7, [r3], #4       @ 2 q15 inputs, column B
  smlad r8, r4, r6, r8
  smlad r9, r4, r7, r9
  ldr r6, [r2], #4
  ldr r7, [r3], #4
  smlad r8, r5, r6, r8
  smlad r9, r5, r7, r9
  ldr r4, [r1], #4       @ 4 q7 weights, row B
  sxtb16 r5, r4, ror #8
  sxtb16 r4, r4
  ldr r6, [r2, #-8]
  ldr r7, [r3, #-8]
  smlad r10, r4, r6, r10
  smlad r11, r4, r7, r11
  ldr r6, [r2, #-4]
  ldr r7, [r3, #-4]
  smlad r10, r5, r6, r10
  smlad r11, r5, r7, r11
  subs r12, r12, #1
  bne inner
  subs lr, lr, #1
  bne outer
  add r0, r8, r9
  add r0, r0, r10
  add r0, r0, r11
  ldr r1, =result
  str r0, [r1]
  movs r0, #0
  pop {r4-r11, pc}
  .pool
  .data
  .globl result
result: .word 0
wa: .fill 16, 4, 0x01FF7F80
wb: .fill 16, 4, 0x02FE0304
ia: .fill 32, 4, 0x0003FFFE
ib: .fill 32, 4, 0x00050007
"""


def _raw(elf, per_insn_hook):
    core = Cm7Core(elf)                       # loads the ELF into a Cortex-M7 Unicorn instance
    uc = core.uc
    n = [0]

    def intr(uc, intno, ud):                  # only the exit bkpt is expected
        uc.emu_stop()
    uc.hook_add(UC.UC_HOOK_INTR, intr)
    if per_insn_hook:
        def code(uc, a, s, ud):
            n[0] += 1
        uc.hook_add(UC.UC_HOOK_CODE, code)
    t = time.perf_counter()
    uc.emu_start(core.symbols["_start"] | 1, 0xFFFFFFFE)
    dt = time.perf_counter() - t
    return dt, core.read_symbol_u32("result")


def main(iters=16000):
    with tempfile.TemporaryDirectory() as d:
        src = os.path.join(d, "k.S")
        with open(src, "w") as f:
            f.write(KERNEL)
        elf = os.path.join(d, "k.elf")
        build_elf("cm7", [src], elf, defines=[f"ITER={iters}"])
        t = time.perf_counter()
        core = Cm7Core(elf)
        core.run()
        dt_model = time.perf_counter() - t
        r = {"instructions": core.instructions, "cycles": core.cycles, "dual_issued": core.dual_issued}
        ninsn = r["instructions"]
        dt_raw, res_raw = _raw(elf, False)
        dt_hook, res_hook = _raw(elf, True)
        print(f"kernel: q7 matmul 2x2 inner loop (LDR post-index, SXTB16, SMLAD), "
              f"{ninsn} instructions, {r['cycles']} cycles (IPC {ninsn / r['cycles']:.2f}), "
              f"dual-issued pairs {r['dual_issued']}")
        print(f"raw unicorn (no hooks)          : {ninsn / dt_raw / 1e6:8.1f} MIPS  ({dt_raw:.3f} s)")
        print(f"unicorn + per-instruction hook  : {ninsn / dt_hook / 1e6:8.1f} MIPS  ({dt_hook:.3f} s)")
        print(f"isasim cm7, cycle model on      : {ninsn / dt_model / 1e6:8.1f} MIPS  ({dt_model:.3f} s, "
              "includes ELF load and model setup)")
        assert res_raw == res_hook == core.read_symbol_u32("result"), "architectural results differ"
        return ninsn / dt_model / 1e6


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 16000)
