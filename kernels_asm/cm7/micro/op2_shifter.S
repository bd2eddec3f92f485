@ micro: op2_shifter -- the EX1 operand-2 shifter: two inline-shifted operands never pair, a plain
@ shift in the older slot blocks an inline shift in the younger, the other way round is allowed.
@ Rule (JN "operand2" dual-issue matrix): shift_units 1; a plain shift (LSL/LSR/ASR/ROR) as the
@ older op blocks it.
@ EXPECT_CYCLES_PER_ITER: 5
@   c0: bne | nop
@   c1: add r1, r1, r5, lsl #1       (inline shift)
@   c2: add r2, r2, r5, lsl #2       (not the younger of c1) | lsl r3, r5, #3 (allowed)
@   c3: lsl r4, r5, #4
@   c4: add r6, r6, r5, lsl #1       (not the younger of the plain shift) | subs
@   c5 = next c0                      = 5 cycles/iteration
@ Checksum: r5 = 1: r1 += 2, r2 += 4, r6 += 2 per iteration; result = 8*N + r3 + r4 = 8*N + 24.
#include "micro.h"
MICRO_BEGIN
  movs r1, #0
  movs r2, #0
  movs r6, #0
  movs r5, #1
  ldr r12, =N
1:
  nop
  add r1, r1, r5, lsl #1
  add r2, r2, r5, lsl #2
  lsl r3, r5, #3
  lsl r4, r5, #4
  add r6, r6, r5, lsl #1
  subs r12, r12, #1
  bne 1b
  add r1, r1, r2
  add r1, r1, r6
  add r1, r1, r3
  add r1, r1, r4
MICRO_END(r1)
