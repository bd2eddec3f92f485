/* pulp_nn_conv.c - control part of the PULP-NN-style mixed-precision convolution on the GAP-8
 * cluster (Bruschi et al., CF 2020; structure of pulp-platform/pulp-nn mixed/ at 39048ae,
 * pulp_nn_conv_u4_u8_i4.c, papers.md section 2.4). Linked with one generated kernel file
 * (pulp_nn_conv_u<in>_u<out>_i<w>.S or xpulpnn_conv_*.S, see
 * experiments/bruschi2020/bruschi2020_kernels.py) that provides pn_im2col, pn_zero, pn_matmul2 and
 * pn_matmul1 (hardware loops, post-increment loads: the parts PULP GCC would compile that way).
 *
 * Every core (SPMD) runs main():
 *   - Work split as in PULP-NN: output rows in chunks of ceil(OH / n) over the n cores; when OH is
 *     not a multiple of n (and OW > 1) pairs of cores share each row chunk, core 2i taking the left
 *     OW/2 pixels of every row and core 2i+1 the rest.
 *   - Each core owns a private im2col buffer of two columns (2 * NUMCOL elements of BB bits) in L1,
 *     back to back as in PULP-NN, or IM2COL_SKEW words apart.
 *     For each output pixel the receptive field is written into it (pn_im2col for the part inside
 *     the input, pn_zero for padding); after two pixels pn_matmul2 computes every output channel of
 *     both; an odd pixel left at the end of a row chunk goes through pn_matmul1.
 *   - A barrier at the end: core 0 returns (ending the run) only when every core is done.
 * Data (from the workload generator, all in the TCDM): act_in (HWC, IB-bit unsigned, packed),
 * wgt (CO rows of K*K*CI WB-bit signed values, packed), kappa / lambd (int32 per output channel),
 * act_out (HWC, OB-bit unsigned, packed). A core count above IM2COL_CORES returns 90.
 */
#include <stdint.h>
#include "pulp_cluster.h"

#define PIXB_IN   (CI * IB / 8)      /* bytes of one input pixel (packed) */
#define WORDS_PIX (CI * IB / 32)     /* 32-bit words of one input pixel */
#define SPAN_PIX  (CI * BB / 8)      /* bytes of one pixel in the im2col buffer */
#define COLB      (NUMCOL * BB / 8)  /* bytes of one im2col column */
#define OUTPIX    (CO * OB / 8)      /* bytes of one output pixel */

#if (CI * IB) % 32 || (CI * BB) % 32
#error "an input pixel must fill whole 32-bit words (CI * IB and CI * BB multiples of 32)"
#endif

extern const uint8_t act_in[];
extern const int8_t wgt[];
extern const int32_t kappa[], lambd[];
extern uint8_t act_out[];

void pn_im2col(const uint8_t *src, uint8_t *dst, int nwords);
void pn_zero(uint8_t *dst, int nwords);
void pn_matmul2(const int8_t *w, const uint8_t *col, uint8_t *out, const int32_t *k, const int32_t *l);
void pn_matmul1(const int8_t *w, const uint8_t *col, uint8_t *out, const int32_t *k, const int32_t *l);

/* per-core buffers: PULP-NN places them back to back (IM2COL_SKEW = 0); IM2COL_SKEW words of gap
 * between them move every core's buffer to other TCDM banks (a layout experiment) */
#define COLSTRIDE (2 * COLB + 4 * IM2COL_SKEW)
static uint8_t im2col[IM2COL_CORES * COLSTRIDE] __attribute__((section(".tcdm"), aligned(4)));

/* receptive field of output pixel (oy, ox) -> dst; returns the end of the written column */
static uint8_t *fill(uint8_t *dst, int oy, int ox)
{
    int iy0 = oy * STRIDE - PAD, ix0 = ox * STRIDE - PAD;
    int nl = ix0 < 0 ? -ix0 : 0;                 /* padding columns on the left */
    if (nl > K)
        nl = K;
    int nr = ix0 + K - IW;                       /* ... and on the right */
    if (nr < 0)
        nr = 0;
    if (nr > K - nl)
        nr = K - nl;
    int nm = K - nl - nr;
    for (int ky = 0; ky < K; ky++) {
        int iy = iy0 + ky;
        if (iy < 0 || iy >= IH) {
            pn_zero(dst, K * SPAN_PIX / 4);
        } else {
            uint8_t *d = dst;
            if (nl) {
                pn_zero(d, nl * SPAN_PIX / 4);
                d += nl * SPAN_PIX;
            }
            if (nm) {
                pn_im2col(act_in + (iy * IW + ix0 + nl) * PIXB_IN, d, nm * WORDS_PIX);
                d += nm * SPAN_PIX;
            }
            if (nr)
                pn_zero(d, nr * SPAN_PIX / 4);
        }
        dst += K * SPAN_PIX;
    }
    return dst;
}

int main(void)
{
    int id = pulp_core_id(), nc = pulp_nb_cores();
    if (nc > IM2COL_CORES)
        return 90;
    int ncr = nc, idr = id, x0 = 0, x1 = OW;
    if (nc > 1 && (OH % nc) != 0 && OW > 1) {    /* PULP-NN: pairs of cores split each row */
        ncr = nc >> 1;
        idr = id >> 1;
        if (id & 1)
            x0 = OW >> 1;
        else
            x1 = OW >> 1;
    }
    int chunk = (OH + ncr - 1) / ncr;
    int y0 = chunk * idr, y1 = y0 + chunk;
    if (y0 > OH)
        y0 = OH;
    if (y1 > OH)
        y1 = OH;
    uint8_t *col = im2col + id * COLSTRIDE;
    for (int oy = y0; oy < y1; oy++) {
        uint8_t *p = col;
        for (int ox = x0; ox < x1; ox++) {
            p = fill(p, oy, ox);
            if (p == col + 2 * COLB) {
                pn_matmul2(wgt, col, act_out + (oy * OW + ox - 1) * OUTPIX, kappa, lambd);
                p = col;
            }
        }
        if (p != col)
            pn_matmul1(wgt, col, act_out + (oy * OW + x1 - 1) * OUTPIX, kappa, lambd);
    }
    pulp_barrier();
    return 0;
}
