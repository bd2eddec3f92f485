@ micro: ldrd -- LDRD is single-issue (§2.2 row LDRD, §2.3 rule 5), latency 1 for both registers.
@ EXPECT_CYCLES_PER_ITER: 3
@   c0: ldrd r2, r3            (pairs with nothing)
@   c1: add r4 | add r5        (both loaded registers ready at c1)
@   c2: subs | bne
@ Checksum: result = N*(0x80FF7F01 + 0x12345678) (mod 2^32).
#include "micro.h"
MICRO_BEGIN
  ldr r0, =data
  movs r4, #0
  movs r5, #0
  ldr r12, =N
1:
  ldrd r2, r3, [r0]
  add r4, r4, r2
  add r5, r5, r3
  subs r12, r12, #1
  bne 1b
  add r6, r4, r5
MICRO_END(r6)
data:   .word 0x80FF7F01, 0x12345678, 0x00000000, 0x00000000
