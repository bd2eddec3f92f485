@ micro: branch_fwd_not_taken -- a forward conditional branch that is never taken.
@ EXPECT_CYCLES_PER_ITER: 3
@ Static BTFN predictor (docs/cm7.md): forward -> predicted not taken -> correct, no penalty; a
@ not-taken branch dual-issues with the next instruction (JN "branching/cmp").
@   c0: bne | add r1    c1: cmp r2, #0    c2: beq (not taken) | subs    c3 = next c0
@   (not_taken_branch_pairs = 0: beq alone, subs at c3: 4)
@ Checksum: result = r1 = N.
#include "micro.h"
MICRO_BEGIN
  movs r1, #0
  movs r2, #1
  ldr r12, =N
1:
  add r1, r1, #1
  cmp r2, #0
  beq 2f
  subs r12, r12, #1
  bne 1b
2:
MICRO_END(r1)
data:   .word 0x80FF7F01, 0x12345678, 0x00000000, 0x00000000
