/* conv_driver.c - control code of the Rusci et al. 2018 convolution kernels (Cortex-M7).
 *
 * Same skeleton as CMSIS-NN arm_convolve_HWC_q7_fast and the INT-Q extension (papers.md §1.3,
 * §4.1): for every pair of output pixels of the simulated tile, im2col the two receptive fields into
 * colbuf (expanded to int16 lanes for the SMLAD kernels, copied as packed words for the
 * packed-operand kernels), then call the assembly matmul kernel (mm_*.S, the hot loop) once per
 * block of output channels (2, or 1 for the binary software kernel) and quantize the accumulators
 * here (requantization for q7, threshold tree for 4/2 bit, threshold bit for binary).
 *
 * Everything about the kernel and the shape comes from -D defines written by the workload generator
 * (experiments/rusci2018/rusci2018_workload.py, from its KERNELS table): EXPAND (how im2col stores an
 * input word: EXPAND_Q7, EXPAND_INT4, EXPAND_INT2, EXPAND_UNPK4, EXPAND_COPY), QUANT (output stage:
 * QUANT_Q7, QUANT_TREE, QUANT_BIN), BITS, CHBLOCK (output channels per matmul call), IH, IW, CP
 * (padded input channels), CO, K, PAD, STRIDE, OH, OW, ROW0, NROWS, NUMCOL (= K*K*CP elements),
 * PIXW (32-bit words per input pixel), COLW (32-bit words per output pixel in colbuf), BIAS_SHIFT,
 * OUT_SHIFT, RELU. A new kernel with the data layout of an existing one needs no change here: only
 * its matmul source (see "Adding a kernel" in experiments/rusci2018/README.md).
 * Data symbols: act_in (input, packed words), wgt (weights, packed words, one row per output
 * channel), qparam (int8 bias for q7 / int16 thresholds), act_out (output tile).
 */
#include <stdint.h>

#define EXPAND_COPY      0      /* packed operands: the word itself */
#define EXPAND_Q7        1      /* q7 -> 2 x int16 pairs (CMSIS-NN reordered) */
#define EXPAND_INT4      2      /* int4 -> 4 x int16 pairs (INT-Q reordered) */
#define EXPAND_INT2      3      /* int2 -> 8 x int16 pairs (INT-Q reordered) */
#define EXPAND_UNPK4     4      /* int4 -> 4 x int16 pairs in natural order (qnn.unpk4) */
#define QUANT_Q7         1      /* requantize + ssat8 */
#define QUANT_TREE       2      /* threshold tree, BITS-bit outputs packed in bytes */
#define QUANT_BIN        3      /* threshold bit, outputs packed 32 per word */

extern const uint32_t act_in[];
extern const uint32_t wgt[];
#if QUANT == QUANT_Q7
extern const int8_t qparam[];
extern int8_t act_out[];
#elif QUANT == QUANT_BIN
extern const int16_t qparam[];
extern uint32_t act_out[];
#else
extern const int16_t qparam[];
extern uint8_t act_out[];
#endif

static uint32_t colbuf[2 * COLW];
static int32_t acc[4];

/* assembly matmul kernel: acc[] holds the initial values and receives the results
 * (acc[0] = ch a / pixel 0, acc[1] = ch a / pixel 1, acc[2] = ch a+1 / pixel 0, acc[3] = ch a+1 / pixel 1) */
extern void mm_kernel(const uint32_t *wrow, const uint32_t *col, int32_t *acc);

static inline uint32_t ror32(uint32_t x, unsigned r) { return (x >> r) | (x << (32 - r)); }

/* one input word -> its im2col representation (COLW / (K*K*PIXW) words) */
static inline uint32_t *expand_word(uint32_t x, uint32_t *d)
{
#if EXPAND == EXPAND_Q7
    /* arm_q7_to_q15_reordered_no_shift: (a0,a2), (a1,a3) */
    d[0] = __builtin_arm_sxtb16(x);
    d[1] = __builtin_arm_sxtb16(ror32(x, 8));
    return d + 2;
#elif EXPAND == EXPAND_INT4
    /* INT-Q arm_int4_to_int16_reordered_no_shift order: (n0,n4) (n1,n5) (n2,n6) (n3,n7) */
    d[0] = __builtin_arm_sxtb16(ror32(__builtin_arm_sxtb16(x << 4), 4));
    d[1] = __builtin_arm_sxtb16(ror32(__builtin_arm_sxtb16(x), 4));
    d[2] = __builtin_arm_sxtb16(ror32(__builtin_arm_sxtb16(ror32(x << 4, 8)), 4));
    d[3] = __builtin_arm_sxtb16(ror32(__builtin_arm_sxtb16(ror32(x, 8)), 4));
    return d + 4;
#elif EXPAND == EXPAND_INT2
    /* (c0,c8) (c1,c9) (c2,c10) (c3,c11) (c4,c12) (c5,c13) (c6,c14) (c7,c15) */
    d[0] = __builtin_arm_sxtb16(ror32(__builtin_arm_sxtb16(x << 6), 6));
    d[1] = __builtin_arm_sxtb16(ror32(__builtin_arm_sxtb16(x << 4), 6));
    d[2] = __builtin_arm_sxtb16(ror32(__builtin_arm_sxtb16(x << 2), 6));
    d[3] = __builtin_arm_sxtb16(ror32(__builtin_arm_sxtb16(x), 6));
    d[4] = __builtin_arm_sxtb16(ror32(__builtin_arm_sxtb16(ror32(x << 6, 8)), 6));
    d[5] = __builtin_arm_sxtb16(ror32(__builtin_arm_sxtb16(ror32(x << 4, 8)), 6));
    d[6] = __builtin_arm_sxtb16(ror32(__builtin_arm_sxtb16(ror32(x << 2, 8)), 6));
    d[7] = __builtin_arm_sxtb16(ror32(__builtin_arm_sxtb16(ror32(x, 8)), 6));
    return d + 8;
#elif EXPAND == EXPAND_UNPK4
    /* QNN unpack helper, natural order: (n0,n1) (n2,n3) (n4,n5) (n6,n7) */
    register uint32_t a __asm__("r4");
    register uint32_t b __asm__("r5");
    register uint32_t c __asm__("r6");
    register uint32_t e __asm__("r7");
    __asm__ volatile("qnn.unpk4 r4, %4, #0\n\tqnn.unpk4 r6, %4, #1"
                     : "=&r"(a), "=&r"(b), "=&r"(c), "=&r"(e) : "r"(x));
    d[0] = a; d[1] = b; d[2] = c; d[3] = e;
    return d + 4;
#else
    /* packed-operand kernels (binary, qnn.sdot4/sdot2/xnorpc): plain copy */
    d[0] = x;
    return d + 1;
#endif
}

#define EXP ((COLW) / ((K) * (K) * (PIXW)))    /* colbuf words per input word */

static void im2col(int p, uint32_t *dst)
{
    int oy = p / OW, ox = p % OW;
    for (int ky = 0; ky < K; ky++) {
        int iy = oy * STRIDE - PAD + ky;
        for (int kx = 0; kx < K; kx++) {
            int ix = ox * STRIDE - PAD + kx;
            if (iy < 0 || iy >= IH || ix < 0 || ix >= IW) {
                for (int i = 0; i < PIXW * EXP; i++)
                    *dst++ = 0;
            } else {
                const uint32_t *src = act_in + (iy * IW + ix) * PIXW;
                for (int i = 0; i < PIXW; i++)
                    dst = expand_word(src[i], dst);
            }
        }
    }
}

#if QUANT == QUANT_TREE && BITS == 4
/* INT-Q int4_quant-style binary tree over 15 sorted thresholds -> [-8, 7] */
static inline int quant(int32_t v, const int16_t *t)
{
    int i = (v >= t[7]) ? 8 : 0;
    i += (v >= t[i + 3]) ? 4 : 0;
    i += (v >= t[i + 1]) ? 2 : 0;
    i += (v >= t[i]) ? 1 : 0;
    return i - 8;
}
#define NTH 15
#elif QUANT == QUANT_TREE && BITS == 2
/* tree over 3 thresholds -> [-2, 1] */
static inline int quant(int32_t v, const int16_t *t)
{
    int i = (v >= t[1]) ? 2 : 0;
    i += (v >= t[i]) ? 1 : 0;
    return i - 2;
}
#define NTH 3
#endif

int main(void)
{
    const int p0 = ROW0 * OW, p1 = (ROW0 + NROWS) * OW;
    for (int p = p0; p < p1; p += 2) {
        im2col(p, colbuf);
        im2col(p + 1, colbuf + COLW);
        int o = p - p0;                       /* output pixel index within the tile */
#if QUANT == QUANT_BIN && CHBLOCK == 1
        /* INT-Q BIN: 1 output channel x 2 pixels, output bits packed 32 per word */
        uint32_t b0 = 0, b1 = 0;
        for (int c = 0; c < CO; c++) {
            acc[0] = 0; acc[1] = 0;
            mm_kernel(wgt + c * (NUMCOL / 32), colbuf, acc);
            b0 |= (uint32_t)(acc[0] >= qparam[c]) << (c & 31);
            b1 |= (uint32_t)(acc[1] >= qparam[c]) << (c & 31);
            if ((c & 31) == 31 || c == CO - 1) {
                act_out[o * OUTW + (c >> 5)] = b0;
                act_out[(o + 1) * OUTW + (c >> 5)] = b1;
                b0 = b1 = 0;
            }
        }
#elif QUANT == QUANT_BIN
        uint32_t b0 = 0, b1 = 0;
        for (int c = 0; c < CO; c += 2) {
            acc[0] = acc[1] = acc[2] = acc[3] = 0;
            mm_kernel(wgt + c * (NUMCOL / 32), colbuf, acc);
            b0 |= ((uint32_t)(acc[0] >= qparam[c]) | (uint32_t)(acc[2] >= qparam[c + 1]) << 1) << (c & 31);
            b1 |= ((uint32_t)(acc[1] >= qparam[c]) | (uint32_t)(acc[3] >= qparam[c + 1]) << 1) << (c & 31);
            if ((c & 31) == 30 || c == CO - 2) {
                act_out[o * OUTW + (c >> 5)] = b0;
                act_out[(o + 1) * OUTW + (c >> 5)] = b1;
                b0 = b1 = 0;
            }
        }
#elif QUANT == QUANT_Q7
        /* CMSIS-NN: 2 output channels x 2 pixels, requantize, ssat8 */
        for (int c = 0; c < CO; c += 2) {
            int32_t r = (OUT_SHIFT > 0) ? (1 << (OUT_SHIFT - 1)) : 0;
            acc[0] = acc[1] = ((int32_t)qparam[c] << BIAS_SHIFT) + r;
            acc[2] = acc[3] = ((int32_t)qparam[c + 1] << BIAS_SHIFT) + r;
            mm_kernel(wgt + c * (NUMCOL / 4), colbuf, acc);
            int32_t v0 = __builtin_arm_ssat(acc[0] >> OUT_SHIFT, 8);
            int32_t v1 = __builtin_arm_ssat(acc[1] >> OUT_SHIFT, 8);
            int32_t v2 = __builtin_arm_ssat(acc[2] >> OUT_SHIFT, 8);
            int32_t v3 = __builtin_arm_ssat(acc[3] >> OUT_SHIFT, 8);
#if RELU
            v0 = v0 < 0 ? 0 : v0; v1 = v1 < 0 ? 0 : v1; v2 = v2 < 0 ? 0 : v2; v3 = v3 < 0 ? 0 : v3;
#endif
            act_out[o * CO + c] = (int8_t)v0;
            act_out[o * CO + c + 1] = (int8_t)v2;
            act_out[(o + 1) * CO + c] = (int8_t)v1;
            act_out[(o + 1) * CO + c + 1] = (int8_t)v3;
        }
#else
        /* INT4 / INT2: 2 output channels x 2 pixels, threshold tree, packed outputs */
        const int bits = (NTH == 15) ? 4 : 2;
        const int m = (1 << bits) - 1;
        uint32_t b0 = 0, b1 = 0;
        for (int c = 0; c < CO; c += 2) {
            acc[0] = acc[1] = acc[2] = acc[3] = 0;
            mm_kernel(wgt + c * (NUMCOL * bits / 32), colbuf, acc);
            const int16_t *ta = qparam + c * NTH, *tb = ta + NTH;
            uint32_t q0 = (quant(acc[0], ta) & m) | (quant(acc[2], tb) & m) << bits;
            uint32_t q1 = (quant(acc[1], ta) & m) | (quant(acc[3], tb) & m) << bits;
            int sh = (c * bits) & 7;
            b0 |= q0 << sh;
            b1 |= q1 << sh;
            if (sh + 2 * bits == 8) {
                act_out[(o * CO + c) * bits / 8] = (uint8_t)b0;
                act_out[((o + 1) * CO + c) * bits / 8] = (uint8_t)b1;
                b0 = b1 = 0;
            }
        }
#endif
    }
    return 0;
}
