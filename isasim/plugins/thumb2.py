"""Load-time checks of Thumb-2 plug-in descriptions: the Cortex-M7 cycle model takes a CDE
instruction's registers from the CDE layout (isasim.plugins.cde), so the encoding fields must be
the registers the semantics reads and writes, the accumulate/dual bits must agree with the
semantics and ``writes``, and the cost knobs must have valid values. ``check_plugin`` is called by
isasim.plugins.load_plugins for every Thumb-2 instruction; a disagreement is one PluginError line
naming the file and the instruction.
"""
from ..isa import semantics
from ..isa.spec import REG_FIELDS, RESOURCES
from ..errors import PluginError
from . import cde

FIXED = {"acc": "A (accumulate)", "cp": "coprocessor", "dual": "D (dual)"}


def _bits(pos):
    return ",".join(str(b) for b in sorted(pos.values(), reverse=True))


def _sem_params(ins):
    return semantics.params(ins) if ins.sem is not None else []


def check_plugin(ins, path):
    """Refuse (PluginError, one line naming ``path`` and the instruction) a Thumb-2 plug-in whose
    encoding and declared reads/writes/semantics/cost disagree."""
    def bad(msg):
        raise PluginError(f"{path}: {ins.name}: {msg}")
    form = cde.form_of(ins.match, ins.mask) if ins.width == 32 else None
    if form not in cde.CDE_KINDS + ("udf.w",):
        bad(f"encoding {ins.bit_pattern()} is neither a CDE CX1/CX2/CX3 form on p0-p7 nor UDF.W, so "
            "it does not trap on the Cortex-M7 (build it with isasim.plugins.cde.cx1/cx2/cx3)")
    layout = cde.FORMS[form]
    fields = ins.field_names()
    params = _sem_params(ins)
    writes = tuple(ins.params.get("writes", ("rd",)))
    load = ins.params.get("load")
    for p in params:
        if p not in fields and not (p == "mem" and load):
            bad(f"semantics parameter '{p}' is not an operand of '{ins.syntax}'")
    for w in writes:
        if w != "rd1" and (w not in fields or w not in REG_FIELDS):
            bad(f"writes names '{w}', which is not a register operand")
    if "rd1" in writes and "rd" not in fields:
        bad("writes names rd1 (Rd+1) without an rd operand")
    if form == "udf.w":
        opc = set(cde.positions(layout, "opc").values())
        for f in fields:
            if not set(cde.positions(ins, f).values()) <= opc:
                bad(f"field '{f}' (bits {_bits(cde.positions(ins, f))}) is outside the UDF.W "
                    "payload imm16")
    else:
        fixed = {}
        for f, what in FIXED.items():
            pos = cde.positions(layout, f)
            mask = sum(1 << b for b in pos.values())
            if ins.mask & mask != mask:
                bad(f"the {what} bits of the {form.upper()} form (bits {_bits(pos)}) must be fixed in "
                    "the encoding")
            fixed[f] = sum(((ins.match >> b) & 1) << ob for ob, b in pos.items())
        regs = cde.REGISTERS[form]
        for f in fields:
            pos = cde.positions(ins, f)
            if f in REG_FIELDS or f in regs:
                if f not in regs:
                    bad(f"register field '{f}' is not a register of the {form.upper()} form "
                        f"({', '.join(regs)})")
                if pos != cde.positions(layout, f):
                    bad(f"register field '{f}' is at bits {_bits(pos)}; the {form.upper()} layout "
                        f"has {f} at bits {_bits(cde.positions(layout, f))}")
                continue
            opc = set(cde.positions(layout, "opc").values())
            if not set(pos.values()) <= opc:
                owner = sorted({n for n in regs + tuple(FIXED) for b in pos.values()
                                if b in cde.positions(layout, n).values()})
                bad(f"immediate field '{f}' (bits {_bits(pos)}) is not in the {form.upper()} opcode "
                    f"immediate (bits {_bits(cde.positions(layout, 'opc'))})"
                    + (f": those bits are {', '.join(FIXED.get(o, o) for o in owner)}" if owner else ""))
        for r in regs:
            if r not in fields:
                bad(f"the {form.upper()} form has a register {r}: it must be an operand (the cycle "
                    "model reads it)")
        if "rd" not in writes:
            bad("a CDE instruction writes Rd: writes must include 'rd'")
        other = [w for w in writes if w not in ("rd", "rd1")]
        if other:
            bad(f"writes names {', '.join(other)}: a CDE instruction writes only Rd (and Rd+1 with "
                "D = 1), so the cycle model would not see that result")
        if fixed["dual"] and "rd1" not in writes:
            bad("D = 1 writes the pair Rd, Rd+1: declare params={'writes': ('rd', 'rd1')}")
        if not fixed["dual"] and "rd1" in writes:
            bad("writes declares rd1 (Rd+1) but the encoding has D = 0, so the cycle model would "
                "not see that result: set D = 1 (cde.cx*(..., dual=True))")
        if fixed["acc"] and fixed["dual"]:
            bad("A = 1 with D = 1 accumulates into Rd, Rd+1, but a semantics can only read rd, "
                "not Rd+1")
        if fixed["acc"] and "rd" not in params:
            bad("the encoding has A = 1 (accumulate: Rd is read) but the semantics does not read rd")
        if not fixed["acc"] and "rd" in params:
            bad("the semantics reads rd but the encoding has A = 0, so the cycle model would not wait "
                "for rd: set A = 1 (cde.cx*(..., acc=True))")
    _check_outputs(ins, params, writes, bad)
    _check_cost(ins, bad)


def _check_outputs(ins, params, writes, bad):
    if ins.sem is None:
        bad("a Thumb-2 plug-in needs sem=")
    r = ins.sem(*[0 if p in ("imm", "off", "L") else 1 for p in params])   # as check_semantics
    n = len(r) if isinstance(r, tuple) else 1
    if n != len(writes):
        bad(f"the semantics returns {n} values but writes declares {len(writes)} ({', '.join(writes)})")


def _check_cost(ins, bad):
    c = ins.cost
    for k, lo in (("latency", 0), ("occupancy", 1)):
        v = c.get(k, 1)
        if isinstance(v, bool) or not isinstance(v, int) or v < lo:
            bad(f"cost {k} must be an integer >= {lo}, got {v!r}")
    for k in ("dual_issue", "begin_group"):
        if not isinstance(c.get(k, False), bool):
            bad(f"cost {k} must be True or False, got {c[k]!r}")
    if c.get("resource", "alu") not in RESOURCES + (None,):
        bad(f"cost resource '{c['resource']}' is not one of {', '.join(RESOURCES)} (or None)")
