@ micro: ldrd -- LDRD is single-issue (JN "load/store pair/multiple"; LM), latency 1.
@ EXPECT_CYCLES_PER_ITER: 4
@   c0: ldrd r2, r3            (pairs with nothing, not even with the branch before it)
@   c1: add r4 | add r5        (both loaded registers ready at c1)
@   c2: subs                   (a branch is never the younger op)
@   c3: bne
@   c4 = next c0 (LLVM-model value 3: subs | bne paired)
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
