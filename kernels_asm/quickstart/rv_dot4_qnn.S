/* rv_dot4_qnn.S - int4 dot product on RI5CY with the built-in QNN plug-in (--plugin qnn):
 * pv.sdotsp.n does 8 signed 4-bit MACs into a 32-bit accumulator. */
  .text
  .globl main
main:
  la    a1, vec_a
  la    a2, vec_b
  li    a0, 0
  li    t2, NWORDS
  lp.setup x0, t2, 2f
  p.lw  t0, 4(a1!)
  p.lw  t1, 4(a2!)
2: pv.sdotsp.n a0, t0, t1
  la    t0, result
  sw    a0, 0(t0)
  li    a0, 0
  ret
