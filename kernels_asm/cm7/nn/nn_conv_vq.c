// isasim: -O3 -fno-strict-aliasing
/* nn_conv_vq.c - Virtual Quantization (Peluso et al. 2019, papers.md §3; mechanism not public, the
 * choices are isasim's and are documented in isasim/qnn/vq.py): convolutions with n-bit weights
 * (n = 1..7) expanded on the fly into the 16-bit SMLAD lanes of the 8-bit CMSIS-NN datapath
 * (nn_conv_q7.c: same im2col, same 2 x 2 blocking, same requantisation). One copy per n from
 * nn_vq_mm.inc; nn_conv_vq dispatches on c->wbits. -DVQ_ONLY=n compiles only the copy for n
 * (0: none), which the network runner's per-layer programs use to keep builds short. */
#include "nn_kernels.h"

static inline __attribute__((always_inline)) int8_t vq_out(int32_t acc, const nn_conv_t *c)
{
    int32_t v = __ssat(acc >> c->out_shift, 8);
    if (c->relu && v < 0)
        v = 0;
    return (int8_t)v;
}

/* sum of a q15 column (n = 1 offset term): SMLAD with (1, 1) */
static int32_t colsum(const int16_t *b, int colpad)
{
    const uint32_t *x = (const uint32_t *)b;
    int32_t s = 0;
    for (int i = 0; i < colpad / 2; i++)
        s = __smlad(x[i], 0x00010001u, s);
    return s;
}

/* one copy of nn_vq_mm.inc per n: functions vq<n>_conv, vq<n>_mm_2px, ... */
#define VQ_PASTE(n, name) vq##n##_##name
#define VQ_XPASTE(n, name) VQ_PASTE(n, name)
#define VQ_FN(name) VQ_XPASTE(VQ_N, name)
#define VQ_U (VQ_N == 4 ? 8 : (VQ_N == 2 || VQ_N == 6) ? 16 : 32)     /* 32 / gcd(n, 32) */
#if !defined(VQ_ONLY) || VQ_ONLY == 1
#define VQ_N 1
#include "nn_vq_mm.inc"
#undef VQ_N
#endif
#if !defined(VQ_ONLY) || VQ_ONLY == 2
#define VQ_N 2
#include "nn_vq_mm.inc"
#undef VQ_N
#endif
#if !defined(VQ_ONLY) || VQ_ONLY == 3
#define VQ_N 3
#include "nn_vq_mm.inc"
#undef VQ_N
#endif
#if !defined(VQ_ONLY) || VQ_ONLY == 4
#define VQ_N 4
#include "nn_vq_mm.inc"
#undef VQ_N
#endif
#if !defined(VQ_ONLY) || VQ_ONLY == 5
#define VQ_N 5
#include "nn_vq_mm.inc"
#undef VQ_N
#endif
#if !defined(VQ_ONLY) || VQ_ONLY == 6
#define VQ_N 6
#include "nn_vq_mm.inc"
#undef VQ_N
#endif
#if !defined(VQ_ONLY) || VQ_ONLY == 7
#define VQ_N 7
#include "nn_vq_mm.inc"
#undef VQ_N
#endif

void nn_conv_vq(const nn_conv_t *c, const int8_t *in, const uint32_t *w, const int8_t *bias,
                int8_t *out, int16_t *buf)
{
    switch (c->wbits) {
#if !defined(VQ_ONLY) || VQ_ONLY == 1
    case 1: vq1_conv(c, in, w, bias, out, buf); break;
#endif
#if !defined(VQ_ONLY) || VQ_ONLY == 2
    case 2: vq2_conv(c, in, w, bias, out, buf); break;
#endif
#if !defined(VQ_ONLY) || VQ_ONLY == 3
    case 3: vq3_conv(c, in, w, bias, out, buf); break;
#endif
#if !defined(VQ_ONLY) || VQ_ONLY == 4
    case 4: vq4_conv(c, in, w, bias, out, buf); break;
#endif
#if !defined(VQ_ONLY) || VQ_ONLY == 5
    case 5: vq5_conv(c, in, w, bias, out, buf); break;
#endif
#if !defined(VQ_ONLY) || VQ_ONLY == 6
    case 6: vq6_conv(c, in, w, bias, out, buf); break;
#endif
#if !defined(VQ_ONLY) || VQ_ONLY == 7
    case 7: vq7_conv(c, in, w, bias, out, buf); break;
#endif
    default: break;      /* a precision not compiled in: outputs stay unwritten (golden check fails) */
    }
}

/* n-bit natural-order bitstream -> int8 values on the 8-bit grid (once per layer, for depthwise) */
void nn_vq_expand_i8(const uint32_t *w, int n, int count, int8_t *dst)
{
    for (int j = 0; j < count; j++) {
        int pos = j * n, k = pos >> 5, p = pos & 31;
        uint32_t v = w[k] >> p;
        if (p + n > 32)
            v |= w[k + 1] << (32 - p);
        if (n == 1)
            dst[j] = (v & 1u) ? 64 : -64;
        else
            dst[j] = (int8_t)(((int32_t)(v << (32 - n)) >> (32 - n)) << (8 - n));
    }
}
