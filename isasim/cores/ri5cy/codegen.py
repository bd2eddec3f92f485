"""Generate the compiled RI5CY engine from the instruction table.

The engine is one numba function, ``run``: a loop over pre-decoded instruction arrays with one
dispatch case per table entry. Each case comes from the emitter of the instruction's ``kind``
(``EMITTERS``: alu, load/store/elw, branch, jump/jalr, hwloop, csr, system; plug-in instructions go
through ``emit_plugin``). Plain ALU semantics are inlined from the table's lambdas into small group
functions ``alu_<g>``. Timing: ``TC[op]`` static cycles per instruction (the timing class's
``base_cycles``) plus the dynamic rules of isasim/timing/ri5cy.py (``RULES``), compiled from their
expressions over the runtime parameter array ``P`` (so changing a latency never recompiles), with
stall cycles counted by cause in ``CTR``. Every array index is a named constant of layout.py.

The generated source is written to the cache directory under a key (table fingerprint, these
sources, the layout and the rules) and imported from there with its table passed in (``_T``), so
numba's on-disk cache makes later start-ups fast.

Reading and debugging the engine::

    python -m isasim.cores.ri5cy.codegen --print            # the engine source
    python -m isasim.cores.ri5cy.codegen --write engine.py  # ... into a file
    python -m isasim.cores.ri5cy.codegen --print --plugin qnn   # the plug-in dispatcher
    NUMBA_DISABLE_JIT=1 isasim exec prog.elf --target ri5cy  # run it as plain Python (slow; same cycles)
"""
import ast
import importlib.util
import os
import sys

from ...errors import IsasimError
from ...isa import semantics
from ...isa.semantics import jitify, params as sem_params  # noqa: F401  (jitify: generated code)
from ...isa.spec import REG_FIELDS, address_form
from ...timing.ri5cy import RULES, engine_parameters
from . import layout
from .inline import inline_call
from .layout import (P, C, P_NAMES, CTR_NAMES, HIDDEN, NREGS, ST_LIMIT, ST_EXIT,  # noqa: F401
                     ST_ILLEGAL, ST_MEM, ST_EBREAK, ST_ECALL, ST_PC, ST_EVENT, ST_LOG_FULL,
                     ST_PYCALL, ST_REDECODE, ST_PLUGIN, ST_CSR, ST_HWLOOP, OP_ILLEGAL, OP_STALE,
                     PF_ERR, AG_BRANCH)

# architectural registers the engine names (ecall: a7 = 93 exits with code a0)
REG_A0, REG_A7 = 10, 17
SYS_EXIT = 93


# ---- operands ------------------------------------------------------------------------------------
_REG_COLS = {"rd": "rd", "rs1": "r1", "rs2": "r2", "rs3": "r3", "rdp": "rd", "rs1p": "r1",
             "rs2p": "r2"}


def operand_slots(ins):
    """Where each operand of ``ins`` lives in the pre-decoded arrays: register -> RD/RS1/RS2/RS3
    column, immediates -> I0/I1/I2 in order of appearance."""
    slots = {}
    k = 0
    for name in ins.operands:
        if name in REG_FIELDS:
            slots[name] = _REG_COLS[name]
        else:
            if k > 2:
                raise IsasimError(f"{ins.source}: {ins.name}: more than 3 immediate operands")
            slots[name] = f"i{k}"
            k += 1
    return slots


def sources_read(ins):
    """Register operand names that the instruction reads (for the load-use hazard)."""
    if ins.kind == "alu":
        return [p for p in sem_params(ins) if p in REG_FIELDS]
    if ins.kind in ("load", "elw"):
        return [n for n in ("rs1", "rs2") if n in ins.operands]
    if ins.kind == "store":
        return [n for n in ("rs1", "rs2", "rs3") if n in ins.operands]
    if ins.kind == "branch":
        return [n for n in ("rs1", "rs2") if n in ins.operands]
    if ins.kind in ("jalr", "hwloop", "csr"):
        return [n for n in ("rs1",) if n in ins.operands]
    return []


def _operand(slots, name):
    """Engine expression of operand ``name``: its register's value or its immediate."""
    col = slots[name]
    return f"R[{col}]" if name in REG_FIELDS else col


def _plain_alu(ins):
    """ALU op with one result in rd and no data-dependent timing: runs in alu_<g>()."""
    return (ins.kind == "alu" and len(ins.params.get("writes", ("rd",))) == 1
            and ins.timing not in ("div", "mulh") and not any(p in HIDDEN for p in sem_params(ins)))


# Plain ALU ops written out in run() itself instead of called in their alu_<g>() group: the base
# integer arithmetic and the multiply/dot-product family of the QNN inner loops. A call costs
# ~2 ns (bench_ri5cy, 8 of its 14 instructions are pv.sdotsp.b: 88 -> 105 MIPS inline); every
# op here adds a case to run() (compile time), so the set stays small.
INLINE_ALU = ("add", "addi", "sub", "and", "andi", "or", "ori", "xor", "xori", "sll", "slli",
              "srl", "srli", "sra", "srai", "lui", "auipc", "slt", "sltu", "mul", "p.mac",
              "pv.sdotsp.b", "pv.sdotsp.h", "pv.sdotusp.b", "pv.sdotusp.h", "pv.sdotup.b",
              "pv.sdotup.h")


def _inline_alu(ins):
    return _plain_alu(ins) and ins.name in INLINE_ALU


# ---- timing rules (isasim/timing/ri5cy.py RULES) as engine code ---------------------------------
def _param_local(name):
    return f"t_{name}"


def rule_parameters():
    """Timing parameters the rules read (the engine keeps them in locals ``t_<name>``)."""
    used = set()
    for r in RULES.values():
        for e in (r.extra, r.stall):
            if e:
                used |= {n.id for n in ast.walk(ast.parse(e, mode="eval"))
                         if isinstance(n, ast.Name) and n.id in engine_parameters()}
    return sorted(used)


class _RuleExpr(ast.NodeTransformer):
    def __init__(self, name, variables):
        self.name, self.variables = name, variables

    def visit_Name(self, node):
        n = node.id
        if n in self.variables:
            return ast.parse(self.variables[n], mode="eval").body
        if n in engine_parameters():
            return ast.Name(_param_local(n), ast.Load())
        if n == "clz32":
            return node
        raise IsasimError(f"isasim/timing/ri5cy.py RULES[{self.name!r}]: unknown name '{n}' (timing "
                          f"parameters, static, extra, clz32 and the rule's vars "
                          f"{RULES[self.name].vars} may be used)")


def _rule_expr(name, text, variables):
    tree = _RuleExpr(name, variables).visit(ast.parse(text, mode="eval").body)
    return None if isinstance(tree, ast.Constant) and tree.value == 0 else ast.unparse(tree)


def rule_code(name, undo=False, **variables):
    """Lines applying timing rule ``name``: add its extra cycles to ``c`` and its stall cycles to
    the counter of its cause. ``variables``: engine expressions of the rule's vars. ``undo``: only
    take the stall cycles back (the instruction is handed to Python, which applies the rule)."""
    r = RULES[name]
    missing = set(r.vars) - set(variables)
    if missing:
        raise IsasimError(f"timing rule {name}: the engine gives no value for {sorted(missing)}")
    env = {"static": "tcs", **variables}
    extra = _rule_expr(name, r.extra, env)
    lines = []
    if extra is not None:
        lines.append(f"xc = {extra}")
        if not undo:
            lines.append("c += xc")
    if r.cause is not None:
        stall = (_rule_expr(name, r.stall, {**env, "extra": "xc" if extra else "0"}) if r.stall
                 else "xc" if extra else None)
        if stall is not None:
            lines.append(f"CTR[{layout.ctr('st_' + r.cause)}] {'-=' if undo else '+='} {stall}")
    return lines or ["pass"]


def _indent(lines, n):
    pad = " " * n
    return [pad + ln for ln in lines]


# ---- emitters: one per instruction kind -----------------------------------------------------------
class _GenContext:
    """What generating the dispatch cases collects: helper functions to import (jitted) into the
    engine module, semantics that could not be inlined (called as jitted functions S<id>), and the
    plain ALU cases that go into the alu_<g> group functions."""

    def __init__(self):
        self.imports = {}
        self.jitted = set()
        self.alu_cases = []

    def sem_call(self, ins, args):
        """Source of a call of ``ins``'s semantics on the argument expressions ``args``."""
        call = inline_call(ins.sem, dict(zip(sem_params(ins), args)), self.imports)
        if call is None:
            self.jitted.add(ins.id)
            call = f"S{ins.id}({', '.join(args)})"
        return call


def emit_alu(ins, slots, ctx):
    """ALU instruction. Plain ones (one result, static timing) become a case of an alu_<g> group
    function (a/b/c = rs1/rs2/rs3, d = old rd; nothing emitted here); the others are written out:
    several destinations or hidden state, data-dependent divider timing, mulh stalls."""
    if _inline_alu(ins):
        args = semantics.arguments(ins, lambda k, p: _operand(slots, p) if k in ("reg", "imm")
                                   else k if k == "pc" else None)
        if None in args:
            raise IsasimError(f"{ins.source}: {ins.name}: a plain ALU semantics reads only "
                              f"operands and pc")
        return [f"v = {ctx.sem_call(ins, args)}", "if rd != 0:", "    R[rd] = v & 0xFFFFFFFF",
                "wr = rd"]
    if _plain_alu(ins):
        alu_reg = {"rd": "d", "r1": "a", "r2": "b", "r3": "c"}
        args = semantics.arguments(ins, lambda k, p: alu_reg[slots[p]] if k == "reg" else
                                   slots[p] if k == "imm" else k if k == "pc" else None)
        if None in args:
            raise IsasimError(f"{ins.source}: {ins.name}: a plain ALU semantics reads only "
                              f"operands and pc")
        ctx.alu_cases.append((ins, ctx.sem_call(ins, args)))
        return []

    def arg(k, p):
        if k in ("reg", "imm"):
            return _operand(slots, p)
        if k == "pc":
            return "pc"
        if k == "hidden":
            return f"R[{HIDDEN[p]}]"
        raise IsasimError(f"{ins.source}: {ins.name}: built-in semantics cannot read '{p}'")
    call = ctx.sem_call(ins, semantics.arguments(ins, arg))
    writes = semantics.writes(ins)
    out = []
    if ins.timing == "div":
        # the divider's latency depends on |rs2| as the instruction reads it: before rd (which
        # may be rs2) is written
        out.append("dv = R[r2]")
    if len(writes) == 1:
        out += [f"v = {call}", "if rd != 0:", "    R[rd] = v & 0xFFFFFFFF"]
    else:
        out.append(f"t = {call}")
        for j, w in enumerate(writes):
            if w in HIDDEN:
                out.append(f"R[{HIDDEN[w]}] = t[{j}] & 0xFFFFFFFF")
            else:
                col = slots[w]
                out += [f"if {col} != 0:", f"    R[{col}] = t[{j}] & 0xFFFFFFFF"]
    out.append("wr = rd")
    if ins.timing == "div":
        # the signed forms divide magnitudes
        if ins.name in ("div", "rem"):
            out += ["if dv & 0x80000000:", "    dv = (-dv) & 0xFFFFFFFF"]
        out += rule_code("div", divisor="dv")
    elif ins.timing == "mulh":
        out += rule_code("mulh")
    return out


def _fault(size, store):
    return [f"CTR[C_FAULT_ADDR] = a; CTR[C_FAULT_SIZE] = {size}; "
            f"CTR[C_FAULT_STORE] = {int(store)}; status = ST_MEM; break"]


def _load_word(sz, sg):
    """Lines loading ``sz`` (1, 2 or 4; an expression) bytes at byte offset b of MEM (32-bit
    words) into v, sign-extended if ``sg``."""
    return [f"if {sz} == 4:",
            "    if b & 3 == 0:",
            "        v = np.int64(MEM[b >> 2])",
            "    else:",
            "        v = ld_split(MEM, b, 4)",
            "else:",
            "    sh = (b & 3) << 3",
            f"    if {sz} == 1:",
            "        v = (np.int64(MEM[b >> 2]) >> sh) & 0xFF",
            f"        if {sg} and v & 0x80:",
            "            v |= 0xFFFFFF00",
            "    else:",
            "        if sh <= 16:",
            "            v = (np.int64(MEM[b >> 2]) >> sh) & 0xFFFF",
            "        else:",
            "            v = ld_split(MEM, b, 2)",
            f"        if {sg} and v & 0x8000:",
            "            v |= 0xFFFF0000"]


def _store_word(sz, data):
    """Lines storing the low ``sz`` (an expression) bytes of ``data`` at byte offset b of MEM."""
    return ["sh = (b & 3) << 3",
            f"if {sz} == 4:",
            "    if sh == 0:",
            f"        MEM[b >> 2] = {data} & 0xFFFFFFFF",
            "    else:",
            f"        st_split(MEM, b, 4, {data})",
            f"elif {sz} == 1 or sh <= 16:",
            f"    msk = 0xFF if {sz} == 1 else 0xFFFF",
            "    w = b >> 2",
            f"    MEM[w] = (np.int64(MEM[w]) & ~(msk << sh)) | (({data} & msk) << sh)",
            "else:",
            f"    st_split(MEM, b, 2, {data})"]


def _memory_form(ins, slots):
    """(address form, base, offset, data/destination) of a load/store/elw, checked."""
    form = address_form(ins.syntax)
    if form is None:
        raise IsasimError(f"{ins.source}: {ins.name}: a {ins.kind} needs a memory operand "
                          f"'off(base)' in its syntax, not '{ins.syntax}'")
    if form.base not in slots or (form.offset and form.offset not in slots):
        raise IsasimError(f"{ins.source}: {ins.name}: the memory operand of '{ins.syntax}' names a "
                          f"fixed register (only the 16-bit forms, which execute as another "
                          f"entry, may)")
    base = _operand(slots, form.base)
    off = _operand(slots, form.offset) if form.offset else "0"
    data = _operand(slots, ins.operands[0])      # stored register ('rs2, off(rs1)') or rd
    return form, base, off, data


def memory_group(ins):
    """Loads and stores whose code differs only in size and signedness share one engine case
    (fewer cases compile faster): the key of that case, None for p.elw (its own case)."""
    if ins.kind not in ("load", "store"):
        return None
    slots = operand_slots(ins)
    form, base, off, data = _memory_form(ins, slots)
    return (ins.kind, form.post_increment, base, off, data, slots[form.base])


def memory_code(ins):
    """AG[op] of a load/store sharing a case: AG_MEM - (signed << 2 | log2(size))."""
    return layout.AG_MEM - ((4 if ins.params.get("signed") else 0)
                            | {1: 0, 2: 1, 4: 2}[ins.params["size"]])


def emit_memory(ins, slots, ctx, generic=False):
    """load, store, elw: the address form (offset register or immediate, post-increment) comes
    from the syntax's memory operand (isasim.isa.spec.address_form). ``generic``: the size and
    signedness come from AG[op] at run time (memory_code; the case serves a memory_group)."""
    form, base, off, data = _memory_form(ins, slots)
    if generic:
        out = ["mc = AG_MEM - ag", "sz = 1 << (mc & 3)"]
        size, signed = "sz", "(mc >> 2) != 0"
    else:
        out, size, signed = [], str(ins.params["size"]), str(bool(ins.params.get("signed")))
    out += [f"a = {base} & 0xFFFFFFFF" if form.post_increment
            else f"a = ({base} + {off}) & 0xFFFFFFFF"]
    out += [f"if (a & 3) + {size} > 4:"] + _indent(rule_code("misaligned"), 4)
    writeback = []
    if form.post_increment:
        col = slots[form.base]
        writeback = [f"if {col} != 0:", f"    R[{col}] = (R[{col}] + {off}) & 0xFFFFFFFF"]
    if ins.kind == "store":
        # event-unit window first: its registers are not memory
        out += ["if ev_base != 0 and a - ev_base >= 0 and a - ev_base < 0x1000:",
                "    CTR[C_EV_ADDR] = a; CTR[C_EV_RD] = -1; status = ST_EVENT; halt = True",
                "else:",
                f"    b = xlat(a, {size}, rb0, rs0, ro0, rb1, rs1, ro1)",
                "    if b < 0:"] + _indent(_fault(size, True), 8) + _indent(_store_word(size, data), 4)
        # a store into the decoded code marks the slots it overwrites stale (one range check)
        out += [f"    if a - code_base < cspan and a - code_base > -{size}:",
                f"        invalidate(SLOT, MEM, RB, RS, RO, code_base, nslots, a, {size})",
                "mw = a",
                f"if a == tohost and tohost != 0 and {data} != 0:",
                f"    CTR[C_EXIT_CODE] = {data} >> 1; status = ST_EXIT",
                "    halt = True"]
        if writeback:
            out += writeback + [f"wr = {slots[form.base]}"]
        return out
    out += ["if ev_base != 0 and a - ev_base >= 0 and a - ev_base < 0x1000:",
            "    CTR[C_EV_ADDR] = a; CTR[C_EV_RD] = rd; status = ST_EVENT",
            "    halt = True",
            "    v = 0",
            "else:",
            f"    b = xlat(a, {size}, rb0, rs0, ro0, rb1, rs1, ro1)",
            "    if b < 0:"] + _indent(_fault(size, False), 8)
    out += _indent(_load_word(size, signed), 4)
    out += ["mw = a"] + writeback + ["if rd != 0:", "    R[rd] = v", "nld = rd", "wr = rd"]
    if ins.kind == "elw":
        out += rule_code("elw")
    return out


def emit_branch(ins, slots, ctx):
    """Conditional branch: the table's semantics is the condition."""
    cond = ctx.sem_call(ins, semantics.arguments(
        ins, lambda k, p: "pc" if k == "pc" else _operand(slots, p)))
    return ([f"if {cond}:", f"    npc = (pc + {slots['off']}) & 0xFFFFFFFF", "    jumped = True"]
            + _indent(rule_code("branch_taken", mis_target=_MIS_TARGET), 4))


# 1 if the target npc is a 32-bit instruction that is not word aligned (a fetch cycle more): inline,
# as a call with array arguments would cost reference counting (see runtime.xlat)
_MIS_TARGET = ("(1 if npc & 3 != 0 and npc - code_base >= 0 and npc - code_base < cspan "
               "and SLOT[(((npc - code_base) >> 1) << SL_SHIFT) + SL_FIELDS] >> 20 == 4 else 0)")


def emit_jump(ins, slots, ctx):
    """jal (pc-relative) and jalr (register + immediate); rd gets the return address."""
    # target first: rd may be the base register of jalr
    if ins.kind == "jump":
        out = [f"npc = (pc + {slots['off']}) & 0xFFFFFFFF"]
    else:
        out = [f"npc = (R[r1] + {slots['imm']}) & 0xFFFFFFFE"]
    out.append("jumped = True")
    out += rule_code("jump", mis_target=_MIS_TARGET)
    if ins.kind == "jalr":
        out += ["if prev_wr != 0 and prev_wr == r1:"] + _indent(rule_code("jalr_hazard"), 4)
    return out + ["if rd != 0:", "    R[rd] = (pc + ln) & 0xFFFFFFFF", "wr = rd"]


def _reload_hw():
    """The hardware-loop locals after an instruction that may have changed the registers."""
    return ["e0 = HW[HW_END]", "c0 = HW[HW_COUNT]", "e1 = HW[HW_LOOP + HW_END]",
            "c1 = HW[HW_LOOP + HW_COUNT]"]


def emit_hwloop(ins, slots, ctx):
    """lp.starti/endi/count/counti/setup/setupi: loop L's start, end (address of the last
    instruction of the body) and count; lp.setup* start at pc + 4."""
    op = ins.params["op"]
    loop = f"{slots['L']} * HW_LOOP"
    rel = f"(pc + {slots['loff']}) & 0xFFFFFFFF" if "loff" in slots else None
    count = "R[r1]" if op in ("count", "setup") else slots.get("uimm")
    writes = {"starti": [("HW_START", rel)], "endi": [("HW_END", rel)],
              "count": [("HW_COUNT", count)], "counti": [("HW_COUNT", count)],
              "setup": [("HW_START", "(pc + 4) & 0xFFFFFFFF"), ("HW_END", rel), ("HW_COUNT", count)],
              "setupi": [("HW_START", "(pc + 4) & 0xFFFFFFFF"), ("HW_END", rel),
                         ("HW_COUNT", count)]}
    if op not in writes:
        raise IsasimError(f"{ins.source}: {ins.name}: unknown hardware-loop op '{op}'")
    return [f"HW[{loop} + {reg}] = {val}" for reg, val in writes[op]] + _reload_hw()


def emit_csr(ins, slots, ctx):
    """csrrw/rs/rc and their immediate forms through runtime.csr_access; the slow CSRs cost
    csr_slow cycles (timing rule csr_slow)."""
    pr = ins.params
    src = slots["zimm"] if pr["imm"] else "R[r1]"
    mode = {"rw": 0, "rs": 1, "rc": 2}[pr["op"]]
    wflag = "True" if (pr["op"] == "rw" or pr["imm"]) else "r1 != 0"
    if pr["imm"] and pr["op"] != "rw":
        wflag = f"{slots['zimm']} != 0"
    csr = slots["csr"]
    return ([f"old = csr_access(CSR, HW, hw_csr_base, hartid, {csr}, {src}, {mode}, {wflag}, "
             f"cyc, CTR[C_INSTRUCTIONS] + n)",
             "if old < 0:", "    status = ST_CSR; break",
             "if rd != 0:", "    R[rd] = old", "wr = rd"]
            + _reload_hw()                # hardware-loop registers are CSRs too
            + [f"if csr_is_slow(CSR, {csr}):"] + _indent(rule_code("csr_slow"), 4))


def emit_system(ins, slots, ctx):
    """ecall (a7 = 93: exit with a0), ebreak, mret, fence/fence.i/wfi (no-ops)."""
    op = ins.params["op"]
    if op == "ecall":
        return [f"if R[REG_A7] == {SYS_EXIT}:",
                "    CTR[C_EXIT_CODE] = R[REG_A0]; status = ST_EXIT; halt = True",
                "else:", "    status = ST_ECALL; halt = True"]
    if op == "ebreak":
        return ["status = ST_EBREAK; halt = True"]
    if op == "mret":
        return ["npc = CSR[CSR_MEPC]", "jumped = True"]
    return ["pass"]


EMITTERS = {"alu": emit_alu, "load": emit_memory, "store": emit_memory, "elw": emit_memory,
            "branch": emit_branch, "jump": emit_jump, "jalr": emit_jump, "hwloop": emit_hwloop,
            "csr": emit_csr, "system": emit_system}


def emit_case(ins, ctx):
    """Engine lines (relative indentation) executing built-in ``ins``; [] for a plain ALU op."""
    if ins.kind not in EMITTERS:
        raise IsasimError(f"{ins.source}: {ins.name}: kind '{ins.kind}' has no engine form")
    return EMITTERS[ins.kind](ins, operand_slots(ins), ctx)


def emit_plugin():
    """The plug-in branch: semantics through the dispatcher PF (a numba cfunc compiled separately,
    so loading plug-ins never recompiles the engine); PMETA describes each plug-in op."""
    return (["pm = op - N_BUILTIN",
             "if PMETA[pm, PM_PYTHON] != 0:",
             "    # plug-in on the Python path: the core runs it, applying the rules itself (the",
             "    # only state changed so far is the load-use stall, taken back here)",
             "    if ld_rd != 0 and (SLOT[q + SL_RMASK] >> ld_rd) & 1:"]
            + _indent(rule_code("load_use", undo=True), 8)
            + ["    if prof:                # its instruction-cache refill is its own",
               "        while pal < CTR[C_AL_N]:",
               "            AL[pal, AL_SLOT] = s",
               "            pal += 1",
               "    status = ST_PYCALL",
               "    break",
               "ldv = 0",
               "lsz = PMETA[pm, PM_LOAD_SIZE]",
               "if lsz != 0:",
               "    a = R[r1] & 0xFFFFFFFF",
               "    ldv = mem_load(MEM, RB, RS, RO, a, lsz, False)",
               "    if ldv < 0:",
               "        CTR[C_FAULT_ADDR] = a; CTR[C_FAULT_SIZE] = lsz; CTR[C_FAULT_STORE] = 0; "
               "status = ST_MEM; break",
               "    if (a & 3) + lsz > 4:"]
            + _indent(rule_code("misaligned"), 8)
            + ["    mw = a",
               "v = PF(op, R[rd], R[r1], R[r2], R[r3], i0, i1, i2, pc, ldv, 0)",
               "v2 = 0",
               "if PMETA[pm, PM_N_OUT] > 1:",
               "    v2 = PF(op, R[rd], R[r1], R[r2], R[r3], i0, i1, i2, pc, ldv, 1)",
               "if v == PF_ERR or v2 == PF_ERR:     # the semantics raised: nothing is written",
               "    status = ST_PLUGIN",
               "    break",
               "if rd != 0:",
               "    R[rd] = v & 0xFFFFFFFF",
               "wr = rd",
               "if PMETA[pm, PM_N_OUT] > 1:",
               "    col = PMETA[pm, PM_OUT2_COL]",
               "    dst = r1 if col == 1 else (r2 if col == 2 else r3)",
               "    if dst != 0:",
               "        R[dst] = v2 & 0xFFFFFFFF",
               "if lsz != 0 and PMETA[pm, PM_POST_INCREMENT] != 0 and r1 != 0:",
               "    R[r1] = (R[r1] + PMETA[pm, PM_POST_INCREMENT]) & 0xFFFFFFFF"])


def _icache_line(line):
    """Lines fetching instruction-cache line ``line`` (runtime.icache_access) and accounting it:
    refill/wait cycles as stall cause icache, the hit or miss, and a miss in the access log (the
    cluster arbitrates the refill port: layout.AL_NAMES). The refill is logged with cost 0, i.e. at
    the cycle before the instruction's issue cycle: the fetch precedes the instruction, and a data
    access of the previous instruction in that cycle is arbitrated first (log order)."""
    return [f"xi = icache_access(IC, {line}, cyc + xs, ic_sets, ic_ways, ic_refill)",
            "xs += xi >> 1",
            "if xi & 1:",
            "    CTR[C_IC_MISSES] += 1",
            "    if log_tcdm and ic_refill > 0:     # a 0-cycle refill holds no port",
            "        k = CTR[C_AL_N]",
            "        AL[k, AL_CYCLE] = cyc + xs - (xi >> 1)",
            f"        AL[k, AL_ADDR] = -1 - {line}",
            "        AL[k, AL_COST] = 0        # requested the cycle before the issue (IF stage)",
            "        CTR[C_AL_N] = k + 1",
            "        if k + 2 >= AL.shape[0]:",
            "            logfull = True",
            "            halt = True",
            "else:",
            "    CTR[C_IC_HITS] += 1"]


def emit_icache():
    """Instruction fetch through the shared instruction cache (cluster only; P_ICACHE = 0
    elsewhere): looked up only when an instruction starts or ends in another line than the
    previous instruction ended in (a 32-bit instruction may span two lines)."""
    return (["if icache:",
             "    lf = (pc + ln - 1) >> ic_bits",
             "    if lf != ic_cur:",
             "        l0 = pc >> ic_bits",
             "        xs = 0",
             "        if l0 != ic_cur:"]
            + _indent(_icache_line("l0"), 12)
            + ["        if lf != l0:"]
            + _indent(_icache_line("lf"), 12)
            + ["        ic_cur = lf",
               "        c += xs",
               "        CTR[C_ST_ICACHE] += xs"])


TRACE_ROW = '''@njit(cache=True, nogil=True)
def trace_row(TR, n, cyc, pc, wr, value, mw, s, r1, r1_value, a, b, jumped):
    """Commit-log row n (layout.TR_NAMES); out of line: run() stays small when tracing is off."""
    TR[n, TR_CYCLE] = cyc
    TR[n, TR_PC] = pc
    TR[n, TR_WR] = wr
    TR[n, TR_VALUE] = value
    TR[n, TR_MEM] = mw
    TR[n, TR_SLOT] = s
    TR[n, TR_R1] = r1
    TR[n, TR_R1_VALUE] = r1_value
    TR[n, TR_A] = a
    TR[n, TR_B] = b
    TR[n, TR_JUMPED] = 1 if jumped else 0


@njit(cache=True, nogil=True)
def operands_at(SLOT, R, code_base, nslots, pc):
    """Values of the rs1 and rs2 columns of the instruction at pc, read before it executes (the
    trace reads them at the end of the instruction before it, and when a call starts); 0, 0 if
    there is no decoded instruction there (it does not execute then)."""
    s = (pc - code_base) >> 1
    if s < 0 or s >= nslots or (pc & 1):
        return 0, 0
    f = SLOT[(s << SL_SHIFT) + SL_FIELDS]
    return R[(f >> 5) & 31], R[(f >> 10) & 31]'''


def emit_profile_entry():
    """At the start of a call (profiling): the stall cycles the cluster added since the last call
    (barrier waits) are charged, with their cycles, to the slot that ran last (the barrier load)."""
    out = ["ls = PROF[psn + PR_CYCLES] * PR_W"]
    for x in layout.PR_CLUSTER_STALLS:
        k = layout.ctr(x)
        col = f"PR_{x.upper()}"
        out += [f"d = CTR[{k}] - PROF[psn + {col}]",
                f"PROF[ls + {col}] += d",
                "PROF[ls + PR_CYCLES] += d",
                f"PROF[psn + {col}] = CTR[{k}]"]
    return out


def profile_row_function():
    """emit_profile_row as a function of its own: run() calls it under its profile flag, so the
    profiling code is out of line and the fast path's loop stays small."""
    return "\n".join(["@njit(cache=True, nogil=True)",
                      "def profile_row(PROF, CTR, AL, s, c, psn, pal):",
                      '    """One instruction\'s profile row (emit_profile_row); returns pal."""']
                     + _indent(emit_profile_row(), 4) + ["    return pal"])


def emit_profile_row():
    """After an instruction (profiling): its cycles, one execution and the stall cycles the
    engine counted for it (the change of each stall counter since the previous instruction) to
    its slot's row; the access-log rows it made get its slot (the cluster charges their waits)."""
    out = ["pq = s * PR_W",
           "PROF[pq + PR_CYCLES] += c",
           "PROF[pq + PR_INSTRUCTIONS] += 1"]
    for x in layout.PR_ENGINE_STALLS:
        col = f"PR_{x.upper()}"
        out += [f"v = CTR[{layout.ctr(x)}]",
                f"PROF[pq + {col}] += v - PROF[psn + {col}]",
                f"PROF[psn + {col}] = v"]
    return out + ["PROF[psn + PR_CYCLES] = s",
                  "while pal < CTR[C_AL_N]:",
                  "    AL[pal, AL_SLOT] = s",
                  "    pal += 1"]


def emit_hwloop_end():
    """At the end address of an active loop: take the back edge (rule hwloop_backedge) or fall
    through; loop 0 first, then loop 1 when loop 0 expires on the same instruction. A branch or
    jump there is refused (ST_HWLOOP)."""
    back = rule_code("hwloop_backedge")
    return (["if c0 > 0 and pc == e0:",
             "    if jumped or ag == AG_BRANCH:       # a branch/jump ends the loop body: not allowed",
             "        status = ST_HWLOOP",
             "        break",
             "    if c0 > 1:",
             "        npc = HW[HW_START]"] + _indent(back, 8)
            + ["    c0 -= 1",
               "    HW[HW_COUNT] = c0",
               "    if c0 == 0 and c1 > 0 and pc == e1:",
               "        if c1 > 1:",
               "            npc = HW[HW_LOOP + HW_START]"] + _indent(back, 12)
            + ["        c1 -= 1",
               "        HW[HW_LOOP + HW_COUNT] = c1",
               "elif c1 > 0 and pc == e1:",
               "    if jumped or ag == AG_BRANCH:",
               "        status = ST_HWLOOP",
               "        break",
               "    if c1 > 1:",
               "        npc = HW[HW_LOOP + HW_START]"] + _indent(back, 8)
            + ["    c1 -= 1",
               "    HW[HW_LOOP + HW_COUNT] = c1"])


ENGINE = '''# Generated by isasim.cores.ri5cy.codegen from instruction table {fp}. Do not edit.
# Loaded by codegen.load_generated, which passes the table in as _T before this code runs.
import numba
from numba import njit
import numpy as np
from isasim.cores.ri5cy.runtime import (mem_load, mem_store, xlat, ld_split, st_split, csr_access,
                                        csr_is_slow, clz32, invalidate, icache_access)
from isasim.cores.ri5cy.codegen import jitify

FINGERPRINT = {fp!r}
if _T.builtin_fingerprint() != FINGERPRINT:  # noqa: F821 (_T: given by the loader)
    raise ImportError("RI5CY engine generated from another instruction table")

# array layout (isasim/cores/ri5cy/layout.py)
{constants}
N_BUILTIN = {nb}
REG_A0 = {reg_a0}
REG_A7 = {reg_a7}


def _attr(mod, qual):
    import importlib
    obj = importlib.import_module(mod)
    for part in qual.split("."):
        obj = getattr(obj, part)
    return obj


{sems}


# plain ALU instructions (one result, static timing): a/b/c = rs1/rs2/rs3, d = old rd
{alu}


{trace_row}


@njit(cache=True, nogil=True)
def run(SLOT, code_base, nslots, R, HW, CSR, MEM, RB, RS, RO, CTR, OPCNT, P, pc, max_n, TR, PROF,
        AL, PF, PMETA, IC):
    n = 0
    cyc = CTR[C_CYCLES]
    ld_rd = CTR[C_LD_RD]
    prev_wr = CTR[C_PREV_RD]
    status = 0
    trace = P[P_TRACE] != 0
    prof = P[P_PROFILE] != 0
    dbg = trace or prof
    # timing parameters the rules read (isasim/timing/ri5cy.py RULES)
{timing_locals}
    climit = P[P_CYCLE_LIMIT] if P[P_CYCLE_LIMIT] > 0 else (1 << 62)
    tcdm_base = P[P_TCDM_BASE]
    tcdm_size = P[P_TCDM_SIZE]
    log_tcdm = P[P_LOG_TCDM] != 0
    ev_base = P[P_EVENT_BASE]      # event-unit window (0 = none)
    tohost = P[P_TOHOST]
    # the two memory regions (core.Memory): mapped at rb, rs bytes, at byte ro of MEM
    rb0 = RB[0]
    rs0 = RS[0]
    ro0 = RO[0]
    rb1 = RB[1]
    rs1 = RS[1]
    ro1 = RO[1]
    hw_csr_base = P[P_HWLOOP_CSR_BASE]
    hartid = ((P[P_CLUSTER_ID] & 0x3F) << 5) | (P[P_CORE_ID] & 0x1F)
    cspan = 2 * nslots             # bytes of decoded code (stores into them invalidate slots)
    icache = P[P_ICACHE] != 0      # shared instruction cache (IC, runtime.icache_access)
    ic_bits = P[P_ICACHE_LINE_BITS]
    ic_sets = P[P_ICACHE_SETS]
    ic_ways = P[P_ICACHE_WAYS]
    ic_refill = P[P_ICACHE_REFILL]
    ic_cur = CTR[C_IC_LINE] - 1    # the line the previous instruction ended in (-1: none)
    # hardware-loop end addresses and counts in locals; the instructions that can change them
    # (lp.*, CSR) reload them, the back edge writes the counts through
{reload_hw}
    psn = nslots * PR_W            # profile: PROF's tail row (layout.PR_NAMES)
    pal = CTR[C_AL_N]              # profile: the access-log rows from here on get their slot
    if prof:
{prof_entry}
    la = 0                         # trace: rs1/rs2 values before the instruction executes
    lb = 0
    if trace:
        la, lb = operands_at(SLOT, R, code_base, nslots, pc)
    halt = False
    logfull = False
    n_tcdm = 0                     # data accesses to the TCDM window / elsewhere (CTR at exit)
    n_l2 = 0
    # the access log always has room for the 2 entries (refill, data) one instruction may add
    if log_tcdm and CTR[C_AL_N] + 2 >= AL.shape[0]:
        return ST_LOG_FULL, pc, 0
    while n < max_n:
        s = (pc - code_base) >> 1
        if s < 0 or s >= nslots or (pc & 1):
            status = ST_PC
            break
        q = s << SL_SHIFT          # the slot's record (layout.SLOT_NAMES)
        op = SLOT[q + SL_OP]
        if op < 0:                 # illegal, or overwritten by a store since it was decoded
            status = ST_ILLEGAL if op == OP_ILLEGAL else ST_REDECODE
            break
        f = SLOT[q + SL_FIELDS]    # rd | rs1 << 5 | rs2 << 10 | rs3 << 15 | length << 20
        rd = f & 31
        r1 = (f >> 5) & 31
        r2 = (f >> 10) & 31
        r3 = (f >> 15) & 31
        ln = f >> 20
        i0 = SLOT[q + SL_I0]
        i1 = SLOT[q + SL_I1]
        i2 = SLOT[q + SL_I2]
        tcs = SLOT[q + SL_TC]      # static cycles (TC[op])
        c = tcs
        if ld_rd != 0 and (SLOT[q + SL_RMASK] >> ld_rd) & 1:
{load_use}
{icache}
        nld = 0
        wr = 0
        mw = -1
        npc = (pc + ln) & 0xFFFFFFFF
        jumped = False
        ag = SLOT[q + SL_AG]
{inline_alu}
        {alu_if} ag >= 0:
            v = 0
{alu_calls}
            if rd != 0:
                R[rd] = v & 0xFFFFFFFF
            wr = rd
{cases}
        else:
{plugin}
{hwloop_end}
        if mw >= 0:
            if mw - tcdm_base >= 0 and mw - tcdm_base < tcdm_size:
                n_tcdm += 1
                if log_tcdm:
                    k = CTR[C_AL_N]
                    AL[k, AL_CYCLE] = cyc
                    AL[k, AL_ADDR] = mw
                    AL[k, AL_COST] = c
                    CTR[C_AL_N] = k + 1
                    if k + 2 >= AL.shape[0]:
                        logfull = True
                        halt = True
            else:
                n_l2 += 1
        if dbg:
            if trace:
                trace_row(TR, n, cyc, pc, wr, R[wr], mw, s, r1, R[r1], la, lb, jumped)
                la, lb = operands_at(SLOT, R, code_base, nslots, npc)
            if prof:
{prof_row}
        cyc += c
        OPCNT[op] += 1
        ld_rd = nld
        prev_wr = wr
        n += 1
        pc = npc
        if halt:
            if logfull and status == ST_LIMIT:     # the caller grows the log (an exit or an
                status = ST_LOG_FULL               # event status goes first)
            break
        if cyc >= climit:
            break
    CTR[C_CYCLES] = cyc
    CTR[C_INSTRUCTIONS] += n
    CTR[C_TCDM_ACCESSES] += n_tcdm
    CTR[C_L2_ACCESSES] += n_l2
    CTR[C_LD_RD] = ld_rd
    CTR[C_PREV_RD] = prev_wr
    CTR[C_IC_LINE] = ic_cur + 1
    return status, pc, n
'''


ALU_GROUP = 8


def _tree(groups, out, indent):
    """Balanced if-tree selecting alu_<g> by the group number ag (log2 comparisons, not a chain)."""
    pad = " " * indent
    if len(groups) == 1:
        g = groups[0]
        out.append(f"{pad}v = alu_{g}(op, R[r1], R[r2], R[r3], R[rd], i0, i1, i2, pc)")
        return
    mid = len(groups) // 2
    out.append(f"{pad}if ag < {groups[mid]}:")
    _tree(groups[:mid], out, indent + 4)
    out.append(f"{pad}else:")
    _tree(groups[mid:], out, indent + 4)


def _engine_instrs(table):
    """The built-in instructions that get a dispatch case (aliases and 16-bit forms execute as
    the entry they name), in table order."""
    return [ins for ins in table.instrs[:table.n_builtin] if not (ins.alias or ins.expands)]


def dispatch_arrays(table):
    """AG[op] = group of a plain ALU op (it runs in alu_<AG[op]>()), AG_BRANCH for a conditional
    branch, -1 for every other op."""
    import numpy as np
    ag = np.full(len(table.instrs), -1, np.int64)
    k = 0
    for ins in _engine_instrs(table):      # same order as generate()
        if ins.kind == "branch":
            ag[ins.id] = AG_BRANCH
        elif memory_group(ins) is not None:
            ag[ins.id] = memory_code(ins)
        elif _plain_alu(ins) and not _inline_alu(ins):
            ag[ins.id] = k // ALU_GROUP
            k += 1
    return ag


def generate(table):
    """Engine source for the built-in instructions of ``table`` (plug-ins go through PF)."""
    sems = []
    cases = []
    inline = []
    ctx = _GenContext()
    groups = {}
    for ins in _engine_instrs(table):
        key = memory_group(ins)
        if key is not None:
            groups.setdefault(key, []).append(ins)
    done = set()
    for ins in _engine_instrs(table):
        key = memory_group(ins)
        if key is not None:             # one case for the loads/stores of this form
            if key in done:
                continue
            done.add(key)
            members = groups[key]
            body = emit_memory(ins, operand_slots(ins), ctx, generic=True)
            cond = " or ".join(f"op == {m.id}" for m in members)
            cases.append(f"        elif {cond}:  # {', '.join(m.name for m in members)} "
                         f"{ins.syntax}")
            cases += _indent(body, 12)
            continue
        body = emit_case(ins, ctx)
        if ins.id in ctx.jitted:
            sems.append(f"S{ins.id} = jitify(_T.instrs[{ins.id}].sem)  # {ins.name}")
        if not body:        # plain ALU op: runs in alu_<g>()
            continue
        # the chain continues the "if ag >= 0" (ALU) branch of the engine loop
        if _inline_alu(ins):            # before the ALU group tree
            inline.append(f"        {'elif' if inline else 'if'} op == {ins.id}:  # {ins.name} "
                          f"{ins.syntax}")
            inline += _indent(body, 12)
            continue
        cases.append(f"        elif op == {ins.id}:  # {ins.name} {ins.syntax}")
        cases += _indent(body, 12)
    # ALU cases in small functions: numba initialises every local of a function on entry, so one
    # function with all cases costs ~45 ns per call; groups of ALU_GROUP keep calls cheap.
    alu = []
    for g in range(0, len(ctx.alu_cases), ALU_GROUP):
        alu.append(f"\n\n@njit(cache=True, nogil=True)\ndef alu_{g // ALU_GROUP}(op, a, b, c, d, i0, i1, i2, pc):")
        for ins, call in ctx.alu_cases[g:g + ALU_GROUP]:
            alu.append(f"    if op == {ins.id}:  # {ins.name}\n        return {call}")
        alu.append("    return 0")
    calls = []
    _tree(list(range((len(ctx.alu_cases) + ALU_GROUP - 1) // ALU_GROUP)), calls, 12)
    imports = [f"{a} = jitify(_attr('{m}', '{q}'))" for a, (m, q) in sorted(ctx.imports.items())]
    return ENGINE.format(
        fp=table.builtin_fingerprint(), nb=table.n_builtin, reg_a0=REG_A0, reg_a7=REG_A7,
        constants="\n".join(f"{k} = {v}" for k, v in layout.constants()),
        sems="\n".join(imports + sems), alu="\n".join(alu), alu_calls="\n".join(calls),
        timing_locals="\n".join(f"    {_param_local(n)} = P[{layout.p(n)}]"
                                for n in rule_parameters()),
        reload_hw="\n".join(_indent(_reload_hw(), 4)),
        load_use="\n".join(_indent(rule_code("load_use"), 12)),
        icache="\n".join(_indent(emit_icache(), 8)),
        trace_row=TRACE_ROW + "\n\n\n" + profile_row_function(),
        prof_entry="\n".join(_indent(emit_profile_entry(), 8)),
        prof_row="                pal = profile_row(PROF, CTR, AL, s, c, psn, pal)",
        cases="\n".join(cases), inline_alu="\n".join(inline),
        alu_if="elif" if inline else "if", plugin="\n".join(_indent(emit_plugin(), 12)),
        hwloop_end="\n".join(_indent(emit_hwloop_end(), 8)))


# ---- loading (generated modules are cached on disk, keyed by what generates them) ---------------
_loaded = {}
_GEN_HASH = []
_KEY_SOURCES = ("codegen.py", "inline.py", "layout.py", "runtime.py", "../../timing/ri5cy.py")


def _generator_hash():
    """Hash of the generator, the runtime helpers, the layout and the timing rules: part of every
    generated module's key."""
    if not _GEN_HASH:
        import hashlib
        h = hashlib.sha256()
        for f in _KEY_SOURCES:
            with open(os.path.join(os.path.dirname(__file__), f), "rb") as fh:
                h.update(fh.read())
        h.update(layout.signature().encode())
        h.update(repr(sorted(RULES.items())).encode())
        _GEN_HASH.append(h.hexdigest())
    return _GEN_HASH[0]


def load_generated(path, name, src, table):
    """Import a generated module with ``_T = table`` in its namespace before its code runs.
    ``src`` may be a callable producing the source, called only when the file for this key does
    not exist yet (the key determines the content)."""
    if not os.path.isfile(path):
        src = src() if callable(src) else src
        tmp = path + f".{os.getpid()}.tmp"
        with open(tmp, "w") as f:
            f.write(src)
        os.replace(tmp, path)
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    mod._T = table
    sys.modules[name] = mod
    try:
        spec.loader.exec_module(mod)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return mod


def _import_generated(path, name, src):
    """A generated module that needs no table (the GAP-8 cluster loop)."""
    return load_generated(path, name, src, None)


def _jit_disabled():
    import numba
    return bool(numba.config.DISABLE_JIT)


def engine_signature():
    """numba types of run()'s arguments, as RI5CY._engine_step and the cluster loop pass them (a
    test checks that a run compiles no other version)."""
    from numba import types as t
    i64 = t.int64
    a1, a2 = t.Array(i64, 1, "C"), t.Array(i64, 2, "C")
    pf = t.FunctionType(i64(*([i64] * len(PF_ARGS))))
    return ((a1, i64, i64, a1, a1, a1, t.Array(t.uint32, 1, "C"), a1, a1, a1, a1, a1, a1, i64, i64)
            + (a2, a1, a2, pf, a2, a2))


def engine_function_type():
    """numba type of run() as a first-class function value: the GAP-8 window loop takes the engine
    as an argument of this type, so it compiles without the engine (in parallel with it)."""
    from numba import types as t
    return t.FunctionType(t.UniTuple(t.int64, 3)(*engine_signature()))


def engine_pointer(mod):
    """``mod.run`` (compiled for engine_signature()) as a value of engine_function_type(); the
    Python function itself when numba is disabled."""
    if _jit_disabled():
        return mod.run
    import numba
    from numba.experimental.function_type import _get_wrapper_address
    ftype = engine_function_type()
    sig = ftype.signature
    mod.run.compile(engine_signature())         # loads it from the cache (engine() put it there)
    got = mod.run.overloads[tuple(sig.args)].signature.return_type
    if got != sig.return_type:
        raise IsasimError(f"RI5CY engine: run() returns {got}, not {sig.return_type} "
                          f"(codegen.engine_function_type)")

    addr = _get_wrapper_address(mod.run, sig)   # once: the loop is re-entered per Python call

    class EnginePointer(numba.types.WrapperAddressProtocol):
        def __wrapper_address__(self):
            return addr

        def signature(self):
            return sig
    return EnginePointer()


# "module:function" names run in the helper process of a cold start, after its ALU groups, while
# this process compiles run() (e.g. the GAP-8 window loop, isasim.platforms.gap8:loop_module)
BACKGROUND = []


def _engine_paths(table):
    from ...toolchain.zig import cache_root
    import hashlib
    key = hashlib.sha256((table.builtin_fingerprint() + _generator_hash()).encode()).hexdigest()[:20]
    d = os.path.join(cache_root(), "engine")
    return key, os.path.join(d, f"ri5cy_engine_{key}.py"), f"isasim_ri5cy_engine_{key}"


def _cached(disp):
    """True if numba's on-disk cache holds compiled code of the dispatcher ``disp`` (its index
    file exists: wherever numba keeps it, next to the module or under NUMBA_CACHE_DIR)."""
    try:
        return os.path.isfile(disp._cache._cache_file._index_path)
    except AttributeError:          # another numba version: compile under the lock (still right)
        return False


class compile_lock:
    """An exclusive lock on ``path``.lock while a process compiles what ``path`` keys, so that
    processes starting cold at the same time compile once: the others wait and then load numba's
    cache (fcntl; without it, no lock: they compile side by side)."""

    def __init__(self, path):
        self.path = path + ".lock"

    def __enter__(self):
        try:
            import fcntl
        except ImportError:             # not POSIX
            self.f = None
            return self
        self.f = open(self.path, "a")
        fcntl.flock(self.f, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        if self.f is not None:
            import fcntl
            fcntl.flock(self.f, fcntl.LOCK_UN)
            self.f.close()


def engine(table):
    """The compiled engine module for the built-in part of ``table`` (generated and imported once
    per key; numba caches the compiled code next to it). A cold start compiles everything here,
    under a lock: run(), and the ALU groups it calls, shared with a helper process."""
    key, path, name = _engine_paths(table)
    if key in _loaded:
        return _loaded[key]
    os.makedirs(os.path.dirname(path), exist_ok=True)
    mod = load_generated(path, name, lambda: generate(table), table)
    if not _jit_disabled() and not _cached(mod.run):
        with compile_lock(path):        # cold: one process compiles, the others wait here
            if not _cached(mod.run):
                _precompile_alu(mod, path, name)
            mod.run.compile(engine_signature())      # loads it if another process compiled it
    _loaded[key] = mod
    return mod


# how run() calls alu_<g>(op, a, b, c, d, i0, i1, i2, pc): all int64 (op is read from SLOT). It
# was (int32, int64 * 8), which run() never calls: the helper's groups were a second version that
# run() did not use, and this process compiled every group again (tests/test_rvq_coldstart.py)
ALU_SIG = "(numba.int64,) * 9"


def _precompile_alu(mod, path, name):
    """Cold start only: start a helper process that compiles the ALU group functions into numba's
    on-disk cache, last group first, and then the BACKGROUND tasks. This process goes straight on
    to run(): its passes before type inference overlap the helper's first groups, and its type
    inference compiles the groups it meets first (alu_0, alu_1, ...) unless the helper has cached
    them by then (numba's compile() looks in the cache first), so the two meet in the middle
    without coordination. Any failure of the helper only costs time."""
    import subprocess
    groups = sorted((k for k in dir(mod) if k.startswith("alu_")), key=lambda k: int(k[4:]))
    code = (f"import importlib, importlib.util, sys, numba\n"
            f"from isasim.isa.registry import load_table\n"
            f"spec = importlib.util.spec_from_file_location({name!r}, {path!r})\n"
            f"m = importlib.util.module_from_spec(spec); m._T = load_table('rv32')\n"
            f"sys.modules[{name!r}] = m\n"
            f"spec.loader.exec_module(m)\n"
            f"for g in {groups[::-1]!r}:\n    getattr(m, g).compile({ALU_SIG})\n"
            f"for task in {list(BACKGROUND)!r}:\n"
            f"    mod_name, fn = task.split(':')\n"
            f"    getattr(importlib.import_module(mod_name), fn)()\n")
    try:
        proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, text=True)
    except OSError:
        return
    _background.append(proc)            # runs while run() compiles


_background = []


def wait_background():
    """Wait for the helper process of a cold start (its ALU groups and BACKGROUND tasks)."""
    while _background:
        p = _background.pop()
        p.stdout.read()
        p.wait()


# ---- plug-in dispatcher ------------------------------------------------------------------------------
PF_ARGS = ("op", "rd", "rs1", "rs2", "rs3", "i0", "i1", "i2", "pc", "mem", "out")

PLUGIN_HEADER = '''# Generated by isasim.cores.ri5cy.codegen: plug-in dispatcher for {files}. Do not edit.
# Loaded by codegen.load_generated, which passes the table (with these plug-ins) in as _T.
import numba
from numba import cfunc, types
from isasim.cores.ri5cy.codegen import jitify

PF_ERR = {pf_err}
{sems}
SIG = types.int64(*([types.int64] * {nargs}))


def dispatch(op, rd, rs1, rs2, rs3, i0, i1, i2, pc, mem, out):
    # an exception in a semantics function cannot leave a cfunc: it becomes PF_ERR, which the
    # engine turns into a one-line error (ST_PLUGIN) instead of a silent 0
    try:
{cases}
    except Exception:
        return PF_ERR
    return 0


if not numba.config.DISABLE_JIT:        # NUMBA_DISABLE_JIT=1: the engine calls the Python function
    dispatch = cfunc(SIG, cache=True)(dispatch)
'''


def plugin_meta(table):
    """PMETA rows of the plug-in ops (columns: layout.PMETA_NAMES)."""
    import numpy as np
    n = len(table.instrs) - table.n_builtin
    col = {k: i for i, k in enumerate(layout.PMETA_NAMES)}
    meta = np.zeros((max(n, 1), len(layout.PMETA_NAMES)), np.int64)
    for k, ins in enumerate(table.instrs[table.n_builtin:]):
        ld = ins.params.get("load")
        if ld:
            meta[k, col["load_size"]] = int(ld.get("size", 4))
            meta[k, col["post_increment"]] = int(ld.get("post_increment", 0))
        writes = ins.params.get("writes", ("rd",))
        meta[k, col["python"]] = 1 if ins.params.get("python") else 0
        meta[k, col["n_out"]] = len(writes)
        if len(writes) > 1:
            meta[k, col["out2_col"]] = {"rs1": 1, "rs2": 2, "rs3": 3}.get(writes[1], 0)
    return meta


def plugin_source(table, plugins):
    """Source of the plug-in dispatcher for the plug-in ops of ``table``."""
    sems, cases = [], []
    for ins in table.instrs[table.n_builtin:]:
        if ins.params.get("python"):
            continue                # executed by the core in Python (PMETA column "python")
        if ins.sem is None:
            raise IsasimError(f"{ins.source}: {ins.name}: plug-in instructions need sem=")
        sems.append(f"S{ins.id} = jitify(_T.instrs[{ins.id}].sem)  # {ins.name}")
        slots = operand_slots(ins)
        pf_reg = {"rd": "rd", "r1": "rs1", "r2": "rs2", "r3": "rs3"}

        def arg(k, p):
            if k in ("pc", "mem"):
                return k
            if k == "hidden":
                raise IsasimError(f"{ins.source}: {ins.name}: semantics parameter '{p}' is not an "
                                  f"operand (operands: {', '.join(ins.operands)}; also pc, mem)")
            return pf_reg.get(slots[p], slots[p])
        call = f"S{ins.id}({', '.join(semantics.arguments(ins, arg))})"
        nout = len(semantics.writes(ins))
        cases.append(f"        if op == {ins.id}:  # {ins.name}")
        if nout == 1:
            cases.append(f"            return {call}")
        else:
            cases.append(f"            t = {call}")
            cases.append("            return t[0] if out == 0 else t[1]")
    return PLUGIN_HEADER.format(files=", ".join(os.path.basename(p) for p in plugins),
                                sems="\n".join(sems), pf_err=PF_ERR, nargs=len(PF_ARGS),
                                cases="\n".join(cases) or "        pass")


def plugin_dispatcher(table, plugins):
    """The cfunc that executes the plug-in ops of ``table`` (compiled once per plug-in set)."""
    from ...toolchain.zig import cache_root
    import hashlib
    from ...plugins import resolve
    # the generated source names the plug-in files: their paths are part of the key (the same
    # content at another path must not reuse a module that loads a file that may be gone)
    key = hashlib.sha256((table.fingerprint() + _generator_hash() +
                          repr(resolve(plugins))).encode()).hexdigest()[:20]
    if ("pf", key) in _loaded:
        return _loaded[("pf", key)]
    d = os.path.join(cache_root(), "engine")
    os.makedirs(d, exist_ok=True)
    mod = load_generated(os.path.join(d, f"ri5cy_plugins_{key}.py"), f"isasim_ri5cy_plugins_{key}",
                         lambda: plugin_source(table, plugins), table)
    _loaded[("pf", key)] = mod.dispatch
    return mod.dispatch


def main(argv=None):
    """``python -m isasim.cores.ri5cy.codegen --print | --write FILE [--plugin P ...]``."""
    import argparse
    from ...isa.registry import load_table
    ap = argparse.ArgumentParser(prog="python -m isasim.cores.ri5cy.codegen",
                                 description="print or write the generated RI5CY engine source")
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--print", action="store_true", help="print the source")
    g.add_argument("--write", metavar="FILE", help="write the source to FILE")
    ap.add_argument("--plugin", action="append", default=[],
                    help="the plug-in dispatcher for these plug-ins instead of the engine")
    a = ap.parse_args(argv)
    try:
        table = load_table("rv32", a.plugin)
        src = plugin_source(table, a.plugin) if a.plugin else generate(table)
        if a.write:
            with open(a.write, "w") as f:
                f.write(src)
        else:
            sys.stdout.write(src)
    except IsasimError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
