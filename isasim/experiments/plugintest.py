"""``isasim plugins test FILE``: every instruction of a plug-in, executed by the cores it runs on,
compared with a reference function over edge and random operands.

For each instruction, one program is built that runs the instruction once per operand sample
(operands loaded from a table, results stored to another, an unrolled copy per immediate value),
then run on the core(s) of its ISA (RISC-V: ``ri5cy``; Thumb-2: ``cm7``), and every result compared
with the reference. The reference of an instruction is, in this order: ``--ref module:function``
(applies to every instruction: ``function(name, **operands)`` -> value or tuple), a function in the
plug-in module's ``REFERENCES = {mnemonic: function}`` (called with the instruction's operands), and
otherwise the instruction's own ``sem`` (this then checks that the cores execute the description:
operand binding, encoding fields, two destinations, memory operands). An independent reference is
what catches a bug in ``sem`` itself, e.g. two lanes swapped.

Operands: edge values (0, 1, -1, the sign bits, alternating patterns, each lane at its extremes)
and random values; with hypothesis installed the random values are drawn from its integer
strategy (which favours boundaries), otherwise from numpy with a fixed seed.
"""
import importlib
import inspect
import os
import sys
import tempfile

import numpy as np

from ..errors import IsasimError

EDGES = [0, 1, 0xFFFFFFFF, 0x80000000, 0x7FFFFFFF, 0x00008000, 0x00007FFF, 0xFFFF0000, 0x0000FFFF,
         0x55555555, 0xAAAAAAAA, 0x88888888, 0x77777777, 0x80808080, 0x7F7F7F7F, 0x01234567,
         0x89ABCDEF, 0xCCCCCCCC, 0x33333333, 0xF0F0F0F0, 0x0F0F0F0F]
RV_REGS = {"rd": "a0", "rs1": "a1", "rs2": "a2", "rs3": "a3"}
TH_REGS = {"rd": "r4", "rd1": "r5", "rn": "r1", "rm": "r2"}


class Mismatch(IsasimError):
    exit_code = 4


def _samples(n, seed):
    vals = list(EDGES)
    try:
        from hypothesis import HealthCheck, Phase, given, settings, strategies as st
        got = []

        @settings(max_examples=n, database=None, phases=[Phase.generate], derandomize=True,
                  suppress_health_check=list(HealthCheck), deadline=None)
        @given(st.integers(0, 0xFFFFFFFF))
        def draw(x):
            got.append(x)
        draw()
        vals += got[:n]
    except ImportError:
        rng = np.random.default_rng(seed)
        vals += [int(x) for x in rng.integers(0, 1 << 32, n, dtype=np.uint64)]
    return vals


def _imm_values(ins, name):
    bits = ins.operand_bits(name)
    top, low = max(bits), min(bits)
    from ..isa.spec import SIGNED
    if name in SIGNED:
        lo, hi = -(1 << top), (1 << top) - 1
    else:
        lo, hi = 0, (1 << (top + 1)) - 1
    vals = sorted({lo, hi, 0, 1 if hi >= 1 else 0, hi // 2, lo // 2 if lo else 0})
    return [v for v in vals if v % (1 << low) == 0 and lo <= v <= hi]


def _reference(ins, mod, ref):
    if ref is not None:
        return lambda **kw: ref(ins.name, **kw)
    table = getattr(mod, "REFERENCES", None) or {}
    if ins.name in table:
        return table[ins.name]
    return ins.sem


def _load_ref(spec):
    if not spec:
        return None
    if ":" not in spec:
        raise IsasimError(f"--ref {spec}: expected module:function")
    mod, fn = spec.split(":", 1)
    sys.path.insert(0, os.getcwd())
    try:
        f = getattr(importlib.import_module(mod), fn, None)
    except Exception as e:
        raise IsasimError(f"--ref {spec}: cannot import {mod}: {type(e).__name__}: {e}")
    if not callable(f):
        raise IsasimError(f"--ref {spec}: {mod} has no function {fn}")
    return f


def _regs(ins):
    return [p for p in inspect.signature(ins.sem).parameters if p in ("rd", "rs1", "rs2", "rs3",
                                                                          "rn", "rm")]


def _program_rv(ins, imms, nsamp):
    """RISC-V: per sample, load rd/rs1/rs2/rs3 (and the memory word) from `ops`, execute every
    immediate variant, store rd (and a second destination, and rs1 for post-increment)."""
    writes = ins.params.get("writes", ("rd",))
    ld = ins.params.get("load")
    lines = ["  .text", "  .globl main", "main:",
             "  la t0, ops", "  la t1, res", f"  li t2, {nsamp}", "1:"]
    syn = ins.syntax
    for combo in imms:
        lines += ["  lw a0, 0(t0)", "  lw a1, 4(t0)", "  lw a2, 8(t0)", "  lw a3, 12(t0)"]
        if ld:
            lines += ["  lw t3, 16(t0)", "  la a1, memw", "  sw t3, 0(a1)"]
        text = syn
        for op, v in combo.items():
            text = _subst(text, op, str(v))
        for r, name in RV_REGS.items():
            text = _subst(text, r, name)
        lines.append(f"  {ins.name} {text}")
        for w in writes:
            lines.append(f"  sw {RV_REGS.get(w, 'a0')}, 0(t1)")
            lines.append("  addi t1, t1, 4")
        if ld:
            lines += ["  la t3, memw", "  sub t3, a1, t3", "  sw t3, 0(t1)", "  addi t1, t1, 4"]
    lines += ["  addi t0, t0, 20", "  addi t2, t2, -1", "  bnez t2, 1b", "  li a0, 0", "  ret",
              "  .data", "  .balign 4", "memw: .word 0"]
    return "\n".join(lines) + "\n"


def _program_th(ins, imms, nsamp):
    writes = ins.params.get("writes", ("rd",))
    ld = ins.params.get("load")
    lines = ["  .syntax unified", "  .thumb", "  .text", "  .globl main", "  .type main, %function",
             "  .thumb_func", "main:", "  push {r4-r8, lr}", "  ldr r6, =ops", "  ldr r7, =res",
             f"  ldr r8, ={nsamp}", "1:"]
    for combo in imms:
        lines += ["  ldr r4, [r6, #0]", "  ldr r1, [r6, #4]", "  ldr r2, [r6, #8]",
                  "  ldr r5, [r6, #12]"]
        if ld:
            lines += ["  ldr r3, [r6, #16]", "  ldr r1, =memw", "  str r3, [r1]"]
        text = ins.syntax
        for op, v in combo.items():
            text = _subst(text, op, f"#{v}")
        for r, name in TH_REGS.items():
            text = _subst(text, r, name)
        lines.append(f"  {ins.name} {text}")
        for w in writes:
            lines += [f"  str {TH_REGS.get(w, 'r4')}, [r7], #4"]
        if ld:
            lines += ["  ldr r3, =memw", "  sub r3, r1, r3", "  str r3, [r7], #4"]
    lines += ["  adds r6, r6, #20", "  subs r8, r8, #1", "  bne 1b", "  movs r0, #0",
              "  pop {r4-r8, pc}", "  .pool", "  .data", "  .balign 4", "memw: .word 0"]
    return "\n".join(lines) + "\n"


def _subst(text, name, val):
    import re
    return re.sub(rf"\b{re.escape(name)}\b", val, text)


def _expected(ins, fn, combo, sample):
    """Reference results of one sample: [outputs..., post-increment delta]."""
    regs = {"rd": sample[0], "rs1": sample[1], "rs2": sample[2], "rs3": sample[3],
            "rn": sample[1], "rm": sample[2]}
    if ins.isa == "thumb2":
        regs["rd"] = sample[0]
    kw = {}
    for p in inspect.signature(ins.sem).parameters:
        if p in regs:
            kw[p] = regs[p]
        elif p == "mem":
            kw[p] = sample[4]
        elif p in combo:
            kw[p] = combo[p]
        elif p == "pc":
            raise IsasimError(f"{ins.source}: {ins.name}: a pc-dependent instruction cannot be "
                              f"tested in isolation")
        else:
            raise IsasimError(f"{ins.source}: {ins.name}: semantics parameter '{p}' is not an operand")
    r = fn(**kw)
    outs = [int(x) & 0xFFFFFFFF for x in (r if isinstance(r, tuple) else (r,))]
    ld = ins.params.get("load")
    if ld:
        outs.append(int(ld.get("post_increment", 0)) & 0xFFFFFFFF)
    return outs, kw


def test_instruction(ins, mod, ref, nsamp, seed, workdir, plugin_path):
    from ..simulate import run_elf
    from ..toolchain.build import build_elf
    imm_ops = [o for o in ins.operands if o not in ("rd", "rs1", "rs2", "rs3", "rn", "rm")]
    if any(o in ("off", "loff") for o in imm_ops):
        raise IsasimError(f"{ins.source}: {ins.name}: control-flow instructions cannot be tested "
                          f"in isolation")
    combos = [{}]
    for o in imm_ops:
        combos = [dict(c, **{o: v}) for c in combos for v in _imm_values(ins, o)]
    if len(combos) > 16:
        combos = combos[:: max(1, len(combos) // 16)][:16]
    vals = _samples(nsamp, seed)
    n = len(vals)
    rng = np.random.default_rng(seed + 1)
    ops = np.zeros((n, 5), np.uint32)
    for j in range(5):                  # each operand column walks the samples in its own order
        perm = rng.permutation(n) if j else np.arange(n)
        ops[:, j] = np.array(vals, dtype=np.uint64)[perm].astype(np.uint32)
    nout = len(ins.params.get("writes", ("rd",))) + (1 if ins.params.get("load") else 0)
    thumb = ins.isa == "thumb2"
    target = "cm7" if thumb else "ri5cy"
    src = (_program_th if thumb else _program_rv)(ins, combos, n)
    data = ("  .data\n  .balign 4\n  .globl ops\nops:\n" +
            "".join(f"  .word {', '.join(str(int(x)) for x in row)}\n" for row in ops) +
            f"  .globl res\nres: .space {4 * n * len(combos) * nout}\n")
    base = os.path.join(workdir, ins.name.replace(".", "_"))
    with open(base + ".S", "w") as f:
        f.write(src + data)
    elf = build_elf(target, [base + ".S"], base + ".elf", plugins=[plugin_path])
    res = run_elf(elf, target, plugins=[plugin_path],
                  read_symbols={"res": 4 * n * len(combos) * nout})
    if res["exit_code"] != 0:
        raise IsasimError(f"{ins.name}: the test program exited with {res['exit_code']}")
    got = np.frombuffer(res["memory"]["res"], dtype="<u4").reshape(n, len(combos), nout)
    for i in range(n):
        for c, combo in enumerate(combos):
            exp, kw = _expected(ins, ref, combo, [int(x) for x in ops[i]])
            g = [int(x) for x in got[i, c]]
            if g != exp:
                shown = ", ".join(f"{k}=0x{v & 0xFFFFFFFF:08x}" if k not in combo else f"{k}={v}"
                                  for k, v in kw.items())
                what = ", ".join(f"0x{x:08x}" for x in g)
                want = ", ".join(f"0x{x:08x}" for x in exp)
                raise Mismatch(f"{ins.source}: {ins.name} on {target}: {shown}: the core gives "
                               f"{what}, the reference {want}")
    return target, n * len(combos)


def main(a):
    from ..isa.registry import load_table
    from ..plugins import resolve, _import
    files = resolve([a.file])
    ref = _load_ref(a.ref)
    total = 0
    with tempfile.TemporaryDirectory(prefix="isasim-plugintest-") as tmp:
        for path in files:
            mod = _import(path)
            names = [i.name for i in getattr(mod, "INSTRUCTIONS", [])]
            for isa in ("rv32", "cm7"):
                t = load_table(isa, [path])
                for ins in t.instrs[t.n_builtin:]:
                    if a.instr and ins.name not in a.instr:
                        continue
                    fn = _reference(ins, mod, ref)
                    kind = "--ref" if ref else ("REFERENCES" if fn is not ins.sem else "its sem")
                    target, k = test_instruction(ins, mod, fn, a.samples, a.seed, tmp, path)
                    total += k
                    print(f"{ins.name:<20} {target:<6} {k:6d} cases  OK (reference: {kind})")
            if a.instr:
                missing = [n for n in a.instr if n not in names]
                if missing:
                    raise IsasimError(f"{path}: no instruction {', '.join(missing)}")
    print(f"{total} cases passed")
    return 0
