"""Generate the compiled RI5CY engine from the instruction table.

The engine is one numba function: a loop over pre-decoded instruction arrays with one dispatch case
per table entry. ALU-like instructions call their semantics function from the table (compiled by
numba together with the helpers it uses); loads, stores, branches, jumps, hardware loops, CSR and
system instructions are generated from their ``kind`` and ``params``. Timing is accounted in the
same loop from runtime parameter arrays (so changing a latency never recompiles): ``TC[op]`` static
cycles and ``P[...]`` dynamic penalties, with stall cycles counted by cause in ``CTR``.

The generated source is written to the cache directory under the table's fingerprint and imported
from there, so numba's on-disk cache makes later start-ups fast (well under a second).
"""
import ast
import builtins
import importlib.util
import inspect
import os
import sys
import types

from ...errors import IsasimError
from ...isa.semantics import jitify, params as sem_params  # noqa: F401  (jitify: generated code)
from ...isa.spec import REG_FIELDS

# ---- layout of the shared arrays (also used by core.py) ------------------------------------------
P_NAMES = ["load_use", "branch_taken_extra", "branch_misaligned_extra", "jump_misaligned_extra",
           "jalr_hazard", "misaligned_extra", "div_base", "div_zero", "hwloop_backedge",
           "csr_slow_extra", "tohost", "hwloop_csr_base", "core_id", "cluster_id", "trace", "profile",
           "event_base", "ncores", "cycle_limit", "log_tcdm", "tcdm_base", "tcdm_size"]
P = {n: i for i, n in enumerate(P_NAMES)}
CTR_NAMES = ["cycles", "instructions", "st_load_use", "st_branch", "st_jump", "st_muldiv",
             "st_misaligned", "st_csr", "st_tcdm_contention", "st_barrier", "exit_code", "fault_addr",
             "fault_size", "loads", "stores", "trace_n", "ld_rd", "prev_rd", "fault_store", "ev_addr",
             "ev_rd", "al_n", "l2_accesses", "tcdm_accesses"]
C = {n: i for i, n in enumerate(CTR_NAMES)}
HIDDEN = {"vf": 32}         # hidden per-core state registers (R[32+])
NREGS = 40
(ST_LIMIT, ST_EXIT, ST_ILLEGAL, ST_MEM, ST_EBREAK, ST_ECALL, ST_PC, ST_EVENT, ST_LOG_FULL, ST_PYCALL,
 ST_REDECODE, ST_PLUGIN, ST_CSR, ST_HWLOOP) = range(14)
# ST_REDECODE: the slot at pc was written by a store (OP = OP_STALE): decode it again, then resume.
# ST_PLUGIN: a plug-in's compiled semantics raised (the dispatcher returned PF_ERR).
# ST_CSR: a CSR the RTL implements and isasim does not model. ST_HWLOOP: a branch or jump is the
# last instruction of an active hardware loop (not allowed, RI5CY manual rev 3.0).
OP_ILLEGAL, OP_STALE = -1, -2
PF_ERR = -0x8000000000000000     # the plug-in dispatcher's "semantics raised" result (int64 min)
AG_BRANCH = -2                   # AG[op] of a conditional branch (hardware-loop end check)

# CSR numbers
CSR_MCYCLE, CSR_MINSTRET, CSR_MCYCLEH, CSR_MINSTRETH = 0xB00, 0xB02, 0xB80, 0xB82
CSR_CYCLE, CSR_INSTRET, CSR_CYCLEH, CSR_INSTRETH = 0xC00, 0xC02, 0xC80, 0xC82
CSR_MHARTID, CSR_UHARTID, CSR_MEPC = 0xF14, 0x014, 0x341


_file_trees = {}


def _lambda_node(fn):
    """The ast.Lambda of a lambda function, found in its source file by line and argument names."""
    if fn.__name__ != "<lambda>":
        return None
    try:
        path = inspect.getsourcefile(fn)
    except TypeError:
        return None
    if not path or not os.path.isfile(path):
        return None
    if path not in _file_trees:
        with open(path) as f:
            by_line = {}
            for n in ast.walk(ast.parse(f.read())):
                if isinstance(n, ast.Lambda):
                    by_line.setdefault(n.lineno, []).append(n)
            _file_trees[path] = by_line
    args = list(fn.__code__.co_varnames[:fn.__code__.co_argcount])
    cands = [n for n in _file_trees[path].get(fn.__code__.co_firstlineno, ())
             if [a.arg for a in n.args.args] == args]
    if not cands or len({ast.dump(c.body) for c in cands}) != 1:
        return None
    return cands[0]


class _Inliner(ast.NodeTransformer):
    def __init__(self, fn, argmap, imports):
        self.fn, self.argmap, self.imports = fn, argmap, imports
        self.free = dict(zip(fn.__code__.co_freevars, [c.cell_contents for c in (fn.__closure__ or ())]))
        self.ok = True

    def visit_Name(self, node):
        n = node.id
        if n in self.argmap:
            return ast.parse(self.argmap[n], mode="eval").body
        if n in self.free:
            v = self.free[n]
        elif n in self.fn.__globals__:
            v = self.fn.__globals__[n]
        elif hasattr(builtins, n):
            return node
        else:
            self.ok = False
            return node
        if isinstance(v, (bool, int, float)):
            return ast.Constant(v)
        if isinstance(v, types.FunctionType):
            alias = f"_g_{v.__module__.replace('.', '_')}_{v.__name__}"
            self.imports[alias] = (v.__module__, v.__qualname__)
            return ast.Name(alias, ast.Load())
        self.ok = False
        return node

    def visit_Lambda(self, node):       # nested lambdas are not inlined
        self.ok = False
        return node


def inline_call(fn, argmap, imports):
    """Source text of ``fn``'s body with its parameters replaced by engine expressions, closure
    and global constants folded, and called helpers imported (jitted) into the engine module;
    None if the function cannot be inlined (it is then called as a separately jitted function)."""
    lam = _lambda_node(fn)
    if lam is None:
        return None
    local = {}
    tr = _Inliner(fn, argmap, local)
    body = tr.visit(ast.parse(ast.unparse(lam.body), mode="eval").body)
    if not tr.ok:
        return None
    imports.update(local)
    return "(" + ast.unparse(body) + ")"


def _reload_hw(add, ind):
    add(f"{ind}e0 = HW[1]")
    add(f"{ind}c0 = HW[2]")
    add(f"{ind}e1 = HW[4]")
    add(f"{ind}c1 = HW[5]")


def _plain_alu(ins):
    """ALU op with one result in rd and no data-dependent timing: runs in alu()."""
    return (ins.kind == "alu" and len(ins.params.get("writes", ("rd",))) == 1
            and ins.timing not in ("div", "mulh") and not any(p in HIDDEN for p in sem_params(ins)))


def _alu_args(ins, slots):
    """Arguments of a plain ALU op in alu(op, a, b, c, d, i0, i1, i2, pc): a/b/c = rs1/rs2/rs3,
    d = old rd."""
    out = []
    for p in sem_params(ins):
        if p in slots:
            out.append({"rd": "d", "r1": "a", "r2": "b", "r3": "c"}.get(slots[p], slots[p]))
        elif p == "pc":
            out.append("pc")
        else:
            raise IsasimError(f"{ins.source}: {ins.name}: semantics parameter '{p}' is not an "
                              f"operand (operands: {', '.join(ins.operands)})")
    return out


def operand_slots(ins):
    """Where each operand of ``ins`` lives in the pre-decoded arrays: register -> RD/RS1/RS2/RS3
    column, immediates -> I0/I1/I2 in order of appearance."""
    slots = {}
    k = 0
    for name in ins.operands:
        if name in REG_FIELDS:
            slots[name] = {"rd": "rd", "rs1": "r1", "rs2": "r2", "rs3": "r3",
                           "rdp": "rd", "rs1p": "r1", "rs2p": "r2"}[name]
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


def _gen_case(ins, lines, ctx):
    s = operand_slots(ins)
    ind = " " * 12
    add = lines.append
    k = ins.kind
    pr = ins.params
    if k == "alu" and _plain_alu(ins):
        ctx.alu_cases.append((ins, ctx.sem_call(ins, _alu_args(ins, s))))
        return
    if k == "alu":
        args = []
        for p in sem_params(ins):
            if p in s:
                col = s[p]
                args.append(f"R[{col}]" if col in ("rd", "r1", "r2", "r3") else col)
            elif p == "pc":
                args.append("pc")
            elif p in HIDDEN:
                args.append(f"R[{HIDDEN[p]}]")
            else:
                raise IsasimError(f"{ins.source}: {ins.name}: semantics parameter '{p}' is not an "
                                  f"operand (operands: {', '.join(ins.operands)})")
        call = ctx.sem_call(ins, args)
        writes = pr.get("writes", ("rd",))
        if len(writes) == 1:
            add(f"{ind}v = {call}")
            add(f"{ind}if rd != 0:")
            add(f"{ind}    R[rd] = v & 0xFFFFFFFF")
            add(f"{ind}wr = rd")
        else:
            add(f"{ind}t = {call}")
            for j, w in enumerate(writes):
                if w in HIDDEN:
                    add(f"{ind}R[{HIDDEN[w]}] = t[{j}] & 0xFFFFFFFF")
                else:
                    col = s[w]
                    add(f"{ind}if {col} != 0:")
                    add(f"{ind}    R[{col}] = t[{j}] & 0xFFFFFFFF")
            add(f"{ind}wr = rd")
        if ins.timing == "div":
            # data-dependent divider latency (timing/ri5cy.py div_base/div_zero)
            signed = ins.name in ("div", "rem")
            add(f"{ind}dv = R[r2]")
            if signed:
                add(f"{ind}if dv & 0x80000000:")
                add(f"{ind}    dv = (-dv) & 0xFFFFFFFF")
            add(f"{ind}dc = P[{P['div_zero']}] if dv == 0 else P[{P['div_base']}] + clz32(dv)")
            add(f"{ind}c += dc - TC[op]")
            add(f"{ind}CTR[{C['st_muldiv']}] += dc - 1")
        elif ins.timing == "mulh":
            add(f"{ind}CTR[{C['st_muldiv']}] += TC[op] - 1")
        return
    if k in ("load", "elw", "store"):
        size = pr["size"]
        post = "!" in ins.syntax
        regoff = "rs2(" in ins.syntax or "rs3(" in ins.syntax
        offcol = ("R[r3]" if "rs3(" in ins.syntax else "R[r2]") if regoff else s.get("imm", "0")
        base = "R[r1]"
        add(f"{ind}a = {base} & 0xFFFFFFFF" if post else f"{ind}a = ({base} + {offcol}) & 0xFFFFFFFF")
        add(f"{ind}if (a & 3) + {size} > 4:")
        add(f"{ind}    c += P[{P['misaligned_extra']}]")
        add(f"{ind}    CTR[{C['st_misaligned']}] += P[{P['misaligned_extra']}]")
        if k == "store":
            # event-unit window first: its registers are not memory
            add(f"{ind}if ev_base != 0 and a - ev_base >= 0 and a - ev_base < 0x1000:")
            add(f"{ind}    CTR[{C['ev_addr']}] = a; CTR[{C['ev_rd']}] = -1; status = {ST_EVENT}; halt = True")
            add(f"{ind}else:")
            add(f"{ind}    ok = mem_store(MEM, RB, RS, RO, a, {size}, R[r2])")
            add(f"{ind}    if not ok:")
            add(f"{ind}        CTR[{C['fault_addr']}] = a; CTR[{C['fault_size']}] = {size}; "
                f"CTR[{C['fault_store']}] = 1; status = {ST_MEM}; break")
            # a store into the decoded code marks the slots it overwrites stale (one range check)
            add(f"{ind}    if a - code_base < cspan and a - code_base > -{size}:")
            add(f"{ind}        invalidate(OP, LEN, MEM, RB, RS, RO, code_base, nslots, a, {size})")
            add(f"{ind}mw = a")
            add(f"{ind}if a == tohost and tohost != 0 and R[r2] != 0:")
            add(f"{ind}    CTR[{C['exit_code']}] = R[r2] >> 1; status = {ST_EXIT}")
            add(f"{ind}    halt = True")
            if post:
                add(f"{ind}if r1 != 0:")
                add(f"{ind}    R[r1] = (R[r1] + {offcol}) & 0xFFFFFFFF")
                add(f"{ind}wr = r1")
            return
        signed = pr["signed"]
        add(f"{ind}if ev_base != 0 and a - ev_base >= 0 and a - ev_base < 0x1000:")
        add(f"{ind}    CTR[{C['ev_addr']}] = a; CTR[{C['ev_rd']}] = rd; status = {ST_EVENT}")
        add(f"{ind}    halt = True")
        add(f"{ind}    v = 0")
        add(f"{ind}else:")
        add(f"{ind}    v = mem_load(MEM, RB, RS, RO, a, {size}, {signed})")
        add(f"{ind}    if v < 0:")
        add(f"{ind}        CTR[{C['fault_addr']}] = a; CTR[{C['fault_size']}] = {size}; "
            f"CTR[{C['fault_store']}] = 0; status = {ST_MEM}; break")
        add(f"{ind}mw = a")
        if post:
            add(f"{ind}if r1 != 0:")
            add(f"{ind}    R[r1] = (R[r1] + {offcol}) & 0xFFFFFFFF")
        add(f"{ind}if rd != 0:")
        add(f"{ind}    R[rd] = v")
        add(f"{ind}nld = rd")
        add(f"{ind}wr = rd")
        if k == "elw":
            add(f"{ind}CTR[{C['st_barrier']}] += TC[op] - 1")
        return
    if k == "branch":
        args = []
        for p in sem_params(ins):
            col = s[p]
            args.append(f"R[{col}]" if col in ("r1", "r2", "r3", "rd") else col)
        off = s["off"]
        add(f"{ind}if {ctx.sem_call(ins, args)}:")
        add(f"{ind}    npc = (pc + {off}) & 0xFFFFFFFF")
        add(f"{ind}    jumped = True")
        add(f"{ind}    x = P[{P['branch_taken_extra']}] + mis_target(OP, LEN, npc, code_base, nslots) "
            f"* P[{P['branch_misaligned_extra']}]")
        add(f"{ind}    c += x")
        add(f"{ind}    CTR[{C['st_branch']}] += x")
        return
    if k in ("jump", "jalr"):
        # target first: rd may be the base register of jalr
        if k == "jump":
            add(f"{ind}npc = (pc + {s['off']}) & 0xFFFFFFFF")
        else:
            add(f"{ind}npc = (R[r1] + {s['imm']}) & 0xFFFFFFFE")
        add(f"{ind}jumped = True")
        add(f"{ind}x = mis_target(OP, LEN, npc, code_base, nslots) * P[{P['jump_misaligned_extra']}]")
        if k == "jalr":
            add(f"{ind}if prev_wr != 0 and prev_wr == r1:")
            add(f"{ind}    x += P[{P['jalr_hazard']}]")
        add(f"{ind}if rd != 0:")
        add(f"{ind}    R[rd] = (pc + ln) & 0xFFFFFFFF")
        add(f"{ind}wr = rd")
        add(f"{ind}c += x")
        add(f"{ind}CTR[{C['st_jump']}] += TC[op] - 1 + x")
        return
    if k == "hwloop":
        op = pr["op"]
        L = s["L"]
        if op == "starti":
            add(f"{ind}HW[{L} * 3] = (pc + {s['loff']}) & 0xFFFFFFFF")
        elif op == "endi":
            add(f"{ind}HW[{L} * 3 + 1] = (pc + {s['loff']}) & 0xFFFFFFFF")
        elif op == "count":
            add(f"{ind}HW[{L} * 3 + 2] = R[r1]")
        elif op == "counti":
            add(f"{ind}HW[{L} * 3 + 2] = {s['uimm']}")
        elif op == "setup":
            add(f"{ind}HW[{L} * 3] = (pc + 4) & 0xFFFFFFFF")
            add(f"{ind}HW[{L} * 3 + 1] = (pc + {s['loff']}) & 0xFFFFFFFF")
            add(f"{ind}HW[{L} * 3 + 2] = R[r1]")
        elif op == "setupi":
            add(f"{ind}HW[{L} * 3] = (pc + 4) & 0xFFFFFFFF")
            add(f"{ind}HW[{L} * 3 + 1] = (pc + {s['loff']}) & 0xFFFFFFFF")
            add(f"{ind}HW[{L} * 3 + 2] = {s['uimm']}")
        _reload_hw(add, ind)
        return
    if k == "csr":
        src = s["zimm"] if pr["imm"] else "R[r1]"
        mode = {"rw": 0, "rs": 1, "rc": 2}[pr["op"]]
        wflag = "True" if (pr["op"] == "rw" or pr["imm"]) else "r1 != 0"
        if pr["imm"] and pr["op"] != "rw":
            wflag = f"{s['zimm']} != 0"
        add(f"{ind}old = csr_access(CSR, HW, P, {s['csr']}, {src}, {mode}, {wflag}, cyc, CTR[{C['instructions']}] + n)")
        add(f"{ind}if old < 0:")
        add(f"{ind}    status = {ST_CSR}; break")
        add(f"{ind}if rd != 0:")
        add(f"{ind}    R[rd] = old")
        add(f"{ind}wr = rd")
        _reload_hw(add, ind)       # hardware-loop registers are CSRs too
        add(f"{ind}if csr_is_slow(CSR, {s['csr']}):")
        add(f"{ind}    c += P[{P['csr_slow_extra']}]")
        add(f"{ind}    CTR[{C['st_csr']}] += P[{P['csr_slow_extra']}]")
        return
    if k == "system":
        op = pr["op"]
        if op == "ecall":
            add(f"{ind}if R[17] == 93:")
            add(f"{ind}    CTR[{C['exit_code']}] = R[10]; status = {ST_EXIT}; halt = True")
            add(f"{ind}else:")
            add(f"{ind}    status = {ST_ECALL}; halt = True")
        elif op == "ebreak":
            add(f"{ind}status = {ST_EBREAK}; halt = True")
        elif op == "mret":
            add(f"{ind}npc = CSR[{CSR_MEPC}]")
            add(f"{ind}jumped = True")
        else:
            add(f"{ind}pass")
        return
    raise IsasimError(f"{ins.source}: {ins.name}: kind '{k}' has no engine form")


HEADER = '''# Generated by isasim.cores.ri5cy.codegen from instruction table {fp}. Do not edit.
import numba
from numba import njit
from isasim.cores.ri5cy.runtime import (mem_load, mem_store, csr_access, csr_is_slow, mis_target,
                                        clz32, invalidate)
from isasim.cores.ri5cy.codegen import jitify
from isasim.isa.registry import load_table

_T = load_table("rv32")
PF_ERR = {PF_ERR}


def _attr(mod, qual):
    import importlib
    obj = importlib.import_module(mod)
    for part in qual.split("."):
        obj = getattr(obj, part)
    return obj


{sems}


# plain ALU instructions (one result, static timing): a/b/c = rs1/rs2/rs3, d = old rd
{alu}


@njit(cache=True, nogil=True)
def run(OP, LEN, FIELDS, I0, I1, I2, RMASK, code_base, nslots,
        R, HW, CSR, MEM, RB, RS, RO, CTR, OPCNT, TC, P, pc, max_n, TR, PROF, AL, PF, PMETA, AG):
    n = 0
    cyc = CTR[0]
    ld_rd = CTR[16]
    prev_wr = CTR[17]
    status = 0
    trace = P[14] != 0
    prof = P[15] != 0
    lu_pen = P[0]
    backedge = P[8]
    climit = P[{P_CL}] if P[{P_CL}] > 0 else (1 << 62)
    tcdm_base = P[{P_TB}]
    tcdm_size = P[{P_TS}]
    log_tcdm = P[{P_LOG}] != 0
    ev_base = P[{P_EB}]            # event-unit window (0 = none)
    tohost = P[{P_TH}]
    cspan = 2 * nslots             # bytes of decoded code (stores into them invalidate slots)
    # hardware-loop end addresses and counts in locals; the instructions that can change them
    # (lp.*, CSR) reload them, the back edge writes the counts through
    e0 = HW[1]
    c0 = HW[2]
    e1 = HW[4]
    c1 = HW[5]
    halt = False
    while n < max_n:
        s = (pc - code_base) >> 1
        if s < 0 or s >= nslots or (pc & 1):
            status = {ST_PC}
            break
        op = OP[s]
        if op < 0:                 # illegal, or overwritten by a store since it was decoded
            status = {ST_ILLEGAL} if op == {OP_ILLEGAL} else {ST_REDECODE}
            break
        f = FIELDS[s]              # rd | rs1 << 5 | rs2 << 10 | rs3 << 15 | length << 20
        rd = f & 31
        r1 = (f >> 5) & 31
        r2 = (f >> 10) & 31
        r3 = (f >> 15) & 31
        ln = f >> 20
        i0 = I0[s]
        i1 = I1[s]
        i2 = I2[s]
        c = TC[op]
        if ld_rd != 0 and (RMASK[s] >> ld_rd) & 1:
            c += lu_pen
            CTR[2] += lu_pen
        nld = 0
        wr = 0
        mw = -1
        npc = (pc + ln) & 0xFFFFFFFF
        jumped = False
        ag = AG[op]
        if ag >= 0:
            v = 0
{alu_calls}
            if rd != 0:
                R[rd] = v & 0xFFFFFFFF
            wr = rd
{cases}
        else:
            # plug-in instruction: semantics through the plug-in dispatcher PF (a numba cfunc
            # compiled separately, so loading plug-ins never recompiles this engine)
            pm = op - {NB}
            if PMETA[pm, 4] != 0:
                # plug-in on the Python path: the core runs it, then resumes (the only state
                # changed so far is the load-use counter, undone here)
                if ld_rd != 0 and (RMASK[s] >> ld_rd) & 1:
                    CTR[2] -= lu_pen
                status = {ST_PYCALL}
                break
            ldv = 0
            if PMETA[pm, 0] != 0:
                a = R[r1] & 0xFFFFFFFF
                ldv = mem_load(MEM, RB, RS, RO, a, PMETA[pm, 0], False)
                if ldv < 0:
                    CTR[{C_FA}] = a; CTR[{C_FS}] = PMETA[pm, 0]; CTR[{C_FST}] = 0; status = {ST_MEM}; break
                if (a & 3) + PMETA[pm, 0] > 4:
                    c += P[{P_MIS}]
                    CTR[{C_MIS}] += P[{P_MIS}]
                mw = a
            v = PF(op, R[rd], R[r1], R[r2], R[r3], i0, i1, i2, pc, ldv, 0)
            v2 = 0
            if PMETA[pm, 2] > 1:
                v2 = PF(op, R[rd], R[r1], R[r2], R[r3], i0, i1, i2, pc, ldv, 1)
            if v == PF_ERR or v2 == PF_ERR:     # the semantics raised: nothing is written
                status = {ST_PLUGIN}
                break
            if rd != 0:
                R[rd] = v & 0xFFFFFFFF
            wr = rd
            if PMETA[pm, 2] > 1:
                col = PMETA[pm, 3]
                dst = r1 if col == 1 else (r2 if col == 2 else r3)
                if dst != 0:
                    R[dst] = v2 & 0xFFFFFFFF
            if PMETA[pm, 0] != 0 and PMETA[pm, 1] != 0 and r1 != 0:
                R[r1] = (R[r1] + PMETA[pm, 1]) & 0xFFFFFFFF
        R[0] = 0
        if c0 > 0 and pc == e0:
            if jumped or ag == {AG_BRANCH}:       # a branch/jump ends the loop body: not allowed
                status = {ST_HWLOOP}
                break
            if c0 > 1:
                npc = HW[0]
                c += backedge
            c0 -= 1
            HW[2] = c0
            if c0 == 0 and c1 > 0 and pc == e1:
                if c1 > 1:
                    npc = HW[3]
                    c += backedge
                c1 -= 1
                HW[5] = c1
        elif c1 > 0 and pc == e1:
            if jumped or ag == {AG_BRANCH}:
                status = {ST_HWLOOP}
                break
            if c1 > 1:
                npc = HW[3]
                c += backedge
            c1 -= 1
            HW[5] = c1
        if mw >= 0:
            if mw - tcdm_base >= 0 and mw - tcdm_base < tcdm_size:
                CTR[{C_TA}] += 1
                if log_tcdm:
                    k = CTR[{C_AL}]
                    AL[k, 0] = cyc
                    AL[k, 1] = mw
                    AL[k, 2] = c
                    CTR[{C_AL}] = k + 1
                    if k + 1 >= AL.shape[0]:
                        halt = True
                        status = {ST_LOG_FULL}
            else:
                CTR[{C_LA}] += 1
        if trace:
            TR[n, 0] = cyc
            TR[n, 1] = pc
            TR[n, 2] = wr
            TR[n, 3] = R[wr]
            TR[n, 4] = mw
            TR[n, 5] = s
            TR[n, 6] = r1
            TR[n, 7] = R[r1]
        if prof:
            PROF[s] += c
        cyc += c
        OPCNT[op] += 1
        ld_rd = nld
        prev_wr = wr
        n += 1
        pc = npc
        if halt:
            break
        if cyc >= climit:
            break
    CTR[0] = cyc
    CTR[1] += n
    CTR[16] = ld_rd
    CTR[17] = prev_wr
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


def dispatch_arrays(table):
    """AG[op] = group of a plain ALU op (it runs in alu_<AG[op]>()), AG_BRANCH for a conditional
    branch, -1 for every other op."""
    import numpy as np
    ag = np.full(len(table.instrs), -1, np.int64)
    k = 0
    for ins in table.instrs[:table.n_builtin]:      # same order as generate()
        if ins.alias or ins.expands:
            continue
        if ins.kind == "branch":
            ag[ins.id] = AG_BRANCH
        elif _plain_alu(ins):
            ag[ins.id] = k // ALU_GROUP
            k += 1
    return ag


def generate(table):
    """Engine source for the built-in instructions of ``table`` (plug-ins go through PF)."""
    sems = []
    cases = []
    first = False       # the chain continues the "if ag >= 0" (ALU) branch of the engine loop
    ctx = _GenContext()
    for ins in table.instrs[:table.n_builtin]:
        if ins.alias or ins.expands:
            continue
        body = []
        _gen_case(ins, body, ctx)
        if ins.id in ctx.jitted:
            sems.append(f"S{ins.id} = jitify(_T.instrs[{ins.id}].sem)")
        if not body:        # plain ALU op: runs in alu()
            continue
        cases.append(f"        {'if' if first else 'elif'} op == {ins.id}:  # {ins.name} {ins.syntax}")
        cases += body
        first = False
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
    return HEADER.format(fp=table.builtin_fingerprint(), sems="\n".join(imports + sems),
                         alu="\n".join(alu), alu_calls="\n".join(calls), NB=table.n_builtin,
                         C_FA=C["fault_addr"], C_FS=C["fault_size"], C_FST=C["fault_store"],
                         ST_MEM=ST_MEM, P_MIS=P["misaligned_extra"], C_MIS=C["st_misaligned"],
                         C_LOADS=C["loads"], ST_PYCALL=ST_PYCALL,
                         cases="\n".join(cases), ST_PC=ST_PC, ST_ILLEGAL=ST_ILLEGAL,
                         OP_ILLEGAL=OP_ILLEGAL, ST_REDECODE=ST_REDECODE, ST_PLUGIN=ST_PLUGIN,
                         ST_HWLOOP=ST_HWLOOP, AG_BRANCH=AG_BRANCH, PF_ERR=PF_ERR,
                         ST_LOG_FULL=ST_LOG_FULL, P_TB=P["tcdm_base"], P_TS=P["tcdm_size"],
                         P_LOG=P["log_tcdm"], P_CL=P["cycle_limit"], P_EB=P["event_base"],
                         P_TH=P["tohost"], C_TA=C["tcdm_accesses"],
                         C_LA=C["l2_accesses"], C_AL=C["al_n"])


_loaded = {}


_GEN_HASH = []


def _generator_hash():
    """Hash of this generator and the runtime helpers: part of every generated module's key."""
    if not _GEN_HASH:
        import hashlib
        h = hashlib.sha256()
        for f in ("codegen.py", "runtime.py"):
            with open(os.path.join(os.path.dirname(__file__), f), "rb") as fh:
                h.update(fh.read())
        _GEN_HASH.append(h.hexdigest())
    return _GEN_HASH[0]


def _import_generated(path, name, src):
    """Import a generated module; ``src`` may be a callable producing the source, called only
    when the file for this key does not exist yet (the key determines the content)."""
    if not os.path.isfile(path):
        src = src() if callable(src) else src
        tmp = path + f".{os.getpid()}.tmp"
        with open(tmp, "w") as f:
            f.write(src)
        os.replace(tmp, path)
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


def engine(table):
    """The compiled engine module for the built-in part of ``table`` (generated and imported once
    per fingerprint; numba caches the compiled code next to it)."""
    from ...toolchain.zig import cache_root
    import hashlib
    key = hashlib.sha256((table.builtin_fingerprint() + _generator_hash()).encode()).hexdigest()[:20]
    if key in _loaded:
        return _loaded[key]
    d = os.path.join(cache_root(), "engine")
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, f"ri5cy_engine_{key}.py")
    name = f"isasim_ri5cy_engine_{key}"
    mod = _import_generated(path, name, lambda: generate(table))
    _precompile_alu(mod, path, name)
    _loaded[key] = mod
    return mod


ALU_SIG = "(numba.int32,) + (numba.int64,) * 8"     # how run() calls alu_<g>(op, a, b, c, d, ...)


def _precompile_alu(mod, path, name):
    """Cold start only: the ALU group functions are independent, so a second process compiles half
    of them into numba's on-disk cache while this one compiles the other half (~24 s of work on
    one core otherwise). run() then finds them compiled. Any failure here only costs time."""
    import glob
    import subprocess
    stem = os.path.splitext(os.path.basename(path))[0]
    if glob.glob(os.path.join(os.path.dirname(path), "__pycache__", f"{stem}.alu_0-*.nbi")):
        return                      # warm: numba loads everything from its cache
    groups = sorted((k for k in dir(mod) if k.startswith("alu_")), key=lambda k: int(k[4:]))
    theirs, mine = groups[1::2], groups[0::2]
    code = (f"import importlib.util, sys, numba\n"
            f"spec = importlib.util.spec_from_file_location({name!r}, {path!r})\n"
            f"m = importlib.util.module_from_spec(spec); sys.modules[{name!r}] = m\n"
            f"spec.loader.exec_module(m)\n"
            f"for g in {theirs!r}:\n    getattr(m, g).compile({ALU_SIG})\n")
    try:
        proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
    except OSError:
        proc = None
    import numba
    sig = eval(ALU_SIG, {"numba": numba})       # the same expression the helper process uses
    for g in mine:
        getattr(mod, g).compile(sig)
    if proc is not None:
        proc.wait()


PF_ARGS = ("op", "rd", "rs1", "rs2", "rs3", "i0", "i1", "i2", "pc", "mem", "out")

PLUGIN_HEADER = '''# Generated by isasim.cores.ri5cy.codegen: plug-in dispatcher for {files}. Do not edit.
from numba import cfunc, types
from isasim.cores.ri5cy.codegen import jitify
from isasim.isa.registry import load_table

_T = load_table("rv32", {plugins!r})
PF_ERR = {pf_err}
{sems}
SIG = types.int64(*([types.int64] * {nargs}))


@cfunc(SIG, cache=True)
def dispatch(op, rd, rs1, rs2, rs3, i0, i1, i2, pc, mem, out):
    # an exception in a semantics function cannot leave a cfunc: it becomes PF_ERR, which the
    # engine turns into a one-line error (ST_PLUGIN) instead of a silent 0
    try:
{cases}
    except Exception:
        return PF_ERR
    return 0
'''


def plugin_meta(table):
    """PMETA rows of the plug-in ops: [load size, post-increment, n outputs, column of output 2,
    runs on the Python path]."""
    import numpy as np
    n = len(table.instrs) - table.n_builtin
    meta = np.zeros((max(n, 1), 5), np.int64)
    for k, ins in enumerate(table.instrs[table.n_builtin:]):
        ld = ins.params.get("load")
        if ld:
            meta[k, 0] = int(ld.get("size", 4))
            meta[k, 1] = int(ld.get("post_increment", 0))
        writes = ins.params.get("writes", ("rd",))
        meta[k, 4] = 1 if ins.params.get("python") else 0
        meta[k, 2] = len(writes)
        if len(writes) > 1:
            meta[k, 3] = {"rs1": 1, "rs2": 2, "rs3": 3}.get(writes[1], 0)
    return meta


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
    sems, cases = [], []
    for ins in table.instrs[table.n_builtin:]:
        if ins.params.get("python"):
            continue                # executed by the core in Python (PMETA column 4)
        if ins.sem is None:
            raise IsasimError(f"{ins.source}: {ins.name}: plug-in instructions need sem=")
        sems.append(f"S{ins.id} = jitify(_T.instrs[{ins.id}].sem)")
        slots = operand_slots(ins)
        args = []
        for p in sem_params(ins):
            if p in slots:
                col = slots[p]
                args.append({"rd": "rd", "r1": "rs1", "r2": "rs2", "r3": "rs3"}.get(col, col))
            elif p in ("pc", "mem"):
                args.append(p)
            else:
                raise IsasimError(f"{ins.source}: {ins.name}: semantics parameter '{p}' is not an "
                                  f"operand (operands: {', '.join(ins.operands)}; also pc, mem)")
        call = f"S{ins.id}({', '.join(args)})"
        nout = len(ins.params.get("writes", ("rd",)))
        cases.append(f"        if op == {ins.id}:  # {ins.name}")
        if nout == 1:
            cases.append(f"            return {call}")
        else:
            cases.append(f"            t = {call}")
            cases.append("            return t[0] if out == 0 else t[1]")
    src = PLUGIN_HEADER.format(files=", ".join(os.path.basename(p) for p in plugins),
                               plugins=tuple(plugins), sems="\n".join(sems), pf_err=PF_ERR,
                               nargs=len(PF_ARGS), cases="\n".join(cases) or "        pass")
    d = os.path.join(cache_root(), "engine")
    os.makedirs(d, exist_ok=True)
    mod = _import_generated(os.path.join(d, f"ri5cy_plugins_{key}.py"),
                            f"isasim_ri5cy_plugins_{key}", src)
    _loaded[("pf", key)] = mod.dispatch
    return mod.dispatch
