/* mm_bin_sw.S - INT-Q arm_nn_mat_mult_kernel_BIN_reordered (papers.md §1.3), hand-written:
 * 1 output channel x 2 pixels, 32 channels (one packed word) per iteration; acc += popcount(~(x ^ w))
 * with the classic bit-twiddling popcount (Armv7E-M has no popcount instruction).
 * Per iteration: 3 loads, 2 x (EOR, MVN, 11-instruction popcount incl. the accumulate), subs+bne = 31.
 * Only acc[0], acc[1] are used (ch a / px 0, ch a / px 1). */
#include "mm_common.h"
/* v: value (destroyed), t: temp, acc: accumulator; r2 holds 0x01010101 */
#define POPCNT_ACC(acc, v, t) \
  lsr t, v, #1 ; and t, t, #0x55555555 ; sub v, v, t ; \
  and t, v, #0x33333333 ; lsr v, v, #2 ; and v, v, #0x33333333 ; add v, v, t ; \
  add v, v, v, lsr #4 ; and v, v, #0x0F0F0F0F ; \
  mul v, v, r2 ; add acc, acc, v, lsr #24
  .globl mm_kernel
  .type mm_kernel, %function
  .thumb_func
mm_kernel:
  push  {r2, r4-r11, lr}
  ldm   r2, {r3-r4}
  mov   r2, #0x01010101
  movw  lr, #(NUMCOL / 32)
1:
  ldr   r7, [r0], #4              /* 32 binary weights */
  ldr   r8, [r1], #4              /* pixel 0 */
  ldr   r9, [r1, #(B2OFF - 4)]    /* pixel 1 */
  eor   r8, r8, r7
  mvn   r8, r8
  POPCNT_ACC(r3, r8, r10)
  eor   r9, r9, r7
  mvn   r9, r9
  POPCNT_ACC(r4, r9, r11)
  subs  lr, lr, #1
  bne   1b
  ldr   r2, [sp]
  stm   r2, {r3-r4}
  pop   {r2, r4-r11, pc}
