"""Bit layout of the Thumb-2 forms that trap on the Cortex-M7: the Armv8.1-M Custom Datapath
Extension (CDE) CX1/CX2/CX3 on coprocessors p0-p7, and UDF. The one place that knows it: the
encoding builders below (for plug-in tables), the core's trap decoder
(isasim.cores.cm7.traps.decode), the plug-in kind detection (isasim.cores.cm7.plugins) and the
load-time checks (isasim.plugins.thumb2) are all derived from ``FORMS``.

Layout (isa_timing.md §2.7, LLVM ARMInstrCDE.td), in the instruction-table encoding format, bit 31
(hw1 bit 15) first; hw1 is the first halfword in memory:
  CX1{A}{D} p<cp>, Rd, #imm13        111 A 1110 00 imm[12:7]  Rd  0 cp imm[6] D imm[5:0]
  CX2{A}{D} p<cp>, Rd, Rn, #imm9     111 A 1110 01 imm[8:7] Rn  Rd  0 cp imm[6] D imm[5:0]
  CX3{A}{D} p<cp>, Rd, Rn, Rm, #imm6 111 A 1110 1 imm[5:3] Rn  Rm  0 cp imm[2] D imm[1:0] Rd
A = accumulate (Rd is also read), D = dual (the pair Rd, Rd+1 is written), bit 11 = 0 selects p0-p7.
UDF.W #imm16 (T2) is 11110 111 1111 imm[15:12] 1010 imm[11:0]; UDF #imm8 (T1) is 11011110 imm[7:0].
On an Armv7E-M core (the M7) the CDE words are coprocessor-space encodings on p0-p7 that raise NOCP,
which Unicorn reports as intno 17; UDF raises UC_HOOK_INSN_INVALID (isa_timing.md §3.3). isasim's
trap hook runs the plug-in's semantics there.
The builders return encoding strings in the instruction-table format with the opcode immediate,
coprocessor, A and D fixed, so one coprocessor can hold many plug-in instructions (64 CX3 opcodes
each).
"""
from ..isa.spec import Instr

LAYOUT = {   # form -> encoding; fields: opc = opcode immediate, cp = coprocessor, acc = A, dual = D
    "cx1": "111 acc:1 1110 00 opc[12:7] rd:4 0 cp:3 opc[6] dual:1 opc[5:0]",
    "cx2": "111 acc:1 1110 01 opc[8:7] rn:4 rd:4 0 cp:3 opc[6] dual:1 opc[5:0]",
    "cx3": "111 acc:1 1110 1 opc[5:3] rn:4 rm:4 0 cp:3 opc[2] dual:1 opc[1:0] rd:4",
    "udf.w": "11110 111 1111 opc[15:12] 1010 opc[11:0]",
    "udf": "11011110 opc[7:0]",
}
CDE_KINDS = ("cx1", "cx2", "cx3")
REGISTERS = {"cx1": ("rd",), "cx2": ("rd", "rn"), "cx3": ("rd", "rn", "rm")}   # GPR fields per form


def _form(name, enc):
    ops = [t.split("[")[0].split(":")[0] for t in enc.split() if not set(t) <= set("01-")]
    return Instr(name, ", ".join(dict.fromkeys(ops)), enc, isa="thumb2")


FORMS = {name: _form(name, enc) for name, enc in LAYOUT.items()}


def form_of(match, mask):
    """The form (name) whose fixed bits an encoding with ``match``/``mask`` has, or None."""
    for name, f in FORMS.items():
        if f.width == 32 and (mask & f.mask) == f.mask and (match & f.mask) == f.match:
            return name
    return None


def decode_word(hw1, hw2):
    """(form name, field values, size in bytes) of a trap candidate, or None."""
    f = FORMS["udf"]
    if f.matches(hw1):
        return "udf", f.decode_fields(hw1), 2
    word = (hw1 << 16) | hw2
    for name in ("udf.w",) + CDE_KINDS:
        f = FORMS[name]
        if f.matches(word):
            return name, f.decode_fields(word), 4
    return None


def positions(ins, name):
    """{operand bit: instruction-word bit} of field ``name`` of an Instr (a form or a plug-in)."""
    out = {}
    for s in ins.slices:
        if s.name == name:
            for i, ob in enumerate(s.obits):
                out[ob] = s.lsb + len(s.obits) - 1 - i
    return out


def _build(form, opc, coproc, acc, dual):
    f = FORMS[form]
    nbits = len(positions(f, "opc"))
    if not 0 <= coproc <= 7:
        raise ValueError(f"CDE coprocessor must be p0-p7 (p8-p15 do not trap), got p{coproc}")
    if not 0 <= opc < (1 << nbits):
        raise ValueError(f"CDE opcode immediate must fit in {nbits} bits, got {opc}")
    fixed = {"opc": opc, "cp": coproc, "acc": int(acc), "dual": int(dual)}
    out = []
    fields = iter(f.slices)            # the layout's field tokens, in order
    for tok in LAYOUT[form].split():
        if set(tok) <= set("01-"):
            out.append(tok)
            continue
        s = next(fields)
        out.append("".join(str((fixed[s.name] >> b) & 1) for b in s.obits) if s.name in fixed
                   else tok)
    return " ".join(out)


def cx3(opc, coproc=0, acc=True, dual=False):
    """'rd, rn, rm' form: rd (+= if acc) f(rn, rm); 6-bit opcode immediate."""
    return _build("cx3", opc, coproc, acc, dual)


def cx2(opc, coproc=0, acc=False, dual=False):
    """'rd, rn' form with a 9-bit opcode immediate."""
    return _build("cx2", opc, coproc, acc, dual)


def cx1(opc, coproc=0, acc=False, dual=False):
    """'rd' form with a 13-bit opcode immediate."""
    return _build("cx1", opc, coproc, acc, dual)
