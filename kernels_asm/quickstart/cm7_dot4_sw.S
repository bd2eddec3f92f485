/* cm7_dot4_sw.S - int4 dot product on the Cortex-M7 with Armv7E-M only (baseline):
 * SBFX sign-extracts each nibble, MLA accumulates (8 nibbles per packed word). */
/* no "#" before pos: inside a function-like macro "#" would stringize the argument */
#define STEP(pos) sbfx r6, r4, pos, 4 ; sbfx r7, r5, pos, 4 ; mla r2, r6, r7, r2
  .syntax unified
  .thumb
  .text
  .globl main
  .type main, %function
  .thumb_func
main:
  push  {r4-r7, lr}
  ldr   r0, =vec_a
  ldr   r1, =vec_b
  movs  r2, #0
  ldr   r3, =NWORDS
1:
  ldr   r4, [r0], #4
  ldr   r5, [r1], #4
  STEP(0)
  STEP(4)
  STEP(8)
  STEP(12)
  STEP(16)
  STEP(20)
  STEP(24)
  STEP(28)
  subs  r3, r3, #1
  bne   1b
  ldr   r0, =result
  str   r2, [r0]
  movs  r0, #0
  pop   {r4-r7, pc}
  .pool
