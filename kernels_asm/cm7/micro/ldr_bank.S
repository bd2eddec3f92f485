@ micro: ldr_bank -- two loads dual-issue only if they access different banks (even/odd word).
@ Rule (JN "loads"): load_bank_conflict = 1; bank = address bit 2.
@ EXPECT_CYCLES_PER_ITER: 4
@   c0: bne | nop
@   c1: ldr r2, [r0]          (bank 0)
@   c2: ldr r3, [r0, #8]      (bank 0 again: may not be the younger of c1)
@       | ldr r4, [r0, #12]   (bank 1: pairs)
@   c3: subs
@   c4 = next c0               = 4 cycles/iteration (load_bank_conflict = 0: 3)
@ Checksum: result = N*(1 + 2 + 3).
#include "micro.h"
MICRO_BEGIN
  ldr r0, =data
  movs r5, #0
  ldr r12, =N
1:
  nop
  ldr r2, [r0]
  ldr r3, [r0, #8]
  ldr r4, [r0, #12]
  subs r12, r12, #1
  bne 1b
  add r5, r2, r3
  add r5, r5, r4
  ldr r0, =N
  mul r5, r5, r0
MICRO_END(r5)
  .p2align 3
data:   .word 1, 0, 2, 3
