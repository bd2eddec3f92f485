/* Harness shared by the Cortex-M7 microbenchmarks (see each .S for the kernel and its expected
 * cycles per iteration): MICRO_BEGIN opens main() and saves r4-r11; MICRO_END(reg) stores the
 * result register to `result` (compared with a Python-computed checksum) and returns 0. */
#define MICRO_BEGIN .syntax unified ; .thumb ; .text ; .globl main ; .type main, %function ; \
  .thumb_func ; main: push {r4-r11, lr}
#define MICRO_END(reg) ldr r0, =result ; str reg, [r0] ; movs r0, #0 ; pop {r4-r11, pc} ; \
  .pool ; .data ; .p2align 2 ; .globl result ; result: .word 0
/* MICRO_SUM_WORDS n: r2 = the sum of the n words at [r0] (the store microbenchmarks' checksum of
 * their buffer; uses r3). */
  .macro MICRO_SUM_WORDS n
  ldr r2, [r0]
  .set micro_off, 4
  .rept \n - 1
  ldr r3, [r0, #micro_off]
  add r2, r2, r3
  .set micro_off, micro_off + 4
  .endr
  .endm
