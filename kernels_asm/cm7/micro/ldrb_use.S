@ micro: ldrb_use -- byte loads have latency 2 (JN "loads"; LM M7SlowLoad).
@ EXPECT_CYCLES_PER_ITER: 5
@   c0: bne | ldrb r2
@   c2: add r4, r4, r2 | ldrb r3, [r0, #1]   (r2 ready at c2)
@   c4: add r5, r5, r3 | subs                (r3 ready at c4)
@   c5 = next c0                             = 5 cycles/iteration, 2 load_use stall cycles
@   (1 + 2 * lat_load_subword; LLVM-model value 6)
@ Checksum: bytes 0x01 and 0x7F: result = N*(1 + 127).
#include "micro.h"
MICRO_BEGIN
  ldr r0, =data
  movs r4, #0
  movs r5, #0
  ldr r12, =N
1:
  ldrb r2, [r0]
  add r4, r4, r2
  ldrb r3, [r0, #1]
  add r5, r5, r3
  subs r12, r12, #1
  bne 1b
  add r6, r4, r5
MICRO_END(r6)
data:   .word 0x80FF7F01, 0x12345678, 0x00000000, 0x00000000
