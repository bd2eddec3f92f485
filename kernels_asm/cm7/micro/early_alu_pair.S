@ micro: early_alu_pair -- a dependent ADD pair dual-issues (early ALU -> late ALU in 0 cycles).
@ Rule (JN "overall"): ADD/SUB/MOV with simple operands in the older slot execute in the early ALU
@ when their inputs are ready for it, and forward to a late consumer in the same cycle
@ (lat_early_alu = 0); a late-ALU result reaches an early consumer two cycles later.
@ EXPECT_CYCLES_PER_ITER: 4
@   c0: bne | nop                (the taken back-edge pairs with the instruction at its target)
@   c1: add r1 (older, early)   | add r2, r1 (younger, reads r1 in the same cycle)
@   c2: add r3, r2 (older; r2 from the late ALU is not ready for the early ALU: runs late)
@   c3: add r4, r3              | subs
@   c0 again: bne | nop          = 4 cycles/iteration
@   (lat_early_alu = 1: add r2 waits to c2, add r3 to c3, add r4 + subs c4: 5 cycles)
@ Checksum: r1 = N, r2 = N+1, r3 = N+2, r4 = N+3 at the end: result = 4*N + 6.
#include "micro.h"
MICRO_BEGIN
  movs r1, #0
  ldr r12, =N
1:
  nop
  add r1, r1, #1
  add r2, r1, #1
  add r3, r2, #1
  add r4, r3, #1
  subs r12, r12, #1
  bne 1b
  add r5, r1, r2
  add r5, r5, r3
  add r5, r5, r4
MICRO_END(r5)
