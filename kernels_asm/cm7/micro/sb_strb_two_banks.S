@ micro: sb_strb_two_banks -- byte stores alternating between the even and the odd bank.
@ Rule (JN "stores": 2 cycles per store alternating banks): each bank does one read-modify-write
@ per sb_rmw_cycles (4), the two banks work in parallel.
@ EXPECT_CYCLES_PER_ITER: 16
@   8 STRB per iteration, 4 per bank: 4 * sb_rmw_cycles = 16 cycles/iteration.
@ Checksum: result = word 0 + word 1 = 0xFF + 0x01 (the last r12 stored is 1).
@ MEASURED_CYCLES_PER_ITER: 16 (JN "stores": 2 cycles per STRB alternating banks; 8 per iteration)
#include "micro.h"
MICRO_BEGIN
  ldr r0, =buf
  movs r1, #0xFF
  ldr r12, =N
1:
  strb r1, [r0]
  strb r12, [r0, #4]
  strb r1, [r0]
  strb r12, [r0, #4]
  strb r1, [r0]
  strb r12, [r0, #4]
  strb r1, [r0]
  strb r12, [r0, #4]
  subs r12, r12, #1
  bne 1b
  MICRO_SUM_WORDS 2
MICRO_END(r2)
  .p2align 3
buf:    .word 0, 0
