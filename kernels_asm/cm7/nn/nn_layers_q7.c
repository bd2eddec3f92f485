// isasim: -O3 -fno-strict-aliasing
/* nn_layers_q7.c - the non-convolution layers of the network runner, q7 HWC, compiled C:
 * depthwise convolution with the structure of CMSIS-NN arm_depthwise_separable_conv_HWC_q7
 * (4 channels per step: one input word and one weight word per tap, SXTB16 / SXTB16 ROR #8, SMLABB /
 * SMLATT per channel; taps outside the input are skipped, which equals zero padding), max and average
 * pooling over a window clipped to the input (arm_maxpool_q7_HWC / arm_avepool_q7_HWC; the average
 * divides by the number of window elements inside the input, C division truncating toward zero),
 * residual add and ReLU (arm_relu_q7). */
#include "nn_kernels.h"

void nn_dwconv_q7(const nn_conv_t *c, const int8_t *in, const int8_t *w, const int8_t *bias,
                  int8_t *out)
{
    /* shape in locals: with -fno-strict-aliasing every int8 store could alias *c */
    const int ch = c->ci, ih = c->ih, iw = c->iw, kh = c->kh, kw = c->kw, sy = c->sy, sx = c->sx;
    const int py = c->py, px = c->px, ow = c->ow, oy0 = c->oy0, oy1 = c->oy1, relu = c->relu;
    const int bsh = c->bias_shift, osh = c->out_shift;
    const int32_t rnd = nn_round(osh);
    int8_t *o = out;
    for (int oy = oy0; oy < oy1; oy++) {
        const int iy0 = oy * sy - py;
        const int ky0 = iy0 < 0 ? -iy0 : 0, ky1 = iy0 + kh > ih ? ih - iy0 : kh;
        for (int ox = 0; ox < ow; ox++) {
            const int ix0 = ox * sx - px;
            const int kx0 = ix0 < 0 ? -ix0 : 0, kx1 = ix0 + kw > iw ? iw - ix0 : kw;
            for (int k = 0; k < ch; k += 4) {
                int32_t s0 = ((int32_t)bias[k] << bsh) + rnd;
                int32_t s1 = ((int32_t)bias[k + 1] << bsh) + rnd;
                int32_t s2 = ((int32_t)bias[k + 2] << bsh) + rnd;
                int32_t s3 = ((int32_t)bias[k + 3] << bsh) + rnd;
                for (int ky = ky0; ky < ky1; ky++) {
                    const int8_t *pi = in + ((iy0 + ky) * iw + ix0) * ch + k;
                    const int8_t *pw = w + ky * kw * ch + k;
                    for (int kx = kx0; kx < kx1; kx++) {
                        uint32_t x = nn_ld32(pi + kx * ch);
                        uint32_t v = nn_ld32(pw + kx * ch);
                        int32_t xa = __sxtb16(x), xb = __sxtb16(__ror(x, 8));
                        int32_t va = __sxtb16(v), vb = __sxtb16(__ror(v, 8));
                        s0 = __smlabb(xa, va, s0);
                        s2 = __smlatt(xa, va, s2);
                        s1 = __smlabb(xb, vb, s1);
                        s3 = __smlatt(xb, vb, s3);
                    }
                }
                int32_t r0 = __ssat(s0 >> osh, 8), r1 = __ssat(s1 >> osh, 8);
                int32_t r2 = __ssat(s2 >> osh, 8), r3 = __ssat(s3 >> osh, 8);
                if (relu) {
                    r0 = r0 < 0 ? 0 : r0; r1 = r1 < 0 ? 0 : r1;
                    r2 = r2 < 0 ? 0 : r2; r3 = r3 < 0 ? 0 : r3;
                }
                nn_st32(o + k, (uint32_t)(r0 & 0xFF) | (uint32_t)(r1 & 0xFF) << 8 |
                               (uint32_t)(r2 & 0xFF) << 16 | (uint32_t)(r3 & 0xFF) << 24);
            }
            o += ch;
        }
    }
}

void nn_maxpool_q7(const nn_conv_t *c, const int8_t *in, int8_t *out)
{
    const int ch = c->ci;
    int8_t *o = out;
    for (int oy = c->oy0; oy < c->oy1; oy++) {
        int y0 = oy * c->sy - c->py, y1 = y0 + c->kh;
        y0 = y0 < 0 ? 0 : y0; y1 = y1 > c->ih ? c->ih : y1;
        for (int ox = 0; ox < c->ow; ox++) {
            int x0 = ox * c->sx - c->px, x1 = x0 + c->kw;
            x0 = x0 < 0 ? 0 : x0; x1 = x1 > c->iw ? c->iw : x1;
            for (int k = 0; k < ch; k++) {
                int m = -128;
                for (int y = y0; y < y1; y++)
                    for (int x = x0; x < x1; x++) {
                        int v = in[(y * c->iw + x) * ch + k];
                        m = v > m ? v : m;
                    }
                o[k] = (int8_t)m;
            }
            o += ch;
        }
    }
}

void nn_avgpool_q7(const nn_conv_t *c, const int8_t *in, int8_t *out)
{
    const int ch = c->ci;
    int8_t *o = out;
    for (int oy = c->oy0; oy < c->oy1; oy++) {
        int y0 = oy * c->sy - c->py, y1 = y0 + c->kh;
        y0 = y0 < 0 ? 0 : y0; y1 = y1 > c->ih ? c->ih : y1;
        for (int ox = 0; ox < c->ow; ox++) {
            int x0 = ox * c->sx - c->px, x1 = x0 + c->kw;
            x0 = x0 < 0 ? 0 : x0; x1 = x1 > c->iw ? c->iw : x1;
            int n = (y1 - y0) * (x1 - x0);
            for (int k = 0; k < ch; k++) {
                int s = 0;
                for (int y = y0; y < y1; y++)
                    for (int x = x0; x < x1; x++)
                        s += in[(y * c->iw + x) * ch + k];
                o[k] = (int8_t)(s / n);
            }
            o += ch;
        }
    }
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
