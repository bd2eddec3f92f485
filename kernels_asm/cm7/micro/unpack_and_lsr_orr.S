@ micro: unpack_and_lsr_orr -- byte unpacking with AND/LSR/ORR (shifted operand).
@ EXPECT_CYCLES_PER_ITER: 6
@ Rules: word load latency 1; ALU latency 1; an inline-shifted operand is read early (JN
@ "operand2"; LM M7Ex1ReadNoFastBypass); a plain shift pairs as the younger op.
@   c0: bne | ldr r2
@   c1: and r3, r2, #0xff | lsr r4, r2, #8      (r2 ready at c1)
@   c2: and r4, r4, #0xff
@   c4: orr r5, r3, r4, lsl #16                 (r4 late-ready c3, read early -> c4)
@   c5: add r6, r6, r5 | subs                    (r5 ready at c5)
@   c6 = next c0                                 = 6 cycles/iteration (LLVM-model value 7)
@ Checksum: word 0x80FF7F01 -> (0x01 | 0x7F << 16) = 0x007F0001 per iteration: result = N*0x7F0001.
#include "micro.h"
MICRO_BEGIN
  ldr r0, =data
  movs r6, #0
  ldr r12, =N
1:
  ldr r2, [r0]
  and r3, r2, #0xff
  lsr r4, r2, #8
  and r4, r4, #0xff
  orr r5, r3, r4, lsl #16
  add r6, r6, r5
  subs r12, r12, #1
  bne 1b
MICRO_END(r6)
data:   .word 0x80FF7F01, 0x12345678, 0x00000000, 0x00000000
