// isasim: -O3 -fno-strict-aliasing
/* nn_layers_q7.c - the non-convolution layers of the network runner, q7 HWC, compiled C:
 * depthwise convolution with the structure of CMSIS-NN arm_depthwise_separable_conv_HWC_q7
 * (4 channels per step: one input word and one weight word per tap, SXTB16 / SXTB16 ROR #8, SMLABB /
 * SMLATT per channel; taps outside the input are skipped, which equals zero padding; interior pixels
 * of 3x3 kernels with the 9 taps unrolled), max and average pooling over a window clipped to the
 * input (arm_maxpool_q7_HWC / arm_avepool_q7_HWC; max of 4 channels per word with SSUB8 + SEL; the
 * average divides by the number of window elements inside the input, C division truncating toward
 * zero),
 * residual add and ReLU (arm_relu_q7). */
#include "nn_kernels.h"

/* 4 channels x one tap: SXTB16 / SXTB16 ROR #8 of the input and weight words, SMLABB / SMLATT */
#define DW_TAP(pi, pw)                                                        \
    do {                                                                      \
        uint32_t x_ = nn_ld32(pi), v_ = nn_ld32(pw);                          \
        int32_t xa_ = __sxtb16(x_), xb_ = __sxtb16(__ror(x_, 8));             \
        int32_t va_ = __sxtb16(v_), vb_ = __sxtb16(__ror(v_, 8));             \
        s0 = __smlabb(xa_, va_, s0); s2 = __smlatt(xa_, va_, s2);             \
        s1 = __smlabb(xb_, vb_, s1); s3 = __smlatt(xb_, vb_, s3);             \
    } while (0)

static inline __attribute__((always_inline)) uint32_t dw_out4(int32_t s0, int32_t s1, int32_t s2,
                                                              int32_t s3, int osh, int relu)
{
    int32_t r0 = __ssat(s0 >> osh, 8), r1 = __ssat(s1 >> osh, 8);
    int32_t r2 = __ssat(s2 >> osh, 8), r3 = __ssat(s3 >> osh, 8);
    if (relu) {
        r0 = r0 < 0 ? 0 : r0; r1 = r1 < 0 ? 0 : r1;
        r2 = r2 < 0 ? 0 : r2; r3 = r3 < 0 ? 0 : r3;
    }
    return (uint32_t)(r0 & 0xFF) | (uint32_t)(r1 & 0xFF) << 8 | (uint32_t)(r2 & 0xFF) << 16 |
           (uint32_t)(r3 & 0xFF) << 24;
}

void nn_dwconv_q7(const nn_conv_t *c, const int8_t *in, const int8_t *w, const int8_t *bias,
                  int8_t *out)
{
    /* shape in locals: with -fno-strict-aliasing every int8 store could alias *c */
    const int ch = c->ci, ih = c->ih, iw = c->iw, kh = c->kh, kw = c->kw, sy = c->sy, sx = c->sx;
    const int py = c->py, px = c->px, ow = c->ow, oy0 = c->oy0, oy1 = c->oy1, relu = c->relu;
    const int bsh = c->bias_shift, osh = c->out_shift;
    const int32_t rnd = nn_round(osh);
    const int rs = iw * ch;                    /* input row stride */
    int8_t *o = out;
    for (int oy = oy0; oy < oy1; oy++) {
        const int iy0 = oy * sy - py;
        const int ky0 = iy0 < 0 ? -iy0 : 0, ky1 = iy0 + kh > ih ? ih - iy0 : kh;
        for (int ox = 0; ox < ow; ox++) {
            const int ix0 = ox * sx - px;
            const int kx0 = ix0 < 0 ? -ix0 : 0, kx1 = ix0 + kw > iw ? iw - ix0 : kw;
            const int8_t *base = in + iy0 * rs + ix0 * ch;
            if (kh == 3 && kw == 3 && ky0 == 0 && kx0 == 0 && ky1 == 3 && kx1 == 3) {
                /* interior 3x3 pixel: the 9 taps unrolled (cf. arm_depthwise_conv_3x3_s8) */
                for (int k = 0; k < ch; k += 4) {
                    int32_t s0 = ((int32_t)bias[k] << bsh) + rnd, s1 = ((int32_t)bias[k + 1] << bsh) + rnd;
                    int32_t s2 = ((int32_t)bias[k + 2] << bsh) + rnd, s3 = ((int32_t)bias[k + 3] << bsh) + rnd;
                    const int8_t *pi = base + k, *pw = w + k;
                    DW_TAP(pi, pw); DW_TAP(pi + ch, pw + ch); DW_TAP(pi + 2 * ch, pw + 2 * ch);
                    pi += rs; pw += 3 * ch;
                    DW_TAP(pi, pw); DW_TAP(pi + ch, pw + ch); DW_TAP(pi + 2 * ch, pw + 2 * ch);
                    pi += rs; pw += 3 * ch;
                    DW_TAP(pi, pw); DW_TAP(pi + ch, pw + ch); DW_TAP(pi + 2 * ch, pw + 2 * ch);
                    nn_st32(o + k, dw_out4(s0, s1, s2, s3, osh, relu));
                }
            } else {
                for (int k = 0; k < ch; k += 4) {
                    int32_t s0 = ((int32_t)bias[k] << bsh) + rnd, s1 = ((int32_t)bias[k + 1] << bsh) + rnd;
                    int32_t s2 = ((int32_t)bias[k + 2] << bsh) + rnd, s3 = ((int32_t)bias[k + 3] << bsh) + rnd;
                    for (int ky = ky0; ky < ky1; ky++) {
                        const int8_t *pi = base + ky * rs + k, *pw = w + ky * kw * ch + k;
#pragma clang loop unroll(disable)
                        for (int kx = kx0; kx < kx1; kx++)
                            DW_TAP(pi + kx * ch, pw + kx * ch);
                    }
                    nn_st32(o + k, dw_out4(s0, s1, s2, s3, osh, relu));
                }
            }
            o += ch;
        }
    }
}

/* per-byte signed max of 4 channels: SSUB8 sets the GE flags, SEL picks (compare_and_replace_if_larger_q7) */
static inline __attribute__((always_inline)) uint32_t max4(uint32_t a, uint32_t b)
{
    (void)__ssub8(a, b);
    return __sel(a, b);
}

/* input range [*a, *b) of output index i along one axis, the window clipped to the input */
static inline __attribute__((always_inline)) void pool_span(int i, int s, int p, int k, int n, int *a,
                                                            int *b)
{
    int lo = i * s - p, hi = lo + k;
    *a = lo < 0 ? 0 : lo;
    *b = hi > n ? n : hi;
}

/* one output pixel of max pooling over input rows [y0, y1) and columns [x0, x1) */
static inline __attribute__((always_inline)) void max_px(const int8_t *in, int iw, int ch, int y0,
                                                         int y1, int x0, int x1, int8_t *o)
{
    if ((ch & 3) == 0) {
        for (int k = 0; k < ch; k += 4) {
            uint32_t m = 0x80808080u;
            for (int y = y0; y < y1; y++) {
                const int8_t *p = in + (y * iw + x0) * ch + k;
                for (int x = x0; x < x1; x++, p += ch)
                    m = max4(nn_ld32(p), m);
            }
            nn_st32(o + k, m);
        }
        return;
    }
    for (int k = 0; k < ch; k++) {
        int m = -128;
        for (int y = y0; y < y1; y++)
            for (int x = x0; x < x1; x++) {
                int v = in[(y * iw + x) * ch + k];
                m = v > m ? v : m;
            }
        o[k] = (int8_t)m;
    }
}

/* one output pixel of average pooling (sum / element count, C division) */
static inline __attribute__((always_inline)) void avg_px(const int8_t *in, int iw, int ch, int y0,
                                                         int y1, int x0, int x1, int8_t *o)
{
    const int n = (y1 - y0) * (x1 - x0);
    int k = 0;
    for (; k + 3 < ch; k += 4) {       /* 4 channels: one word load, SXTB per byte */
        int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (int y = y0; y < y1; y++) {
            const int8_t *p = in + (y * iw + x0) * ch + k;
            for (int x = x0; x < x1; x++, p += ch) {
                uint32_t v = nn_ld32(p);
                s0 += (int8_t)v; s1 += (int8_t)(v >> 8); s2 += (int8_t)(v >> 16); s3 += (int8_t)(v >> 24);
            }
        }
        o[k] = (int8_t)(s0 / n); o[k + 1] = (int8_t)(s1 / n);
        o[k + 2] = (int8_t)(s2 / n); o[k + 3] = (int8_t)(s3 / n);
    }
    for (; k < ch; k++) {
        int s = 0;
        for (int y = y0; y < y1; y++)
            for (int x = x0; x < x1; x++)
                s += in[(y * iw + x) * ch + k];
        o[k] = (int8_t)(s / n);
    }
}

static inline __attribute__((always_inline)) void pool_q7(const nn_conv_t *c, const int8_t *in,
                                                          int8_t *out, int avg)
{
    const int ch = c->ci, ih = c->ih, iw = c->iw, kh = c->kh, kw = c->kw, sy = c->sy, sx = c->sx;
    const int py = c->py, px = c->px, ow = c->ow, oy0 = c->oy0, oy1 = c->oy1;
    int8_t *o = out;
    for (int oy = oy0; oy < oy1; oy++) {
        int y0, y1;
        pool_span(oy, sy, py, kh, ih, &y0, &y1);
        for (int ox = 0; ox < ow; ox++) {
            int x0, x1;
            pool_span(ox, sx, px, kw, iw, &x0, &x1);
            if (avg)
                avg_px(in, iw, ch, y0, y1, x0, x1, o);
            else
                max_px(in, iw, ch, y0, y1, x0, x1, o);
            o += ch;
        }
    }
}

void nn_maxpool_q7(const nn_conv_t *c, const int8_t *in, int8_t *out)
{
    pool_q7(c, in, out, 0);
}

void nn_avgpool_q7(const nn_conv_t *c, const int8_t *in, int8_t *out)
{
    pool_q7(c, in, out, 1);
}

void nn_add_q7(const int8_t *a, const int8_t *b, int n, int out_shift, int relu, int8_t *out)
{
    const int32_t rnd = nn_round(out_shift);
    for (int i = 0; i < n; i++) {
        int32_t v = __ssat(((int32_t)a[i] + b[i] + rnd) >> out_shift, 8);
        if (relu && v < 0)
            v = 0;
        out[i] = (int8_t)v;
    }
}

void nn_relu_q7(const int8_t *in, int n, int8_t *out)
{
    for (int i = 0; i < n; i++)
        out[i] = in[i] < 0 ? 0 : in[i];
}
