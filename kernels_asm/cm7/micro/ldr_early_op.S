@ micro: ldr_early_op -- a word load is not consumable in the next cycle by an instruction that
@ reads one of its operands early, even in its late operand.
@ Rule (JN "loads": "except instructions that consume one of the operands in early ALU (e.g.
@ inline shifted operand2 shift or uxtab)"): early_op_load_extra 1.
@ EXPECT_CYCLES_PER_ITER: 4
@   c0: bne | nop
@   c1: ldr r2, [r0]
@   c3: add r3, r2, r4, lsl #1   (r2 is its late operand, but r4 is read early: r2 usable at
@                                 c2 + 1 = c3)
@       | subs
@   c4 = next c0                  = 4 cycles/iteration (early_op_load_extra = 0: 3)
@ Checksum: r3 = 5 + 2*3 each iteration.
#include "micro.h"
MICRO_BEGIN
  ldr r0, =data
  movs r4, #3
  ldr r12, =N
1:
  nop
  ldr r2, [r0]
  add r3, r2, r4, lsl #1
  subs r12, r12, #1
  bne 1b
MICRO_END(r3)
  .p2align 3
data:   .word 5
