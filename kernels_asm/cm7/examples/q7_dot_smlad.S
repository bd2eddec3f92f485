/* q7_dot_smlad.S - CMSIS-NN style int8 dot product on the Cortex-M7.
 * Inner loop as in arm_nn_mat_mult_kernel_q7_q15_reordered: a 32-bit load of 4 x q7, SXTB16 and
 * SXTB16 ROR #8 to two 2 x int16 registers, SMLAD dual 16x16 MACs (post-indexed LDR).
 * Exits 0 iff the result equals the value computed offline (11392).
 *   isasim build --target cm7 kernels_asm/cm7/examples/q7_dot_smlad.S -o q7.elf
 *   isasim exec q7.elf --target cm7 --json
 */
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
  movs  r2, #0              /* accumulator */
  movs  r3, #16             /* 64 elements, 4 per iteration */
1:
  ldr   r4, [r0], #4
  ldr   r5, [r1], #4
  sxtb16 r6, r4             /* bytes 0,2 of a */
  sxtb16 r7, r5             /* bytes 0,2 of b */
  smlad r2, r6, r7, r2
  sxtb16 r6, r4, ror #8     /* bytes 1,3 of a */
  sxtb16 r7, r5, ror #8
  smlad r2, r6, r7, r2
  subs  r3, r3, #1
  bne   1b
  ldr   r0, =11392
  subs  r0, r2, r0          /* 0 iff correct */
  pop   {r4-r7, pc}
  .pool

  .data
  .align 2
vec_a: .byte -128, -91, -54, -17, 20, 57, 94, -125, -88, -51, -14, 23, 60, 97, -122, -85, -48, -11, 26, 63, 100, -119, -82, -45, -8, 29, 66, 103, -116, -79, -42, -5, 32, 69, 106, -113, -76, -39, -2, 35, 72, 109, -110, -73, -36, 1, 38, 75, 112, -107, -70, -33, 4, 41, 78, 115, -104, -67, -30, 7, 44, 81, 118, -101
vec_b: .byte -123, -112, -101, -90, -79, -68, -57, -46, -35, -24, -13, -2, 9, 20, 31, 42, 53, 64, 75, 86, 97, 108, 119, -126, -115, -104, -93, -82, -71, -60, -49, -38, -27, -16, -5, 6, 17, 28, 39, 50, 61, 72, 83, 94, 105, 116, 127, -118, -107, -96, -85, -74, -63, -52, -41, -30, -19, -8, 3, 14, 25, 36, 47, 58
