@ micro: branch_flags_early -- a mispredicted branch whose flags were set >= 3 cycles before it
@ costs 6 cycles, not 8.
@ Rule (JN "branching/cmp"): mispredict_penalty 8, mispredict_penalty_early_flags 6 when the
@ flag-setting instruction issued at least flags_early_cycles (3) cycles before the branch.
@ EXPECT_CYCLES_PER_ITER: 11
@   c0: bne | nop
@   c1: cmp r2, #0 | add r1             (flags set at c1)
@   c2: add r4 | add r5
@   c3: add r6 | add r7
@   c4: beq 2f (forward: predicted not taken; taken: mispredicted, 4 - 1 = 3 >= 3 -> 6 cycles)
@   c10: subs                          (c4 + 6)
@   c11 = next c0                       = 11 cycles/iteration
@   (branch_fwd_taken: flags set in the cycle before the branch -> 8 cycles)
@ Checksum: result = r1 + r4 + r5 + r6 + r7 = 5*N (the skipped add r3 never runs).
#include "micro.h"
MICRO_BEGIN
  movs r1, #0
  movs r2, #0
  movs r3, #0
  movs r4, #0
  movs r5, #0
  movs r6, #0
  movs r7, #0
  ldr r12, =N
1:
  nop
  cmp r2, #0
  add r1, r1, #1
  add r4, r4, #1
  add r5, r5, #1
  add r6, r6, #1
  add r7, r7, #1
  beq 2f
  add r3, r3, #1
2:
  subs r12, r12, #1
  bne 1b
  add r1, r1, r3
  add r1, r1, r4
  add r1, r1, r5
  add r1, r1, r6
  add r1, r1, r7
MICRO_END(r1)
