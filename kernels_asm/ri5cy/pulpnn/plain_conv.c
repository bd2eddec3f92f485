/* plain_conv.c - the 8-bit PULP-NN layer (uint8 activations, int8 weights, uint8 outputs,
 * clip((k*phi + lambda) >> OUT_SHIFT) per channel) as a straightforward C loop nest, for one RV32IMC
 * core without Xpulp extensions (clang -O2 only knows RV32IMC): the "sequential implementation on a
 * single RISC-V core implementing the baseline RV32IMC ISA" that PULP-NN's 63x speed-up refers to
 * (papers.md section 4.2). Same data symbols and defines as pulp_nn_conv.c
 * (experiments/bruschi2020/bruschi2020_workload.py, isa rv32imc); run with --target ri5cy.
 */
#include <stdint.h>

#if IB != 8 || WB != 8 || OB != 8
#error "plain_conv.c is the 8-bit layer only"
#endif

extern const uint8_t act_in[];
extern const int8_t wgt[];
extern const int32_t kappa[], lambd[];
extern uint8_t act_out[];

int main(void)
{
    for (int oy = 0; oy < OH; oy++) {
        for (int ox = 0; ox < OW; ox++) {
            uint8_t *out = act_out + (oy * OW + ox) * CO;
            for (int co = 0; co < CO; co++) {
                int32_t acc = 0;
                for (int ky = 0; ky < K; ky++) {
                    int iy = oy * STRIDE - PAD + ky;
                    if (iy < 0 || iy >= IH)
                        continue;
                    for (int kx = 0; kx < K; kx++) {
                        int ix = ox * STRIDE - PAD + kx;
                        if (ix < 0 || ix >= IW)
                            continue;
                        const uint8_t *x = act_in + (iy * IW + ix) * CI;
                        const int8_t *w = wgt + ((co * K + ky) * K + kx) * CI;
                        for (int ci = 0; ci < CI; ci++)
                            acc += x[ci] * w[ci];
                    }
                }
                int32_t v = (kappa[co] * acc + lambd[co]) >> OUT_SHIFT;
                out[co] = v < 0 ? 0 : (v > 255 ? 255 : v);
            }
        }
    }
    return 0;
}
