@ micro: mac_store -- MUL/MAC never dual-issue with a store.
@ Rule (JN "multiplication, MAC": "can't dual issue with stores"): mac_store_pair = 0.
@ EXPECT_CYCLES_PER_ITER: 5
@   c0: bne | nop
@   c1: smlad r6            (the str may not be its younger)
@   c2: str r4, [r0]        (the next smlad may not be its younger)
@   c3: smlad r7
@   c4: str r4, [r0, #4] | subs
@   c5 = next c0             = 5 cycles/iteration
@   (mac_store_pair = 1: c1 smlad | str, c2 smlad | str, c3 subs, c4 = next c0: 4 cycles)
@ Checksum: r6 = r7 = N*(3*2): result = 12*N.
#include "micro.h"
MICRO_BEGIN
  ldr r0, =buf
  movs r2, #3
  movs r3, #2
  movs r4, #0
  movs r6, #0
  movs r7, #0
  ldr r12, =N
1:
  nop
  smlad r6, r2, r3, r6
  str r4, [r0]
  smlad r7, r2, r3, r7
  str r4, [r0, #4]
  subs r12, r12, #1
  bne 1b
  add r6, r6, r7
MICRO_END(r6)
  .p2align 3
buf:    .word 0, 0
