/* mm_int2_sw.S - INT-Q arm_nn_mat_mult_kernel_int2_int16_reordered (papers.md §1.3), hand-written:
 * weights packed 16 crumbs per word, unpacked in the loop with SXTB16(ROR(SXTB16(x << s), 6)) chains into
 * (c0,c8) (c1,c9) (c2,c10) (c3,c11) (c4,c12) (c5,c13) (c6,c14) (c7,c15); activations expanded by im2col
 * in the same order. 2 ch x 2 px, 16 columns/iteration: 2 weight loads, 60 unpack ALU
 * (30 per weight word), 16 activation loads, 32 SMLAD (64 MACs), subs+bne = 112. */
#include "mm_common.h"
#define PAIR_S(t, w, s)       lsl t, w, s ; sxtb16 t, t ; ror t, t, #6 ; sxtb16 t, t
#define PAIR_0(t, w)          sxtb16 t, w ; ror t, t, #6 ; sxtb16 t, t
#define PAIR_S_ROR8(t, w, s)  lsl t, w, s ; sxtb16 t, t, ror #8 ; ror t, t, #6 ; sxtb16 t, t
#define PAIR_0_ROR8(t, w)     sxtb16 t, w, ror #8 ; ror t, t, #6 ; sxtb16 t, t
#define MAC4 \
  ldr r11, [r1], #4 ; ldr r12, [r1, #(B2OFF - 4)] ; \
  smlad r3, r9, r11, r3 ; smlad r4, r9, r12, r4 ; smlad r5, r10, r11, r5 ; smlad r6, r10, r12, r6
MM_BEGIN(#(NUMCOL / 16))
1:
  ldr   r7, [r0], #4              /* 16 weights of channel a */
  ldr   r8, [r0, #(ROWB - 4)]     /* 16 weights of channel a+1 */
  PAIR_S(r9, r7, #6)
  PAIR_S(r10, r8, #6)
  MAC4
  PAIR_S(r9, r7, #4)
  PAIR_S(r10, r8, #4)
  MAC4
  PAIR_S(r9, r7, #2)
  PAIR_S(r10, r8, #2)
  MAC4
  PAIR_0(r9, r7)
  PAIR_0(r10, r8)
  MAC4
  PAIR_S_ROR8(r9, r7, #6)
  PAIR_S_ROR8(r10, r8, #6)
  MAC4
  PAIR_S_ROR8(r9, r7, #4)
  PAIR_S_ROR8(r10, r8, #4)
  MAC4
  PAIR_S_ROR8(r9, r7, #2)
  PAIR_S_ROR8(r10, r8, #2)
  MAC4
  PAIR_0_ROR8(r9, r7)
  PAIR_0_ROR8(r10, r8)
  MAC4
  subs  lr, lr, #1
  bne   1b
  MM_END
