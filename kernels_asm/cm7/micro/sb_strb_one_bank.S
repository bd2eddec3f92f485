@ micro: sb_strb_one_bank -- byte stores to one bank through the store buffer.
@ Rule (JN "stores": byte/half stores are read-modify-write, no merging, 4 cycles per store to
@ one bank): every STRB occupies its bank for sb_rmw_cycles (4); the buffer holds sb_entries (5).
@ EXPECT_CYCLES_PER_ITER: 32
@   8 STRB to the same word per iteration: the bank is the bottleneck in the steady state,
@   8 * sb_rmw_cycles = 32 cycles/iteration (the loop overhead hides behind the buffer).
@ Checksum: the last iteration stores r12 = 1 into byte 1: result = 0x000001FF.
@ MEASURED_CYCLES_PER_ITER: 32 (JN "stores": 4 cycles per STRB to one bank; 8 per iteration)
#include "micro.h"
MICRO_BEGIN
  ldr r0, =buf
  movs r1, #0xFF
  ldr r12, =N
1:
  strb r1, [r0]
  strb r12, [r0, #1]
  strb r1, [r0]
  strb r12, [r0, #1]
  strb r1, [r0]
  strb r12, [r0, #1]
  strb r1, [r0]
  strb r12, [r0, #1]
  subs r12, r12, #1
  bne 1b
  ldr r2, [r0]
MICRO_END(r2)
  .p2align 3
buf:    .word 0, 0
