"""Speed of the Cortex-M7 core on a CMSIS-NN style q7 matmul inner loop, and on a kernel in which a
quarter of the executed instructions are plug-in instructions.

Prints MIPS, in one run, for (1) raw Unicorn, no hooks; (2) Unicorn with a per-instruction Python
hook (UC_HOOK_CODE, trivial body); (3) isasim cm7 with the cycle model on (block path), all in TCM
(code in ITCM, data in DTCM); (4) isasim with code and weights in flash through the L1 caches
(the default operating point's placement), with raw Unicorn on that ELF and the ratios. Then the
plug-in kernel (2 qnn.sdot4 in an 8-instruction loop) with the compiled trap handlers
(``plug-in kernel: X MIPS``) and with the Python trap handlers (what every trap cost before).
The compiled hooks are loaded (numba) before anything is timed.

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


# the same kernel as the papers' group ran it (cm7_measured.md §3): code and weights in flash
# through the caches (the default operating point's placement), inputs in DTCM
FLASH_KERNEL = KERNEL.replace("""wa: .fill 16, 4, 0x01FF7F80
wb: .fill 16, 4, 0x02FE0304""", "").replace("""ib: .fill 32, 4, 0x00050007
""", """ib: .fill 32, 4, 0x00050007
  .section .weights, "a"
wa: .fill 16, 4, 0x01FF7F80
wb: .fill 16, 4, 0x02FE0304
""")

PLUGIN_KERNEL = r"""
  .syntax unified
  .thumb
  .text
  .globl main
  .thumb_func
main:
  push {r4-r8, lr}
  ldr lr, =ITER
  movs r2, #0
  movs r8, #0
outer:
  ldr r0, =va
  ldr r1, =vb
  qnn.sdot4 r2, r0, r1
  qnn.sdot4 r8, r1, r0
  movs r3, #32
inner:                      @ 8 instructions, 2 of them plug-in instructions (25 %)
  ldr r4, [r0], #4
  ldr r5, [r1], #4
  qnn.sdot4 r2, r4, r5
  ldr r6, [r0], #4
  ldr r7, [r1], #4
  qnn.sdot4 r8, r6, r7
  subs r3, r3, #1
  bne inner
  subs lr, lr, #1
  bne outer
  add r0, r2, r8
  ldr r1, =result
  str r0, [r1]
  movs r0, #0
  pop {r4-r8, pc}
  .pool
  .data
  .globl result
result: .word 0
va: .fill 64, 4, 0x12345678
vb: .fill 64, 4, 0x9ABCDEF1
"""


def plugin_kernel(d, iters=5000, python_iters=150, memory=None):
    """MIPS of the plug-in kernel with the compiled trap handlers and with the Python ones (built
    all-TCM unless ``memory`` says otherwise)."""
    memory = memory or {"code": "itcm"}
    from isasim.platforms import stm32h7
    out = {}
    src = os.path.join(d, "p.S")
    with open(src, "w") as f:
        f.write(PLUGIN_KERNEL)
    for native, n in ((True, iters), (False, python_iters)):
        elf = os.path.join(d, f"p{n}.elf")
        build_elf("cm7", [src], elf, defines=[f"ITER={n}"], plugins=["qnn"], memory=memory)
        warm = os.path.join(d, "p_warm.elf")    # loads the compiled handlers (numba) before timing
        build_elf("cm7", [src], warm, defines=["ITER=1"], plugins=["qnn"], memory=memory)
        stm32h7.run(warm, plugins=["qnn"], native_traps=native)
        t = time.perf_counter()
        r = stm32h7.run(elf, plugins=["qnn"], native_traps=native, read_symbols={"result": 4})
        dt = time.perf_counter() - t
        share = r["plugin_counts"]["qnn.sdot4"] / r["instructions"]
        out[native] = (r["instructions"] / dt / 1e6, dt, r["instructions"], share, r["cycles"],
                       r["memory"]["result"])
    return out


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


def _model(elf):
    t = time.perf_counter()
    core = Cm7Core(elf, memory=None)
    core.run()
    return time.perf_counter() - t, core


def main(iters=16000):
    with tempfile.TemporaryDirectory() as d:
        src = os.path.join(d, "k.S")
        with open(src, "w") as f:
            f.write(KERNEL)
        fsrc = os.path.join(d, "f.S")
        with open(fsrc, "w") as f:
            f.write(FLASH_KERNEL)
        elf = os.path.join(d, "k.elf")
        build_elf("cm7", [src], elf, defines=[f"ITER={iters}"], memory={"code": "itcm"})
        felf = os.path.join(d, "f.elf")
        build_elf("cm7", [fsrc], felf, defines=[f"ITER={iters}"])
        warm = os.path.join(d, "w.elf")
        build_elf("cm7", [src], warm, defines=["ITER=1"])
        _model(warm)                              # load the compiled hooks before timing
        dt_model, core = _model(elf)
        ninsn = core.instructions
        dt_raw, res_raw = _raw(elf, False)
        dt_hook, res_hook = _raw(elf, True)
        print(f"kernel: q7 matmul 2x2 inner loop (LDR post-index, SXTB16, SMLAD), "
              f"{ninsn} instructions, {core.cycles} cycles (IPC {ninsn / core.cycles:.2f}), "
              f"dual-issued pairs {core.dual_issued}")
        mips_raw, mips_tcm = ninsn / dt_raw / 1e6, ninsn / dt_model / 1e6
        print(f"raw unicorn (no hooks)          : {mips_raw:8.1f} MIPS  ({dt_raw:.3f} s)")
        print(f"unicorn + per-instruction hook  : {ninsn / dt_hook / 1e6:8.1f} MIPS  ({dt_hook:.3f} s)")
        print(f"isasim cm7, TCM only            : {mips_tcm:8.1f} MIPS  ({dt_model:.3f} s, "
              f"includes ELF load and model setup; {mips_tcm / mips_raw:.3f} x raw)")
        assert res_raw == res_hook == core.read_symbol_u32("result"), "architectural results differ"
        dt_f, fcore = _model(felf)
        dt_fraw, fres_raw = _raw(felf, False)
        n_f = fcore.instructions
        mips_fraw, mips_f = n_f / dt_fraw / 1e6, n_f / dt_f / 1e6
        c = fcore.counters
        print(f"raw unicorn, flash ELF          : {mips_fraw:8.1f} MIPS  ({dt_fraw:.3f} s)")
        print(f"isasim cm7, flash + caches      : {mips_f:8.1f} MIPS  ({dt_f:.3f} s; "
              f"{mips_f / mips_fraw:.3f} x raw; {fcore.cycles} cycles, "
              f"{fcore.mem_stall_cycles} memory stall cycles, I-cache {c['icache_hits']} hits / "
              f"{c['icache_misses']} misses, D-cache {c['dcache_hits']} / {c['dcache_misses']})")
        assert fres_raw == fcore.read_symbol_u32("result") == res_raw, "architectural results differ"
        pk = plugin_kernel(d)
        mips, dt, n, share, cyc, _ = pk[True]
        print(f"plug-in kernel: {mips:.1f} MIPS  ({n} instructions, {100 * share:.0f} % plug-in "
              f"instructions, {cyc} cycles, {dt:.3f} s, compiled trap handlers, all in TCM)")
        mips_fl, dt_fl, _, _, cyc_fl, _ = plugin_kernel(d, memory={"code": "flash"}, python_iters=1)[True]
        print(f"plug-in kernel, code in flash + caches: {mips_fl:.1f} MIPS  ({cyc_fl} cycles, "
              f"{dt_fl:.3f} s)")
        mips_py, dt_py, n_py, _, _, _ = pk[False]
        print(f"plug-in kernel, Python trap handlers: {mips_py:.2f} MIPS  ({n_py} instructions, "
              f"{dt_py:.3f} s, {dt_py / (n_py * share) * 1e6:.1f} us per plug-in instruction)")
        return mips_tcm


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 16000)
