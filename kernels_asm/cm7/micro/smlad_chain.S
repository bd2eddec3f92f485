@ micro: smlad_chain -- back-to-back SMLAD accumulating into the same register.
@ EXPECT_CYCLES_PER_ITER: 5
@ Derivation: SMLAD latency 2 but the accumulator is read one cycle late (LM WriteMAC32 +
@ ReadMAC, §2.2) so a chain on the same Rd issues 1/cycle; only 1 MAC unit (§2.3 rule 2), so two
@ SMLADs never pair:
@   c0 smlad | c1 smlad | c2 smlad | c3 smlad + subs (ALU pairs with the MAC) | c4 bne
@   = 5 cycles/iteration (3 mac_resource pairing refusals per iteration).
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
