@ micro: branch_fwd_not_taken -- a forward conditional branch that is never taken.
@ EXPECT_CYCLES_PER_ITER: 3
@ Static BTFN predictor (docs/cm7.md): forward -> predicted not taken -> correct, no penalty.
@   c0: add r1 | cmp r2, #0    c1: beq (not taken)    c2: subs | bne
@ (a branch closes its cycle; conditional branches do not wait for the flags, ASSUMPTION)
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
