"""Every XpulpV2 / GAP8 instruction of the table, executed in the RI5CY core, against an independent
reference written here from the manual text.

Sources of the reference (see docs/reference/isa_timing.md §1.3-1.4):
  * RI5CY user manual rev 3.0 (UM) / CV32E40P v1 docs for XpulpV2, with these readings where the text
    is silent about widths:
      - pv.avg/pv.avgu are a *modulo* average: lane-width sum, then shift (openhwgroup/cv32e40p
        issue #98, "pv.avg - description is not fully correct, should be modulo average", closed by a
        documentation fix);
      - p.addN/subN/...RN: the sum is a 32-bit (wrapping) value that is then shifted;
      - p.mul*/p.mac* 16x16 with N/RN: the sum (product + rD + rounding) is wrapped to 32 bits, then
        shifted arithmetically (signed forms) or logically (unsigned) (riscv_mult.sv at f0180d6:
        {msb, msb, short_mac[31:0]} >>> imm, msb = short_mac[31] for signed, 0 for unsigned);
      - p.clb = number of leading bits equal to the sign bit minus one, 0 for 0 (RTL riscv_alu.sv
        clb_result = ff1_result - 1; 31 for 0xFFFFFFFF);
      - pv shifts use the low 4 (h) / 3 (b) bits of the shift amount;
      - p.clipr/p.clipur: the upper bound is tested first (riscv_alu.sv clip_result); this only
        matters for a negative bound, where the UM text (lower bound first) disagrees with the RTL.
  * GreenWaves GVSoC as quoted in §1.3 for the GAP8-only group (pack.h.h/l.h, cplxmul, subrotmj,
    add/sub.{h,b}.div2/4 with GAP-8's encodings, vitop, cplxconj); the .div lane sum/difference is
    wrapped to the lane width before the arithmetic shift (the ALU's vector adder + normalisation
    shifter; tests/test_xpulp_rtl.py checks these groups against a model of the RTL expressions).
The table's ``sem`` functions and isasim.isa.helpers are NOT used here.

p.elw is only checked as a plain word load (no event unit configured); its sleeping behaviour needs
the cluster event unit and is not tested here.
"""
import random
import re

import pytest

from isasim.cores.ri5cy.core import RI5CY, L2_BASE, TCDM_BASE
from isasim.elf import Program

from rvcode import T, M, enc, li, EXIT

XP = [i for i in T.instrs if (i.ext.startswith("xpulpv2") or i.ext == "gap8") and not i.alias]


# ---- small independent helpers ----------------------------------------------------------------------
def s32(x):
    x &= M
    return x - (1 << 32) if x >> 31 else x


def sext(v, bits):
    v &= (1 << bits) - 1
    return v - (1 << bits) if v >> (bits - 1) else v


def get_lanes(x, bits, signed):
    n = 32 // bits
    out = [(x >> (bits * i)) & ((1 << bits) - 1) for i in range(n)]
    return [sext(v, bits) for v in out] if signed else out


def put_lanes(vals, bits):
    r = 0
    for i, v in enumerate(vals):
        r |= (v & ((1 << bits) - 1)) << (bits * i)
    return r


def run(code, data=(), regs=None, max_n=100000):
    core = RI5CY(Program.from_code(code + EXIT, L2_BASE, data=list(data)))
    for r, v in (regs or {}).items():
        core.R[r] = v & M
    core.run(max_instructions=max_n)
    return core


# ---- reference semantics -----------------------------------------------------------------------------
UNSIGNED_LANE_OPS = {"avgu", "minu", "maxu", "srl", "cmpgtu", "cmpgeu", "cmpltu", "cmpleu"}
# .sci immediates that are unsigned (gas operand bu / bU / bf / bF in binutils); the others are bs
UNSIGNED_IMM_OPS = {"avgu", "minu", "maxu", "srl", "sra", "sll", "cmpgtu", "cmpgeu", "cmpltu",
                    "cmpleu", "dotup", "sdotup", "extract", "extractu", "insert", "shuffle",
                    "shufflei0", "shufflei1", "shufflei2", "shufflei3"}
DOT_SIGNS = {"dotup": (False, False), "dotusp": (False, True), "dotsp": (True, True),
             "sdotup": (False, False), "sdotusp": (False, True), "sdotsp": (True, True)}


def lane_op(op, x, y, bits):
    """x, y: lane values already read with the op's signedness; y is the shift amount for shifts."""
    mask = (1 << bits) - 1
    if op == "add":
        return x + y
    if op == "sub":
        return x - y
    if op == "avg":
        return sext(x + y, bits) >> 1              # modulo average (cv32e40p #98)
    if op == "avgu":
        return ((x + y) & mask) >> 1
    if op in ("min", "minu"):
        return min(x, y)
    if op in ("max", "maxu"):
        return max(x, y)
    if op == "srl":
        return (x & mask) >> (y & (bits - 1))
    if op == "sra":
        return sext(x, bits) >> (y & (bits - 1))
    if op == "sll":
        return x << (y & (bits - 1))
    if op == "or":
        return x | y
    if op == "xor":
        return x ^ y
    if op == "and":
        return x & y
    cmp = {"cmpeq": x == y, "cmpne": x != y, "cmpgt": x > y, "cmpge": x >= y, "cmplt": x < y,
           "cmple": x <= y, "cmpgtu": x > y, "cmpgeu": x >= y, "cmpltu": x < y, "cmpleu": x <= y}
    return mask if cmp[op] else 0


SIMD_RE = re.compile(r"pv\.([a-z0-9]+?)(?:\.(sc|sci))?\.(h|b)$")


def ref_simd(name, o):
    m = SIMD_RE.match(name)
    op, form, w = m.group(1), m.group(2) or "", m.group(3)
    bits = 16 if w == "h" else 8
    n = 32 // bits
    if op in DOT_SIGNS:
        sa, sb = DOT_SIGNS[op]
        a = get_lanes(o["rs1"], bits, sa)
        if form == "":
            b = get_lanes(o["rs2"], bits, sb)
        elif form == "sc":
            b = [get_lanes(o["rs2"], bits, sb)[0]] * n
        else:
            imm = o["uimm6"] if op in UNSIGNED_IMM_OPS else o["imm6"]
            b = [sext(imm, bits) if sb else imm & ((1 << bits) - 1)] * n
        acc = o["rd"] if op.startswith("s") else 0
        return (acc + sum(x * y for x, y in zip(a, b))) & M
    signed = op not in UNSIGNED_LANE_OPS
    a = get_lanes(o["rs1"], bits, signed)
    if op == "abs":
        return put_lanes([abs(x) for x in a], bits)
    if form == "":
        b = get_lanes(o["rs2"], bits, signed)
    elif form == "sc":
        b = [get_lanes(o["rs2"], bits, signed)[0]] * n
    else:
        imm = o["uimm6"] if op in UNSIGNED_IMM_OPS else o["imm6"]
        b = [sext(imm, bits) if signed else imm & ((1 << bits) - 1)] * n
    return put_lanes([lane_op(op, x, y, bits) for x, y in zip(a, b)], bits)


def bf_field(Is3, Is2):
    hi = min(Is3 + Is2, 31)
    return hi - Is2 + 1                          # field width


def ref_extract(x, Is3, Is2, signed):
    wdt = bf_field(Is3, Is2)
    v = (x >> Is2) & ((1 << wdt) - 1)
    return (sext(v, wdt) if signed else v) & M


def ref_insert(rd, x, Is3, Is2):
    wdt = bf_field(Is3, Is2)
    mask = ((1 << wdt) - 1) << Is2
    return (rd & ~mask & M) | ((x << Is2) & mask)


def bmask(Is3, Is2):
    return (((1 << (Is3 + 1)) - 1) << Is2) & M


def clip_range(Is2):
    if Is2 == 0:
        return -1, 0
    return -(1 << (Is2 - 1)), (1 << (Is2 - 1)) - 1


def ref_clip(x, lo, hi):
    """Upper bound first (riscv_alu.sv clip_result): only differs from a clamp when lo > hi."""
    x = s32(x)
    if x > hi:
        return hi & M
    if x < lo:
        return lo & M
    return x & M


def ref_addsub(name, o):
    m = re.fullmatch(r"p\.(add|sub)(u?)(n|rn)(r?)", name)
    sub, uns, rnd, regform = m.group(1) == "sub", m.group(2) == "u", m.group(3) == "rn", m.group(4) == "r"
    if regform:
        a, b, sh = o["rd"], o["rs1"], o["rs2"] & 31
    else:
        a, b, sh = o["rs1"], o["rs2"], o["Is3"]
    v = (a - b) if sub else (a + b)
    if rnd and sh > 0:
        v += 1 << (sh - 1)
    v &= M                                   # 32-bit sum
    return (v >> sh) if uns else (s32(v) >> sh) & M


def ref_mul16(name, o):
    m = re.fullmatch(r"p\.(mul|mac)(hh)?([su])(n|rn)?", name)
    mac, hh, signed, form = m.group(1) == "mac", bool(m.group(2)), m.group(3) == "s", m.group(4) or ""
    sh = 16 if hh else 0
    x, y = (o["rs1"] >> sh) & 0xFFFF, (o["rs2"] >> sh) & 0xFFFF
    if signed:
        x, y = sext(x, 16), sext(y, 16)
    p = x * y
    n = o["Is3"] if form else 0
    if form == "rn" and n > 0:
        p += 1 << (n - 1)
    acc = o["rd"] if mac else 0
    v = (p + acc) & M                        # 32-bit sum
    return (s32(v) >> n) & M if signed else v >> n


def ff1(x):
    return 32 if x == 0 else (x & -x).bit_length() - 1


def fl1(x):
    return 32 if x == 0 else x.bit_length() - 1


def clb(x):
    if x == 0:
        return 0
    y = (~x & M) if x >> 31 else x
    lead = 32 - y.bit_length()               # bits equal to the sign bit, from the MSB
    return lead - 1


def shuffle_b(src, sel8):
    b = get_lanes(src, 8, False)
    return put_lanes([b[(sel8 >> (2 * i)) & 3] for i in range(4)], 8)


def shuffle2(rd, rs1, rs2, bits):
    n = 32 // bits
    pick = 2 if bits == 16 else 4
    out = []
    for i, s in enumerate(get_lanes(rs2, bits, False)):
        src = rs1 if s & pick else rd
        out.append(get_lanes(src, bits, False)[s & (n - 1)])
    return put_lanes(out, bits)


def cplx(a, br, bi, shift):
    ar, ai = get_lanes(a, 16, True)
    re_ = (ar * br - ai * bi) >> shift
    im = (ai * br + ar * bi) >> shift
    return put_lanes([re_, im], 16)


def subrotmj(a, b, k):
    """(a - b) * (-j): (x + iy)(-j) = y - ix, {re = lane 0, im = lane 1}, each >> k."""
    ar, ai = get_lanes(a, 16, True)
    br, bi = get_lanes(b, 16, True)
    return put_lanes([(ai - bi) >> k, (br - ar) >> k], 16)


def lanes_div(a, b, bits, sub, k):
    x, y = get_lanes(a, bits, True), get_lanes(b, bits, True)
    return put_lanes([sext((p - q) if sub else (p + q), bits) >> k for p, q in zip(x, y)], bits)


REF = {
    "p.abs": lambda o: abs(s32(o["rs1"])) & M,
    "p.slet": lambda o: int(s32(o["rs1"]) <= s32(o["rs2"])),
    "p.sletu": lambda o: int(o["rs1"] <= o["rs2"]),
    "p.min": lambda o: min(s32(o["rs1"]), s32(o["rs2"])) & M,
    "p.minu": lambda o: min(o["rs1"], o["rs2"]),
    "p.max": lambda o: max(s32(o["rs1"]), s32(o["rs2"])) & M,
    "p.maxu": lambda o: max(o["rs1"], o["rs2"]),
    "p.ff1": lambda o: ff1(o["rs1"]),
    "p.fl1": lambda o: fl1(o["rs1"]),
    "p.clb": lambda o: clb(o["rs1"]),
    "p.cnt": lambda o: bin(o["rs1"]).count("1"),
    "p.exths": lambda o: sext(o["rs1"], 16) & M,
    "p.exthz": lambda o: o["rs1"] & 0xFFFF,
    "p.extbs": lambda o: sext(o["rs1"], 8) & M,
    "p.extbz": lambda o: o["rs1"] & 0xFF,
    "p.ror": lambda o: ((o["rs1"] >> (o["rs2"] & 31)) | (o["rs1"] << (32 - (o["rs2"] & 31)))) & M,
    "p.extract": lambda o: ref_extract(o["rs1"], o["Is3"], o["Is2"], True),
    "p.extractu": lambda o: ref_extract(o["rs1"], o["Is3"], o["Is2"], False),
    "p.insert": lambda o: ref_insert(o["rd"], o["rs1"], o["Is3"], o["Is2"]),
    "p.bclr": lambda o: o["rs1"] & ~bmask(o["Is3"], o["Is2"]) & M,
    "p.bset": lambda o: o["rs1"] | bmask(o["Is3"], o["Is2"]),
    "p.extractr": lambda o: ref_extract(o["rs1"], (o["rs2"] >> 5) & 31, o["rs2"] & 31, True),
    "p.extractur": lambda o: ref_extract(o["rs1"], (o["rs2"] >> 5) & 31, o["rs2"] & 31, False),
    "p.insertr": lambda o: ref_insert(o["rd"], o["rs1"], (o["rs2"] >> 5) & 31, o["rs2"] & 31),
    "p.bclrr": lambda o: o["rs1"] & ~bmask((o["rs2"] >> 5) & 31, o["rs2"] & 31) & M,
    "p.bsetr": lambda o: o["rs1"] | bmask((o["rs2"] >> 5) & 31, o["rs2"] & 31),
    "p.clip": lambda o: ref_clip(o["rs1"], *clip_range(o["Is2"])),
    "p.clipu": lambda o: ref_clip(o["rs1"], 0, clip_range(o["Is2"])[1]),
    "p.clipr": lambda o: ref_clip(o["rs1"], -s32(o["rs2"]) - 1, s32(o["rs2"])),
    "p.clipur": lambda o: ref_clip(o["rs1"], 0, s32(o["rs2"])),
    "p.mac": lambda o: (o["rd"] + o["rs1"] * o["rs2"]) & M,
    "p.msu": lambda o: (o["rd"] - o["rs1"] * o["rs2"]) & M,
    # shuffle / pack
    "pv.shuffle.h": lambda o: put_lanes([get_lanes(o["rs1"], 16, False)[s & 1]
                                         for s in get_lanes(o["rs2"], 16, False)], 16),
    "pv.shuffle.b": lambda o: put_lanes([get_lanes(o["rs1"], 8, False)[s & 3]
                                         for s in get_lanes(o["rs2"], 8, False)], 8),
    "pv.shuffle.sci.h": lambda o: put_lanes([get_lanes(o["rs1"], 16, False)[o["uimm6"] & 1],
                                             get_lanes(o["rs1"], 16, False)[(o["uimm6"] >> 1) & 1]], 16),
    "pv.shuffle2.h": lambda o: shuffle2(o["rd"], o["rs1"], o["rs2"], 16),
    "pv.shuffle2.b": lambda o: shuffle2(o["rd"], o["rs1"], o["rs2"], 8),
    "pv.pack": lambda o: ((o["rs1"] & 0xFFFF) << 16) | (o["rs2"] & 0xFFFF),
    "pv.pack.h": lambda o: (o["rs1"] & 0xFFFF0000) | (o["rs2"] >> 16),
    "pv.packhi.b": lambda o: ((o["rs1"] & 0xFF) << 24) | ((o["rs2"] & 0xFF) << 16) | (o["rd"] & 0xFFFF),
    "pv.packlo.b": lambda o: (o["rd"] & 0xFFFF0000) | ((o["rs1"] & 0xFF) << 8) | (o["rs2"] & 0xFF),
    "pv.extract.h": lambda o: sext(get_lanes(o["rs1"], 16, False)[o["uimm6"] & 1], 16) & M,
    "pv.extract.b": lambda o: sext(get_lanes(o["rs1"], 8, False)[o["uimm6"] & 3], 8) & M,
    "pv.extractu.h": lambda o: get_lanes(o["rs1"], 16, False)[o["uimm6"] & 1],
    "pv.extractu.b": lambda o: get_lanes(o["rs1"], 8, False)[o["uimm6"] & 3],
    "pv.insert.h": lambda o: (o["rd"] & ~(0xFFFF << (16 * (o["uimm6"] & 1))) & M)
    | ((o["rs1"] & 0xFFFF) << (16 * (o["uimm6"] & 1))),
    "pv.insert.b": lambda o: (o["rd"] & ~(0xFF << (8 * (o["uimm6"] & 3))) & M)
    | ((o["rs1"] & 0xFF) << (8 * (o["uimm6"] & 3))),
    # GAP8-only group (GVSoC semantics quoted in isa_timing.md §1.3/§1.4)
    "pv.pack.h.h": lambda o: (o["rs1"] & 0xFFFF0000) | (o["rs2"] >> 16),
    "pv.pack.l.h": lambda o: ((o["rs1"] << 16) & M) | (o["rs2"] & 0xFFFF),
    "pv.cplxmul.s": lambda o: cplx(o["rs1"], *get_lanes(o["rs2"], 16, True), 15),
    "pv.cplxmul.s.div2": lambda o: cplx(o["rs1"], *get_lanes(o["rs2"], 16, True), 16),
    "pv.cplxmul.s.div4": lambda o: cplx(o["rs1"], *get_lanes(o["rs2"], 16, True), 17),
    "pv.cplxmul.sc.s": lambda o: cplx(o["rs1"], get_lanes(o["rs2"], 16, True)[0], 0, 15),
    "pv.cplxmul.sci.s": lambda o: cplx(o["rs1"], o["imm6"], 0, 15),
    "pv.subrotmj.h": lambda o: subrotmj(o["rs1"], o["rs2"], 0),
    "pv.subrotmj.h.div2": lambda o: subrotmj(o["rs1"], o["rs2"], 1),
    "pv.subrotmj.h.div4": lambda o: subrotmj(o["rs1"], o["rs2"], 2),
    "pv.add.b.div2": lambda o: lanes_div(o["rs1"], o["rs2"], 8, False, 1),
    "pv.add.b.div4": lambda o: lanes_div(o["rs1"], o["rs2"], 8, False, 2),
    "pv.sub.b.div2": lambda o: lanes_div(o["rs1"], o["rs2"], 8, True, 1),
    "pv.sub.b.div4": lambda o: lanes_div(o["rs1"], o["rs2"], 8, True, 2),
    "pv.add.h.div2": lambda o: lanes_div(o["rs1"], o["rs2"], 16, False, 1),
    "pv.add.h.div4": lambda o: lanes_div(o["rs1"], o["rs2"], 16, False, 2),
    "pv.sub.h.div2": lambda o: lanes_div(o["rs1"], o["rs2"], 16, True, 1),
    "pv.sub.h.div4": lambda o: lanes_div(o["rs1"], o["rs2"], 16, True, 2),
    "pv.cplxconj.h": lambda o: (o["rs1"] & 0xFFFF) | ((-sext(o["rs1"] >> 16, 16) & 0xFFFF) << 16),
}
for _k in range(4):
    REF[f"pv.shufflei{_k}.sci.b"] = (lambda k: lambda o: shuffle_b(o["rs1"], (k << 6) | o["uimm6"]))(_k)


def reference(name):
    if name in REF:
        return REF[name]
    if re.fullmatch(r"p\.(add|sub)u?(n|rn)r?", name):
        return lambda o: ref_addsub(name, o)
    if re.fullmatch(r"p\.(mul|mac)(hh)?[su](n|rn)?", name):
        return lambda o: ref_mul16(name, o)
    m = SIMD_RE.match(name)
    if m and (m.group(1) in DOT_SIGNS or m.group(1) == "abs" or m.group(1) in (
            "add", "sub", "avg", "avgu", "min", "minu", "max", "maxu", "srl", "sra", "sll", "or", "xor",
            "and", "cmpeq", "cmpne", "cmpgt", "cmpge", "cmplt", "cmple", "cmpgtu", "cmpgeu", "cmpltu",
            "cmpleu")):
        return lambda o: ref_simd(name, o)
    return None


# instructions with their own tests below (name, syntax)
LOAD_FORMS = [(i.name, i.syntax) for i in XP if i.kind == "load"]
STORE_FORMS = [(i.name, i.syntax) for i in XP if i.kind == "store"]
SPECIAL = {"lp.starti", "lp.endi", "lp.count", "lp.counti", "lp.setup", "lp.setupi", "p.beqimm",
           "p.bneimm", "p.elw", "pv.vitop.max", "pv.vitop.sel"}
ALU = [i for i in XP if i.kind == "alu" and i.name not in SPECIAL]


def test_every_xpulp_instruction_has_a_reference():
    missing = []
    for i in XP:
        if i.kind == "alu" and i.name not in SPECIAL:
            if reference(i.name) is None:
                missing.append(i.name)
        elif i.kind in ("load", "store"):
            assert (i.name, i.syntax) in LOAD_FORMS + STORE_FORMS
        elif i.name not in SPECIAL:
            missing.append(f"{i.name} ({i.kind})")
    assert not missing, f"XpulpV2/GAP8 instructions without a reference in this test: {missing}"
    assert len(XP) >= 320, f"only {len(XP)} XpulpV2/GAP8 instructions in the table?"
    # the .sci immediate signedness of the table agrees with binutils' operand kinds (bs vs bu)
    for i in ALU:
        m = SIMD_RE.match(i.name)
        if m and m.group(2) == "sci":
            want = "uimm6" if m.group(1) in UNSIGNED_IMM_OPS else "imm6"
            assert want in i.operands, f"{i.name}: immediate should be {want}, table has {i.operands}"


# ---- operand generation ---------------------------------------------------------------------------
EDGE = [0, 1, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 0x7F7F7F7F, 0x80808080, 0xFFFFFFFF,
        0x7FFF8000, 0x80007FFF, 0x00FF00FF, 0xFF00FF00, 0x7FFFFFFF, 0x80000000, 0x01FF807F,
        0x807F01FF, 0x1F, 0x20, 0x1F1F1F1F, 0x0F0F0F0F, 0x00010001, 0x7F80FF01, 0xFFFF0001]
LANE_EDGE8 = [0, 1, 0x7F, 0x80, 0xFF, 0x81, 0x7E, 0x40, 0xC0]
LANE_EDGE16 = [0, 1, 0x7FFF, 0x8000, 0xFFFF, 0x8001, 0x7FFE, 0x4000, 0xC000, 0x00FF, 0xFF00]
IMM_VALUES = {"Is3": [0, 1, 2, 7, 8, 15, 16, 17, 30, 31], "Is2": [0, 1, 2, 7, 8, 15, 16, 17, 30, 31],
              "imm6": [-32, -31, -16, -1, 0, 1, 2, 15, 31], "uimm6": [0, 1, 2, 3, 7, 8, 15, 16, 31, 32, 63]}


def rand_word(rng):
    k = rng.randrange(4)
    if k == 0:
        return rng.getrandbits(32)
    if k == 1:
        return put_lanes([rng.choice(LANE_EDGE8) for _ in range(4)], 8)
    if k == 2:
        return put_lanes([rng.choice(LANE_EDGE16) for _ in range(2)], 16)
    return rng.choice(EDGE)


def cases_for(ins):
    rng = random.Random(ins.name + ins.syntax)
    imms = [op for op in ins.operands if op in IMM_VALUES]
    out = []

    def base():
        return {"rd": rand_word(rng), "rs1": rand_word(rng), "rs2": rand_word(rng)}

    if not imms:
        for k, a in enumerate(EDGE):
            o = base()
            o["rs1"], o["rs2"] = a, EDGE[(k * 7 + 3) % len(EDGE)]
            out.append(o)
            o = base()
            o["rs1"], o["rs2"] = EDGE[(k * 5 + 1) % len(EDGE)], a
            out.append(o)
        out += [base() for _ in range(40)]
    elif imms == ["Is3", "Is2"]:
        for Is3 in [0, 1, 7, 15, 16, 30, 31]:
            for Is2 in [0, 1, 8, 16, 31]:
                for _ in range(2):
                    o = base()
                    o.update(Is3=Is3, Is2=Is2)
                    out.append(o)
    else:
        (imm,) = imms
        for v in IMM_VALUES[imm]:
            for a in (rng.choice(EDGE), rand_word(rng), rand_word(rng), rand_word(rng)):
                o = base()
                o["rs1"] = a
                o[imm] = v
                out.append(o)
        # random immediates too
        lo, hi = {"Is3": (0, 31), "Is2": (0, 31), "imm6": (-32, 31), "uimm6": (0, 63)}[imm]
        for _ in range(16):
            o = base()
            o[imm] = rng.randint(lo, hi)
            out.append(o)
    if ins.name in ("p.clipr", "p.clipur"):         # typical bounds, and negative ones
        bounds = [0, 1, 2, 0x7F, 0x80, 0xFF, 0x7FFF, 0x7FFFFFFF, 0x12345, 0xFFFFFFFF, 0x80000000,
                  0xFFFFFF80]
        for k, o in enumerate(out):
            o["rs2"] = bounds[k % len(bounds)] if k % 2 == 0 else o["rs2"]
    return out


# ---- the ALU test: one program per instruction with all its cases --------------------------------
RD, RS1, RS2, RB = 10, 11, 12, 9


@pytest.mark.parametrize("ins", ALU, ids=lambda i: f"{i.name}[{i.syntax}]")
def test_alu_instruction(ins):
    ref = reference(ins.name)
    assert ref is not None, f"{ins.name}: no reference"
    cases = cases_for(ins)
    code = li(RB, TCDM_BASE)
    for k, o in enumerate(cases):
        vals = {"rd": RD, "rs1": RS1, "rs2": RS2}
        vals.update({n: o[n] for n in ins.operands if n not in vals})
        code += li(RS1, o["rs1"]) + li(RS2, o["rs2"]) + li(RD, o["rd"])
        code += ins.encode(vals).to_bytes(4, "little")
        code += enc("sw", rs2=RD, rs1=RB, imm=4 * k)
    core = run(code)
    got = core.mem.read(TCDM_BASE, 4 * len(cases))
    bad = []
    for k, o in enumerate(cases):
        g = int.from_bytes(got[4 * k:4 * k + 4], "little")
        want = ref(o)
        if g != want:
            ops = {n: (hex(o[n]) if n.startswith("r") else o[n]) for n in ["rd"] + ins.operands[1:]}
            bad.append(f"{ops}: expected 0x{want:08x} got 0x{g:08x}")
    assert not bad, f"{ins.name} {ins.syntax}: {len(bad)}/{len(cases)} wrong, e.g.\n" + "\n".join(bad[:6])


def test_alu_rd_equals_source():
    """rd == rs1 / rd == rs2: the instruction reads the old values (pv.sdotsp.b, p.mac, p.insert)."""
    code = li(5, 0x01020304) + li(6, 0xFFFEFD80)
    code += enc("pv.sdotsp.b", rd=5, rs1=5, rs2=6)
    code += li(7, 3) + li(8, 5) + enc("p.mac", rd=7, rs1=7, rs2=8)
    code += li(13, 0x000000AB) + enc("p.insert", rd=13, rs1=13, Is3=7, Is2=8)
    c = run(code)
    a, b = 0x01020304, 0xFFFEFD80
    assert int(c.R[5]) == (a + sum(x * y for x, y in zip(get_lanes(a, 8, True), get_lanes(b, 8, True)))) & M
    assert int(c.R[7]) == 3 + 3 * 5
    assert int(c.R[13]) == 0xABAB


def test_x0_destination_stays_zero():
    c = run(li(5, 0x12345678) + enc("pv.add.h", rd=0, rs1=5, rs2=5) + enc("p.abs", rd=0, rs1=5))
    assert int(c.R[0]) == 0


# ---- Viterbi pair (flags are internal state) ------------------------------------------------------
def test_vitop_max_then_sel():
    rng = random.Random(7)
    for _ in range(40):
        a, b, c2, d = (rand_word(rng) for _ in range(4))
        code = li(11, a) + li(12, b) + enc("pv.vitop.max", rd=10, rs1=11, rs2=12)
        code += li(14, c2) + li(15, d) + enc("pv.vitop.sel", rd=13, rs1=14, rs2=15)
        core = run(code)
        al, bl = get_lanes(a, 16, True), get_lanes(b, 16, True)
        assert int(core.R[10]) == put_lanes([max(x, y) for x, y in zip(al, bl)], 16)
        flags = [x <= y for x, y in zip(al, bl)]
        cl, dl = get_lanes(c2, 16, False), get_lanes(d, 16, False)
        assert int(core.R[13]) == put_lanes([dl[i] if flags[i] else cl[i] for i in range(2)], 16)


# ---- loads and stores -----------------------------------------------------------------------------
DATA = TCDM_BASE + 0x1000
PATTERN = bytes([0x80, 0x7F, 0xFF, 0x01, 0x00, 0x80, 0xFE, 0x7F, 0x55, 0xAA, 0x81, 0x00, 0xFF, 0xFF,
                 0x00, 0x80] * 32)     # 512 bytes; every accessed address is inside
SIZE = {"p.lb": (1, True), "p.lbu": (1, False), "p.lh": (2, True), "p.lhu": (2, False), "p.lw": (4, True)}


def ref_load(mem, addr, size, signed):
    off = addr - DATA
    v = int.from_bytes(mem[off:off + size], "little")
    return sext(v, 8 * size) & M if signed else v


def addr_offsets(size):
    """(address, offset) pairs inside the pattern, aligned and misaligned, offsets +, -, 0."""
    out = []
    for base_off in (0, 16, 64, 128, 200):
        for off in (0, size, -size, 4, -4, 8, 13, -13, 100, -100):
            addr_off = base_off + max(0, off) + 8
            out.append((DATA + addr_off, off))
    for a in range(1, 4):
        out.append((DATA + 32 + a, 2))
    return out


@pytest.mark.parametrize("form", LOAD_FORMS, ids=lambda f: f"{f[0]}[{f[1]}]")
def test_loads(form):
    name, syntax = form
    size, signed = SIZE[name]
    ins = [i for i in T.by_name[name] if i.syntax == syntax][0]
    post = "!" in syntax
    regoff = "rs2(" in syntax
    cases = addr_offsets(size)
    code = li(RB, TCDM_BASE)
    expect = []
    for k, (ea, off) in enumerate(cases):
        # effective address: post-increment forms access rs1, the others rs1 + offset
        base = ea if post else ea - off
        code += li(RS1, base) + li(RS2, off)
        vals = {"rd": RD, "rs1": RS1}
        if regoff:
            vals["rs2"] = RS2
        else:
            vals["imm"] = off
        code += ins.encode(vals).to_bytes(4, "little")
        code += enc("sw", rs2=RD, rs1=RB, imm=8 * k) + enc("sw", rs2=RS1, rs1=RB, imm=8 * k + 4)
        expect.append((ref_load(PATTERN, ea, size, signed), (base + off) & M if post else base))
    core = run(code, data=[(DATA, PATTERN)])
    got = core.mem.read(TCDM_BASE, 8 * len(cases))
    for k, (v, b) in enumerate(expect):
        gv = int.from_bytes(got[8 * k:8 * k + 4], "little")
        gb = int.from_bytes(got[8 * k + 4:8 * k + 8], "little")
        assert (gv, gb) == (v, b), (f"{name} {syntax} case {cases[k]}: rd 0x{gv:08x} (want 0x{v:08x}), "
                                    f"rs1 0x{gb:08x} (want 0x{b:08x})")


STORE_SIZE = {"p.sb": 1, "p.sh": 2, "p.sw": 4}


@pytest.mark.parametrize("form", STORE_FORMS, ids=lambda f: f"{f[0]}[{f[1]}]")
def test_stores(form):
    name, syntax = form
    size = STORE_SIZE[name]
    ins = [i for i in T.by_name[name] if i.syntax == syntax][0]
    post = "!" in syntax
    regoff = "rs3(" in syntax
    mem = bytearray(PATTERN)
    code = li(RB, TCDM_BASE)
    rng = random.Random(name + syntax)
    cases = addr_offsets(size)
    bases = []
    for k, (ea, off) in enumerate(cases):
        value = rand_word(rng)
        base = ea if post else ea - off
        code += li(RS1, base) + li(RS2, value) + li(13, off)
        vals = {"rs2": RS2, "rs1": RS1}
        if regoff:
            vals["rs3"] = 13
        else:
            vals["imm"] = off
        code += ins.encode(vals).to_bytes(4, "little")
        code += enc("sw", rs2=RS1, rs1=RB, imm=4 * k)
        o = ea - DATA
        mem[o:o + size] = (value & ((1 << (8 * size)) - 1)).to_bytes(size, "little")
        bases.append((base + off) & M if post else base)
    core = run(code, data=[(DATA, PATTERN)])
    assert core.mem.read(DATA, len(PATTERN)) == bytes(mem), f"{name} {syntax}: memory differs"
    got = core.mem.read(TCDM_BASE, 4 * len(cases))
    for k, b in enumerate(bases):
        assert int.from_bytes(got[4 * k:4 * k + 4], "little") == b, f"{name} {syntax}: rs1 after case {k}"


def test_post_increment_load_into_x0_still_updates_base():
    ins = [i for i in T.by_name["p.lw"] if i.syntax == "rd, imm(rs1!)"][0]
    c = run(li(5, DATA) + ins.encode({"rd": 0, "rs1": 5, "imm": 8}).to_bytes(4, "little"),
            data=[(DATA, PATTERN)])
    assert int(c.R[0]) == 0 and int(c.R[5]) == DATA + 8


def test_elw_is_a_word_load_without_event_unit():
    c = run(li(5, DATA) + enc("p.elw", rd=10, rs1=5, imm=4), data=[(DATA, PATTERN)])
    assert int(c.R[10]) == int.from_bytes(PATTERN[4:8], "little")


# ---- immediate branches ------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["p.beqimm", "p.bneimm"])
def test_immediate_branches(name):
    for imm5 in (-16, -1, 0, 1, 15):
        for rs1 in {imm5 & M, (imm5 + 1) & M, imm5 & 0x1F, 0xFFFFFFFF, 0x10, 0x80000000}:
            code = li(11, rs1) + enc(name, rs1=11, imm5=imm5, off=8)
            code += enc("addi", rd=10, rs1=0, imm=1)        # skipped when taken
            code += enc("addi", rd=12, rs1=0, imm=2)
            c = run(code)
            eq = rs1 == (imm5 & M)
            taken = eq if name == "p.beqimm" else not eq
            assert int(c.R[10]) == (0 if taken else 1), f"{name} rs1=0x{rs1:08x} imm5={imm5}"
            assert int(c.R[12]) == 2


def test_immediate_branch_backward_offset():
    # x11 counts down from 3 to 0 with a backward p.bneimm
    code = li(11, 3) + enc("addi", rd=11, rs1=11, imm=-1) + enc("addi", rd=12, rs1=12, imm=1)
    code += enc("p.bneimm", rs1=11, imm5=0, off=-8)
    c = run(code)
    assert int(c.R[11]) == 0 and int(c.R[12]) == 3


# ---- hardware loops ---------------------------------------------------------------------------------
BODY = enc("addi", rd=10, rs1=10, imm=1) + enc("addi", rd=11, rs1=11, imm=2) + enc("addi", rd=12, rs1=12, imm=3)
AFTER = enc("addi", rd=13, rs1=13, imm=1)


@pytest.mark.parametrize("n", [1, 2, 7, 100])
def test_lp_setupi(n):
    # lp.setupi L, count, end: lpstart = pc + 4, lpend = pc + 12 = the 3rd body instruction
    code = enc("lp.setupi", L=0, uimm=n, loff=12) + BODY + AFTER
    c = run(code)
    assert [int(c.R[r]) for r in (10, 11, 12, 13)] == [n, 2 * n, 3 * n, 1]
    assert c.counters()["instructions"] == 1 + 3 * n + 1 + 2


@pytest.mark.parametrize("n", [1, 5, 1000])
@pytest.mark.parametrize("L", [0, 1])
def test_lp_setup_register_count(n, L):
    code = li(5, n) + enc("lp.setup", L=L, rs1=5, loff=12) + BODY + AFTER
    c = run(code)
    assert [int(c.R[r]) for r in (10, 11, 12, 13)] == [n, 2 * n, 3 * n, 1]


@pytest.mark.parametrize("n", [1, 9])
def test_lp_starti_endi_counti(n):
    # three setup instructions at pc0, pc0+4, pc0+8; body at pc0+12 .. pc0+20
    code = enc("lp.starti", L=1, loff=12)             # pc0: start = pc0 + 12
    code += enc("lp.endi", L=1, loff=16)              # pc0+4: end = pc0+4+16 = pc0+20 (3rd body instr)
    code += enc("lp.counti", L=1, uimm=n)             # pc0+8
    code += BODY + AFTER                              # pc0+12 .. pc0+20
    c = run(code)
    assert [int(c.R[r]) for r in (10, 11, 12, 13)] == [n, 2 * n, 3 * n, 1]


@pytest.mark.parametrize("n", [1, 4, 300])
def test_lp_count_register(n):
    code = li(6, n) + enc("lp.starti", L=0, loff=12) + enc("lp.endi", L=0, loff=16)
    code += enc("lp.count", L=0, rs1=6) + BODY + AFTER
    c = run(code)
    assert [int(c.R[r]) for r in (10, 11, 12, 13)] == [n, 2 * n, 3 * n, 1]


def test_nested_loops_sharing_the_end_address():
    """UM: if both end addresses are equal, loop 0 is decremented until it expires, then loop 1."""
    code = enc("lp.setupi", L=1, uimm=3, loff=16)                # P: outer, end = P + 16
    code += enc("addi", rd=10, rs1=10, imm=1)                    # P+4: outer start
    code += enc("lp.setupi", L=0, uimm=4, loff=8)                # P+8: inner, end = P + 16
    code += enc("addi", rd=11, rs1=11, imm=1)                    # P+12: inner start
    code += enc("addi", rd=12, rs1=12, imm=1)                    # P+16: end of both
    code += AFTER
    c = run(code)
    assert [int(c.R[r]) for r in (10, 11, 12, 13)] == [3, 12, 12, 1]


def test_nested_hardware_loops():
    # outer (L=1) 5 times: { x10++; inner (L=0) 7 times { x11++; x12++ }; x13++ }
    inner = enc("lp.setupi", L=0, uimm=7, loff=8)       # inner end = its pc + 8 (2nd instr)
    inner += enc("addi", rd=11, rs1=11, imm=1) + enc("addi", rd=12, rs1=12, imm=1)
    outer_body = enc("addi", rd=10, rs1=10, imm=1) + inner + enc("addi", rd=13, rs1=13, imm=1)
    code = enc("lp.setupi", L=1, uimm=5, loff=len(outer_body)) + outer_body
    code += enc("addi", rd=14, rs1=14, imm=1)
    c = run(code)
    assert [int(c.R[r]) for r in (10, 11, 12, 13, 14)] == [5, 35, 35, 5, 1]


def test_hwloop_body_with_xpulp_ops():
    """A dot-product loop as a compiler would emit it: post-increment loads + sdotsp in a hwloop."""
    a = bytes(range(1, 65))
    b = bytes((256 - k) & 0xFF for k in range(64))
    lw_post = [i for i in T.by_name["p.lw"] if i.syntax == "rd, imm(rs1!)"][0]
    code = li(5, DATA) + li(6, DATA + 64) + li(7, 16)
    code += enc("lp.setup", L=0, rs1=7, loff=12)
    code += lw_post.encode({"rd": 8, "rs1": 5, "imm": 4}).to_bytes(4, "little")
    code += lw_post.encode({"rd": 9, "rs1": 6, "imm": 4}).to_bytes(4, "little")
    code += enc("pv.sdotsp.b", rd=10, rs1=8, rs2=9)
    c = run(code, data=[(DATA, a + b)])
    want = sum(sext(x, 8) * sext(y, 8) for x, y in zip(a, b)) & M
    assert int(c.R[10]) == want and int(c.R[5]) == DATA + 64 and int(c.R[6]) == DATA + 128
