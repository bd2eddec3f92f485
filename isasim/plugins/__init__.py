"""Plug-in instructions: a hypothetical instruction described in a few lines of Python.

A plug-in file is a Python module with a list ``INSTRUCTIONS`` of ``Instr`` -- exactly the format
of the built-in tables (isasim/isa/spec.py). Example (RISC-V, custom-0 space)::

    from isasim.plugins import Instr
    from isasim.isa.helpers import dot

    INSTRUCTIONS = [
        Instr("pv.sdotsp.n", "rd, rs1, rs2", "1011100 rs2 rs1 010 rd 1010111",
              sem=lambda rd, rs1, rs2: rd + dot(rs1, rs2, 4, True, True),
              cost={"latency": 1, "energy_pj": 2.0}, params={"macs": 8},
              doc="rD += sum of 8 signed 4-bit products"),
    ]

Thumb-2 plug-ins use the CDE space (``cde.cx3(...)`` etc. build the bit pattern) or UDF, with
``isa="thumb2"``; on the Cortex-M7 they execute through the Unicorn trap hook and enter the cycle
model with their ``cost`` (latency, occupancy, resource, dual_issue).

Loading (``--plugin FILE`` on build/exec/run, ``plugins:`` in experiment configs) checks each
description: malformed fields, an encoding that overlaps an existing instruction, a semantics
function that raises on sample operands, or one that numba cannot compile are refused with one line
naming the plug-in file and the instruction. Built-in plug-ins are named ``qnn`` (the QNN set for
both ISAs); ``isasim plugins list`` shows everything.
"""
import copy
import importlib.util
import inspect
import os
import sys

from ..errors import IsasimError, PluginError  # noqa: F401  (PluginError re-exported)
from ..isa.spec import Instr, SpecError  # noqa: F401  (re-exported for plug-in authors)
from . import cde  # noqa: F401

BUILTIN_DIR = os.path.join(os.path.dirname(__file__), "builtin")
BUILTIN = {"qnn": ["qnn_rv32.py", "qnn_thumb2.py"]}


def resolve(paths):
    """Expand built-in names ('qnn') to files; check that files exist. A file named twice (or a
    built-in set named twice) is loaded once: the result has no duplicates, first occurrence first."""
    out = []
    for p in paths:
        if p in BUILTIN:
            files = [os.path.join(BUILTIN_DIR, f) for f in BUILTIN[p]]
        elif os.path.isfile(p):
            files = [os.path.realpath(p)]
        else:
            raise PluginError(f"{p}: no such plug-in file (built-in plug-ins: {', '.join(BUILTIN)})")
        out += [f for f in files if f not in out]
    return out


def _import(path):
    """The plug-in module of ``path`` as its file is now: a module is reused only while the file's
    content is unchanged (an edited plug-in is re-read, never answered from a stale module)."""
    import hashlib
    with open(path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()[:16]
    name = ("isasim_plugin_" + "".join(c if c.isalnum() else "_" for c in os.path.abspath(path))
            + "_" + digest)
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(mod)
    except SpecError as e:
        raise PluginError(f"{path}: malformed instruction: {e}")
    except SyntaxError as e:
        raise PluginError(f"{e.filename or path}:{e.lineno}: cannot load plug-in: SyntaxError: {e.msg}")
    except Exception as e:
        raise PluginError(f"{path}: cannot load plug-in: {type(e).__name__}: {e}")
    sys.modules[name] = mod
    return mod


def _overlaps(a, b):
    """True if some instruction word matches both encodings."""
    if a.width != b.width:
        return False
    common = a.mask & b.mask
    return (a.match & common) == (b.match & common)


def operand_form(ins):
    """The shape of an instruction's assembly operands as the front end matches them: 'r' for a
    register, 'i' for an immediate or label, 'i(r)' / 'r(r!)' ... for addressing forms. Two entries
    with one mnemonic and one form cannot be told apart in a source file."""
    from ..isa.spec import REG_NUM, REG_FIELDS
    out = []
    for part in [p.strip() for p in ins.syntax.split(",") if p.strip()]:
        if "(" in part:
            off, base = part.split("(", 1)
            kind = "r" if off in REG_FIELDS else "i"
            out.append(f"{kind}(r{'!' if '!' in base else ''})")
        elif part in REG_FIELDS or part in REG_NUM:
            out.append("r")
        else:
            out.append("i")
    return ",".join(out)


def _origin(ins):
    return "built-in" if ins.source == "builtin" else ins.source


def _thumb_mnemonics():
    """Mnemonics the Thumb-2 assembler and disassembler already know (capstone's instruction list):
    a plug-in may not take one of those names."""
    from capstone import arm_const
    return {k[len("ARM_INS_"):].lower() for k in dir(arm_const)
            if k.startswith("ARM_INS_") and k not in ("ARM_INS_INVALID", "ARM_INS_ENDING")}


SAMPLES = (0, 1, 0xFFFFFFFF, 0x80000000, 0x7FFFFFFF, 0x12345678, 0x89ABCDEF)


def check_semantics(ins, path):
    """Call the semantics on sample operands; a raise is reported with the operands."""
    if ins.sem is None:
        return
    try:
        params = list(inspect.signature(ins.sem).parameters)
    except (TypeError, ValueError):
        raise PluginError(f"{path}: {ins.name}: semantics is not a Python function")
    for s in SAMPLES:
        args = {}
        for p in params:
            args[p] = 0 if p in ("imm", "off", "L") else s
        try:
            r = ins.sem(**args)
        except Exception as e:
            raise PluginError(f"{path}: {ins.name}: semantics raised {type(e).__name__}: {e} "
                              f"for operands {args}")
        vals = r if isinstance(r, tuple) else (r,)
        for v in vals:
            if not isinstance(v, (int, bool)):
                raise PluginError(f"{path}: {ins.name}: semantics returned {type(v).__name__}, "
                                  f"expected an integer (register value)")


def check_compiles(ins, path):
    """The RI5CY fast engine compiles plug-in semantics with numba; report why if it cannot.
    A description with ``params={"python": True}`` asks for the slower Python path instead."""
    if ins.sem is None or ins.isa != "rv32" or ins.params.get("python"):
        return
    from ..isa.semantics import jitify
    from numba import int64
    n = len(inspect.signature(ins.sem).parameters)
    try:
        jitify(ins.sem).compile((int64,) * n)
    except Exception as e:
        first = " ".join(str(e).split())[:240]
        raise PluginError(f"{path}: {ins.name}: semantics cannot be compiled for the fast engine "
                          f"(numba): {type(e).__name__}: {first}; add params={{'python': True}} to "
                          f"run it on the slower Python path")


def load_plugins(paths, isa, base):
    """Instructions of the plug-in files for the table of ``isa`` ('rv32' or 'cm7')."""
    files = resolve(paths)
    want = "rv32" if isa == "rv32" else "thumb2"
    out = []
    existing = list(base)
    thumb_names = _thumb_mnemonics() if want == "thumb2" else set()
    for path in files:
        mod = _import(path)
        instrs = getattr(mod, "INSTRUCTIONS", None)
        if not isinstance(instrs, (list, tuple)):
            raise PluginError(f"{path}: a plug-in must define a list INSTRUCTIONS of isasim Instr")
        for ins in instrs:
            if not isinstance(ins, Instr):
                raise PluginError(f"{path}: INSTRUCTIONS contains {type(ins).__name__}, not Instr")
            if ins.isa != want:
                continue
            ins = copy.copy(ins)            # the module's object stays as its author wrote it
            ins.params, ins.cost = dict(ins.params), dict(ins.cost)
            ins.source = path
            base_name = ins.name.lower()
            for sfx in (".w", ".n"):
                if base_name.endswith(sfx):
                    base_name = base_name[:-len(sfx)]
            if base_name in thumb_names:
                raise PluginError(f"{path}: {ins.name}: the mnemonic is a Thumb-2 instruction the "
                                  f"assembler already knows; choose another name")
            form = operand_form(ins)
            for other in existing:
                if other.name == ins.name and operand_form(other) == form:
                    raise PluginError(f"{path}: {ins.name} '{ins.syntax}': this mnemonic with this "
                                      f"operand form is already defined by {_origin(other)} "
                                      f"('{other.name} {other.syntax}'); a source line could not "
                                      f"say which is meant: rename one")
            for other in existing:
                if other.isa == ins.isa and _overlaps(ins, other) and not other.alias:
                    raise PluginError(f"{path}: {ins.name}: encoding {ins.bit_pattern()} overlaps "
                                      f"{other.name} ({os.path.basename(other.source)})")
            if ins.kind == "alu" and ins.sem is None:
                raise PluginError(f"{path}: {ins.name}: an ALU-kind instruction needs sem=")
            check_semantics(ins, path)
            check_compiles(ins, path)
            if ins.isa == "thumb2":     # encoding fields vs declared registers (Cortex-M7 traps)
                from .thumb2 import check_plugin
                check_plugin(ins, path)
            existing.append(ins)
            out.append(ins)
    return out, files
