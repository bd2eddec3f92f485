/* mm_int4_sdot4.S - the sdot4 kernel rewritten with the QNN plug-in (plugins: [qnn]): weights AND activations
 * stay packed (4-bit, 8 per word; im2col copies packed words), 2 ch x 2 px, one packed word
 * (8 columns) per iteration: 4 loads, 4 qnn.sdot4 (8 x 4 MACs), subs+bne = 10 instructions. */
#include "mm_common.h"
MM_BEGIN(#(NUMCOL / 8))
1:
  ldr   r7, [r0], #4              /* channel a */
  ldr   r8, [r0, #(ROWB - 4)]     /* channel a+1 */
  ldr   r11, [r1], #4             /* pixel 0 */
  ldr   r12, [r1, #(B2OFF - 4)]   /* pixel 1 */
  qnn.sdot4 r3, r7, r11
  qnn.sdot4 r4, r7, r12
  qnn.sdot4 r5, r8, r11
  qnn.sdot4 r6, r8, r12
  subs  lr, lr, #1
  bne   1b
  MM_END
