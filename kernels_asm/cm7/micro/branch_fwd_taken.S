@ micro: branch_fwd_taken -- a forward conditional branch that is always taken.
@ EXPECT_CYCLES_PER_ITER: 11
@ Static BTFN predictor: forward -> predicted not taken -> mispredicted every iteration; the flags
@ come from the cmp one cycle before the branch, so the penalty is mispredict_penalty (8, JN;
@ 6 only with the flags set >= 3 cycles before):
@   c0: bne | add r1    c1: cmp r2, #0    c2: beq (taken, mispredicted)
@   c10: subs (c2 + 8)  c11 = next c0     = 11 cycles/iteration, 8 branch_mispredict stall cycles
@   (LLVM-model value 7: penalty 4 after the branch cycle)
@ Checksum: the skipped add never runs: result = r1 + r3 = N.
#include "micro.h"
MICRO_BEGIN
  movs r1, #0
  movs r2, #0
  movs r3, #0
  ldr r12, =N
1:
  add r1, r1, #1
  cmp r2, #0
  beq 2f
  add r3, r3, #1
2:
  subs r12, r12, #1
  bne 1b
  add r6, r1, r3
MICRO_END(r6)
data:   .word 0x80FF7F01, 0x12345678, 0x00000000, 0x00000000
