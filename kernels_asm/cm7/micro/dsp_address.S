@ micro: dsp_address -- a DSP/bit-field result used as a load index costs one cycle more than an
@ early-ALU MOV result.
@ Rules (JN "bitfield and DSP instructions": result not usable as address/index next cycle; the
@ early ALU: a MOV's result reaches the AGU next cycle; early_read = 1).
@ EXPECT_CYCLES_PER_ITER: 6
@   c0: bne | nop
@   c1: mov r1, r5            (older: early ALU, r1 readable by the AGU at c2)
@   c2: ldr r2, [r0, r1]      (index read early)
@   c3: uxtb r3, r5           (DSP: only the older op; r3 late-ready c4, early-ready c5)
@   c5: ldr r4, [r0, r3]      | subs
@   c6 = next c0               = 6 cycles/iteration
@ Checksum: r5 = 4, data[1] = 11 -> r2 = r4 = 11 each iteration; result = r6 = N*22.
#include "micro.h"
MICRO_BEGIN
  ldr r0, =data
  movs r5, #4
  movs r6, #0
  ldr r12, =N
1:
  nop
  mov r1, r5
  ldr r2, [r0, r1]
  uxtb r3, r5
  ldr r4, [r0, r3]
  subs r12, r12, #1
  bne 1b
  add r6, r2, r4
  ldr r0, =N
  mul r6, r6, r0
MICRO_END(r6)
  .p2align 3
data:   .word 5, 11
