@ micro: ldm_stm -- LDM/STM take ceil(registers/2) cycles and pair with nothing; an STM of an even
@ register count to an address that is not 8-byte aligned takes one cycle more.
@ Rules (JN "load/store pair/multiple"): ldm_regs_per_cycle 2, stm_unaligned_extra 1.
@ EXPECT_CYCLES_PER_ITER: 9
@   c0: bne | nop
@   c1: ldm r0, {r2-r5}      2 cycles (c1, c2)
@   c3: stm r1, {r2-r5}      2 cycles, r1 8-byte aligned (data read as store data: ready)
@   c5: stm r7, {r2-r5}      r7 = r1 + 4: not 8-byte aligned, 4 registers: 2 + 1 = 3 cycles
@   c8: subs
@   c9 = next c0              = 9 cycles/iteration
@ Checksum: result = sum of the 4 words at r7 = 1 + 2 + 3 + 4.
#include "micro.h"
MICRO_BEGIN
  ldr r0, =src
  ldr r1, =dst
  add r7, r1, #4
  ldr r12, =N
1:
  nop
  ldm r0, {r2-r5}
  stm r1, {r2-r5}
  stm r7, {r2-r5}
  subs r12, r12, #1
  bne 1b
  ldm r7, {r2-r5}
  add r2, r2, r3
  add r2, r2, r4
  add r2, r2, r5
MICRO_END(r2)
  .p2align 3
src:    .word 1, 2, 3, 4
dst:    .word 0, 0, 0, 0, 0, 0
