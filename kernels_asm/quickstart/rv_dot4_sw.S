/* rv_dot4_sw.S - int4 dot product on RI5CY with the GAP-8 ISA only (baseline).
 * XpulpV2 has no 4-bit SIMD: each nibble is sign-extracted with p.extract and multiplied with
 * p.mac (8 nibbles per packed word). Inputs vec_a/vec_b (NWORDS packed words) and the output
 * `result` come from the experiment's golden model (isasim.qnn.workloads.packed_dot). */
#define STEP(pos) p.extract t3, t0, 3, pos ; p.extract t4, t1, 3, pos ; p.mac a0, t3, t4
  .text
  .globl main
main:
  la    a1, vec_a
  la    a2, vec_b
  li    a0, 0
  li    t2, NWORDS
  lp.setup x0, t2, 2f          /* body: next instruction .. label 2 (inclusive) */
  p.lw  t0, 4(a1!)
  p.lw  t1, 4(a2!)
  STEP(0)
  STEP(4)
  STEP(8)
  STEP(12)
  STEP(16)
  STEP(20)
  STEP(24)
  p.extract t3, t0, 3, 28
  p.extract t4, t1, 3, 28
2: p.mac a0, t3, t4
  la    t0, result
  sw    a0, 0(t0)
  li    a0, 0
  ret
