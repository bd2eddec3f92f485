@ micro: mac_after_ldr -- a MAC cannot use a word load of the previous cycle (one more stall than
@ an ALU consumer).
@ Rule (JN "multiplication, MAC"): multiplicands read a word-load result mac_load_extra (1) cycle
@ later than a late-ALU consumer does (lat_load_word 1 + 1).
@ EXPECT_CYCLES_PER_ITER: 5
@   c0: bne | nop
@   c1: ldr r2, [r0]
@   c2: add r5, r5, r2          (ALU consumer: r2 ready for the late ALU at c2)
@       | ldr r3, [r0, #4]      (younger)
@   c3: -                       (smlad: r3 loaded at c2 is ready for the late ALU at c3, for a
@                                multiplicand at c4: 1 load_use stall more than the add)
@   c4: smlad r6, r3, r4, r6 | subs
@   c5 = next c0: bne | nop      = 5 cycles/iteration (mac_load_extra = 0: 4)
@ Checksum: result = r5 + r6 with r5 = N*7, r6 = N*(3*2 + 0*0) (r3 = 0x00000003, r4 = 0x00000002).
#include "micro.h"
MICRO_BEGIN
  ldr r0, =data
  movs r5, #0
  movs r6, #0
  movs r4, #2
  ldr r12, =N
1:
  nop
  ldr r2, [r0]
  add r5, r5, r2
  ldr r3, [r0, #4]
  smlad r6, r3, r4, r6
  subs r12, r12, #1
  bne 1b
  add r5, r5, r6
MICRO_END(r5)
  .p2align 3
data:   .word 7, 3
