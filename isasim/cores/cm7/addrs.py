"""Low address bits of memory accesses, for the address-dependent pipeline rules without a memory hook.

Four measured Cortex-M7 rules depend on where an access goes (isasim.timing.cm7): two loads pair only
to different banks (address bit 2), unaligned loads cost cycles (bits 0-1), byte/halfword stores
occupy a bank of the store buffer (bit 2), an STM of an even register count to an address that is
not 8-byte aligned takes one more cycle (bit 2). All of them need only ``address & 7``.

The trace path reads the registers before each instruction and computes the bits directly. The
block path cannot: a block's schedule is computed once per (block, entry state, *these bits*) and
then only looked up. It gets them without a hook per access:

* every access address is a linear form of register values: ``c + sum(m_i * R[r_i])`` (a
  ``recipe``, e.g. ``R[r0] + 4``, ``R[r2] + 4 * R[r3]``, ``SP - 16`` for a PUSH of 4 registers, a
  constant for a literal-pool load);
* within a block, register values are tracked modulo 8 as linear forms of *symbols*: the values of
  registers at block entry, and captured values (below). Immediate arithmetic, MOV, register adds
  and subtracts, shifts left, address write-back and BL are followed; anything else (loads,
  conditional instructions in IT blocks, logic, other ops) makes the register unknown;
* an access whose address is a form of symbols gets its bits from the symbol values, which the
  block hook reads at block entry (``uc_reg_read`` of only the registers that matter);
* an access with an unknown address (a pointer just loaded, a conditional access, whose execution
  is unknown until it runs) becomes a *capture point*: a native code hook on exactly that address
  computes the bits from the registers when it runs (value 8: the conditional instruction did not
  execute). Its captured value is a symbol for the rest of the block (write-back of its base).

The signature of a block execution is then the symbol values; it is part of the transition key.
"""
from capstone import arm_const as A

from ...timing.cm7 import _reg

NOT_EXECUTED = 8


def _const(c):
    return (c & 7, ())


def _norm(c, terms):
    """Canonical form: constant and non-zero multipliers, both modulo 8, terms sorted."""
    acc = {}
    for s, m in terms:
        acc[s] = (acc.get(s, 0) + m) & 7
    return (c & 7, tuple(sorted((s, m) for s, m in acc.items() if m)))


def annotate(insn, d):
    """Add the address recipe (``d.mem``, when a rule needs it) and the register effects
    (``d.aeff``) of capstone instruction ``insn`` to its Desc ``d``."""
    from ...timing.cm7 import _mn
    mn = _mn(insn)
    regops = [_reg(insn, op.reg) for op in insn.operands if op.type == A.ARM_OP_REG]
    if d.needs_addr:
        d.mem = recipe(insn, mn, d.cls, regops, d.nregs)
    d.aeff = effects(insn, d, mn, regops)
    return d


def recipe(insn, mn, cls, regops, nregs):
    """Address of the (first, lowest) access of ``insn`` as a linear form of the register values
    before it executes: (constant, ((register, multiplier), ...)). None if no rule needs it."""
    if cls in ("ldm", "stm") and not mn.startswith("strd"):
        base = 13 if mn in ("push", "pop") else regops[0]
        n = nregs
        if mn in ("push", "stmdb", "stmfd", "ldmdb", "ldmea"):
            return (-4 * n, ((base, 1),))
        return (0, ((base, 1),))
    mem = [op for op in insn.operands if op.type == A.ARM_OP_MEM]
    if not mem:
        return None
    m = mem[0].mem
    base = _reg(insn, m.base)
    if base == 15:                          # literal: Align(PC, 4) + offset, PC = address + 4
        return (((insn.address + 4) & ~3) + m.disp, ())
    terms = [(base, 1)]
    if m.index:
        terms.append((_reg(insn, m.index), 1 << mem[0].shift.value if mem[0].shift.type else 1))
    if getattr(insn, "post_index", False):
        return (0, ((base, 1),))
    return (m.disp, tuple(terms))


def effects(insn, d, mn, regops):
    """How ``insn`` changes the registers, as {register: linear form over the registers before it,
    or None (unknown)} for every general-purpose register it writes (r0-r14)."""
    try:
        writes = [_reg(insn, r) for r in insn.regs_access()[1]]
    except Exception:  # pragma: no cover
        writes = []
    out = {r: None for r in writes if r is not None and r < 15}
    if not out or d.cond or d.cls == "trap":
        return out
    ops = insn.operands
    imms = [op.imm for op in ops if op.type == A.ARM_OP_IMM]
    regs = [op for op in ops if op.type == A.ARM_OP_REG]
    shifted = [op for op in regs if op.shift.type]
    rd = regops[0] if regops else None
    if d.mem is not None or d.is_load or d.is_store:
        # address write-back (the loaded registers stay unknown)
        if d.cls in ("ldm", "stm"):
            base = 13 if mn in ("push", "pop") else regops[0]
            n = 4 * (len(regops) - (0 if mn in ("push", "pop") else 1))
            if base in out and not (d.cls == "ldm" and base in regops[(0 if mn == "pop" else 1):]):
                down = mn in ("push", "stmdb", "stmfd", "ldmdb", "ldmea")
                out[base] = (-n if down else n, ((base, 1),))
            return out
        mem = [op for op in ops if op.type == A.ARM_OP_MEM]
        if mem and insn.writeback:
            m = mem[0].mem
            base = _reg(insn, m.base)
            if base in out and base not in regops[:2 if mn in ("ldrd", "strd") else 1]:
                if getattr(insn, "post_index", False):
                    if imms:
                        out[base] = (imms[-1], ((base, 1),))
                    elif len(regs) > (2 if mn in ("ldrd", "strd") else 1):
                        out[base] = (0, ((base, 1), (_reg(insn, regs[-1].reg), 1)))
                elif not m.index:
                    out[base] = (m.disp, ((base, 1),))
        return out
    if d.branch is not None:
        if mn in ("bl", "blx") and 14 in out:
            out[14] = _const((insn.address + insn.size) | 1)
        return out
    if rd is None or rd not in out or len(out) > 1 or shifted and mn.startswith("mov"):
        return out
    srcs = [_reg(insn, op.reg) for op in regs[1:]]
    if 15 in srcs:                           # ADR / ADD rd, pc, #imm: Align(PC, 4) +/- imm
        if mn in ("add", "addw", "adds") and imms and len(srcs) == 1:
            return {rd: _const(((insn.address + 4) & ~3) + imms[-1])}
        if mn in ("sub", "subw") and imms and len(srcs) == 1:
            return {rd: _const(((insn.address + 4) & ~3) - imms[-1])}
        return out
    sh = 0
    if shifted:
        op = shifted[-1]
        if op.shift.type != A.ARM_SFT_LSL or op is not regs[-1]:
            return out
        sh = op.shift.value
    if mn in ("mov", "movs", "movw") and not srcs and imms:
        return {rd: _const(imms[-1])}
    if mn == "movt":
        return {rd: (0, ((rd, 1),))}         # the low 16 bits are kept
    if mn in ("mov", "movs") and len(srcs) == 1 and not imms:
        return {rd: (0, ((srcs[0], 1),))}
    if mn in ("add", "adds", "addw", "sub", "subs", "subw"):
        sign = -1 if mn.startswith("sub") else 1
        if len(regs) == 1 and imms:          # add rdn, #imm (16-bit)
            return {rd: (sign * imms[-1], ((rd, 1),))}
        if len(srcs) == 1 and imms:
            return {rd: (sign * imms[-1], ((srcs[0], 1),))}
        if len(srcs) == 1 and not imms:      # add rdn, rm (16-bit)
            return {rd: (0, ((rd, 1), (srcs[0], sign << sh)))}
        if len(srcs) == 2 and not imms:
            return {rd: (0, ((srcs[0], 1), (srcs[1], sign << sh)))}
        return out
    if mn in ("lsl", "lsls") and len(srcs) == 1 and imms:
        return {rd: (0, ((srcs[0], 1 << imms[-1] if imms[-1] < 3 else 0),))}
    return out


def analyse(descs):
    """Static address analysis of one block. Returns (syms, caps, forms):

    * syms: registers whose entry values (low 3 bits) the block hook reads, in signature order;
    * caps: indices (into ``descs``) of the capture points, in signature order;
    * forms: per desc, None (no address needed), ('cap', j) or a linear form over the symbols
      (('r', reg) = entry value, ('c', j) = capture j).
    """
    cur = {}                                # register -> form over symbols, or None

    def form_of(r):
        if r not in cur:
            cur[r] = (0, ((("r", r), 1),))
        return cur[r]

    def evaluate(lin):
        c, terms = lin
        out = []
        for r, m in terms:
            f = form_of(r)
            if f is None:
                return None
            c += m * f[0]
            out += [(s, m * k) for s, k in f[1]]
        return _norm(c, out)

    caps, forms = [], []
    for i, d in enumerate(descs):
        f = None
        if d.mem is not None:
            f = None if d.cond else evaluate(d.mem)
            if f is None:
                f = ("cap", len(caps))
                caps.append(i)
        forms.append(f)
        eff = d.aeff or {}
        new = {}
        for r, lin in eff.items():
            new[r] = None if lin is None else evaluate(lin)
            if new[r] is None and f is not None and f[0] == "cap" and lin is not None and \
                    len(d.mem[1]) == 1 and len(lin[1]) == 1 and lin[1][0] == d.mem[1][0]:
                # write-back of a captured base: new base = address + (k - c)
                new[r] = _norm(lin[0] - d.mem[0], ((("c", f[1]), 1),))
        cur.update(new)
    syms = sorted({s[1] for f in forms if f is not None and f[0] != "cap"
                   for s, _ in f[1] if s[0] == "r"})
    return syms, caps, forms


def bits(forms, sym_vals, cap_vals):
    """Per desc: the access address bits (0-7), or None (no access / not executed)."""
    out = []
    for f in forms:
        if f is None:
            out.append(None)
        elif f[0] == "cap":
            v = cap_vals[f[1]]
            out.append(None if v == NOT_EXECUTED else v)
        else:
            c, terms = f
            v = c
            for (kind, k), m in terms:
                if kind == "r":
                    v += m * sym_vals[k]
                else:
                    cv = cap_vals[k]
                    v += m * cv
            out.append(v & 7)
    return tuple(out)


def concrete(lin, reg):
    """The access address bits of recipe ``lin`` for register values ``reg(n)`` (trace path)."""
    c, terms = lin
    v = c
    for r, m in terms:
        v += m * reg(r)
    return v & 7
