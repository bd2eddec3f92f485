"""XpulpV2 and the GAP8-only group, as instruction tables (GAP-8 = RV32IMC + XpulpV2 + VECT_GAP8).

Encodings: PULP binutils ``riscv-opc.c`` (branch riscv-binutils-2.34-pulp), transcribed in
docs/reference/isa_timing.md §1.3 and checked word-by-word by tests/test_xpulp_encodings.py;
except pv.add/sub.h.div2/4, which use GAP-8's encodings (GVSoC ``gap8`` list; binutils has GAP9's).
Semantics: RI5CY user manual rev. 3.0 (2018), CV32E40P v1 docs, GreenWaves GVSoC for the GAP8-only
ops (§1.3-1.4 of the same file); where the GAP-8-era RTL (RI5CY f0180d6) computes something else,
the RTL wins (docs/reference/xpulpv2_rtl.md, tests/test_xpulp_rtl.py). Where sources disagree
the choice is written next to the entry.

Operand names: ``rd rs1 rs2 rs3`` registers; ``imm`` signed 12-bit; ``L`` hardware-loop index;
``loff`` unsigned pc-relative offset (a label); ``Is3``/``Is2`` the 5-bit fields of bits 29:25 /
24:20; ``imm6`` signed and ``uimm6`` unsigned 6-bit SIMD immediates (imm6[0] is in bit 25).
"""
from .helpers import (s32, sx, lane, dot, rep, simd, clamp, clz32, popcount, ror32, SIMD_OPS)
from .spec import Instr

M = 0xFFFFFFFF


def X(name, syntax, enc, ext, **kw):
    return Instr(name, syntax, enc, ext=ext, **kw)


# --- post-increment and register-register loads / stores (INSN_CLASS_XPULP_POSTMOD) ------------
POSTMOD = []
_LOADS = [("p.lb", "000", "0000000", 1, True), ("p.lbu", "100", "0100000", 1, False),
          ("p.lh", "001", "0001000", 2, True), ("p.lhu", "101", "0101000", 2, False),
          ("p.lw", "010", "0010000", 4, True)]
for name, f3, f7, size, signed in _LOADS:
    ld = {"size": size, "signed": signed}
    what = f"{'S' if signed else 'Z'}ext(Mem{8 * size}"
    POSTMOD += [
        X(name, "rd, imm(rs1)", f"imm[11:0] rs1 {f3} rd 0000011", "xpulpv2.postmod", kind="load",
          timing="load", params=ld, alias=True, doc=f"rD = {what}[rs1 + imm]) (alias of the RV32I load)"),
        X(name, "rd, imm(rs1!)", f"imm[11:0] rs1 {f3} rd 0001011", "xpulpv2.postmod", kind="load",
          timing="load", params=ld, doc=f"rD = {what}[rs1]); rs1 += imm"),
        X(name, "rd, rs2(rs1)", f"{f7} rs2 rs1 111 rd 0000011", "xpulpv2.postmod", kind="load",
          timing="load", params=ld, doc=f"rD = {what}[rs1 + rs2])"),
        X(name, "rd, rs2(rs1!)", f"{f7} rs2 rs1 111 rd 0001011", "xpulpv2.postmod", kind="load",
          timing="load", params=ld, doc=f"rD = {what}[rs1]); rs1 += rs2"),
    ]
for name, f3i, f3r, size in [("p.sb", "000", "100", 1), ("p.sh", "001", "101", 2),
                             ("p.sw", "010", "110", 4)]:
    st = {"size": size}
    POSTMOD += [
        X(name, "rs2, imm(rs1)", f"imm[11:5] rs2 rs1 {f3i} imm[4:0] 0100011", "xpulpv2.postmod",
          kind="store", timing="store", params=st, alias=True,
          doc=f"Mem{8 * size}[rs1 + imm] = rs2 (alias of the RV32I store)"),
        X(name, "rs2, imm(rs1!)", f"imm[11:5] rs2 rs1 {f3i} imm[4:0] 0101011", "xpulpv2.postmod",
          kind="store", timing="store", params=st, doc=f"Mem{8 * size}[rs1] = rs2; rs1 += imm"),
        X(name, "rs2, rs3(rs1)", f"0000000 rs2 rs1 {f3r} rs3 0100011", "xpulpv2.postmod",
          kind="store", timing="store", params=st, doc=f"Mem{8 * size}[rs1 + rs3] = rs2"),
        X(name, "rs2, rs3(rs1!)", f"0000000 rs2 rs1 {f3r} rs3 0101011", "xpulpv2.postmod",
          kind="store", timing="store", params=st, doc=f"Mem{8 * size}[rs1] = rs2; rs1 += rs3"),
    ]

ELW = [X("p.elw", "rd, imm(rs1)", "imm[11:0] rs1 110 rd 0000011", "xpulpv2.elw", kind="elw",
         timing="elw", params={"size": 4, "signed": True},
         doc="rD = Mem32[rs1 + imm]; event load: the core sleeps (clock-gated) until it returns")]

# --- hardware loops: lpend = address of the LAST instruction of the body (XpulpV2/RI5CY UM) ------
HWLOOP = [
    X("lp.starti", "L, loff", "loff[12:1] 00000 000 0000 L:1 1111011", "xpulpv2.hwloop",
      kind="hwloop", timing="hwloop", params={"op": "starti"}, doc="lpstart[L] = pc + loff"),
    X("lp.endi", "L, loff", "loff[12:1] 00000 001 0000 L:1 1111011", "xpulpv2.hwloop",
      kind="hwloop", timing="hwloop", params={"op": "endi"},
      doc="lpend[L] = pc + loff (the last instruction of the body)"),
    X("lp.count", "L, rs1", "000000000000 rs1 010 0000 L:1 1111011", "xpulpv2.hwloop",
      kind="hwloop", timing="hwloop", params={"op": "count"}, doc="lpcount[L] = rs1"),
    X("lp.counti", "L, uimm", "uimm[11:0] 00000 011 0000 L:1 1111011", "xpulpv2.hwloop",
      kind="hwloop", timing="hwloop", params={"op": "counti"}, doc="lpcount[L] = uimm"),
    X("lp.setup", "L, rs1, loff", "loff[12:1] rs1 100 0000 L:1 1111011", "xpulpv2.hwloop",
      kind="hwloop", timing="hwloop", params={"op": "setup"},
      doc="lpstart[L] = pc + 4; lpend[L] = pc + loff; lpcount[L] = rs1"),
    X("lp.setupi", "L, uimm, loff", "uimm[11:0] loff[5:1] 101 0000 L:1 1111011", "xpulpv2.hwloop",
      kind="hwloop", timing="hwloop", params={"op": "setupi"},
      doc="lpstart[L] = pc + 4; lpend[L] = pc + loff; lpcount[L] = uimm"),
]


# --- scalar ALU extras ---------------------------------------------------------------------------
def _r(name, f7, f3, sem, ext, doc, timing="alu", opc="0110011"):
    return X(name, "rd, rs1, rs2", f"{f7} rs2 rs1 {f3} rd {opc}", ext, sem=sem, timing=timing, doc=doc)


def _u(name, f7, f3, sem, ext, doc):
    return X(name, "rd, rs1", f"{f7} 00000 rs1 {f3} rd 0110011", ext, sem=sem, doc=doc)


def _clb(rs1):
    if rs1 == 0:
        return 0
    x = rs1 ^ M if rs1 & 0x80000000 else rs1
    return clz32(x) - 1


def _fl1(rs1):
    return 32 if rs1 == 0 else 31 - clz32(rs1)


def _ff1(rs1):
    if rs1 == 0:
        return 32
    n = 0
    while not (rs1 >> n) & 1:
        n += 1
    return n


ALU = [
    _u("p.abs", "0000010", "000", lambda rs1: abs(s32(rs1)), "xpulpv2.abs", "rD = |rs1|"),
    _r("p.slet", "0000010", "010", lambda rs1, rs2: 1 if s32(rs1) <= s32(rs2) else 0,
       "xpulpv2.slet", "rD = rs1 <= rs2 (signed)"),
    _r("p.sletu", "0000010", "011", lambda rs1, rs2: 1 if rs1 <= rs2 else 0, "xpulpv2.slet",
       "rD = rs1 <= rs2 (unsigned)"),
    _r("p.min", "0000010", "100", lambda rs1, rs2: rs1 if s32(rs1) < s32(rs2) else rs2,
       "xpulpv2.minmax", "rD = min(rs1, rs2) signed"),
    _r("p.minu", "0000010", "101", lambda rs1, rs2: rs1 if rs1 < rs2 else rs2, "xpulpv2.minmax",
       "rD = min(rs1, rs2) unsigned"),
    _r("p.max", "0000010", "110", lambda rs1, rs2: rs1 if s32(rs1) > s32(rs2) else rs2,
       "xpulpv2.minmax", "rD = max(rs1, rs2) signed"),
    _r("p.maxu", "0000010", "111", lambda rs1, rs2: rs1 if rs1 > rs2 else rs2, "xpulpv2.minmax",
       "rD = max(rs1, rs2) unsigned"),
    _u("p.ff1", "0001000", "000", _ff1, "xpulpv2.bitop", "rD = index of first set bit; 32 if rs1 == 0"),
    _u("p.fl1", "0001000", "001", _fl1, "xpulpv2.bitop", "rD = index of last set bit; 32 if rs1 == 0"),
    _u("p.clb", "0001000", "010", _clb, "xpulpv2.bitop",
       "rD = leading bits equal to the sign bit, minus one; 0 if rs1 == 0"),
    _u("p.cnt", "0001000", "011", lambda rs1: popcount(rs1), "xpulpv2.bitop", "rD = popcount(rs1)"),
    _u("p.exths", "0001000", "100", lambda rs1: sx(rs1, 16), "xpulpv2.bitop", "rD = Sext(rs1[15:0])"),
    _u("p.exthz", "0001000", "101", lambda rs1: rs1 & 0xFFFF, "xpulpv2.bitop", "rD = Zext(rs1[15:0])"),
    _u("p.extbs", "0001000", "110", lambda rs1: sx(rs1, 8), "xpulpv2.bitop", "rD = Sext(rs1[7:0])"),
    _u("p.extbz", "0001000", "111", lambda rs1: rs1 & 0xFF, "xpulpv2.bitop", "rD = Zext(rs1[7:0])"),
    _r("p.ror", "0000100", "101", lambda rs1, rs2: ror32(rs1, rs2 & 31), "xpulpv2.bitop",
       "rD = rotate_right(rs1, rs2[4:0])"),
]


def _bf_extract(x, size_m1, pos, signed):
    n = size_m1 + 1
    if pos + n > 32:
        n = 32 - pos
    v = (x >> pos) & ((1 << n) - 1)
    if signed and (v >> (n - 1)) & 1:
        v -= 1 << n
    return v


def _bf_insert(rd, x, size_m1, pos):
    n = size_m1 + 1
    if pos + n > 32:
        n = 32 - pos
    m = ((1 << n) - 1) << pos
    return (rd & ~m) | ((x << pos) & m)


def _bf_mask(size_m1, pos):
    n = size_m1 + 1
    if pos + n > 32:
        n = 32 - pos
    return ((1 << n) - 1) << pos


BITFIELD = []
for base, f3, sem_i, sem_r, doc in [
    ("p.extract", "000", lambda rs1, Is3, Is2: _bf_extract(rs1, Is3, Is2, True),
     lambda rs1, rs2: _bf_extract(rs1, (rs2 >> 5) & 31, rs2 & 31, True),
     "rD = Sext(rs1[Is3+Is2:Is2])"),
    ("p.extractu", "001", lambda rs1, Is3, Is2: _bf_extract(rs1, Is3, Is2, False),
     lambda rs1, rs2: _bf_extract(rs1, (rs2 >> 5) & 31, rs2 & 31, False),
     "rD = Zext(rs1[Is3+Is2:Is2])"),
    ("p.insert", "010", lambda rd, rs1, Is3, Is2: _bf_insert(rd, rs1, Is3, Is2),
     lambda rd, rs1, rs2: _bf_insert(rd, rs1, (rs2 >> 5) & 31, rs2 & 31),
     "rD[Is3+Is2:Is2] = rs1[Is3:0]"),
    ("p.bclr", "011", lambda rs1, Is3, Is2: rs1 & ~_bf_mask(Is3, Is2),
     lambda rs1, rs2: rs1 & ~_bf_mask((rs2 >> 5) & 31, rs2 & 31), "rD = rs1 with bits Is3+Is2..Is2 cleared"),
    ("p.bset", "100", lambda rs1, Is3, Is2: rs1 | _bf_mask(Is3, Is2),
     lambda rs1, rs2: rs1 | _bf_mask((rs2 >> 5) & 31, rs2 & 31), "rD = rs1 with bits Is3+Is2..Is2 set"),
]:
    enc = f"11 Is3:5 Is2:5 rs1 {f3} rd 0110011"
    BITFIELD.append(X(base, "rd, rs1, Is3, Is2", enc, "xpulpv2.bitop", sem=sem_i, doc=doc))
    BITFIELD.append(X(base + "i", "rd, rs1, Is3, Is2", enc, "xpulpv2.bitop", sem=sem_i, alias=True,
                      doc=f"alias of {base}"))
    BITFIELD.append(_r(base + "r", "1000000", f3, sem_r, "xpulpv2.bitop",
                       doc.replace("Is3", "rs2[9:5]").replace("Is2", "rs2[4:0]")))


def _clip_bounds(n):
    if n == 0:
        return -1, 0
    return -(1 << (n - 1)), (1 << (n - 1)) - 1


def _clip(rs1, Is2):
    lo, hi = _clip_bounds(Is2)
    return clamp(s32(rs1), lo, hi)


def _clipu(rs1, Is2):
    lo, hi = _clip_bounds(Is2)
    return clamp(s32(rs1), 0, hi)


def _clipr(rs1, rs2):
    """riscv_alu.sv (f0180d6) clip_result: the upper bound is tested first (is_greater: rs1 > rs2,
    signed -> rs2), then the lower one (sign of rs1 + rs2 + 1 -> ~rs2 = -(rs2+1)); for a negative
    rs2 the two bounds cross and this order decides."""
    a = s32(rs1)
    b = s32(rs2)
    if a > b:
        return b
    if a + b + 1 < 0:
        return -b - 1
    return a


def _clipur(rs1, rs2):
    """As _clipr with lower bound 0 (clip_is_lower_u: rs1[31])."""
    a = s32(rs1)
    b = s32(rs2)
    if a > b:
        return b
    if a < 0:
        return 0
    return a


CLIP = [
    X("p.clip", "rd, rs1, Is2", "0001010 Is2:5 rs1 001 rd 0110011", "xpulpv2.clip", sem=_clip,
      doc="rD = clamp(rs1, -2^(Is2-1), 2^(Is2-1)-1)"),
    X("p.clipi", "rd, rs1, Is2", "0001010 Is2:5 rs1 001 rd 0110011", "xpulpv2.clip", sem=_clip,
      alias=True, doc="alias of p.clip"),
    X("p.clipu", "rd, rs1, Is2", "0001010 Is2:5 rs1 010 rd 0110011", "xpulpv2.clip", sem=_clipu,
      doc="rD = clamp(rs1, 0, 2^(Is2-1)-1)"),
    X("p.clipui", "rd, rs1, Is2", "0001010 Is2:5 rs1 010 rd 0110011", "xpulpv2.clip", sem=_clipu,
      alias=True, doc="alias of p.clipu"),
    _r("p.clipr", "0001010", "101", lambda rs1, rs2: _clipr(rs1, rs2), "xpulpv2.clip",
       "rD = rs2 if rs1 > rs2, else -(rs2+1) if rs1 < -(rs2+1), else rs1 (upper bound first)"),
    _r("p.clipur", "0001010", "110", lambda rs1, rs2: _clipur(rs1, rs2), "xpulpv2.clip",
       "rD = rs2 if rs1 > rs2, else 0 if rs1 < 0, else rs1 (upper bound first)"),
]


# --- add/sub with normalisation and rounding (custom-2, 0x5B) -------------------------------------
def _rnd(n):
    return (1 << (n - 1)) if n > 0 else 0


def _norm(v, n, signed):
    v &= M
    return (s32(v) >> n) if signed else (v >> n)


ADDSUB = []
for base, f3, sub, rnd in [("add", "010", False, False), ("addr", "110", False, True),
                           ("sub", "011", True, False), ("subr", "111", True, True)]:
    for uns in (False, True):
        mn = "p." + base[:3] + ("u" if uns else "") + ("rn" if rnd else "n")
        signed = not uns
        hi = "10" if uns else "00"
        hir = "1100000" if uns else "0100000"
        if sub:
            fi = (lambda s, r: lambda rs1, rs2, Is3: _norm(rs1 - rs2 + (_rnd(Is3) if r else 0), Is3, s))(signed, rnd)
            fr = (lambda s, r: lambda rd, rs1, rs2: _norm(rd - rs1 + (_rnd(rs2 & 31) if r else 0), rs2 & 31, s))(signed, rnd)
        else:
            fi = (lambda s, r: lambda rs1, rs2, Is3: _norm(rs1 + rs2 + (_rnd(Is3) if r else 0), Is3, s))(signed, rnd)
            fr = (lambda s, r: lambda rd, rs1, rs2: _norm(rd + rs1 + (_rnd(rs2 & 31) if r else 0), rs2 & 31, s))(signed, rnd)
        op = "-" if sub else "+"
        sh = ">>>" if signed else ">>"
        r_txt = " + 2^(Is3-1)" if rnd else ""
        enc = f"{hi} Is3:5 rs2 rs1 {f3} rd 1011011"
        ADDSUB.append(X(mn, "rd, rs1, rs2, Is3", enc, "xpulpv2.addsubrn", sem=fi,
                        doc=f"rD = (rs1 {op} rs2{r_txt}) {sh} Is3 (on the 32-bit result)"))
        ADDSUB.append(X(mn + "i", "rd, rs1, rs2, Is3", enc, "xpulpv2.addsubrn", sem=fi, alias=True,
                        doc=f"alias of {mn}"))
        ADDSUB.append(X(mn + "r", "rd, rs1, rs2", f"{hir} rs2 rs1 {f3} rd 1011011", "xpulpv2.addsubrn",
                        sem=fr, doc=f"rD = (rD {op} rs1{r_txt.replace('Is3', 'rs2[4:0]')}) {sh} rs2[4:0]"))

# --- immediate branches ---------------------------------------------------------------------------
BRIMM = [
    X("p.beqimm", "rs1, imm5, off", "off[12|10:5] imm5[4:0] rs1 010 off[4:1|11] 1100011", "xpulpv2.br",
      kind="branch", timing="branch", sem=lambda rs1, imm5: rs1 == (imm5 & M),
      doc="if rs1 == sext(imm5): pc += off"),
    X("p.bneimm", "rs1, imm5, off", "off[12|10:5] imm5[4:0] rs1 011 off[4:1|11] 1100011", "xpulpv2.br",
      kind="branch", timing="branch", sem=lambda rs1, imm5: rs1 != (imm5 & M),
      doc="if rs1 != sext(imm5): pc += off"),
]

# --- 32x32 MAC and 16x16 MUL/MAC with normalisation and rounding -----------------------------------
MAC = [
    _r("p.mac", "0100001", "000", lambda rd, rs1, rs2: rd + rs1 * rs2, "xpulpv2.mac_si",
       "rD = rD + rs1*rs2 (low 32 bits)", timing="mac"),
    _r("p.msu", "0100001", "001", lambda rd, rs1, rs2: rd - rs1 * rs2, "xpulpv2.mac_si",
       "rD = rD - rs1*rs2 (low 32 bits)", timing="mac"),
]
for _m in MAC:
    _m.params["macs"] = 1


def _mul16(a, b, hh, signed):
    sh = 16 if hh else 0
    x = (a >> sh) & 0xFFFF
    y = (b >> sh) & 0xFFFF
    if signed:
        x = sx(x, 16)
        y = sx(y, 16)
    return x * y


def _mac16(rd, a, b, n, hh, signed, rnd):
    """RI5CY short multiplier (riscv_mult.sv at f0180d6, the GAP-8-era RTL): short_mac = rD (0 for
    the p.mul* forms) + product + rounding, of which only short_mac[31:0] is kept; the result is
    {msb, msb, short_mac[31:0]} >>> imm with msb = short_mac[31] for the signed forms (arithmetic
    shift of the 32-bit wrapped sum) and 0 for the unsigned forms (logical shift)."""
    v = (_mul16(a, b, hh, signed) + (_rnd(n) if rnd else 0) + rd) & M
    if signed:
        return s32(v) >> n
    return v >> n


MUL16 = []
for mac in (False, True):
    for hh in (False, True):
        for signed in (True, False):
            b31 = "1" if signed else "0"
            b30 = "1" if hh else "0"
            core = ("mac" if mac else "mul") + ("hh" if hh else "") + ("s" if signed else "u")
            f3n, f3rn = ("001", "101") if mac else ("000", "100")
            ext = "xpulpv2.macrn_hi" if mac else "xpulpv2.mulrn_hi"
            part = "[31:16]" if hh else "[15:0]"
            ext_op = "Sext" if signed else "Zext"
            prod = f"{ext_op}(rs1{part})*{ext_op}(rs2{part})"
            sh = ">>>" if signed else ">>"
            acc = " + rD" if mac else ""
            if mac:
                fN = (lambda h, s: lambda rd, rs1, rs2, Is3: _mac16(rd, rs1, rs2, Is3, h, s, False))(hh, signed)
                fR = (lambda h, s: lambda rd, rs1, rs2, Is3: _mac16(rd, rs1, rs2, Is3, h, s, True))(hh, signed)
                f0 = (lambda h, s: lambda rd, rs1, rs2: _mac16(rd, rs1, rs2, 0, h, s, False))(hh, signed)
            else:
                fN = (lambda h, s: lambda rs1, rs2, Is3: _mac16(0, rs1, rs2, Is3, h, s, False))(hh, signed)
                fR = (lambda h, s: lambda rs1, rs2, Is3: _mac16(0, rs1, rs2, Is3, h, s, True))(hh, signed)
                f0 = (lambda h, s: lambda rs1, rs2: _mac16(0, rs1, rs2, 0, h, s, False))(hh, signed)
            tm = "mac16" if mac else "mul16"
            MUL16.append(X(f"p.{core}", "rd, rs1, rs2", f"{b31}{b30}00000 rs2 rs1 {f3n} rd 1011011",
                           "xpulpv2.partmac" if mac else ext, sem=f0, timing=tm, doc=f"rD = {prod}{acc}"))
            MUL16.append(X(f"p.{core}n", "rd, rs1, rs2, Is3", f"{b31}{b30} Is3:5 rs2 rs1 {f3n} rd 1011011",
                           ext, sem=fN, timing=tm, doc=f"rD = ({prod}{acc}) {sh} Is3"))
            MUL16.append(X(f"p.{core}rn", "rd, rs1, rs2, Is3", f"{b31}{b30} Is3:5 rs2 rs1 {f3rn} rd 1011011",
                           ext, sem=fR, timing=tm, doc=f"rD = ({prod}{acc} + 2^(Is3-1)) {sh} Is3"))

for _m in MUL16:
    if _m.timing == "mac16":
        _m.params["macs"] = 1

# --- packed SIMD (0x57) ----------------------------------------------------------------------------
# funct3: 000 .h  001 .b  100 .sc.h  101 .sc.b  110 .sci.h  111 .sci.b
# (name, funct5, F, imm kind of .sci: 'imm6' signed, 'uimm6' unsigned, None = no .sci form)
_SIMD_ALU = [("add", "00000", "imm6"), ("sub", "00001", "imm6"), ("avg", "00010", "imm6"),
             ("avgu", "00011", "uimm6"), ("min", "00100", "imm6"), ("minu", "00101", "uimm6"),
             ("max", "00110", "imm6"), ("maxu", "00111", "uimm6"), ("srl", "01000", "uimm6"),
             ("sra", "01001", "uimm6"), ("sll", "01010", "uimm6"), ("or", "01011", "imm6"),
             ("xor", "01100", "imm6"), ("and", "01101", "imm6")]
_SIMD_CMP = [("cmpeq", "00000", "imm6"), ("cmpne", "00001", "imm6"), ("cmpgt", "00010", "imm6"),
             ("cmpge", "00011", "imm6"), ("cmplt", "00100", "imm6"), ("cmple", "00101", "imm6"),
             ("cmpgtu", "00110", "uimm6"), ("cmpgeu", "00111", "uimm6"), ("cmpltu", "01000", "uimm6"),
             ("cmpleu", "01001", "uimm6")]
# dot products: (name, funct5, sign of rs1 lanes, sign of op2 lanes, accumulate, sci imm kind)
_SIMD_DOT = [("dotup", "10000", False, False, False, "uimm6"),
             ("dotusp", "10001", False, True, False, "imm6"),
             ("dotsp", "10011", True, True, False, "imm6"),
             ("sdotup", "10100", False, False, True, "uimm6"),
             ("sdotusp", "10101", False, True, True, "imm6"),
             ("sdotsp", "10111", True, True, True, "imm6")]
_W = {"h": 16, "b": 8}
_F3 = {("h", ""): "000", ("b", ""): "001", ("h", "sc"): "100", ("b", "sc"): "101",
       ("h", "sci"): "110", ("b", "sci"): "111"}
_OPTXT = {"add": "rs1[i] + op2", "sub": "rs1[i] - op2", "avg": "(rs1[i] + op2) >>> 1",
          "avgu": "(rs1[i] + op2) >> 1", "min": "min_s(rs1[i], op2)", "minu": "min_u(rs1[i], op2)",
          "max": "max_s(rs1[i], op2)", "maxu": "max_u(rs1[i], op2)", "srl": "rs1[i] >> op2",
          "sra": "rs1[i] >>> op2", "sll": "rs1[i] << op2", "or": "rs1[i] | op2",
          "xor": "rs1[i] ^ op2", "and": "rs1[i] & op2", "cmpeq": "rs1[i] == op2 ? ~0 : 0",
          "cmpne": "rs1[i] != op2 ? ~0 : 0", "cmpgt": "rs1[i] > op2 ? ~0 : 0 (signed)",
          "cmpge": "rs1[i] >= op2 ? ~0 : 0 (signed)", "cmplt": "rs1[i] < op2 ? ~0 : 0 (signed)",
          "cmple": "rs1[i] <= op2 ? ~0 : 0 (signed)", "cmpgtu": "rs1[i] > op2 ? ~0 : 0 (unsigned)",
          "cmpgeu": "rs1[i] >= op2 ? ~0 : 0 (unsigned)", "cmpltu": "rs1[i] < op2 ? ~0 : 0 (unsigned)",
          "cmpleu": "rs1[i] <= op2 ? ~0 : 0 (unsigned)"}
_FORM_TXT = {"": "op2 = rs2[i]", "sc": "op2 = rs2[lane 0] replicated", "sci": "op2 = imm6"}


def _simd_sem(code, bits, signed, form, immk):
    if form == "":
        return lambda rs1, rs2: simd(rs1, rs2, bits, code, signed)
    if form == "sc":
        return lambda rs1, rs2: simd(rs1, rep(rs2, bits), bits, code, signed)
    if immk == "imm6":
        return lambda rs1, imm6: simd(rs1, rep(imm6, bits), bits, code, signed)
    return lambda rs1, uimm6: simd(rs1, rep(uimm6, bits), bits, code, signed)


def _dot_sem(bits, sa, sb, acc, form, immk):
    if form == "":
        if acc:
            return lambda rd, rs1, rs2: rd + dot(rs1, rs2, bits, sa, sb)
        return lambda rs1, rs2: dot(rs1, rs2, bits, sa, sb)
    if form == "sc":
        if acc:
            return lambda rd, rs1, rs2: rd + dot(rs1, rep(rs2, bits), bits, sa, sb)
        return lambda rs1, rs2: dot(rs1, rep(rs2, bits), bits, sa, sb)
    if immk == "imm6":
        if acc:
            return lambda rd, rs1, imm6: rd + dot(rs1, rep(imm6, bits), bits, sa, sb)
        return lambda rs1, imm6: dot(rs1, rep(imm6, bits), bits, sa, sb)
    if acc:
        return lambda rd, rs1, uimm6: rd + dot(rs1, rep(uimm6, bits), bits, sa, sb)
    return lambda rs1, uimm6: dot(rs1, rep(uimm6, bits), bits, sa, sb)


def _vec(name, f5, F, w, form, imm, sem, timing, doc, ext="xpulpv2.vect"):
    f3 = _F3[(w, form)]
    if form == "sci":
        syntax = f"rd, rs1, {imm}"
        enc = f"{f5}{F} {imm}[0] {imm}[5:1] rs1 {f3} rd 1010111"
    else:
        syntax = "rd, rs1, rs2"
        enc = f"{f5}{F}0 rs2 rs1 {f3} rd 1010111"
    mn = f"pv.{name}" + (f".{form}" if form else "") + f".{w}"
    return X(mn, syntax, enc, ext, sem=sem, timing=timing, doc=doc)


VECT = []
for table, F in ((_SIMD_ALU, "0"), (_SIMD_CMP, "1")):
    for name, f5, immk in table:
        signed = True
        if name in ("avgu", "minu", "maxu", "cmpgtu", "cmpgeu", "cmpltu", "cmpleu"):
            signed = False
        code = SIMD_OPS[name]
        for w in ("h", "b"):
            for form in ("", "sc", "sci"):
                sem = _simd_sem(code, _W[w], signed, form, immk)
                doc = f"rD[i] = {_OPTXT[name]}; lanes {32 // _W[w]}x{_W[w]}b; {_FORM_TXT[form]}"
                VECT.append(_vec(name, f5, F, w, form, immk, sem, "alu", doc))
for w in ("h", "b"):
    bits = _W[w]
    VECT.append(X(f"pv.abs.{w}", "rd, rs1", f"0111000 00000 rs1 {_F3[(w, '')]} rd 1010111",
                  "xpulpv2.vect", sem=(lambda b: lambda rs1: simd(rs1, 0, b, 11, True))(bits),
                  doc=f"rD[i] = |rs1[i]|; lanes {32 // bits}x{bits}b"))
for name, f5, sa, sb, acc, immk in _SIMD_DOT:
    for w in ("h", "b"):
        for form in ("", "sc", "sci"):
            sem = _dot_sem(_W[w], sa, sb, acc, form, immk)
            doc = (f"rD {'+=' if acc else '='} sum_i {'s' if sa else 'u'}(rs1[i])*"
                   f"{'s' if sb else 'u'}(op2); lanes {32 // _W[w]}x{_W[w]}b; {_FORM_TXT[form]}")
            ins = _vec(name, f5, "0", w, form, immk, sem, "dot", doc)
            ins.params["macs"] = 32 // _W[w]      # MACs per execution (MAC/cycle reporting)
            VECT.append(ins)


def _extract_lane(rs1, idx, bits, signed):
    n = 32 // bits
    return lane(rs1, idx & (n - 1), bits, signed)


def _insert_lane(rd, rs1, idx, bits):
    n = 32 // bits
    i = idx & (n - 1)
    m = ((1 << bits) - 1) << (i * bits)
    return (rd & ~m) | ((rs1 << (i * bits)) & m)


for w in ("h", "b"):
    bits = _W[w]
    f3 = _F3[(w, "sci")]
    VECT += [
        X(f"pv.extract.{w}", "rd, rs1, uimm6", f"011110 uimm6[0] uimm6[5:1] rs1 {f3} rd 1010111",
          "xpulpv2.vect", sem=(lambda b: lambda rs1, uimm6: _extract_lane(rs1, uimm6, b, True))(bits),
          doc=f"rD = Sext(rs1[lane uimm6]); lanes {32 // bits}x{bits}b"),
        X(f"pv.extractu.{w}", "rd, rs1, uimm6", f"100100 uimm6[0] uimm6[5:1] rs1 {f3} rd 1010111",
          "xpulpv2.vect", sem=(lambda b: lambda rs1, uimm6: _extract_lane(rs1, uimm6, b, False))(bits),
          doc=f"rD = Zext(rs1[lane uimm6]); lanes {32 // bits}x{bits}b"),
        X(f"pv.insert.{w}", "rd, rs1, uimm6", f"101100 uimm6[0] uimm6[5:1] rs1 {f3} rd 1010111",
          "xpulpv2.vect", sem=(lambda b: lambda rd, rs1, uimm6: _insert_lane(rd, rs1, uimm6, b))(bits),
          doc=f"rD[lane uimm6] = rs1[lane 0], other lanes kept; lanes {32 // bits}x{bits}b"),
    ]


# --- shuffle and pack (INSN_CLASS_XPULP_VECT_SHUFFLEPACK) -------------------------------------------
def _shuffle(src, sel, bits):
    n = 32 // bits
    r = 0
    for i in range(n):
        s = (sel >> (i * bits)) & (n - 1)
        r |= lane(src, s, bits, False) << (i * bits)
    return r


def _shuffle_imm(src, sel8):
    """Byte shuffle with an 8-bit selector: lane i takes byte sel8[2i+1:2i] of src."""
    r = 0
    for i in range(4):
        s = (sel8 >> (2 * i)) & 3
        r |= lane(src, s, 8, False) << (8 * i)
    return r


def _shuffle2(rd, rs1, sel, bits):
    n = 32 // bits
    pick = n        # h: bit 1 of the lane selects rs1/rd; b: bit 2
    r = 0
    for i in range(n):
        sl = (sel >> (i * bits)) & ((1 << bits) - 1)
        src = rs1 if sl & pick else rd
        r |= lane(src, sl & (n - 1), bits, False) << (i * bits)
    return r


SHUFFLEPACK = [
    X("pv.shuffle.h", "rd, rs1, rs2", "1100000 rs2 rs1 000 rd 1010111", "xpulpv2.vect_shufflepack",
      sem=lambda rs1, rs2: _shuffle(rs1, rs2, 16), doc="rD[i] = rs1[rs2[i] bit 0]; 2x16b"),
    X("pv.shuffle.sci.h", "rd, rs1, uimm6", "110000 uimm6[0] uimm6[5:1] rs1 110 rd 1010111",
      "xpulpv2.vect_shufflepack",
      sem=lambda rs1, uimm6: lane(rs1, uimm6 & 1, 16, False) | (lane(rs1, (uimm6 >> 1) & 1, 16, False) << 16),
      doc="rD[0] = rs1[uimm6 bit 0], rD[1] = rs1[uimm6 bit 1]; 2x16b"),
    X("pv.shuffle.b", "rd, rs1, rs2", "1100000 rs2 rs1 001 rd 1010111", "xpulpv2.vect_shufflepack",
      sem=lambda rs1, rs2: _shuffle(rs1, rs2, 8), doc="rD[i] = rs1[rs2[i] bits 1:0]; 4x8b"),
    X("pv.shuffle2.h", "rd, rs1, rs2", "1100100 rs2 rs1 000 rd 1010111", "xpulpv2.vect_shufflepack",
      sem=lambda rd, rs1, rs2: _shuffle2(rd, rs1, rs2, 16),
      doc="rD[i] = (rs2[i] bit 1 ? rs1 : rD)[rs2[i] bit 0]; 2x16b"),
    X("pv.shuffle2.b", "rd, rs1, rs2", "1100100 rs2 rs1 001 rd 1010111", "xpulpv2.vect_shufflepack",
      sem=lambda rd, rs1, rs2: _shuffle2(rd, rs1, rs2, 8),
      doc="rD[i] = (rs2[i] bit 2 ? rs1 : rD)[rs2[i] bits 1:0]; 4x8b"),
    X("pv.pack", "rd, rs1, rs2", "1101000 rs2 rs1 000 rd 1010111", "xpulpv2.vect_shufflepack",
      sem=lambda rs1, rs2: ((rs1 & 0xFFFF) << 16) | (rs2 & 0xFFFF),
      doc="rD = {rs1[15:0], rs2[15:0]} (called pv.pack.h in the RI5CY manual and GVSoC)"),
    X("pv.pack.h", "rd, rs1, rs2", "1101001 rs2 rs1 000 rd 1010111", "xpulpv2.vect_shufflepack",
      sem=lambda rs1, rs2: (rs1 & 0xFFFF0000) | (rs2 >> 16), doc="rD = {rs1[31:16], rs2[31:16]}"),
    X("pv.packhi.b", "rd, rs1, rs2", "1101100 rs2 rs1 001 rd 1010111", "xpulpv2.vect_shufflepack",
      sem=lambda rd, rs1, rs2: ((rs1 & 0xFF) << 24) | ((rs2 & 0xFF) << 16) | (rd & 0xFFFF),
      doc="rD = {rs1[7:0], rs2[7:0], rD[15:0]}"),
    X("pv.packlo.b", "rd, rs1, rs2", "1110000 rs2 rs1 001 rd 1010111", "xpulpv2.vect_shufflepack",
      sem=lambda rd, rs1, rs2: (rd & 0xFFFF0000) | ((rs1 & 0xFF) << 8) | (rs2 & 0xFF),
      doc="rD = {rD[31:16], rs1[7:0], rs2[7:0]}"),
]
for i, f5 in enumerate(["11000", "11101", "11110", "11111"]):
    SHUFFLEPACK.append(X(
        f"pv.shufflei{i}.sci.b", "rd, rs1, uimm6", f"{f5}0 uimm6[0] uimm6[5:1] rs1 111 rd 1010111",
        "xpulpv2.vect_shufflepack",
        sem=(lambda n: lambda rs1, uimm6: _shuffle_imm(rs1, (n << 6) | uimm6))(i),
        doc=f"byte shuffle with selector {{{i}, uimm6}}: rD[i] = rs1[sel[2i+1:2i]]"))

# add/sub .h with division: GAP-8's encodings (GreenWaves GVSoC isa_riscv_gen.py, list `gap8`:
# funct7 0000000/0000001 (add .div2/.div4), 0000100/0000101 (sub), funct3 010 (.h) / 011 (.b)).
# PULP binutils lists pv.add/sub.h.div{2,4,8} under XPULP_VECT with the GAP9 encodings (funct7
# 0111010/0110010, funct3 010/100/110) - a documented source conflict (isa_timing.md §1.4,
# docs/ri5cy.md); GAP-8 has no div8. Semantics: the ALU's lane-partitioned adder (lane sum wrapped
# to the lane width) followed by the normalisation shifter (arithmetic, per lane) - riscv_alu.sv
# adder_result / shift_right_result, as pv.avg (bmask 1) does.
for nm, f7, code, d in [("add", "0000000", 18, 2), ("add", "0000001", 19, 4),
                        ("sub", "0000100", 20, 2), ("sub", "0000101", 21, 4)]:
    VECT.append(X(f"pv.{nm}.h.div{d}", "rd, rs1, rs2", f"{f7} rs2 rs1 010 rd 1010111", "gap8",
                  sem=(lambda c: lambda rs1, rs2: simd(rs1, rs2, 16, c, True))(code),
                  doc=f"rD[i] = (rs1[i] {'+' if nm == 'add' else '-'} rs2[i], wrapped to 16 bits) "
                      f">>> {d.bit_length() - 1}; 2x16b"))


# --- GAP8-only group (INSN_CLASS_XPULP_VECT_GAP8), semantics from GreenWaves GVSoC -------------------
def _cplx(a, br, bi, shift):
    ar = lane(a, 0, 16, True)
    ai = lane(a, 1, 16, True)
    re = (ar * br - ai * bi) >> shift
    im = (ai * br + ar * bi) >> shift
    return ((im & 0xFFFF) << 16) | (re & 0xFFFF)


def _subrotmj(a, b, k):
    """(a - b) * -j on Q15 complex pairs {re = lane 0, im = lane 1}, each result >> k."""
    re = (lane(a, 1, 16, True) - lane(b, 1, 16, True)) >> k
    im = (lane(b, 0, 16, True) - lane(a, 0, 16, True)) >> k
    return ((im & 0xFFFF) << 16) | (re & 0xFFFF)


GAP8 = [
    X("pv.pack.h.h", "rd, rs1, rs2", "1101000 rs2 rs1 110 rd 1010111", "gap8",
      sem=lambda rs1, rs2: (rs1 & 0xFFFF0000) | (rs2 >> 16), doc="rD = {rs1[31:16], rs2[31:16]}"),
    X("pv.pack.l.h", "rd, rs1, rs2", "1101000 rs2 rs1 100 rd 1010111", "gap8",
      sem=lambda rs1, rs2: ((rs1 & 0xFFFF) << 16) | (rs2 & 0xFFFF), doc="rD = {rs1[15:0], rs2[15:0]}"),
    X("pv.cplxmul.s", "rd, rs1, rs2", "0101010 rs2 rs1 000 rd 1010111", "gap8", timing="dot",
      sem=lambda rs1, rs2: _cplx(rs1, lane(rs2, 0, 16, True), lane(rs2, 1, 16, True), 15),
      doc="Q15 complex multiply: {(ai*br+ar*bi)>>15, (ar*br-ai*bi)>>15}"),
    X("pv.cplxmul.sc.s", "rd, rs1, rs2", "0101010 rs2 rs1 100 rd 1010111", "gap8", timing="dot",
      sem=lambda rs1, rs2: _cplx(rs1, lane(rs2, 0, 16, True), 0, 15),
      doc="Q15 complex x real scalar rs2[15:0]"),
    X("pv.cplxmul.sci.s", "rd, rs1, imm6", "010101 imm6[0] imm6[5:1] rs1 110 rd 1010111", "gap8",
      timing="dot", sem=lambda rs1, imm6: _cplx(rs1, imm6, 0, 15), doc="Q15 complex x imm6"),
    X("pv.cplxmul.s.div2", "rd, rs1, rs2", "0101010 rs2 rs1 010 rd 1010111", "gap8", timing="dot",
      sem=lambda rs1, rs2: _cplx(rs1, lane(rs2, 0, 16, True), lane(rs2, 1, 16, True), 16),
      doc="as pv.cplxmul.s with >> 16"),
    X("pv.cplxmul.s.div4", "rd, rs1, rs2", "0101011 rs2 rs1 010 rd 1010111", "gap8", timing="dot",
      sem=lambda rs1, rs2: _cplx(rs1, lane(rs2, 0, 16, True), lane(rs2, 1, 16, True), 17),
      doc="as pv.cplxmul.s with >> 17"),
    X("pv.subrotmj.h", "rd, rs1, rs2", "0110110 rs2 rs1 000 rd 1010111", "gap8",
      sem=lambda rs1, rs2: _subrotmj(rs1, rs2, 0), doc="(rs1 - rs2) * -j on Q15 complex halves"),
    X("pv.subrotmj.h.div2", "rd, rs1, rs2", "0110110 rs2 rs1 010 rd 1010111", "gap8",
      sem=lambda rs1, rs2: _subrotmj(rs1, rs2, 1), doc="as pv.subrotmj.h, each >> 1"),
    X("pv.subrotmj.h.div4", "rd, rs1, rs2", "0110111 rs2 rs1 010 rd 1010111", "gap8",
      sem=lambda rs1, rs2: _subrotmj(rs1, rs2, 2), doc="as pv.subrotmj.h, each >> 2"),
    X("pv.add.b.div2", "rd, rs1, rs2", "0000000 rs2 rs1 011 rd 1010111", "gap8",
      sem=lambda rs1, rs2: simd(rs1, rs2, 8, 18, True),
      doc="rD[i] = (rs1[i] + rs2[i], wrapped to 8 bits) >>> 1; 4x8b"),
    X("pv.add.b.div4", "rd, rs1, rs2", "0000001 rs2 rs1 011 rd 1010111", "gap8",
      sem=lambda rs1, rs2: simd(rs1, rs2, 8, 19, True),
      doc="rD[i] = (rs1[i] + rs2[i], wrapped to 8 bits) >>> 2; 4x8b"),
    X("pv.sub.b.div2", "rd, rs1, rs2", "0000100 rs2 rs1 011 rd 1010111", "gap8",
      sem=lambda rs1, rs2: simd(rs1, rs2, 8, 20, True),
      doc="rD[i] = (rs1[i] - rs2[i], wrapped to 8 bits) >>> 1; 4x8b"),
    X("pv.sub.b.div4", "rd, rs1, rs2", "0000101 rs2 rs1 011 rd 1010111", "gap8",
      sem=lambda rs1, rs2: simd(rs1, rs2, 8, 21, True),
      doc="rD[i] = (rs1[i] - rs2[i], wrapped to 8 bits) >>> 2; 4x8b"),
    X("pv.vitop.max", "rd, rs1, rs2", "0110010 rs2 rs1 001 rd 1010111", "gap8",
      sem=lambda rs1, rs2: (simd(rs1, rs2, 16, 4, True),
                            (1 if lane(rs1, 0, 16, True) <= lane(rs2, 0, 16, True) else 0)
                            | (2 if lane(rs1, 1, 16, True) <= lane(rs2, 1, 16, True) else 0)),
      params={"writes": ("rd", "vf")},
      doc="Viterbi: rD[i] = max(rs1[i], rs2[i]); flags vf[i] = rs1[i] <= rs2[i] [semantics UNCONFIRMED]"),
    X("pv.vitop.sel", "rd, rs1, rs2", "0110010 rs2 rs1 000 rd 1010111", "gap8",
      sem=lambda rs1, rs2, vf: (lane(rs2, 0, 16, False) if vf & 1 else lane(rs1, 0, 16, False))
      | ((lane(rs2, 1, 16, False) if vf & 2 else lane(rs1, 1, 16, False)) << 16),
      doc="Viterbi select: rD[i] = vf[i] ? rs2[i] : rs1[i] [semantics UNCONFIRMED]"),
    X("pv.cplxconj.h", "rd, rs1", "0101110 00000 rs1 000 rd 1010111", "gap8",
      sem=lambda rs1: (rs1 & 0xFFFF) | (((-lane(rs1, 1, 16, True)) & 0xFFFF) << 16),
      doc="complex conjugate: {-rs1[31:16], rs1[15:0]}"),
]

XPULPV2 = POSTMOD + ELW + HWLOOP + ALU + BITFIELD + CLIP + ADDSUB + BRIMM + MAC + MUL16 + VECT + SHUFFLEPACK
_ = (dot, ror32)
