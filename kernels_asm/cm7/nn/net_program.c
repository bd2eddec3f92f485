// isasim: -O3 -fno-strict-aliasing
/* net_program.c - the network runner's per-layer program as one translation unit (one compile and
 * one assemble per point instead of four): the layer dispatcher and every kernel it can call. */
#include "net_layer.c"
#include "nn_conv_q7.c"
#include "nn_conv_vq.c"
#include "nn_layers_q7.c"
