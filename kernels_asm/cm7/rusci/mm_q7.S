/* mm_q7.S - CMSIS-NN arm_nn_mat_mult_kernel_q7_q15_reordered (papers.md §4.1), hand-written:
 * 2 output channels x 2 pixels, 4 columns per iteration. Weights: q7, natural order, read_and_pad_reordered
 * = SXTB16 ROR#8 / SXTB16; activations: im2col q15 in the reordered (a0,a2),(a1,a3) order.
 * Per iteration: 2 weight loads, 4 SXTB16, 4 activation loads, 8 SMLAD (16 MACs), subs+bne = 20. */
#include "mm_common.h"
MM_BEGIN(#(NUMCOL / 4))
1:
  ldr   r7, [r0], #4              /* 4 weights of channel a */
  ldr   r8, [r0, #(ROWB - 4)]     /* 4 weights of channel a+1 */
  sxtb16 r9, r7, ror #8           /* (w1, w3) */
  sxtb16 r7, r7                   /* (w0, w2) */
  sxtb16 r10, r8, ror #8
  sxtb16 r8, r8
  ldr   r11, [r1], #4             /* pixel 0: (x0, x2) */
  ldr   r12, [r1, #(B2OFF - 4)]   /* pixel 1: (x0, x2) */
  smlad r3, r7, r11, r3
  smlad r4, r7, r12, r4
  smlad r5, r8, r11, r5
  smlad r6, r8, r12, r6
  ldr   r11, [r1], #4             /* (x1, x3) */
  ldr   r12, [r1, #(B2OFF - 4)]
  smlad r3, r9, r11, r3
  smlad r4, r9, r12, r4
  smlad r5, r10, r11, r5
  smlad r6, r10, r12, r6
  subs  lr, lr, #1
  bne   1b
  MM_END
