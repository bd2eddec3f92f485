// isasim: -O3 -fno-strict-aliasing
/* net_layer.c - the network runner's layer program (isasim/networks/cm7.py): runs the layer that the
 * descriptor l_desc describes (op code, then an nn_conv_t) on the input l_in (and l_in2 for add),
 * with weights l_wgt / biases l_bias, scratch l_scratch, writing l_out; with -DNET_WHOLE=1 the whole
 * network from the table n_table (see below). All data symbols and their sections (weights,
 * activations, scratch placement) come from the workload generator (isasim/networks/workload.py). */
#include "nn_kernels.h"

enum { OP_CONV_Q7 = 1, OP_CONV_VQ, OP_DW_Q7, OP_DW_VQ, OP_MAXPOOL, OP_AVGPOOL, OP_RELU, OP_ADD };

/* one layer: op code of isasim/networks/cm7.py OPS; returns 0, or 1 for an unknown op */
static int nn_run_layer(int op, const nn_conv_t *c, const int8_t *in, const int8_t *in2, int8_t *out,
                        const uint32_t *wgt, const int8_t *bias, uint32_t *scratch)
{
    switch (op) {
    case OP_CONV_Q7:
        nn_conv_q7(c, in, (const int8_t *)wgt, bias, out, (int16_t *)scratch);
        break;
    case OP_CONV_VQ:
        nn_conv_vq(c, in, wgt, bias, out, (int16_t *)scratch);
        break;
    case OP_DW_Q7:
        nn_dwconv_q7(c, in, (const int8_t *)wgt, bias, out);
        break;
    case OP_DW_VQ:
        nn_vq_expand_i8(wgt, c->wbits, c->kh * c->kw * c->ci, (int8_t *)scratch);
        nn_dwconv_q7(c, in, (const int8_t *)scratch, bias, out);
        break;
    case OP_MAXPOOL:
        nn_maxpool_q7(c, in, out);
        break;
    case OP_AVGPOOL:
        nn_avgpool_q7(c, in, out);
        break;
    case OP_RELU:
        nn_relu_q7(in, c->oh * c->ow * c->co, out);
        break;
    case OP_ADD:
        nn_add_q7(in, in2, c->oh * c->ow * c->co, c->out_shift, c->relu, out);
        break;
    default:
        return 1;
    }
    return 0;
}

#if NET_WHOLE
/* whole network in one program: n_table = {layer count, then per layer NN_ROW words: op,
 * nn_conv_t, (base, offset) of input, input2 and output (base 0 = the activation arena n_act,
 * 1 = the final output n_out), byte offsets of the weights and biases in n_wgt} */
#define NN_ROW (1 + (int)(sizeof(nn_conv_t) / 4) + 8)
extern const int32_t n_table[];
extern int8_t n_act[];
extern int8_t n_out[];
extern const uint32_t n_wgt[];
extern uint32_t n_scr[];

static int8_t *nn_ptr(int base, int off)
{
    return (base ? n_out : n_act) + off;
}

int main(void)
{
    for (int i = 0; i < n_table[0]; i++) {
        const int32_t *t = n_table + 1 + i * NN_ROW;
        const int32_t *p = t + 1 + sizeof(nn_conv_t) / 4;
        const int8_t *wb = (const int8_t *)n_wgt;
        if (nn_run_layer(t[0], (const nn_conv_t *)(t + 1), nn_ptr(p[0], p[1]), nn_ptr(p[2], p[3]),
                         nn_ptr(p[4], p[5]), (const uint32_t *)(wb + p[6]), wb + p[7], n_scr))
            return 1;
    }
    return 0;
}
#else
extern const int32_t l_desc[];
extern const int8_t l_in[];
extern const int8_t l_in2[];
extern int8_t l_out[];
extern const uint32_t l_wgt[];
extern const int8_t l_bias[];
extern uint32_t l_scratch[];

int main(void)
{
    return nn_run_layer(l_desc[0], (const nn_conv_t *)(l_desc + 1), l_in, l_in2, l_out, l_wgt, l_bias,
                        l_scratch);
}
#endif
