@ micro: sb_strb_stride -- unit-stride byte stores (four per word, the bank changes every four).
@ Rule (JN "stores": byte stores are read-modify-write, no merging; every STRB occupies its bank
@ for sb_rmw_cycles (4), the buffer holds sb_entries (5)).
@ EXPECT_CYCLES_PER_ITER: 16
@   8 STRB per iteration over 2 words: each bank gets 4 read-modify-writes per iteration, the
@   banks work in parallel: 4 * sb_rmw_cycles = 16 cycles/iteration (2.0 per store).
@ MEASURED_CYCLES_PER_ITER: 19.2 (JN "stores": unit-stride STRB sustains 2.4 cycles per store;
@   8 stores per iteration, the loop overhead assumed hidden behind the buffer as in the model)
@ Checksum: the buffer holds bytes 1..8 of the last iteration: result = sum of the 2 words.
#include "micro.h"
MICRO_BEGIN
  ldr r12, =N
1:
  ldr r0, =buf
  .irp v, 1, 2, 3, 4, 5, 6, 7, 8
  movs r1, #\v
  strb r1, [r0], #1
  .endr
  subs r12, r12, #1
  bne 1b
  ldr r0, =buf
  MICRO_SUM_WORDS 2
MICRO_END(r2)
  .p2align 3
buf:    .word 0, 0
