/* parallel_dot.S - int8 dot product of two 64 K-element vectors on the GAP-8 cluster (SPMD).
 *
 * Every core runs main (crt0 gives each its own stack). Core id and core count come from
 * pulp_cluster.h; the 8-byte units of the vectors are split into nb_cores contiguous chunks
 * (the last core takes the remainder, so any core count works). Each core runs a hardware loop of
 * post-increment loads (p.lw ..(a!)) and pv.sdotsp.b (4 int8 MACs each) over its chunk, stores
 * its partial sum to partial[core_id] in TCDM, and waits at the hardware barrier; core 0 then adds
 * the partial sums and exits with 0 iff the total equals EXPECTED (the other cores exit 0).
 *
 * The vectors (2 x 64 KB: too big for the 64 KB TCDM) are in L2, generated at assembly time:
 *   a[i] = int8((37*i + 11) mod 256),  b[i] = int8((101*i + 57) mod 256)
 * EXPECTED = sum a[i]*b[i] = -4751360 (computed offline; tests/test_gap8_cluster.py recomputes it).
 *
 *   isasim build --target gap8 -I kernels_asm/ri5cy/include kernels_asm/ri5cy/examples/parallel_dot.S -o pd.elf
 *   isasim exec pd.elf --target gap8 --cores 8 --json
 */
#include "pulp_cluster.h"

#define N      65536
#define UNITS  (N / 8)
#ifndef EXPECTED
#define EXPECTED (-4751360)
#endif
#define A(i) ((((i) * 37) + 11) & 0xFF)
#define B(i) ((((i) * 101) + 57) & 0xFF)

  .text
  .globl main
main:
  PULP_CORE_ID(a6)                  /* a6 = core id */
  PULP_NB_CORES(a7, t0)             /* a7 = number of cores */
  li    t0, UNITS
  divu  t1, t0, a7                  /* t1 = units per core */
  mul   t2, t1, a6                  /* t2 = first unit of this core */
  addi  t3, a7, -1
  sub   t4, t0, t2                  /* last core: all remaining units */
  beq   a6, t3, 1f
  mv    t4, t1
1:
  slli  t2, t2, 3                   /* byte offset of the chunk */
  la    a1, vec_a
  add   a1, a1, t2
  la    a2, vec_b
  add   a2, a2, t2
  li    a0, 0
  beqz  t4, 3f
  lp.setup x0, t4, 2f               /* t4 iterations of 8 elements; body ends at label 2 */
  p.lw  t0, 4(a1!)
  p.lw  t1, 4(a2!)
  p.lw  t5, 4(a1!)
  p.lw  t6, 4(a2!)
  pv.sdotsp.b a0, t0, t1
2: pv.sdotsp.b a0, t5, t6
3:
  la    t0, partial
  slli  t1, a6, 2
  add   t0, t0, t1
  sw    a0, 0(t0)                   /* partial[core_id] */
  PULP_BARRIER(t0)                  /* all partial sums are stored after this */
  bnez  a6, 5f
  la    t0, partial                 /* core 0: reduction */
  li    t1, 0
  mv    t2, a7
4:
  lw    t3, 0(t0)
  add   t1, t1, t3
  addi  t0, t0, 4
  addi  t2, t2, -1
  bnez  t2, 4b
  li    t0, EXPECTED
  sub   a0, t1, t0                  /* exit code 0 iff correct */
  ret
5:
  li    a0, 0
  ret

  .section .tcdm, "aw"
  .align 2
partial: .space 4 * 16

  .data
  .align 2
  .globl vec_a, vec_b
vec_a:
  .set w, 0
  .rept N / 4
  .word (A(4 * w)) | ((A(4 * w + 1)) << 8) | ((A(4 * w + 2)) << 16) | ((A(4 * w + 3)) << 24)
  .set w, w + 1
  .endr
vec_b:
  .set w, 0
  .rept N / 4
  .word (B(4 * w)) | ((B(4 * w + 1)) << 8) | ((B(4 * w + 2)) << 16) | ((B(4 * w + 3)) << 24)
  .set w, w + 1
  .endr
