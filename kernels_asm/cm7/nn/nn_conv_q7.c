// isasim: -O3 -fno-strict-aliasing
/* nn_conv_q7.c - 8-bit convolution with the structure of CMSIS-NN arm_convolve_HWC_q7_fast
 * (ARM-software/CMSIS_5, CMSIS/NN/Source/ConvolutionFunctions/arm_convolve_HWC_q7_fast.c and
 * arm_nn_mat_mult_kernel_q7_q15_reordered.c; papers.md §4.1), compiled C with ACLE intrinsics:
 * im2col of two output pixels into a q15 buffer, then one matrix-multiply call computing every
 * output channel for both pixels, 2 channels x 2 pixels per step (4 accumulators initialised with
 * (bias << bias_shift) + NN_ROUND), 4 columns per iteration (2 weight words, SXTB16 / SXTB16 ROR #8,
 * 4 activation words, 8 SMLAD), __SSAT(acc >> out_shift, 8). Odd output channels and an odd last
 * pixel take the leftover paths, like CMSIS-NN.
 * Generalisations for the network runner: non-square kernels/strides/padding, any input channel
 * count (ci % 4 != 0 uses the natural q15 im2col order of arm_convolve_HWC_q7_basic; the weight
 * packer then stores each group of 4 weights as (0,2,1,3) so the same SXTB16 pair extraction
 * lines up), columns zero-padded to colpad (a multiple of 4).
 */
#include "nn_kernels.h"

void nn_im2col_q15(const nn_conv_t *c, const int8_t *in, int oy, int ox, int16_t *col)
{
    int16_t *d = col;
    const int ci = c->ci;
    for (int ky = 0; ky < c->kh; ky++) {
        int iy = oy * c->sy - c->py + ky;
        for (int kx = 0; kx < c->kw; kx++) {
            int ix = ox * c->sx - c->px + kx;
            if (iy < 0 || iy >= c->ih || ix < 0 || ix >= c->iw) {
                for (int i = 0; i < ci; i++)
                    *d++ = 0;
                continue;
            }
            const int8_t *s = in + (iy * c->iw + ix) * ci;
            if (c->reordered) {
                /* arm_q7_to_q15_reordered_no_shift: (a0, a2), (a1, a3) */
                for (int i = 0; i < ci; i += 4) {
                    uint32_t x = nn_ld32(s + i);
                    nn_st32(d, __sxtb16(x));
                    nn_st32(d + 2, __sxtb16(__ror(x, 8)));
                    d += 4;
                }
            } else {
                for (int i = 0; i < ci; i++)       /* arm_q7_to_q15_no_shift */
                    *d++ = s[i];
            }
        }
    }
    while (d < col + c->colpad)
        *d++ = 0;
}

static inline __attribute__((always_inline)) int8_t q7_out(int32_t acc, const nn_conv_t *c)
{
    int32_t v = __ssat(acc >> c->out_shift, 8);
    if (c->relu && v < 0)
        v = 0;
    return (int8_t)v;
}

/* arm_nn_mat_mult_kernel_q7_q15_reordered: all output channels for 2 pixels (b0, b1) */
static void mm_q7_2px(const nn_conv_t *c, const int8_t *w, const int8_t *bias, const int16_t *b0,
                      int8_t *out0, int8_t *out1)
{
    const int co = c->co, nw = c->colpad >> 2;
    const int16_t *b1 = b0 + c->colpad;
    const int32_t rnd = nn_round(c->out_shift);
    const int8_t *pa = w;
    int ch = 0;
    for (; ch + 1 < co; ch += 2) {
        const uint32_t *wa = (const uint32_t *)pa, *wb = (const uint32_t *)(pa + c->colpad);
        const uint32_t *x0 = (const uint32_t *)b0, *x1 = (const uint32_t *)b1;
        int32_t s00 = ((int32_t)bias[ch] << c->bias_shift) + rnd, s01 = s00;
        int32_t s10 = ((int32_t)bias[ch + 1] << c->bias_shift) + rnd, s11 = s10;
        for (int i = 0; i < nw; i++) {
            uint32_t ia = *wa++, ib = *wb++;
            int32_t a1 = __sxtb16(ia), a2 = __sxtb16(__ror(ia, 8));
            int32_t c1 = __sxtb16(ib), c2 = __sxtb16(__ror(ib, 8));
            uint32_t p0 = x0[0], p1 = x1[0];
            s00 = __smlad(a1, p0, s00);
            s01 = __smlad(a1, p1, s01);
            s10 = __smlad(c1, p0, s10);
            s11 = __smlad(c1, p1, s11);
            p0 = x0[1];
            p1 = x1[1];
            s00 = __smlad(a2, p0, s00);
            s01 = __smlad(a2, p1, s01);
            s10 = __smlad(c2, p0, s10);
            s11 = __smlad(c2, p1, s11);
            x0 += 2;
            x1 += 2;
        }
        out0[ch] = q7_out(s00, c);
        out0[ch + 1] = q7_out(s10, c);
        out1[ch] = q7_out(s01, c);
        out1[ch + 1] = q7_out(s11, c);
        pa += 2 * c->colpad;
    }
    if (ch < co) {        /* leftover output channel */
        const uint32_t *wa = (const uint32_t *)pa;
        const uint32_t *x0 = (const uint32_t *)b0, *x1 = (const uint32_t *)b1;
        int32_t s00 = ((int32_t)bias[ch] << c->bias_shift) + rnd, s01 = s00;
        for (int i = 0; i < nw; i++) {
            uint32_t ia = *wa++;
            int32_t a1 = __sxtb16(ia), a2 = __sxtb16(__ror(ia, 8));
            s00 = __smlad(a1, x0[0], s00);
            s01 = __smlad(a1, x1[0], s01);
            s00 = __smlad(a2, x0[1], s00);
            s01 = __smlad(a2, x1[1], s01);
            x0 += 2;
            x1 += 2;
        }
        out0[ch] = q7_out(s00, c);
        out1[ch] = q7_out(s01, c);
    }
}

/* leftover pixel: one column, every output channel (the tail loop of arm_convolve_HWC_q7_fast) */
static void mm_q7_1px(const nn_conv_t *c, const int8_t *w, const int8_t *bias, const int16_t *b0,
                      int8_t *out0)
{
    const int nw = c->colpad >> 2;
    const int32_t rnd = nn_round(c->out_shift);
    for (int ch = 0; ch < c->co; ch++) {
        const uint32_t *wa = (const uint32_t *)(w + ch * c->colpad);
        const uint32_t *x0 = (const uint32_t *)b0;
        int32_t s = ((int32_t)bias[ch] << c->bias_shift) + rnd;
        for (int i = 0; i < nw; i++) {
            uint32_t ia = *wa++;
            s = __smlad(__sxtb16(ia), x0[0], s);
            s = __smlad(__sxtb16(__ror(ia, 8)), x0[1], s);
            x0 += 2;
        }
        out0[ch] = q7_out(s, c);
    }
}

void nn_conv_q7(const nn_conv_t *c, const int8_t *in, const int8_t *w, const int8_t *bias,
                int8_t *out, int16_t *buf)
{
    const int ow = c->ow, co = c->co;
    const int p0 = c->oy0 * ow, p1 = c->oy1 * ow;
    int p = p0;
    for (; p + 1 < p1; p += 2) {
        nn_im2col_q15(c, in, p / ow, p % ow, buf);
        nn_im2col_q15(c, in, (p + 1) / ow, (p + 1) % ow, buf + c->colpad);
        mm_q7_2px(c, w, bias, buf, out + (p - p0) * co, out + (p + 1 - p0) * co);
    }
    if (p < p1) {
        nn_im2col_q15(c, in, p / ow, p % ow, buf);
        mm_q7_1px(c, w, bias, buf, out + (p - p0) * co);
    }
}
