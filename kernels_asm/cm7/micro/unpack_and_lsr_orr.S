@ micro: unpack_and_lsr_orr -- byte unpacking with AND/LSR/ORR (shifted operand).
@ EXPECT_CYCLES_PER_ITER: 7
@ Rows used: word load latency 1; ALU latency 1; LSR uses the single shifter; an ALU op with a
@ shifted register operand reads that operand one cycle early (LM WriteALUsi +
@ M7Ex1ReadNoFastBypass, §2.2; §2.3 rules 3 and 7).
@   c0: ldr r2
@   c1: and r3, r2, #0xff | lsr r4, r2, #8      (wait for r2: 1 load_use stall)
@   c2: and r4, r4, #0xff
@   c4: orr r5, r3, r4, lsl #16                 (r4 ready c3, read early -> c4)
@   c5: add r6, r6, r5 | subs                    (r5 ready at c5)
@   c6: bne                                      = 7 cycles/iteration
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
