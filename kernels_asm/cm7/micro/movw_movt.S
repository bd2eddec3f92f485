@ micro: movw_movt -- MOVW + MOVT of the same register dual-issue although MOVT reads it.
@ Rule (JN "overall": "movw + movt pair can dual issue with mutual dependency"): MOVW (a MOV of a
@ constant, older slot) executes in the early ALU and forwards to MOVT in the same cycle
@ (lat_early_alu = 0).
@ EXPECT_CYCLES_PER_ITER: 4
@   c0: bne | nop
@   c1: movw r1 | movt r1
@   c2: movw r2 | movt r2
@   c3: add r3, r1, r2 | subs
@   c4 = next c0              = 4 cycles/iteration 
@   (lat_early_alu = 1: c1 movw r1, c2 movt r1 | movw r2, c3 movt r2, c4 add | subs: 5)
@ Checksum: r3 = 0x12345678 + 0x01020304 each iteration.
#include "micro.h"
MICRO_BEGIN
  ldr r12, =N
1:
  nop
  movw r1, #0x5678
  movt r1, #0x1234
  movw r2, #0x0304
  movt r2, #0x0102
  add r3, r1, r2
  subs r12, r12, #1
  bne 1b
MICRO_END(r3)
