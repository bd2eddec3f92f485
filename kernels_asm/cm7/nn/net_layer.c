// isasim: -O3 -fno-strict-aliasing
/* net_layer.c - the network runner's layer program (isasim/networks/cm7.py): runs the layer that the
 * descriptor l_desc describes (op code, then an nn_conv_t) on the input l_in (and l_in2 for add),
 * with weights l_wgt / biases l_bias, scratch l_scratch, writing l_out. All data symbols and their
 * sections (weights, activations, scratch placement) come from the workload generator. */
#include "nn_kernels.h"

extern const int32_t l_desc[];
extern const int8_t l_in[];
extern const int8_t l_in2[];
extern int8_t l_out[];
extern const uint32_t l_wgt[];
extern const int8_t l_bias[];
extern uint32_t l_scratch[];

enum { OP_CONV_Q7 = 1, OP_CONV_VQ, OP_DW_Q7, OP_DW_VQ, OP_MAXPOOL, OP_AVGPOOL, OP_RELU, OP_ADD };

int main(void)
{
    const nn_conv_t *c = (const nn_conv_t *)(l_desc + 1);
    switch (l_desc[0]) {
    case OP_CONV_Q7:
        nn_conv_q7(c, l_in, (const int8_t *)l_wgt, l_bias, l_out, (int16_t *)l_scratch);
        break;
    case OP_CONV_VQ:
        nn_conv_vq(c, l_in, l_wgt, l_bias, l_out, (int16_t *)l_scratch);
        break;
    case OP_DW_Q7:
        nn_dwconv_q7(c, l_in, (const int8_t *)l_wgt, l_bias, l_out);
        break;
    case OP_DW_VQ:
        nn_vq_expand_i8(l_wgt, c->wbits, c->kh * c->kw * c->ci, (int8_t *)l_scratch);
        nn_dwconv_q7(c, l_in, (const int8_t *)l_scratch, l_bias, l_out);
        break;
    case OP_MAXPOOL:
        nn_maxpool_q7(c, l_in, l_out);
        break;
    case OP_AVGPOOL:
        nn_avgpool_q7(c, l_in, l_out);
        break;
    case OP_RELU:
        nn_relu_q7(l_in, c->oh * c->ow * c->co, l_out);
        break;
    case OP_ADD:
        nn_add_q7(l_in, l_in2, c->oh * c->ow * c->co, c->out_shift, c->relu, l_out);
        break;
    default:
        return 1;
    }
    return 0;
}
