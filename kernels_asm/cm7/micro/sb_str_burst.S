@ micro: sb_str_burst -- a short burst of unaligned word stores goes into the store buffer without
@ stalling the pipeline (JN "stores": no stalls until the 5-entry buffer clogs up).
@ Rule: sb_entries 5 (a store enters when fewer than sb_entries earlier ones are still doing
@ their read-modify-write, sb_rmw_cycles 4 on both banks each).
@ EXPECT_CYCLES_PER_ITER: 26
@   c0: bne | str #1           (the taken back-edge pairs with the first store)
@   c1..c5: str #2..#6         (two stores never pair)
@   c5: str #6 | nop #1
@   c6..c24: nop #2..#39, two per cycle
@   c25: nop #40 | subs
@   c26 = next c0               = 26 cycles/iteration
@   Buffer: store k starts its read-modify-write at 4k (both banks, 4 cycles each); when store #6
@   enters at c5 the stores done at 8, 12, 16, 20 are still busy: 4 < 5 entries, no stall, and
@   all are done (c24) before the next burst.
@ Checksum: result = the word at buf+1 = 0x12345678.
#include "micro.h"
MICRO_BEGIN
  ldr r0, =buf
  ldr r1, =0x12345678
  ldr r12, =N
1:
  str r1, [r0, #1]
  str r1, [r0, #1]
  str r1, [r0, #1]
  str r1, [r0, #1]
  str r1, [r0, #1]
  str r1, [r0, #1]
  .rept 40
  nop
  .endr
  subs r12, r12, #1
  bne 1b
  ldr r2, [r0, #1]
MICRO_END(r2)
  .pool
  .p2align 3
buf:    .word 0, 0
