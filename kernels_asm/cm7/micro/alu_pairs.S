@ micro: alu_pairs -- independent ALU instructions dual-issue.
@ EXPECT_CYCLES_PER_ITER: 3
@ Derivation (2 ALUs, 2 issue slots: LM, JN; a branch issues as the older op and a predicted
@ taken branch pairs with the instruction at its target: JN "branching/cmp"):
@   c0: bne | add r1         (backward branch predicted taken by BTFN: no penalty)
@   c1: add r2 | add r3
@   c2: add r4 | subs r12
@   c3 = next c0             = 3 cycles/iteration
@   (taken_branch_pairs = 0: bne alone, 4; predictor not_taken: the back-edge mispredicts with
@   the flags set in the cycle before it: + mispredict_penalty 8 - 0 = 3 + 8 = 11)
@   (LLVM-model value was 3 too: the branch was the younger of subs and closed its cycle)
@ Checksum: result = r1+r2+r3+r4 = 16*N.
#include "micro.h"
MICRO_BEGIN
  movs r1, #0
  movs r2, #0
  movs r3, #0
  movs r4, #0
  ldr r12, =N
1:
  add r1, r1, #1
  add r2, r2, #3
  add r3, r3, #5
  add r4, r4, #7
  subs r12, r12, #1
  bne 1b
  add r1, r1, r2
  add r3, r3, r4
  add r5, r1, r3
MICRO_END(r5)
data:   .word 0x80FF7F01, 0x12345678, 0x00000000, 0x00000000
