/* nn_kernels.h - compiled CMSIS-NN-style kernels for the Cortex-M7 (C + ACLE intrinsics).
 *
 * Structure follows ARM-software/CMSIS_5 CMSIS/NN (legacy q7 API: arm_convolve_HWC_q7_fast /
 * _basic, arm_nn_mat_mult_kernel_q7_q15_reordered, arm_depthwise_separable_conv_HWC_q7,
 * arm_maxpool_q7_HWC, arm_avepool_q7_HWC, arm_fully_connected_q7) and the INT-Q extension
 * (EEESlab/CMSIS_NN-INTQ d63b089b: arm_convolve_HWC_{INT4,INT2,BIN}_fast, papers.md §1.3).
 * Every kernel takes its shape at run time (one compiled copy serves every layer), HWC tensors,
 * weights [co][ky][kx][ci]. Output rows oy0..oy1-1 are computed; `out` points at row oy0.
 * The files ask for -O3 with the build marker line `// isasim: -O3` (isasim/toolchain/build.py).
 * Golden models: isasim/qnn/golden.py, isasim/qnn/vq.py; layouts: isasim/qnn/vq.py docstring.
 */
#ifndef NN_KERNELS_H
#define NN_KERNELS_H
#include <stdint.h>
#include <arm_acle.h>

/* Layer parameters (int32 fields so a descriptor table written by Python maps onto it). */
typedef struct {
    int32_t ih, iw, ci, co;          /* input H, W, C; output channels */
    int32_t kh, kw, sy, sx, py, px;  /* kernel, stride, top/left padding */
    int32_t oh, ow;                  /* output H, W */
    int32_t colpad;                  /* im2col column length (q15 elements, zero padded) */
    int32_t reordered;               /* 1: CMSIS-NN _fast im2col order (ci % 4 == 0), 0: natural */
    int32_t bias_shift, out_shift, relu;
    int32_t oy0, oy1;                /* output rows computed */
    int32_t wbits;                   /* weight precision (VQ: 1..7; 8 = int8) */
} nn_conv_t;

static inline __attribute__((always_inline)) uint32_t nn_ld32(const void *p)
{
    uint32_t v;
    __builtin_memcpy(&v, p, 4);
    return v;
}
static inline __attribute__((always_inline)) void nn_st32(void *p, uint32_t v)
{
    __builtin_memcpy(p, &v, 4);
}
/* PKHBT: low halfword of a, low halfword of b in the top (clang emits PKHBT for this) */
static inline __attribute__((always_inline)) uint32_t nn_pack16(int32_t a, int32_t b)
{
    return ((uint32_t)a & 0xFFFFu) | ((uint32_t)b << 16);
}
static inline __attribute__((always_inline)) int32_t nn_round(int32_t shift)
{
    return shift > 0 ? (1 << (shift - 1)) : 0;
}

/* im2col of output pixel (oy, ox) into col (colpad int16), see nn_conv_q7.c */
void nn_im2col_q15(const nn_conv_t *c, const int8_t *in, int oy, int ox, int16_t *col);

/* 8-bit CMSIS-NN convolution (also pointwise and fully connected: kh = kw = 1, ih = iw = 1);
 * w: co rows of colpad int8 (natural order when reordered, else groups of 4 stored (0,2,1,3));
 * buf: 2 * colpad int16 */
void nn_conv_q7(const nn_conv_t *c, const int8_t *in, const int8_t *w, const int8_t *bias,
                int8_t *out, int16_t *buf);
/* Virtual Quantization: n-bit weights (c->wbits = 1..7) packed as isasim/qnn/vq.py describes */
void nn_conv_vq(const nn_conv_t *c, const int8_t *in, const uint32_t *w, const int8_t *bias,
                int8_t *out, int16_t *buf);
/* n-bit VQ weights -> int8 values on the 8-bit grid (count fields of a natural-order bitstream) */
void nn_vq_expand_i8(const uint32_t *w, int n, int count, int8_t *dst);
/* depthwise q7 (kh x kw, channel multiplier 1, ci == co, ci % 4 == 0); w [ky][kx][c] int8 */
void nn_dwconv_q7(const nn_conv_t *c, const int8_t *in, const int8_t *w, const int8_t *bias,
                  int8_t *out);
/* pooling over a kh x kw window clipped to the input (CMSIS-NN legacy semantics) */
void nn_maxpool_q7(const nn_conv_t *c, const int8_t *in, int8_t *out);
void nn_avgpool_q7(const nn_conv_t *c, const int8_t *in, int8_t *out);
/* out = ssat8((a + b + round) >> out_shift) [ReLU], n elements */
void nn_add_q7(const int8_t *a, const int8_t *b, int n, int out_shift, int relu, int8_t *out);
void nn_relu_q7(const int8_t *in, int n, int8_t *out);

/* INT-Q sub-byte convolutions (Rusci et al. 2018 data layout, experiments/rusci2018):
 * packed HWC input (ci % (32/bits) == 0), packed weight rows, int16 thresholds */
void nn_conv_int4(const nn_conv_t *c, const uint32_t *in, const uint32_t *w, const int16_t *th,
                  uint8_t *out, uint32_t *buf);
void nn_conv_int2(const nn_conv_t *c, const uint32_t *in, const uint32_t *w, const int16_t *th,
                  uint8_t *out, uint32_t *buf);
void nn_conv_bin(const nn_conv_t *c, const uint32_t *in, const uint32_t *w, const int16_t *th,
                 uint32_t *out, uint32_t *buf);
#endif
