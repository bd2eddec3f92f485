@ micro: ldr_unaligned -- unaligned word loads: +3 cycles as the older op, +4 as the younger,
@ -1 when the other load is aligned and targets the bank the unaligned one accesses first.
@ Rules (JN "loads"): unaligned_load_older 3, unaligned_load_younger 4, unaligned_load_relief 1.
@ EXPECT_CYCLES_PER_ITER: 15
@   c0: bne | nop
@   c1: ldr r2, [r0, #1] (unaligned, older) | add r6     next new cycle: c1 + 1 + 3 = c5
@   c5: ldr r3, [r0]     (aligned, bank 0)  | ldr r4, [r0, #5] (unaligned, younger; first bank 1)
@                                                         next: c5 + 1 + 4 = c10
@   c10: ldr r3, [r0, #4] (aligned, bank 1) | ldr r4, [r0, #5] (unaligned, younger, first bank 1:
@                                              the same bank) next: c10 + 1 + 4 - 1 = c14
@   c14: subs
@   c15 = next c0          = 15 cycles/iteration
@ Checksum: data bytes 01 02 03 04 05 06 07 08 09: [r0+1] = 0x05040302, [r0+5] = 0x09080706;
@   result = r2 + r4 + r6 = 0x05040302 + 0x09080706 + N.
#include "micro.h"
MICRO_BEGIN
  ldr r0, =data
  movs r6, #0
  ldr r12, =N
1:
  nop
  ldr r2, [r0, #1]
  add r6, r6, #1
  ldr r3, [r0]
  ldr r4, [r0, #5]
  ldr r3, [r0, #4]
  ldr r4, [r0, #5]
  subs r12, r12, #1
  bne 1b
  add r6, r6, r2
  add r6, r6, r4
MICRO_END(r6)
  .p2align 3
data:   .byte 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12
