// isasim: -O3 -fno-strict-aliasing
/* rusci_driver.c - the compiled-kernel variants of experiments/rusci2018 (q7_c, int4_c, int2_c,
 * bin_c): the tile of the Rusci workload (same data symbols act_in, wgt, qparam, act_out and the same
 * -D defines as kernels_asm/cm7/rusci/conv_driver.c) computed by one call of the compiled CMSIS-NN /
 * INT-Q convolution of this directory (nn_conv_q7.c, nn_conv_intq.c). */
#include "nn_kernels.h"

extern const uint32_t act_in[];
extern const uint32_t wgt[];
#if BITS == 8
extern const int8_t qparam[];
extern int8_t act_out[];
static int16_t colbuf[2 * NUMCOL] __attribute__((aligned(4), section(".scratch")));
#else
extern const int16_t qparam[];
extern uint32_t act_out[];
static uint32_t colbuf[2 * COLW] __attribute__((section(".scratch")));
#endif

static const nn_conv_t layer = {
    .ih = IH, .iw = IW, .ci = CP, .co = CO, .kh = K, .kw = K, .sy = STRIDE, .sx = STRIDE,
    .py = PAD, .px = PAD, .oh = OH, .ow = OW, .colpad = NUMCOL, .reordered = 1,
    .bias_shift = BIAS_SHIFT, .out_shift = OUT_SHIFT, .relu = RELU,
    .oy0 = ROW0, .oy1 = ROW0 + NROWS, .wbits = BITS,
};

int main(void)
{
#if BITS == 8
    nn_conv_q7(&layer, (const int8_t *)act_in, (const int8_t *)wgt, qparam, act_out, colbuf);
#elif BITS == 4
    nn_conv_int4(&layer, act_in, wgt, qparam, (uint8_t *)act_out, colbuf);
#elif BITS == 2
    nn_conv_int2(&layer, act_in, wgt, qparam, (uint8_t *)act_out, colbuf);
#else
    nn_conv_bin(&layer, act_in, wgt, qparam, act_out, colbuf);
#endif
    return 0;
}
