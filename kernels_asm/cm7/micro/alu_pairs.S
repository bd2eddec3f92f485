@ micro: alu_pairs -- independent ALU instructions dual-issue.
@ EXPECT_CYCLES_PER_ITER: 3
@ Derivation (isa_timing.md §2.2 ALU latency 1, §2.3 rules 1-2: 2 ALUs, 2 issue slots):
@   c0: add r1 | add r2      (independent, 2 ALUs)
@   c1: add r3 | add r4
@   c2: subs r12 | bne       (branch may be the younger of a pair; backward branch predicted
@                             taken by the static BTFN predictor -> no penalty)
@   a branch closes its cycle, so the next iteration starts at c3: 3 cycles/iteration.
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
