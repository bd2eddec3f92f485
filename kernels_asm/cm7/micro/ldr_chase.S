@ micro: ldr_chase -- load-use on the address: LDR r1, [r1] chains.
@ EXPECT_CYCLES_PER_ITER: 8
@ Derivation: word load latency 1 to the late ALU, the address is read early (JN; LM M7Read_ISS):
@ a dependent load issues lat_load_word + early_read = 2 cycles after its producer.
@   c0 ldr | c2 ldr | c4 ldr | c6 ldr + subs | c7 bne ; next ldr at c8 (r1 early-ready at c8)
@   = 8 cycles/iteration. Stall counter (docs/cm7.md: delay beyond the earliest structural slot,
@   which for each dependent LDR is the pairing slot of its producer): 3 x 2 + 1 (the first
@   load, after the bne whose slot it could have shared) = 7 load_use.
@ Checksum: chase[0] holds its own address: result = address of chase.
#include "micro.h"
MICRO_BEGIN
  ldr r1, =chase
  ldr r12, =N
1:
  ldr r1, [r1]
  ldr r1, [r1]
  ldr r1, [r1]
  ldr r1, [r1]
  subs r12, r12, #1
  bne 1b
MICRO_END(r1)
data:   .word 0x80FF7F01, 0x12345678, 0x00000000, 0x00000000
  .globl chase
chase: .word chase
