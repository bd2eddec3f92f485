/* gap8_dot4_par.S - int4 dot product split across the cores of the GAP-8 cluster.
 *
 * Inputs (from the experiment's workload, isasim.qnn.workloads:packed_dot with bits=4):
 * vec_a, vec_b: NWORDS words of 8 signed nibbles each; output: result (int32).
 * Each of the nc cores accumulates its share of the words with the QNN plug-in's nibble MAC
 * (pv.sdotsp.n: 8 MACs per instruction, --plugin qnn) in a hardware loop, stores its partial sum
 * in L1 and meets the others at the barrier; core 0 then adds the partial sums and writes result.
 * Partition (any NWORDS and core count):
 *   default (blocked): core i takes the contiguous words [i*NWORDS/nc, (i+1)*NWORDS/nc). When the
 *       block length is a multiple of the 16 banks, all cores start in the same bank and run in
 *       step, so their loads keep colliding (TCDM contention).
 *   -D PARTITION_CYCLIC: core i takes words i, i+nc, i+2nc, ... (register post-increment by
 *       4*nc): cores in step touch nc different banks.
 * Used by experiments/gap8_scaling.yaml.
 */
#include "pulp_cluster.h"
  .text
  .globl main
main:
  PULP_CORE_ID(a6)
  PULP_NB_CORES(a7, t0)
  li    t2, NWORDS
#ifdef PARTITION_CYCLIC
  li    t5, NWORDS - 1
  sub   t5, t5, a6
  divu  t5, t5, a7
  addi  t5, t5, 1                   /* words of this core: (NWORDS - 1 - i) / nc + 1 */
  slt   t4, a6, t2
  mul   t5, t5, t4                  /* ... or none if i >= NWORDS */
  slli  t3, a6, 2                   /* first word: i */
  slli  t6, a7, 2                   /* stride: 4 * nc bytes */
#else
  mul   t3, t2, a6
  divu  t3, t3, a7                  /* first word of this core */
  addi  t4, a6, 1
  mul   t4, t4, t2
  divu  t4, t4, a7                  /* one past its last word */
  sub   t5, t4, t3
  slli  t3, t3, 2
  li    t6, 4                       /* stride: one word */
#endif
  la    a1, vec_a
  add   a1, a1, t3
  la    a2, vec_b
  add   a2, a2, t3
  li    a0, 0
  beqz  t5, 3f                      /* more cores than words: nothing to do */
  lp.setup x0, t5, 2f
  p.lw  t0, t6(a1!)
  p.lw  t1, t6(a2!)
2: pv.sdotsp.n a0, t0, t1
3:
  la    t0, partial
  slli  t1, a6, 2
  add   t0, t0, t1
  sw    a0, 0(t0)
  PULP_BARRIER(t0)
  bnez  a6, 9f
  la    t0, partial                 /* core 0: reduction */
  li    a0, 0
4:
  lw    t1, 0(t0)
  add   a0, a0, t1
  addi  t0, t0, 4
  addi  a7, a7, -1
  bnez  a7, 4b
  la    t0, result
  sw    a0, 0(t0)
9:
  li    a0, 0
  ret

  .section .tcdm, "aw"
  .align 2
partial: .space 64                  /* one word per core (up to 16) */
