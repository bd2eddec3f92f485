@ micro: it_pair -- IT behaves like a predicted not-taken branch: it dual-issues with the next
@ instruction.
@ Rule (JN "branching/cmp": "it instruction behaves similar to predicted not-taken branch");
@ not_taken_branch_pairs = 1. (LM had IT as a 3-cycle single-issue instruction.)
@ EXPECT_CYCLES_PER_ITER: 4
@   c0: bne | nop
@   c1: cmp r1, #0 | add r2
@   c2: it ne | addne r3       (flags of c1 ready at c2)
@   c3: add r4 | subs
@   c4 = next c0                = 4 cycles/iteration
@   (not_taken_branch_pairs = 0: c2 it, c3 addne | add r4, c4 subs: 5 cycles)
@ Checksum: r1 = 1 -> addne always runs: result = r2 + r3 + r4 = 3*N.
#include "micro.h"
MICRO_BEGIN
  movs r1, #1
  movs r2, #0
  movs r3, #0
  movs r4, #0
  ldr r12, =N
1:
  nop
  cmp r1, #0
  add r2, r2, #1
  it ne
  addne r3, r3, #1
  add r4, r4, #1
  subs r12, r12, #1
  bne 1b
  add r2, r2, r3
  add r2, r2, r4
MICRO_END(r2)
