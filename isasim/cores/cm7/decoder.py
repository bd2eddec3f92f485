"""Decoding without running (re-timing a recording, isasim.cores.cm7.replay): a Cm7Core that has
no Unicorn instance, only the program's loadable bytes, and capstone instructions frozen into
plain Python objects.

The cycle model reads many capstone attributes per instruction (operands, register accesses,
register names); through capstone's ctypes binding each read is slow, and a re-timing decodes the
same instructions again for every new timing (classify depends on the latencies). A FrozenInsn
holds the values capstone returned, once per (bytes, address) in this process, so classify and the
address analysis run on plain attributes: the same values, hence the same Desc.
"""
import bisect

from unicorn import UcError
from unicorn import unicorn_const as UC

from ...timing import cm7 as T
from . import memory as MEM
from . import traps as TR

_FROZEN = {}          # (code bytes, address, count) -> [FrozenInsn]
_LIMIT = 1 << 18


class _Obj:
    def __init__(self, **kw):
        self.__dict__.update(kw)


class FrozenInsn:
    """The capstone attributes the cycle model and address analysis use, read once."""

    def __init__(self, insn):
        self.address = insn.address
        self.size = insn.size
        self.mnemonic = insn.mnemonic
        self.op_str = insn.op_str
        self.id = insn.id
        self.cc = insn.cc
        self.update_flags = insn.update_flags
        self.writeback = insn.writeback
        self.post_index = getattr(insn, "post_index", False)
        self.bytes = bytes(insn.bytes)
        self.operands = [_Obj(type=op.type, reg=op.reg, imm=op.imm,
                              mem=_Obj(base=op.mem.base, index=op.mem.index, disp=op.mem.disp),
                              shift=_Obj(type=op.shift.type, value=op.shift.value))
                         for op in insn.operands]
        try:
            self._access = tuple(list(x) for x in insn.regs_access())
            self._access_error = None
        except Exception as e:  # pragma: no cover - capstone lacks access info for a few encodings
            self._access, self._access_error = None, e
        regs = set(self._access[0] + self._access[1]) if self._access else set()
        for op in self.operands:
            regs.update((op.reg, op.mem.base, op.mem.index, op.shift.value))
        self._reg_names = {r: insn.reg_name(r) for r in regs if r}

    _FIELDS = ("address", "size", "mnemonic", "op_str", "id", "cc", "update_flags", "writeback",
               "post_index")

    def to_json(self):
        """A JSON-able form (the recording keeps the instructions its blocks decoded to)."""
        return {"f": [getattr(self, k) for k in self._FIELDS], "b": self.bytes.hex(),
                "o": [[o.type, o.reg, o.imm, o.mem.base, o.mem.index, o.mem.disp, o.shift.type,
                       o.shift.value] for o in self.operands],
                "a": self._access, "n": {str(k): v for k, v in self._reg_names.items()}}

    @classmethod
    def from_json(cls, j):
        x = cls.__new__(cls)
        for k, v in zip(cls._FIELDS, j["f"]):
            setattr(x, k, v)
        x.bytes = bytes.fromhex(j["b"])
        x.operands = [_Obj(type=t, reg=r, imm=i, mem=_Obj(base=b, index=ix, disp=dp),
                           shift=_Obj(type=st, value=sv)) for t, r, i, b, ix, dp, st, sv in j["o"]]
        x._access = tuple(j["a"]) if j["a"] is not None else None
        x._access_error = None if j["a"] is not None else \
            ValueError("capstone gave no register access information")
        x._reg_names = {int(k): v for k, v in j["n"].items()}
        return x

    def regs_access(self):
        if self._access_error is not None:
            raise self._access_error
        return [list(self._access[0]), list(self._access[1])]

    def reg_name(self, r):
        return self._reg_names.get(r)


class _FrozenCs:
    """capstone's disasm(code, address, count), answered from FrozenInsns: the recorded ones of
    the addresses (``by_pc``: what the recorded run decoded there), else capstone's, frozen."""

    def __init__(self, cs, by_pc=None):
        self.cs = cs
        self.by_pc = by_pc or {}

    def disasm(self, code, address, count=0):
        if address in self.by_pc and count >= 1:
            out = []
            a = address
            while len(out) < count and a in self.by_pc:
                out.append(self.by_pc[a])
                a += self.by_pc[a].size
            return iter(out)
        key = (bytes(code), address, count)
        out = _FROZEN.get(key)
        if out is None:
            out = [FrozenInsn(i) for i in self.cs.disasm(code, address, count)]
            if len(_FROZEN) > _LIMIT:
                _FROZEN.clear()
            _FROZEN[key] = out
        return iter(out)


_CS = []


def _cs():
    if not _CS:
        _CS.append(T.make_cs())
    return _CS[0]


class _Image:
    """Program memory for decoding: the ELF's loadable segments (mem_read as Unicorn's)."""

    def __init__(self, segments):
        self.segs = sorted((a, bytes(d)) for a, d, _ in segments)
        self.addrs = [a for a, _ in self.segs]

    def mem_read(self, addr, n):
        i = bisect.bisect_right(self.addrs, addr) - 1
        if i >= 0:
            a, d = self.segs[i]
            if addr + n <= a + len(d):
                return bytearray(d[addr - a:addr - a + n])
        raise UcError(UC.UC_ERR_READ_UNMAPPED)


class _Reads:
    """A CM7Timing that records which parameters are read (classify reads a few per instruction)."""

    def __init__(self, t):
        self._t = t
        self._read = {}

    def __getattr__(self, name):
        v = getattr(self._t, name)
        self._read[name] = v
        return v


_DESCS = {}           # (FrozenInsn, trap Cost) -> [(((parameter, value), ...), Desc)]


def classify(insn, timing, cost):
    """T.classify + addrs.annotate, reusing the Desc of an earlier call whose timing had the same
    values in the parameters that classify read for this instruction (a Desc is not changed after
    decoding; its other fields do not depend on the timing)."""
    from . import addrs
    key = (insn, cost)
    for reads, d in _DESCS.get(key, ()):
        if all(getattr(timing, k) == v for k, v in reads):
            return d
    rt = _Reads(timing)
    d = T.classify(insn, rt, cost)
    addrs.annotate(insn, d)
    if len(_DESCS) > _LIMIT:
        _DESCS.clear()
    _DESCS.setdefault(key, []).append((tuple(rt._read.items()), d))
    return d


def decoder(core_cls, segments, symbols, functions, traps, timing, memory, insns=None):
    """A ``core_cls`` (Cm7Core) that decodes blocks (``_block``) and finishes results
    (``_finish_fast``) but cannot run: no Unicorn, no fault checks. ``insns``: {pc: FrozenInsn}
    of a recording (no capstone call for them)."""
    c = core_cls.__new__(core_cls)
    c._classify = lambda insn, cost: classify(insn, c.timing, cost)
    c.elf_path = "<recording>"
    c.timing = timing
    c.memory_cfg = MEM.check(memory)
    c.traps = TR.TrapTable(traps)
    c.uc = _Image(segments)
    c.symbols = dict(symbols)
    c.funcs = [(a, a + max(n, 0), name) for a, n, name in functions]
    c._func_addrs = [f[0] for f in c.funcs]
    c.cs = _FrozenCs(_cs(), insns)
    c.descs, c._in_it, c.blocks, c.checks = {}, {}, {}, {}
    c.decode_only = True
    c.keep_insns = None
    c.lane_spec = None
    c.op_counts = {}
    c.exit_code = None
    return c
