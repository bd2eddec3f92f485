// isasim: -O3 -fno-strict-aliasing
/* nn_conv_intq.c - INT-Q sub-byte convolutions, compiled C with the structure of
 * EEESlab/CMSIS_NN-INTQ d63b089b (papers.md §1.3): arm_convolve_HWC_{INT4,INT2,BIN}_fast with
 * arm_nn_mat_mult_kernel_{int4_int16,int2_int16,BIN}_reordered. im2col of two output pixels
 * (INT4/INT2: packed activations expanded to int16 with arm_int{4,2}_to_int16_reordered_no_shift's
 * lane order; BIN: packed words copied), then one matmul call for every output channel of both pixels:
 * 2 channels x 2 pixels (BIN: 1 channel x 2 pixels), weights kept packed and unpacked in the loop with
 * SXTB16(ROR(SXTB16(x << s), r)) chains (read_and_pad_reordered_INT4/INT2), threshold-tree outputs
 * (int4_quant / int2_quant), BIN: software popcount of XNOR, output bit = popcount >= threshold.
 * Data layout = experiments/rusci2018 (isasim/qnn/golden.py pack_hwc): c->ci is the padded channel
 * count, c->colpad = kh * kw * ci elements. */
#include "nn_kernels.h"

/* INT4 word -> 4 int16 pairs (n0,n4) (n1,n5) (n2,n6) (n3,n7) */
#define INT4_P0(x) __sxtb16(__ror(__sxtb16((x) << 4), 4))
#define INT4_P1(x) __sxtb16(__ror(__sxtb16(x), 4))
#define INT4_P2(x) __sxtb16(__ror(__sxtb16(__ror((x) << 4, 8)), 4))
#define INT4_P3(x) __sxtb16(__ror(__sxtb16(__ror(x, 8)), 4))
/* INT2 word -> 8 pairs (c0,c8) ... (c7,c15) */
#define INT2_P(x, s) __sxtb16(__ror(__sxtb16((x) << (s)), 6))
#define INT2_Q(x, s) __sxtb16(__ror(__sxtb16(__ror((x) << (s), 8)), 6))

static void im2col_packed(const nn_conv_t *c, const uint32_t *in, int oy, int ox, uint32_t *d,
                          int bits)
{
    const int pixw = c->ci * bits / 32;
    for (int ky = 0; ky < c->kh; ky++) {
        int iy = oy * c->sy - c->py + ky;
        for (int kx = 0; kx < c->kw; kx++) {
            int ix = ox * c->sx - c->px + kx;
            if (iy < 0 || iy >= c->ih || ix < 0 || ix >= c->iw) {
                int nz = bits == 4 ? 4 * pixw : bits == 2 ? 8 * pixw : pixw;
                for (int i = 0; i < nz; i++)
                    *d++ = 0;
                continue;
            }
            const uint32_t *s = in + (iy * c->iw + ix) * pixw;
            for (int i = 0; i < pixw; i++) {
                uint32_t x = s[i];
                if (bits == 4) {
                    d[0] = INT4_P0(x); d[1] = INT4_P1(x); d[2] = INT4_P2(x); d[3] = INT4_P3(x);
                    d += 4;
                } else if (bits == 2) {
                    d[0] = INT2_P(x, 6); d[1] = INT2_P(x, 4); d[2] = INT2_P(x, 2); d[3] = INT2_P(x, 0);
                    d[4] = INT2_Q(x, 6); d[5] = INT2_Q(x, 4); d[6] = INT2_Q(x, 2); d[7] = INT2_Q(x, 0);
                    d += 8;
                } else {
                    *d++ = x;
                }
            }
        }
    }
}

/* int4_quant: binary tree over 15 sorted thresholds -> [-8, 7] */
static inline __attribute__((always_inline)) int quant4(int32_t v, const int16_t *t)
{
    int i = (v >= t[7]) ? 8 : 0;
    i += (v >= t[i + 3]) ? 4 : 0;
    i += (v >= t[i + 1]) ? 2 : 0;
    i += (v >= t[i]) ? 1 : 0;
    return i - 8;
}
/* int2_quant: tree over 3 thresholds -> [-2, 1] */
static inline __attribute__((always_inline)) int quant2(int32_t v, const int16_t *t)
{
    int i = (v >= t[1]) ? 2 : 0;
    i += (v >= t[i]) ? 1 : 0;
    return i - 2;
}

#define MAC4(wa, wb, x0, x1)                                                  \
    do {                                                                      \
        uint32_t p0_ = *(x0)++, p1_ = *(x1)++;                                \
        s00 = __smlad(wa, p0_, s00); s01 = __smlad(wa, p1_, s01);             \
        s10 = __smlad(wb, p0_, s10); s11 = __smlad(wb, p1_, s11);             \
    } while (0)

static void mm_int4(const nn_conv_t *c, const uint32_t *w, const int16_t *th, const uint32_t *b0,
                    uint8_t *out0, uint8_t *out1)
{
    const int nw = c->colpad / 8, co = c->co;
    const uint32_t *b1 = b0 + c->colpad / 2;
    for (int ch = 0; ch < co; ch += 2) {
        const uint32_t *wa = w + ch * nw, *wb = wa + nw;
        const uint32_t *x0 = b0, *x1 = b1;
        int32_t s00 = 0, s01 = 0, s10 = 0, s11 = 0;
        for (int i = 0; i < nw; i++) {
            uint32_t a = *wa++, b = *wb++;
            MAC4(INT4_P0(a), INT4_P0(b), x0, x1);
            MAC4(INT4_P1(a), INT4_P1(b), x0, x1);
            MAC4(INT4_P2(a), INT4_P2(b), x0, x1);
            MAC4(INT4_P3(a), INT4_P3(b), x0, x1);
        }
        const int16_t *ta = th + ch * 15, *tb = ta + 15;
        out0[ch >> 1] = (uint8_t)((quant4(s00, ta) & 15) | (quant4(s10, tb) & 15) << 4);
        out1[ch >> 1] = (uint8_t)((quant4(s01, ta) & 15) | (quant4(s11, tb) & 15) << 4);
    }
}

static void mm_int2(const nn_conv_t *c, const uint32_t *w, const int16_t *th, const uint32_t *b0,
                    uint8_t *out0, uint8_t *out1)
{
    const int nw = c->colpad / 16, co = c->co;
    const uint32_t *b1 = b0 + c->colpad / 2;
    uint32_t o0 = 0, o1 = 0;
    for (int ch = 0; ch < co; ch += 2) {
        const uint32_t *wa = w + ch * nw, *wb = wa + nw;
        const uint32_t *x0 = b0, *x1 = b1;
        int32_t s00 = 0, s01 = 0, s10 = 0, s11 = 0;
        for (int i = 0; i < nw; i++) {
            uint32_t a = *wa++, b = *wb++;
            MAC4(INT2_P(a, 6), INT2_P(b, 6), x0, x1);
            MAC4(INT2_P(a, 4), INT2_P(b, 4), x0, x1);
            MAC4(INT2_P(a, 2), INT2_P(b, 2), x0, x1);
            MAC4(INT2_P(a, 0), INT2_P(b, 0), x0, x1);
            MAC4(INT2_Q(a, 6), INT2_Q(b, 6), x0, x1);
            MAC4(INT2_Q(a, 4), INT2_Q(b, 4), x0, x1);
            MAC4(INT2_Q(a, 2), INT2_Q(b, 2), x0, x1);
            MAC4(INT2_Q(a, 0), INT2_Q(b, 0), x0, x1);
        }
        const int16_t *ta = th + ch * 3, *tb = ta + 3;
        int sh = (ch * 2) & 7;
        o0 |= (uint32_t)((quant2(s00, ta) & 3) | (quant2(s10, tb) & 3) << 2) << sh;
        o1 |= (uint32_t)((quant2(s01, ta) & 3) | (quant2(s11, tb) & 3) << 2) << sh;
        if (sh == 4) {
            out0[ch >> 2] = (uint8_t)o0;
            out1[ch >> 2] = (uint8_t)o1;
            o0 = o1 = 0;
        }
    }
}

/* popcount without a popcount instruction (Armv7E-M), as in INT-Q */
static inline __attribute__((always_inline)) uint32_t popc(uint32_t v)
{
    v = v - ((v >> 1) & 0x55555555u);
    v = (v & 0x33333333u) + ((v >> 2) & 0x33333333u);
    v = (v + (v >> 4)) & 0x0F0F0F0Fu;
    return (v * 0x01010101u) >> 24;
}

static void mm_bin(const nn_conv_t *c, const uint32_t *w, const int16_t *th, const uint32_t *b0,
                   uint32_t *out0, uint32_t *out1)
{
    const int nw = c->colpad / 32, co = c->co;
    const uint32_t *b1 = b0 + nw;
    uint32_t o0 = 0, o1 = 0;
    for (int ch = 0; ch < co; ch++) {
        const uint32_t *wa = w + ch * nw;
        int32_t s0 = 0, s1 = 0;
        for (int i = 0; i < nw; i++) {
            uint32_t a = wa[i];
            s0 += popc(~(b0[i] ^ a));
            s1 += popc(~(b1[i] ^ a));
        }
        o0 |= (uint32_t)(s0 >= th[ch]) << (ch & 31);
        o1 |= (uint32_t)(s1 >= th[ch]) << (ch & 31);
        if ((ch & 31) == 31 || ch == co - 1) {
            out0[ch >> 5] = o0;
            out1[ch >> 5] = o1;
            o0 = o1 = 0;
        }
    }
}

/* the pixel-pair loop of arm_convolve_HWC_*_fast (pixel count even, checked by the generator) */
#define CONV_BODY(bits, expw, MM, OUT_T, out_per_px)                                            \
    const int ow = c->ow, p0 = c->oy0 * ow, p1 = c->oy1 * ow;                                    \
    const int colw = c->kh * c->kw * (c->ci * (bits) / 32) * (expw);                             \
    for (int p = p0; p + 1 < p1; p += 2) {                                                       \
        im2col_packed(c, in, p / ow, p % ow, buf, bits);                                         \
        im2col_packed(c, in, (p + 1) / ow, (p + 1) % ow, buf + colw, bits);                     \
        MM(c, w, th, buf, (OUT_T *)out + (p - p0) * (out_per_px),                                \
           (OUT_T *)out + (p + 1 - p0) * (out_per_px));                                          \
    }

void nn_conv_int4(const nn_conv_t *c, const uint32_t *in, const uint32_t *w, const int16_t *th,
                  uint8_t *out, uint32_t *buf)
{
    CONV_BODY(4, 4, mm_int4, uint8_t, c->co / 2)
}

void nn_conv_int2(const nn_conv_t *c, const uint32_t *in, const uint32_t *w, const int16_t *th,
                  uint8_t *out, uint32_t *buf)
{
    CONV_BODY(2, 8, mm_int2, uint8_t, c->co / 4)
}

void nn_conv_bin(const nn_conv_t *c, const uint32_t *in, const uint32_t *w, const int16_t *th,
                 uint32_t *out, uint32_t *buf)
{
    CONV_BODY(1, 1, mm_bin, uint32_t, (c->co + 31) / 32)
}
