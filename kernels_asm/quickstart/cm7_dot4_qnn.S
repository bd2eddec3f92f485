/* cm7_dot4_qnn.S - int4 dot product on the Cortex-M7 with the built-in QNN plug-in
 * (--plugin qnn): qnn.sdot4 is a CDE instruction (cx3a p0) doing 8 signed 4-bit MACs. */
  .syntax unified
  .thumb
  .text
  .globl main
  .type main, %function
  .thumb_func
main:
  push  {r4-r5, lr}
  ldr   r0, =vec_a
  ldr   r1, =vec_b
  movs  r2, #0
  ldr   r3, =NWORDS
1:
  ldr   r4, [r0], #4
  ldr   r5, [r1], #4
  qnn.sdot4 r2, r4, r5
  subs  r3, r3, #1
  bne   1b
  ldr   r0, =result
  str   r2, [r0]
  movs  r0, #0
  pop   {r4-r5, pc}
  .pool
