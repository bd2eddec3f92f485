"""Mnemonic front end: rewrites instructions clang does not know into data words.

Input is (preprocessed) assembly text; output has the same number of lines, so the C
preprocessor's ``# N "file"`` markers keep clang's diagnostics pointing at the user's file:line.

For every statement whose mnemonic is in the instruction table and not ``native`` (XpulpV2, GAP8
and plug-in instructions), the operands are parsed against the table's operand syntaxes in the PULP
GNU toolchain form (``p.lw x5, 4(x6!)``, ``lp.setup x0, a3, end``, ``pv.sdotsp.b a0, a1, a2`` ...)
and the statement becomes ``.4byte <expression>``. Numeric operands are encoded here (range
checked); symbolic operands (labels, ``.equ`` names) become assembler expressions, because clang's
``.insn`` cannot take label expressions (toolchain.md) while ``.4byte`` of label differences
resolves when relaxation is off (the build passes -mno-relax).

Symbolic operands cannot be range-checked before assembly, so each one is also written, as its
evaluated value, into a non-allocated section ``.isasim_chk``; ``check_object`` reads it back from
the object file and reports an out-of-range operand with the source file:line.
"""
import re
import struct

from ..errors import BuildError
from ..isa.spec import REG_NUM, REG_FIELDS, SIGNED, PCREL

_MARKER = re.compile(r'^#\s*(\d+)\s+"([^"]*)"')
_LABELS = re.compile(r'^(\s*(?:(?:[A-Za-z_.$][\w.$]*|\d+)\s*:\s*)*)')
_MNEM = re.compile(r'^([A-Za-z_][\w.]*)(\s+|$)')
_ADDR = re.compile(r'^(.*)\(\s*([\w]+)\s*(!?)\s*\)$')
_NUMERIC = re.compile(r'^[\s0-9a-fA-FxXbBoO()+\-*/%<>&|~^]+$')


class _OperandError(Exception):
    pass


def _split_statements(line, comment):
    """Split a line on ';' outside strings; strip the comment (from ``comment`` on)."""
    out, cur, q = [], [], None
    i = 0
    while i < len(line):
        c = line[i]
        if q:
            cur.append(c)
            if c == "\\" and i + 1 < len(line):
                cur.append(line[i + 1])
                i += 1
            elif c == q:
                q = None
        elif c in "\"'":
            q = c
            cur.append(c)
        elif c == comment:
            break
        elif c == ";":
            out.append("".join(cur))
            cur = []
        else:
            cur.append(c)
        i += 1
    out.append("".join(cur))
    return out


def _split_operands(s):
    parts, depth, cur = [], 0, []
    for c in s:
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        if c == "," and depth == 0:
            parts.append("".join(cur).strip())
            cur = []
        else:
            cur.append(c)
    if "".join(cur).strip():
        parts.append("".join(cur).strip())
    return parts


ARM_REGS = {f"r{i}": i for i in range(16)}
ARM_REGS.update({"sb": 9, "sl": 10, "fp": 11, "ip": 12, "sp": 13, "lr": 14, "pc": 15})


def _reg(s, regs):
    s = s.strip()
    if s in regs:
        return regs[s]
    raise _OperandError(f"'{s}' is not a register")


def _number(s):
    """Value of a purely numeric expression, or None if it contains symbols."""
    s = s.strip()
    if not s or not _NUMERIC.match(s) or re.search(r"[a-fA-F]", re.sub(r"0[xX][0-9a-fA-F]+", "", s)):
        return None
    try:
        v = eval(s.replace("/", "//"), {"__builtins__": {}}, {})  # noqa: S307 - digits/ops only
    except Exception:
        return None
    return v if isinstance(v, int) else None


def _match_syntax(ins, ops, regs):
    """Operand strings -> {name: int | ('expr', text)} for one syntax variant, or raise."""
    parts = [p.strip() for p in ins.syntax.split(",") if p.strip()]
    if len(parts) != len(ops):
        raise _OperandError(f"expects {len(parts)} operands ({ins.syntax})")
    vals = {}
    for want, got in zip(parts, ops):
        m = re.fullmatch(r"(\w+)\((\w+)(!?)\)", want)
        if m:
            g = _ADDR.match(got)
            if not g:
                raise _OperandError(f"'{got}' is not of the form {want}")
            if bool(g.group(3)) != bool(m.group(3)):
                raise _OperandError(f"'{got}' is not of the form {want}")
            _put(vals, m.group(2), g.group(2), regs)
            _put(vals, m.group(1), g.group(1).strip() or "0", regs)
        else:
            _put(vals, want, got, regs)
    return vals


def _put(vals, name, text, regs):
    if name in REG_FIELDS:
        vals[name] = _reg(text, regs)
    elif name in REG_NUM:       # a literal register in the syntax (c.lwsp ..(sp))
        if _reg(text, regs) != REG_NUM[name]:
            raise _OperandError(f"'{text}' must be {name}")
    elif name == "L":
        t = text.strip()
        if t in ("x0", "0"):
            vals[name] = 0
        elif t in ("x1", "1"):
            vals[name] = 1
        else:
            raise _OperandError(f"hardware loop index must be x0 or x1, not '{t}'")
    else:
        if regs.get(text.strip()) is not None and name not in PCREL:
            raise _OperandError(f"'{text.strip()}' is a register, {name} must be an immediate")
        if regs is ARM_REGS:
            text = text.strip().lstrip("#")
        v = _number(text)
        vals[name] = v if v is not None else ("expr", text.strip())


def _range(ins, name):
    bits = ins.operand_bits(name)
    top, low = max(bits), min(bits)
    if name in SIGNED:
        return -(1 << top), (1 << top) - 1, 1 << low
    return 0, (1 << (top + 1)) - 1, 1 << low


def _runs(obits, lsb):
    """Contiguous runs of a slice: [(operand_lo, nbits, instr_lo)]."""
    runs = []
    n = len(obits)
    i = 0
    while i < n:
        j = i
        while j + 1 < n and obits[j + 1] == obits[j] - 1:
            j += 1
        ib_lo = lsb + (n - 1 - j)
        runs.append((obits[j], j - i + 1, ib_lo))
        i = j + 1
    return runs


class Rewriter:
    def __init__(self, table, filename, comment="#"):
        self.table = table
        self.file = filename
        self.line = 0
        self.comment = comment
        self.checks = []        # (file, line, mnemonic, operand, lo, hi, align)
        self.regs = ARM_REGS if table.isa == "cm7" else REG_NUM    # register names of the ISA
        self.count = 0

    def where(self):
        return f"{self.file}:{self.line}"

    def rewrite(self, text):
        out = []
        for raw in text.split("\n"):
            m = _MARKER.match(raw)
            if m:       # '# N "file"': the NEXT line is line N of file
                self.line = int(m.group(1)) - 1
                self.file = m.group(2)
                out.append(raw)
                continue
            self.line += 1
            if not any(k in raw for k in self._hints()):
                out.append(raw)
                continue
            stmts = _split_statements(raw, self.comment)
            new = [self._statement(s) for s in stmts]
            out.append(" ; ".join(x for x in new if x.strip()) if any(
                n is not s for n, s in zip(new, stmts)) else raw)
        return "\n".join(out)

    def _hints(self):
        if not hasattr(self, "_hint_set"):
            self._hint_set = {n.split(".")[0] for n, v in self.table.by_name.items()
                              if any(not i.native for i in v)}
        return self._hint_set

    def _statement(self, s):
        lm = _LABELS.match(s)
        labels = lm.group(1)
        rest = s[lm.end():]
        mm = _MNEM.match(rest)
        if not mm:
            return s
        mn = mm.group(1).lower()
        variants = [i for i in self.table.find(mn)]
        if not variants or all(i.native for i in variants):
            return s
        ops = _split_operands(rest[mm.end():])
        if any("\\" in o for o in ops):
            raise BuildError(f"{self.where()}: '{mn}' inside a .macro body is not supported; "
                             f"use a C-preprocessor macro instead")
        errors = []
        for ins in variants:
            try:
                vals = _match_syntax(ins, ops, self.regs)
            except _OperandError as e:
                errors.append(str(e))
                continue
            return labels + self._emit(ins, vals)
        msg = errors[0] if len(variants) == 1 else "; ".join(
            f"{v.syntax}" for v in variants)
        if len(variants) > 1:
            msg = f"operands match none of the forms: {msg}"
        raise BuildError(f"{self.where()}: bad operands for '{mn}': {msg}")

    def _emit(self, ins, vals):
        n = self.count
        self.count += 1
        anchor = f".Lisasim_{n}"
        word = ins.match
        terms = []
        chk = []
        for name in ins.field_names():
            v = vals.get(name)
            if v is None:
                raise BuildError(f"{self.where()}: '{ins.name}': operand {name} missing")
            lo, hi, align = _range(ins, name)
            if isinstance(v, tuple):
                expr = v[1]
                if name in PCREL:
                    e = _number(expr)
                    expr = f"(({expr}) - {anchor})" if e is None else f"({e})"
                else:
                    expr = f"({expr})"
                for s in ins.slices:
                    if s.name != name:
                        continue
                    for olo, nb, ilo in _runs(s.obits, s.lsb):
                        terms.append(f"((({expr}) >> {olo}) & {(1 << nb) - 1}) << {ilo}")
                idx = len(self.checks)
                self.checks.append((self.file, self.line, ins.name, name, lo, hi, align))
                chk.append(f".4byte {idx} ; .4byte {expr}")
                continue
            if name in REG_FIELDS:
                if REG_FIELDS[name] == 3:
                    if not 8 <= v <= 15:
                        raise BuildError(f"{self.where()}: '{ins.name}': {name} must be x8..x15")
                    v -= 8
            elif not lo <= v <= hi or v % align:
                raise BuildError(f"{self.where()}: '{ins.name}': operand {name} = {v} out of range "
                                 f"[{lo}, {hi}]" + (f", multiple of {align}" if align > 1 else ""))
            for s in ins.slices:
                if s.name != name:
                    continue
                for i, ob in enumerate(s.obits):
                    ib = s.lsb + len(s.obits) - 1 - i
                    word |= ((v >> ob) & 1) << ib
        thumb = self.table.isa == "cm7"
        # Thumb: .inst.w takes hw1:hw2 and stores the halfwords in instruction order
        text = f"{anchor}: {'.inst.w' if thumb else '.4byte'} 0x{word:08x}"
        if terms:
            text += " | " + " | ".join(terms)
        if chk:
            text += (f' ; .pushsection .isasim_chk, "", {"%" if thumb else "@"}progbits ; '
                     + " ; ".join(chk) + " ; .popsection")
        return text


def rewrite(text, table, filename="<input>", checks=None):
    """Rewrite ``text``; append range checks to the list ``checks`` if given."""
    comment = "@" if table.isa == "cm7" else "#"
    rw = Rewriter(table, filename, comment)
    out = rw.rewrite(text)
    if checks is not None:
        checks.extend(rw.checks)
    return out


def check_object(obj_path, checks):
    """Verify the symbolic operands recorded in ``.isasim_chk`` of an assembled object."""
    if not checks:
        return
    from ..elf import Program
    data = Program(obj_path).section(".isasim_chk") or b""
    for i in range(0, len(data) - 7, 8):
        idx, val = struct.unpack_from("<Ii", data, i)
        fname, line, mn, name, lo, hi, align = checks[idx]
        if not lo <= val <= hi or val % align:
            what = "target offset" if name in PCREL else f"operand {name}"
            raise BuildError(f"{fname}:{line}: '{mn}': {what} = {val} out of range [{lo}, {hi}]"
                             + (f", multiple of {align}" if align > 1 else ""))
