/* dotp_hwloop.S - int8 dot product of two 64-element vectors on one RI5CY core.
 * Shows the XpulpV2 idioms PULP-NN kernels use, in PULP GNU toolchain syntax:
 *   lp.setup (zero-overhead hardware loop), p.lw ..(rs1!) (post-increment load),
 *   pv.sdotsp.b (4 signed 8-bit MACs into a 32-bit accumulator).
 * Exits 0 iff the result equals the value computed offline (11392).
 *   isasim build --target ri5cy kernels_asm/ri5cy/examples/dotp_hwloop.S -o dotp.elf
 *   isasim exec dotp.elf --target ri5cy --json
 */
#define N 64
  .text
  .globl main
main:
  la    a1, vec_a
  la    a2, vec_b
  li    a0, 0               /* accumulator */
  li    t2, N/4             /* iterations: 4 int8 lanes per word */
  lp.setup x0, t2, 1f       /* loop body: from the next instruction to label 1 (inclusive) */
  p.lw  t0, 4(a1!)
  p.lw  t1, 4(a2!)
1: pv.sdotsp.b a0, t0, t1
  li    t0, 11392
  sub   a0, a0, t0          /* 0 iff correct */
  ret

  .data
  .align 2
  .globl vec_a, vec_b
vec_a: .byte -128, -91, -54, -17, 20, 57, 94, -125, -88, -51, -14, 23, 60, 97, -122, -85, -48, -11, 26, 63, 100, -119, -82, -45, -8, 29, 66, 103, -116, -79, -42, -5, 32, 69, 106, -113, -76, -39, -2, 35, 72, 109, -110, -73, -36, 1, 38, 75, 112, -107, -70, -33, 4, 41, 78, 115, -104, -67, -30, 7, 44, 81, 118, -101
vec_b: .byte -123, -112, -101, -90, -79, -68, -57, -46, -35, -24, -13, -2, 9, 20, 31, 42, 53, 64, 75, 86, 97, 108, 119, -126, -115, -104, -93, -82, -71, -60, -49, -38, -27, -16, -5, 6, 17, 28, 39, 50, 61, 72, 83, 94, 105, 116, 127, -118, -107, -96, -85, -74, -63, -52, -41, -30, -19, -8, 3, 14, 25, 36, 47, 58
