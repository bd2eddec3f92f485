@ micro: smlad_chain -- back-to-back SMLAD accumulating into the same register.
@ EXPECT_CYCLES_PER_ITER: 4
@ Derivation: SMLAD latency 2, the accumulator read one stage after the late ALU (JN; LM ReadMAC):
@ a chain on the same Rd issues 1/cycle; 1 MAC unit, so two SMLADs never pair:
@   c0: bne | smlad          (the taken back-edge pairs with its target)
@   c1: smlad   c2: smlad   c3: smlad | subs
@   c4 = next c0             = 4 cycles/iteration (acc_late_read = 0: 8)
@   (LLVM-model value 5: the branch closed its cycle)
@ Checksum: r4 = 0x00020003, r5 = 0x00040005 -> each SMLAD adds 2*4 + 3*5 = 23: result = 92*N.
#include "micro.h"
MICRO_BEGIN
  movw r4, #3
  movt r4, #2
  movw r5, #5
  movt r5, #4
  movs r6, #0
  ldr r12, =N
1:
  smlad r6, r4, r5, r6
  smlad r6, r4, r5, r6
  smlad r6, r4, r5, r6
  smlad r6, r4, r5, r6
  subs r12, r12, #1
  bne 1b
MICRO_END(r6)
data:   .word 0x80FF7F01, 0x12345678, 0x00000000, 0x00000000
