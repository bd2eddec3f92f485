@ micro: sb_strh_stride -- unit-stride halfword stores (two per word, banks alternate every two).
@ Rule (JN "stores": STRH unit stride 2 cycles per store).
@ EXPECT_CYCLES_PER_ITER: 16
@   8 STRH per iteration over 4 words (2 per bank pair): each bank gets 4 read-modify-writes per
@   iteration, the banks work in parallel: 4 * sb_rmw_cycles = 16 cycles/iteration.
@ Checksum: every halfword of the buffer holds 1: result = sum of the 4 words = 4 * 0x00010001.
@ MEASURED_CYCLES_PER_ITER: 16 (JN "stores": unit-stride STRH 2 cycles per store; 8 per iteration)
#include "micro.h"
MICRO_BEGIN
  movs r1, #1
  ldr r12, =N
1:
  ldr r0, =buf
  .rept 8
  strh r1, [r0], #2
  .endr
  subs r12, r12, #1
  bne 1b
  ldr r0, =buf
  MICRO_SUM_WORDS 4
MICRO_END(r2)
  .p2align 3
buf:    .word 0, 0, 0, 0
