/* mm_int4_unpk4.S - INT4 SMLAD kernel with the QNN unpack helper (plugins: [qnn]): weights stay packed
 * and qnn.unpk4 turns 4 nibbles into two registers of 2 x int16 in natural order (n0,n1),(n2,n3);
 * im2col expanded the activations with qnn.unpk4 too. 2 ch x 2 px, 8 columns per iteration.
 * Register pressure (4 accumulators, 2 pointers, counter, two unpacked pairs, two activation
 * registers = 14) leaves no register to keep the raw weight words across the two halves, so they
 * are re-loaded: 4 weight loads, 4 qnn.unpk4, 8 activation loads, 16 SMLAD (32 MACs), subs+bne = 34. */
#include "mm_common.h"
#define MAC4(wa, wb) \
  ldr r7, [r1], #4 ; ldr r12, [r1, #(B2OFF - 4)] ; \
  smlad r3, wa, r7, r3 ; smlad r4, wa, r12, r4 ; smlad r5, wb, r7, r5 ; smlad r6, wb, r12, r6
MM_BEGIN(#(NUMCOL / 8))
1:
  ldr   r7, [r0], #4              /* 8 weights of channel a */
  ldr   r12, [r0, #(ROWB - 4)]    /* 8 weights of channel a+1 */
  qnn.unpk4 r8, r7, #0            /* r8 = (n0,n1), r9 = (n2,n3) of channel a */
  qnn.unpk4 r10, r12, #0          /* r10, r11: channel a+1 */
  MAC4(r8, r10)
  MAC4(r9, r11)
  ldr   r7, [r0, #-4]             /* re-load the packed words for the high halves */
  ldr   r12, [r0, #(ROWB - 4)]
  qnn.unpk4 r8, r7, #1            /* (n4,n5), (n6,n7) */
  qnn.unpk4 r10, r12, #1
  MAC4(r8, r10)
  MAC4(r9, r11)
  subs  lr, lr, #1
  bne   1b
  MM_END
