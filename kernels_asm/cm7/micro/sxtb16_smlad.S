@ micro: sxtb16_smlad -- CMSIS-NN style q7 unpack (LDR, SXTB16, SXTB16 ROR #8) + SMLAD.
@ EXPECT_CYCLES_PER_ITER: 4
@ Derivation (JN: DSP/bit-field instructions only as the older op and never two per cycle; word
@ load latency 1; SMLAD multiplicands of an SXTB16 result: normal latency 1):
@   c0: bne | ldr r2
@   c1: sxtb16 r4, r2                (r2 ready at c1)
@   c2: sxtb16 r5, r2, ror #8        (not the younger of another DSP op)
@   c3: smlad r6, r4, r5, r6 | subs  (r5 ready at c3)
@   c4 = next c0                     = 4 cycles/iteration (LLVM-model value 5: branch pairing)
@ Checksum: data word 0x80FF7F01 -> sxtb16 = (b0, b2) = (1, -1), ror 8 -> (b1, b3) = (127, -128):
@   1*127 + (-1)*(-128) = 255 per iteration: result = 255*N.
#include "micro.h"
MICRO_BEGIN
  ldr r0, =data
  movs r6, #0
  ldr r12, =N
1:
  ldr r2, [r0]
  sxtb16 r4, r2
  sxtb16 r5, r2, ror #8
  smlad r6, r4, r5, r6
  subs r12, r12, #1
  bne 1b
MICRO_END(r6)
data:   .word 0x80FF7F01, 0x12345678, 0x00000000, 0x00000000
