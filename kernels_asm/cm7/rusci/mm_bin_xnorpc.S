/* mm_bin_xnorpc.S - the xnorpc kernel rewritten with the QNN plug-in (plugins: [qnn]): weights AND activations
 * stay packed (1-bit, 32 per word; im2col copies packed words), 2 ch x 2 px, one packed word
 * (32 columns) per iteration: 4 loads, 4 qnn.xnorpc (32 x 4 MACs), subs+bne = 10 instructions. */
#include "mm_common.h"
MM_BEGIN(#(NUMCOL / 32))
1:
  ldr   r7, [r0], #4              /* channel a */
  ldr   r8, [r0, #(ROWB - 4)]     /* channel a+1 */
  ldr   r11, [r1], #4             /* pixel 0 */
  ldr   r12, [r1, #(B2OFF - 4)]   /* pixel 1 */
  qnn.xnorpc r3, r7, r11
  qnn.xnorpc r4, r7, r12
  qnn.xnorpc r5, r8, r11
  qnn.xnorpc r6, r8, r12
  subs  lr, lr, #1
  bne   1b
  MM_END
