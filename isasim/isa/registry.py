"""The instruction registry: built-in tables + loaded plug-ins -> one ``Table`` per ISA.

A ``Table`` owns its entries: it holds its own copy of every ``Instr`` it is given and assigns the
copy an id (the engine's dispatch number), so two tables built in one process (built-ins alone,
built-ins + plug-ins, another plug-in set) never change each other's ids. It builds the decoder
(buckets by major opcode; within a bucket the most specific mask wins) and has a fingerprint that
changes whenever an instruction definition changes (used to cache the compiled engine).
"""
import copy
import hashlib
import os

from ..errors import IsasimError
from .spec import COST_KNOBS, RESOURCES, Instr, SpecError


class CostError(IsasimError):
    """A what-if cost override names an unknown instruction or knob, or a bad value."""

_HERE = os.path.dirname(__file__)
_cache = {}


class Table:
    def __init__(self, isa, instrs, sources, n_builtin=None, builtin_sources=None):
        self.isa = isa
        self.n_builtin = len(instrs) if n_builtin is None else n_builtin
        self.builtin_sources = builtin_sources or sources
        self.instrs = []
        self.by_name = {}
        self.sources = sources          # files whose content defines the table (fingerprint)
        for ins in instrs:
            self.add(ins)
        self._build_decoder()

    def add(self, ins):
        """Add a copy of ``ins`` (the caller's object is never modified) and return the copy."""
        ins = copy.copy(ins)
        ins.params = dict(ins.params)
        ins.cost = dict(ins.cost)
        ins.id = len(self.instrs)
        self.instrs.append(ins)
        self.by_name.setdefault(ins.name, []).append(ins)
        return ins

    def _build_decoder(self):
        self.buckets32 = {}
        self.buckets16 = {}
        for ins in self.instrs:
            if ins.alias:
                continue
            if self.isa == "cm7":
                self.buckets32.setdefault(None, []).append(ins)
            elif ins.width == 32:
                key = ins.match & 0x7F
                self.buckets32.setdefault(key, []).append(ins)
            else:
                key = (ins.match & 3, (ins.match >> 13) & 7)
                self.buckets16.setdefault(key, []).append(ins)
        for b in list(self.buckets32.values()) + list(self.buckets16.values()):
            b.sort(key=lambda i: -bin(i.mask).count("1"))

    def decode(self, word, length=None):
        """(Instr, operand values) of an instruction word, or (None, None) if illegal."""
        if length is None:
            length = 4 if (word & 3) == 3 else 2
        if self.isa == "cm7":
            for ins in self.buckets32.get(None, ()):
                if ins.matches(word):
                    return ins, ins.decode_fields(word)
            return None, None
        if length == 4:
            for ins in self.buckets32.get(word & 0x7F, ()):
                if ins.matches(word):
                    return ins, ins.decode_fields(word)
        else:
            word &= 0xFFFF
            for ins in self.buckets16.get((word & 3, (word >> 13) & 7), ()):
                if ins.matches(word):
                    vals = ins.decode_fields(word)
                    if any(vals[f] == 0 for f in ins.params.get("nonzero", ())):
                        return None, None       # reserved encoding
                    return ins, vals
        return None, None

    def find(self, name):
        return self.by_name.get(name, [])

    def with_costs(self, overrides):
        """A table equal to this one except for the cost knobs ``overrides`` = {mnemonic: {knob:
        value}} of its plug-in instructions (what-if costs without editing the plug-in file).
        Ids, decoder and fingerprint are shared (semantics are unchanged); unknown mnemonics,
        built-in instructions (their cost is the timing model's) and bad knob values are refused."""
        if not overrides:
            return self
        t = copy.copy(self)
        t.instrs = list(self.instrs)
        t.by_name = {k: list(v) for k, v in self.by_name.items()}
        for name, knobs in overrides.items():
            hits = [i for i in self.instrs[self.n_builtin:] if i.name == name]
            if not hits:
                if self.find(name):
                    raise CostError(f"cost.{name}: a built-in instruction; its cost comes from the "
                                    f"target's timing model (timing.* parameters)")
                names = sorted({i.name for i in self.instrs[self.n_builtin:]})
                raise CostError(f"cost.{name}: no plug-in instruction of that name is loaded "
                                f"(loaded: {', '.join(names) or 'none'})")
            if not isinstance(knobs, dict):
                raise CostError(f"cost.{name}: expected a mapping of cost knobs, got {knobs!r}")
            for ins in hits:
                new = copy.copy(ins)
                new.cost = dict(ins.cost)
                for k, v in knobs.items():
                    new.cost[k] = check_cost_knob(name, k, v)
                t.instrs[ins.id] = new
                t.by_name[name] = [new if x is ins else x for x in t.by_name[name]]
        t._build_decoder()
        return t

    def builtin_fingerprint(self):
        """Changes when a built-in instruction definition changes (not with plug-ins)."""
        return self._hash(self.builtin_sources)

    def fingerprint(self):
        """Changes when any instruction definition, built-in or plug-in, changes."""
        return self._hash(self.sources)

    @staticmethod
    def _hash(paths):
        h = hashlib.sha256()
        for path in paths:
            with open(path, "rb") as f:
                h.update(f.read())
        return h.hexdigest()[:20]




def check_cost_knob(name, knob, v):
    """The value of cost knob ``knob`` of instruction ``name``, checked (CostError otherwise)."""
    kind = COST_KNOBS.get(knob)
    if kind is None:
        raise CostError(f"cost.{name}.{knob}: unknown cost knob (allowed: {', '.join(COST_KNOBS)})")
    bad = CostError(f"cost.{name}.{knob}: {v!r} is not a valid value ({kind})")
    if kind.startswith("int"):
        if isinstance(v, bool) or not isinstance(v, int) or v < int(kind[-1]):
            raise bad
    elif kind == "float>=0":
        if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0:
            raise bad
        v = float(v)
    elif kind == "bool":
        if not isinstance(v, bool):
            raise bad
    elif v not in RESOURCES:
        raise CostError(f"cost.{name}.{knob}: {v!r} is not a resource (allowed: {', '.join(RESOURCES)})")
    return v


def _builtin_rv32():
    from .rv32 import RV32I, RV32M, ZICSR, RV32C
    from .xpulpv2 import XPULPV2, GAP8
    return RV32I + RV32M + ZICSR + RV32C + XPULPV2 + GAP8


def load_table(isa, plugins=(), cost=None):
    """The table of ``isa`` ('rv32' or 'cm7') with the plug-in files ``plugins`` added, and the
    cost knobs ``cost`` = {mnemonic: {knob: value}} of plug-in instructions overridden."""
    if cost:
        return load_table(isa, plugins).with_costs(cost)
    if plugins:
        from ..plugins import resolve
        files = resolve(plugins)
        # the content is part of the key: a plug-in file edited in a running notebook is re-read
        key = (isa, tuple(files), Table._hash(files))
    else:
        key = (isa, (), "")
    if key in _cache:
        return _cache[key]
    srcs = sorted(os.path.join(_HERE, f) for f in os.listdir(_HERE) if f.endswith(".py"))
    if isa == "rv32":
        base = _builtin_rv32()
    elif isa == "cm7":
        base = []           # Thumb-2 itself is assembled by clang and decoded by capstone
    else:
        raise SpecError(f"unknown ISA '{isa}'")
    extra = []
    builtin_srcs = list(srcs)
    if plugins:
        from ..plugins import load_plugins
        extra, files = load_plugins(plugins, isa, base)
        srcs += files
    t = Table(isa, base + extra, srcs, n_builtin=len(base), builtin_sources=builtin_srcs)
    _cache[key] = t
    return t


__all__ = ["Table", "load_table", "Instr"]
