@ micro: branch_fwd_taken -- a forward conditional branch that is always taken.
@ EXPECT_CYCLES_PER_ITER: 7
@ Static BTFN predictor: forward -> predicted not taken -> mispredicted every iteration,
@ LM MispredictPenalty 4 (§2.4):
@   c0: add r1 | cmp r2, #0    c1: beq (taken, mispredicted)    c2..c5: 4 penalty cycles
@   c6: subs | bne             = 7 cycles/iteration, 4 branch_mispredict stall cycles.
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
