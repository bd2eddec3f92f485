/* mm_int4_sw.S - INT-Q arm_nn_mat_mult_kernel_int4_int16_reordered (papers.md §1.3), hand-written:
 * weights stay packed (8 nibbles per word) and are unpacked in the loop with the
 * SXTB16(ROR(SXTB16(x << / ROR), 4)) chains into (n0,n4) (n1,n5) (n2,n6) (n3,n7) int16 pairs;
 * activations were expanded by im2col to int16 in the same order. 2 ch x 2 px, 8 columns/iteration:
 * 2 weight loads, 28 unpack ALU (14 per weight word), 8 activation loads, 16 SMLAD (32 MACs),
 * subs+bne = 56. */
#include "mm_common.h"
/* chain for one weight pair of word w into t: pre = lsl by 4 (or none), sel = ror #8 (or none) */
#define PAIR_LSL_ROR8(t, w)  lsl t, w, #4 ; sxtb16 t, t, ror #8 ; ror t, t, #4 ; sxtb16 t, t
#define PAIR_LSL(t, w)       lsl t, w, #4 ; sxtb16 t, t ; ror t, t, #4 ; sxtb16 t, t
#define PAIR_ROR8(t, w)      sxtb16 t, w, ror #8 ; ror t, t, #4 ; sxtb16 t, t
#define PAIR(t, w)           sxtb16 t, w ; ror t, t, #4 ; sxtb16 t, t
#define MAC4 \
  ldr r11, [r1], #4 ; ldr r12, [r1, #(B2OFF - 4)] ; \
  smlad r3, r9, r11, r3 ; smlad r4, r9, r12, r4 ; smlad r5, r10, r11, r5 ; smlad r6, r10, r12, r6
MM_BEGIN(#(NUMCOL / 8))
1:
  ldr   r7, [r0], #4              /* 8 weights of channel a */
  ldr   r8, [r0, #(ROWB - 4)]     /* 8 weights of channel a+1 */
  PAIR_LSL(r9, r7)                /* (n0, n4) */
  PAIR_LSL(r10, r8)
  MAC4
  PAIR(r9, r7)                    /* (n1, n5) */
  PAIR(r10, r8)
  MAC4
  PAIR_LSL_ROR8(r9, r7)           /* (n2, n6) */
  PAIR_LSL_ROR8(r10, r8)
  MAC4
  PAIR_ROR8(r9, r7)               /* (n3, n7) */
  PAIR_ROR8(r10, r8)
  MAC4
  subs  lr, lr, #1
  bne   1b
  MM_END
