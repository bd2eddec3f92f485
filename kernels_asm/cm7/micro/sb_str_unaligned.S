@ micro: sb_str_unaligned -- unaligned word stores: no stall until the 5-entry store buffer is full,
@ then 4 cycles per store.
@ Rule (JN "stores"): an unaligned word store is a read-modify-write on both banks
@ (sb_rmw_cycles 4 each, in parallel); the buffer holds sb_entries (5).
@ EXPECT_CYCLES_PER_ITER: 32
@   8 unaligned STR per iteration, each occupying both banks: 8 * sb_rmw_cycles = 32.
@ Checksum: result = the word at buf+1 = 0x12345678 (read back unaligned).
@ MEASURED_CYCLES_PER_ITER: 32 (JN "stores": unaligned STR 4 cycles each once the buffer is full; 8 per iteration)
#include "micro.h"
MICRO_BEGIN
  ldr r0, =buf
  ldr r1, =0x12345678
  ldr r12, =N
1:
  str r1, [r0, #1]
  str r1, [r0, #1]
  str r1, [r0, #1]
  str r1, [r0, #1]
  str r1, [r0, #1]
  str r1, [r0, #1]
  str r1, [r0, #1]
  str r1, [r0, #1]
  subs r12, r12, #1
  bne 1b
  ldr r2, [r0, #1]
MICRO_END(r2)
  .pool
  .p2align 3
buf:    .word 0, 0
