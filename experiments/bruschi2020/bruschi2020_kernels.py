"""Kernel generator for the reproduction of Bruschi et al., CF 2020 (papers.md §2): writes the 27
mixed-precision PULP-NN convolution kernels (and 6 XpulpNN-style variants) as RI5CY/XpulpV2
assembly into ``kernels_asm/ri5cy/pulpnn/``.

    python experiments/bruschi2020/bruschi2020_kernels.py          # (re)write the .S files
    python experiments/bruschi2020/bruschi2020_kernels.py --check  # exit 1 if a file is stale

Why assembly: PULP-NN's speed comes from PULP GCC emitting hardware loops (``lp.setup``) and
post-increment loads (``p.lw rd, 4(rs!)``) for its C kernels. isasim's C compiler is clang, which only
knows RV32IMC: it emits neither. So the hot loops (im2col expansion, zero padding, the 4x2 MatMul,
requantisation and output packing) are generated here as assembly with the instruction choice and
loop structure of the public PULP-NN code (``mixed/`` at 39048ae, papers.md §2.4; 8-bit MatMul of
v1.0 1f7cb0d ``pulp_nn_matmul_4x2_int8.c``), while the per-pixel control (which input rows and
columns are padding, chunking over cores, the odd-pixel leftover) is plain C
(``kernels_asm/ri5cy/pulpnn/pulp_nn_conv.c``, clang -O2), as in PULP-NN.

Each generated file ``pulp_nn_conv_u<in>_u<out>_i<w>.S`` (PULP-NN's naming: input, output, weight
precision) defines four functions with the RISC-V calling convention:

* ``pn_im2col(src, dst, nwords)``: ``nwords`` packed input words -> the im2col buffer. 8-bit input:
  word copy; 4/2-bit input: every nibble/crumb zero-extended to a byte with ``p.extractu`` and packed
  four at a time with ``pv.packlo.b``/``pv.packhi.b`` (PULP-NN ``pulp_nn_im2col_u{4,2}_to_u8``).
* ``pn_zero(dst, nwords)``: zero padding (PULP-NN ``pulp_zero_mem``).
* ``pn_matmul2(w, col, out, k, lambda)``: all output channels of two output pixels (the two columns of
  the im2col buffer ``col`` and ``col + NUMCOL``), 4 output channels x 2 pixels per step (8
  accumulators), unsigned x signed 8-bit dot products ``pv.sdotusp.b``; sub-byte weights are
  expanded in the inner loop every time they are used (``p.extract`` + ``pv.packlo.b``/``packhi.b``,
  PULP-NN ``pulp_nn_i{4,2}_to_i8``); then ``clip((k*phi + lambda) >> OUT_SHIFT)`` per channel
  (``mul``, ``add``, ``srai``, ``p.clipu``) and, for sub-byte outputs, ``p.insert`` of 2 nibbles / 4
  crumbs per byte.
* ``pn_matmul1``: the same for a single pixel (odd pixel at the end of a row chunk; PULP-NN handles
  it with a scalar loop over channels, here a 4x1 variant of the same loop).

The XpulpNN variants ``xpulpnn_conv_u<b>_u<out>_i<b>.S`` (b = 4 or 2, activations and weights of
the same precision) keep the im2col buffer packed (word copy, no expansion) and use the nibble /
crumb dot products ``pv.sdotusp.n`` / ``pv.sdotusp.c`` of the built-in ``qnn`` plug-in in the same
4x2 loop, as the XpulpNN kernels do (papers.md §5.3; the fused MAC&load is not modelled).

Layer constants come from the workload generator as preprocessor defines (NUMCOL, CO, OUT_SHIFT,
...); ``#if`` guards in each file refuse layers whose immediates would not fit.
"""
import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
OUT_DIR = os.path.join(ROOT, "kernels_asm", "ri5cy", "pulpnn")
PRECISIONS = (8, 4, 2)
XPULPNN_BITS = (4, 2)

# registers (RISC-V ABI names). Arguments: a0 = weights, a1 = im2col column, a2 = output,
# a3 = k, a4 = lambda. Accumulators s0..s7: ACC[channel][pixel].
PA, PB, POUT, PK, PL = "a0", "a1", "a2", "a3", "a4"
ACC = [["s0", "s4"], ["s1", "s5"], ["s2", "s6"], ["s3", "s7"]]
POOL = ["t0", "t1", "t2", "t3", "t4", "t5", "t6", "a5", "a6", "a7", "s8", "s9", "s10", "s11", "ra"]
SAVED = ["s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "ra"]
SDOT = {8: "pv.sdotusp.b", 4: "pv.sdotusp.n", 2: "pv.sdotusp.c"}


def kernel_name(in_bits, w_bits, out_bits, isa="xpulpv2"):
    """File stem of a kernel: PULP-NN order <input>_<output>_<weight>."""
    pre = {"xpulpv2": "pulp_nn_conv", "xpulpnn": "xpulpnn_conv"}[isa]
    return f"{pre}_u{in_bits}_u{out_bits}_i{w_bits}"


def kernel_path(in_bits, w_bits, out_bits, isa="xpulpv2"):
    return os.path.join(OUT_DIR, kernel_name(in_bits, w_bits, out_bits, isa) + ".S")


class Asm:
    def __init__(self):
        self.lines = []

    def __call__(self, text, comment=None):
        self.lines.append(f"  {text}" + (f"  /* {comment} */" if comment else ""))

    def label(self, name):
        self.lines.append(f"{name}:")

    def raw(self, text):
        self.lines.append(text)

    def text(self):
        return "\n".join(self.lines) + "\n"


# ---------------------------------------------------------------------------------------------
def _prologue(a, regs):
    n = -(-4 * len(regs) // 16) * 16
    a(f"addi sp, sp, -{n}")
    for i, r in enumerate(regs):
        a(f"sw {r}, {4 * i}(sp)")
    return n


def _epilogue(a, regs, n):
    for i, r in enumerate(regs):
        a(f"lw {r}, {4 * i}(sp)")
    a(f"addi sp, sp, {n}")
    a("ret")


def _unpack_v4(a, src, v, e0, e1, bits, base, signed, hook=None):
    """v = four ``bits``-bit lanes of ``src`` starting at lane ``base``, extended to bytes
    (PULP-NN pack4: two extracts + pv.packlo.b, two extracts + pv.packhi.b). ``hook`` is emitted
    after the last extract (a load scheduled into the free slot)."""
    ext = "p.extract" if signed else "p.extractu"
    pos = [(base + i) * bits for i in range(4)]
    a(f"{ext} {e0}, {src}, {bits - 1}, {pos[0]}")
    a(f"{ext} {e1}, {src}, {bits - 1}, {pos[1]}")
    a(f"pv.packlo.b {v}, {e1}, {e0}")
    a(f"{ext} {e0}, {src}, {bits - 1}, {pos[2]}")
    a(f"{ext} {e1}, {src}, {bits - 1}, {pos[3]}")
    if hook:
        hook()
    a(f"pv.packhi.b {v}, {e1}, {e0}")


def im2col(in_bits, buf_bits):
    """pn_im2col(a0 = src, a1 = dst, a2 = nwords of packed input) and pn_zero(a0, a1)."""
    a = Asm()
    a.raw("  .globl pn_im2col\n  .type pn_im2col, @function")
    a.label("pn_im2col")
    if in_bits == buf_bits:
        a.raw("  /* packed words are copied unchanged, two per iteration (no load-use stall) */")
        _copy_or_zero(a, copy=True)
    else:
        assert buf_bits == 8
        per_word = 32 // in_bits // 4          # output words per input word (2 for u4, 4 for u2)
        a.raw(f"  /* u{in_bits} -> u8: every input word gives {per_word} words of zero-extended "
              f"bytes; the next input word is loaded in the free slot after the last extract */")
        a("p.lw t0, 4(a0!)", "first input word")
        a("addi a2, a2, -1")
        a("beqz a2, .Lim2col_last")
        a("lp.setup x0, a2, .Lim2col_end")

        def body(load_next):
            b = Asm()
            for q in range(per_word):
                hook = (lambda: b("p.lw t0, 4(a0!)", "next input word")) \
                    if (load_next and q == per_word - 1) else None
                _unpack_v4(b, "t0", "t3", "t1", "t2", in_bits, 4 * q, False, hook)
                b("p.sw t3, 4(a1!)")
            return b.lines
        loop = body(True)
        a.lines += loop[:-1]
        a.label(".Lim2col_end")           # lpend = the last instruction of the body
        a.lines.append(loop[-1])
        a.label(".Lim2col_last")
        a.lines += body(False)
        a("ret")
    a.raw("  .size pn_im2col, .-pn_im2col")
    a.raw("")
    a.raw("  .globl pn_zero\n  .type pn_zero, @function")
    a.label("pn_zero")
    a.raw("  /* a0 = dst, a1 = nwords: zero words, two per iteration */")
    _copy_or_zero(a, copy=False)
    a.raw("  .size pn_zero, .-pn_zero")
    return a.text()


def _copy_or_zero(a, copy):
    n = "a2" if copy else "a1"
    dst = "a1" if copy else "a0"
    p = "cp" if copy else "z"
    a(f"andi t0, {n}, 1")
    a(f"beqz t0, .L{p}_even")
    if copy:
        a("p.lw t1, 4(a0!)")
        a(f"p.sw t1, 4({dst}!)")
    else:
        a(f"p.sw zero, 4({dst}!)")
    a.label(f".L{p}_even")
    a(f"srli {n}, {n}, 1")
    a(f"beqz {n}, .L{p}_done")
    a(f"lp.setup x0, {n}, .L{p}_end")
    if copy:
        a("p.lw t1, 4(a0!)")
        a("p.lw t2, 4(a0!)")
        a(f"p.sw t1, 4({dst}!)")
        a.label(f".L{p}_end")
        a(f"p.sw t2, 4({dst}!)")
    else:
        a(f"p.sw zero, 4({dst}!)")
        a.label(f".L{p}_end")
        a(f"p.sw zero, 4({dst}!)")
    a.label(f".L{p}_done")
    a("ret")


# ---------------------------------------------------------------------------------------------
def matmul(w_bits, out_bits, npix, buf_bits=8):
    """pn_matmul<npix>(a0 = weights, a1 = im2col, a2 = out, a3 = k, a4 = lambda): every output
    channel of ``npix`` (1 or 2) consecutive output pixels."""
    name = f"pn_matmul{npix}"
    simd = buf_bits                          # lane width of the dot product
    cols = 32 // w_bits                      # im2col columns per iteration (one weight word)
    na = simd // w_bits                      # activation words per pixel and iteration
    direct = (w_bits == simd)                # weights used as loaded (no expansion)
    a = Asm()
    a.raw(f"  .globl {name}\n  .type {name}, @function")
    a.label(name)
    how = "weights used as loaded" if direct else \
        f"each weight word expanded to {32 // w_bits // 4} x 4 bytes with p.extract + pv.pack*.b"
    a.raw(f"  /* {npix} pixel(s) x 4 output channels per group; {cols} columns per iteration: "
          f"{na} activation word(s) per pixel, one {w_bits}-bit weight word per channel ({how}); "
          f"{SDOT[simd]} = {32 // simd} MACs */")
    head, a = a, Asm()                      # the function body; the prologue comes last
    pool = list(POOL)
    e0, e1 = pool.pop(0), pool.pop(0)
    a(f"li {e0}, CO / 4")
    a(f"lp.setup x1, {e0}, .L{name}_group_end", "hardware loop 1: groups of 4 output channels")
    for c in range(4):
        for p in range(npix):
            a(f"mv {ACC[c][p]}, zero")
    a(f"li {e0}, NUMCOL / {cols}")
    a(f"lp.setup x0, {e0}, .L{name}_inner_end", f"hardware loop 0: {cols} columns per iteration")
    b = Asm()
    if direct:
        x = [pool.pop(0) for _ in range(npix)]
        w = [pool.pop(0) for _ in range(4)]
        # order of PULP-NN's 4x2 loop, scheduled so that no loaded value is used by the next
        # instruction: ch0 weights (post-increment), pixel 0, pixel 1, ch1.., then the dot products
        b(f"p.lw {w[0]}, 4({PA}!)", "weights, channel 0")
        b(f"p.lw {x[0]}, 4({PB}!)", "activations, pixel 0")
        if npix == 2:
            b(f"lw {x[1]}, (PIXB - 4)({PB})", "activations, pixel 1")
        b(f"lw {w[1]}, (ROWB - 4)({PA})", "weights, channel 1")
        if npix == 2:
            b(f"{SDOT[simd]} {ACC[0][0]}, {x[0]}, {w[0]}")
            b(f"{SDOT[simd]} {ACC[0][1]}, {x[1]}, {w[0]}")
            b(f"lw {w[2]}, (2 * ROWB - 4)({PA})", "weights, channel 2")
            b(f"{SDOT[simd]} {ACC[1][0]}, {x[0]}, {w[1]}")
            b(f"{SDOT[simd]} {ACC[1][1]}, {x[1]}, {w[1]}")
            b(f"lw {w[3]}, (3 * ROWB - 4)({PA})", "weights, channel 3")
            for c in (2, 3):
                b(f"{SDOT[simd]} {ACC[c][0]}, {x[0]}, {w[c]}")
                b(f"{SDOT[simd]} {ACC[c][1]}, {x[1]}, {w[c]}")
        else:
            b(f"lw {w[2]}, (2 * ROWB - 4)({PA})", "weights, channel 2")
            b(f"lw {w[3]}, (3 * ROWB - 4)({PA})", "weights, channel 3")
            for c in range(4):
                b(f"{SDOT[simd]} {ACC[c][0]}, {x[0]}, {w[c]}")
    else:
        x = [[pool.pop(0) for _ in range(na)] for _ in range(npix)]
        w, v = pool.pop(0), pool.pop(0)
        b(f"p.lw {w}, 4({PA}!)", "packed weights, channel 0")
        off = 0
        for j in range(na):
            b(f"p.lw {x[0][j]}, 4({PB}!)", f"activations, pixel 0, word {j}")
            off += 4
            if npix == 2:
                b(f"lw {x[1][j]}, (PIXB + {4 * j - off})({PB})", f"activations, pixel 1, word {j}")
        nv = 32 // w_bits // 4
        for c in range(4):
            for q in range(nv):
                hook = None
                if q == nv - 1 and c < 3:
                    hook = (lambda c=c: b(f"lw {w}, ({c + 1} * ROWB - 4)({PA})",
                                          f"packed weights, channel {c + 1}"))
                _unpack_v4(b, w, v, e0, e1, w_bits, 4 * q, True, hook)
                for p in range(npix):
                    b(f"{SDOT[simd]} {ACC[c][p]}, {x[p][q]}, {v}")
    body = b.lines
    a.lines += body[:-1]
    a.label(f".L{name}_inner_end")
    a.lines.append(body[-1])
    # requantisation: clip((k * phi + lambda) >> OUT_SHIFT, 0, 2^OB - 1), then store / pack
    a.raw("  /* requantisation per channel: clip((k * phi + lambda) >> OUT_SHIFT, 0, 2^OB - 1) */")
    for c in range(4):
        a(f"p.lw {e0}, 4({PK}!)", f"k[{c}]")
        a(f"p.lw {e1}, 4({PL}!)", f"lambda[{c}]")
        for p in range(npix):
            a(f"mul {ACC[c][p]}, {ACC[c][p]}, {e0}")
        for p in range(npix):
            a(f"add {ACC[c][p]}, {ACC[c][p]}, {e1}")
        for p in range(npix):
            a(f"srai {ACC[c][p]}, {ACC[c][p]}, OUT_SHIFT")
        for p in range(npix):
            a(f"p.clipu {ACC[c][p]}, {ACC[c][p]}, {out_bits + 1}", f"[0, {(1 << out_bits) - 1}]")
        if out_bits == 8:
            _store(a, npix, ACC[c])
        elif out_bits == 4 and c % 2 == 1:
            for p in range(npix):
                a(f"p.insert {ACC[c - 1][p]}, {ACC[c][p]}, 3, 4", "two nibbles per byte")
            _store(a, npix, ACC[c - 1])
        elif out_bits == 2 and c == 3:
            for p in range(npix):
                for i in (1, 2, 3):
                    a(f"p.insert {ACC[0][p]}, {ACC[i][p]}, 1, {2 * i}", "four crumbs per byte")
            _store(a, npix, ACC[0])
    # (the file header refuses layers whose offsets do not fit the 12-bit immediates)
    a(f"addi {PB}, {PB}, -PIXB", "back to the start of the im2col column")
    a.label(f".L{name}_group_end")
    a(f"addi {PA}, {PA}, (3 * ROWB)", "the weight pointer has passed one row: skip the other three")
    used = set(POOL) - set(pool) | {r for row in ACC for r in row[:npix]}
    saved = [r for r in SAVED if r in used]            # callee-saved registers the body uses
    frame = _prologue(head, saved)
    head.lines += a.lines
    _epilogue(head, saved, frame)
    head.raw(f"  .size {name}, .-{name}")
    return head.text()


def _store(a, npix, regs):
    if npix == 2:
        a(f"sb {regs[1]}, OUTPIX({POUT})", "pixel 1")
    a(f"p.sb {regs[0]}, 1({POUT}!)", "pixel 0")


def kernel_file(in_bits, w_bits, out_bits, isa="xpulpv2"):
    """Text of one generated kernel file."""
    if isa == "xpulpnn":
        if not (in_bits == w_bits and in_bits in XPULPNN_BITS):
            raise ValueError("XpulpNN kernels are generated for u4 x i4 and u2 x i2 only")
        buf = in_bits
    else:
        buf = 8
    nm = kernel_name(in_bits, w_bits, out_bits, isa)
    what = (f"XpulpNN-style: packed {in_bits}-bit im2col, {SDOT[buf]} (plug-in qnn)" if isa == "xpulpnn"
            else "XpulpV2 (GAP-8): 8-bit im2col, pv.sdotusp.b")
    head = f"""/* GENERATED by experiments/bruschi2020/bruschi2020_kernels.py -- do not edit.
 * {nm}: uint{in_bits} input, int{w_bits} weights, uint{out_bits} output; {what}.
 * Driver: pulp_nn_conv.c (same defines). Defines from the workload generator
 * (experiments/bruschi2020/bruschi2020_workload.py): NUMCOL (im2col column length = K*K*CI),
 * CO, OUT_SHIFT, BB (im2col bits, must be {buf}), IB/WB/OB.
 */
#if IB != {in_bits} || WB != {w_bits} || OB != {out_bits} || BB != {buf}
#error "{nm}.S built with other precision defines (IB/WB/OB/BB)"
#endif
#if (CO % 4) || (NUMCOL % {32 // w_bits})
#error "{nm}: CO must be a multiple of 4 and NUMCOL of {32 // w_bits}"
#endif
#define ROWB (NUMCOL * {w_bits} / 8)      /* bytes of one weight row (output channel) */
#define PIXB (NUMCOL * {buf} / 8)         /* bytes of one im2col column (output pixel) */
#define OUTPIX (CO * {out_bits} / 8)      /* bytes of one output pixel */
#if (3 * ROWB + 4 > 2047) || (PIXB + 16 > 2047) || (OUTPIX > 2047)
#error "{nm}: layer too large for the 12-bit load/store offsets of this kernel"
#endif
  .text
  .align 2
"""
    return head + "\n".join([im2col(in_bits, buf), matmul(w_bits, out_bits, 2, buf),
                             matmul(w_bits, out_bits, 1, buf)])


def all_kernels():
    """[(in_bits, w_bits, out_bits, isa)] of every generated kernel."""
    ks = [(i, w, o, "xpulpv2") for i in PRECISIONS for w in PRECISIONS for o in PRECISIONS]
    ks += [(b, b, o, "xpulpnn") for b in XPULPNN_BITS for o in PRECISIONS]
    return ks


def write_all(out_dir=OUT_DIR, check=False):
    """Write (or with ``check`` compare) every kernel file; returns the stale/written paths."""
    os.makedirs(out_dir, exist_ok=True)
    changed = []
    for i, w, o, isa in all_kernels():
        path = os.path.join(out_dir, kernel_name(i, w, o, isa) + ".S")
        text = kernel_file(i, w, o, isa)
        old = open(path).read() if os.path.isfile(path) else None
        if old != text:
            changed.append(path)
            if not check:
                with open(path, "w") as f:
                    f.write(text)
    return changed


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true", help="only report stale files (exit 1)")
    ap.add_argument("--out", default=OUT_DIR)
    a = ap.parse_args(argv)
    changed = write_all(a.out, a.check)
    for p in changed:
        print(("stale: " if a.check else "wrote: ") + os.path.relpath(p))
    return 1 if (a.check and changed) else 0


if __name__ == "__main__":
    sys.exit(main())
