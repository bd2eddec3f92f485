/* mm_common.h - shared prologue/epilogue of the matmul kernels (mm_*.S).
 * void mm_kernel(const uint32_t *wrow  r0, const uint32_t *col  r1, int32_t *acc  r2)
 * acc[0..3] (initial values in, results out): ch a / px 0, ch a / px 1, ch a+1 / px 0, ch a+1 / px 1.
 * Register use inside the loop: r0 = weight row a (row a+1 at +ROWB), r1 = column of pixel 0
 * (pixel 1 at +B2OFF), r3-r6 = accumulators, lr = loop counter, r2 and r7-r12 free. */
  .syntax unified
  .thumb
  .text

#define MM_BEGIN(niter) \
  .globl mm_kernel ; .type mm_kernel, %function ; .thumb_func ; mm_kernel: ; \
  push {r2, r4-r11, lr} ; ldm r2, {r3-r6} ; movw lr, niter

#define MM_END \
  ldr r2, [sp] ; stm r2, {r3-r6} ; pop {r2, r4-r11, pc}
