@ micro: ldr_use -- a load feeding an ALU op.
@ EXPECT_CYCLES_PER_ITER: 3
@ Derivation (word load latency 1 to the late ALU: JN, LM; 2 load pipes):
@   c0: bne | ldr r2
@   c1: add r3, r3, r2 | ldr r4, [r0, #4]   (r2 ready at c1)
@   c2: add r5, r5, r4 | subs               (r4 ready at c2)
@   c3 = next c0                            = 3 cycles/iteration (LLVM-model value 4)
@ Checksum: result = N*(0x80FF7F01 + 0x12345678) (mod 2^32).
#include "micro.h"
MICRO_BEGIN
  ldr r0, =data
  movs r3, #0
  movs r5, #0
  ldr r12, =N
1:
  ldr r2, [r0]
  add r3, r3, r2
  ldr r4, [r0, #4]
  add r5, r5, r4
  subs r12, r12, #1
  bne 1b
  add r6, r3, r5
MICRO_END(r6)
data:   .word 0x80FF7F01, 0x12345678, 0x00000000, 0x00000000
