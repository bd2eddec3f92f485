@ micro: mul_chain -- dependent MULs: latency 2 (JN; LM WriteMUL32), 1 MAC unit.
@ EXPECT_CYCLES_PER_ITER: 4
@   c0: mul r1, r1, r2
@   c2: mul r1, r1, r2 | subs      (waits for r1: ready at c0 + 2)
@   c3: bne
@   c4 = next c0 (the mul at the target waits for r1 until c4: 2 * lat_mul)
@ Checksum: r1 starts at 1, r2 = 3: result = 3^(2N) mod 2^32.
#include "micro.h"
MICRO_BEGIN
  movs r1, #1
  movs r2, #3
  ldr r12, =N
1:
  mul r1, r1, r2
  mul r1, r1, r2
  subs r12, r12, #1
  bne 1b
MICRO_END(r1)
data:   .word 0x80FF7F01, 0x12345678, 0x00000000, 0x00000000
