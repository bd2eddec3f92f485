"""Instruction semantics, in one place: how a ``sem`` function's parameters bind to an
instruction's operands, what it writes, and how it is compiled for the fast engines.

Every execution path uses this module: the compiled RI5CY engine and its plug-in dispatcher
(expressions over the engine's arrays, ``arguments``), the Python paths (RI5CY Python-path
plug-ins, Cortex-M7 trapped plug-ins, ``isasim plugins test``: ``call``), and plug-in loading
(``check_callable``, ``jitify``). The parameter conventions (isasim/isa/spec.py):

* a register operand (``rd rs1 rs2 rs3``, ``rdp rs1p rs2p``, Thumb ``rd rn rm``) receives the
  register's value as an unsigned 32-bit int; ``rd`` is the old destination value (accumulators);
* an immediate operand receives its decoded value; ``pc`` the instruction's address;
* ``mem`` the value loaded by a memory plug-in (``params={"load": {...}}``) from ``Mem[rs1]``
  (Thumb: ``Mem[rn]``);
* a hidden state register (``HIDDEN``, e.g. the GAP-8 Viterbi flags ``vf``).

The function returns the new value of the first destination, or a tuple with one value per entry of
``params["writes"]`` (default ``("rd",)``; ``rd1`` = the register after rd, Thumb dual forms).
"""
import inspect
import types

from ..errors import IsasimError
from .spec import REG_FIELDS

HIDDEN = ("vf",)                     # hidden per-core state the GAP-8 group reads/writes


class SemanticsError(IsasimError):
    """A semantics function that does not fit its instruction (one line: file, instruction)."""


def params(ins):
    """Parameter names of ``ins.sem`` in order."""
    try:
        return list(inspect.signature(ins.sem).parameters)
    except (TypeError, ValueError):
        raise SemanticsError(f"{ins.source}: {ins.name}: semantics is not a Python function")


def writes(ins):
    """Destination names, in the order of the values ``sem`` returns."""
    return tuple(ins.params.get("writes", ("rd",)))


def kind(ins, p):
    """What parameter ``p`` of ``ins.sem`` binds to: 'reg', 'imm', 'pc', 'mem' or 'hidden'."""
    if p in REG_FIELDS and p in ins.operands:
        return "reg"
    if p in ins.operands:
        return "imm"
    if p == "pc":
        return "pc"
    if p == "mem" and ins.params.get("load"):
        return "mem"
    if p in HIDDEN:
        return "hidden"
    extra = "pc" + (", mem" if ins.params.get("load") else "")
    raise SemanticsError(f"{ins.source}: {ins.name}: semantics parameter '{p}' is not an operand "
                         f"(operands: {', '.join(ins.operands)}; also {extra})")


def registers_read(ins):
    """Register operands the semantics reads (for hazards and dependence tracking)."""
    return [p for p in params(ins) if kind(ins, p) == "reg"]


def arguments(ins, expr):
    """Argument expressions for a call of ``ins.sem``: ``expr(kind, name)`` gives the expression of
    one operand (e.g. the engine's 'R[r1]' for a register, 'i0' for an immediate)."""
    return [expr(kind(ins, p), p) for p in params(ins)]


def call(ins, vals, reg, pc=0, mem=None):
    """Evaluate ``ins.sem`` in Python for decoded operand values ``vals``; ``reg(n)`` reads
    register n. Returns a tuple with one value per destination (``writes``), masked to 32 bits."""
    args = []
    for p in params(ins):
        k = kind(ins, p)
        if k == "reg":
            args.append(reg(vals[p]) & 0xFFFFFFFF)
        elif k == "imm":
            args.append(vals[p])
        elif k == "pc":
            args.append(pc)
        elif k == "mem":
            args.append(mem)
        else:
            raise SemanticsError(f"{ins.source}: {ins.name}: hidden state '{p}' is only available "
                                 f"in the compiled engine")
    r = ins.sem(*args)
    outs = r if isinstance(r, tuple) else (r,)
    if len(outs) != len(writes(ins)):
        raise SemanticsError(f"{ins.source}: {ins.name}: semantics returned {len(outs)} value(s) "
                             f"for {len(writes(ins))} destination(s) {writes(ins)}")
    return tuple(int(v) & 0xFFFFFFFF for v in outs)


def _global_names(code):
    """Global names a code object uses, including those of the code objects nested in it (a
    comprehension is its own code object: ``[lane(x, i) for i in ...]``)."""
    names = list(code.co_names)
    for c in code.co_consts:
        if isinstance(c, types.CodeType):
            names += _global_names(c)
    return names


def jitify(fn, _memo={}):
    """numba-compiled copy of a plain-Python semantics function and the functions it calls."""
    import numba
    if fn in _memo:
        return _memo[fn]
    g = dict(fn.__globals__)
    for name in _global_names(fn.__code__):
        obj = g.get(name)
        if isinstance(obj, types.FunctionType):
            g[name] = jitify(obj)
    cells = None
    if fn.__closure__:
        cells = []
        for cell in fn.__closure__:
            v = cell.cell_contents
            cells.append(types.CellType(jitify(v) if isinstance(v, types.FunctionType) else v))
        cells = tuple(cells)
    nf = types.FunctionType(fn.__code__, g, fn.__name__, fn.__defaults__, cells)
    j = numba.njit(nf)
    _memo[fn] = j
    return j
