"""Trap hook for plug-in instructions on the Cortex-M7 core.

A plug-in instruction is encoded in the Armv8.1-M CDE space on coprocessors p0-p7 (CX1/CX2/CX3,
isa_timing.md §2.7) or as UDF. Unicorn raises UC_HOOK_INTR intno 17 (NOCP) for the CDE words with
the PC on the instruction, and UC_HOOK_INSN_INVALID for UDF (§3.3). The core decodes the fields,
calls the registered Python handler with a :class:`TrapContext` (fields + register read/write),
then resumes at PC + size (Thumb bit set).

Timing: every registration carries a :class:`Cost` (latency, issue occupancy, pipeline resource,
dual-issue flag). The cycle model treats the trapped instruction like any other instruction with
those properties; its register operands come from the decoded fields.

Usage::

    from isasim.cores.cm7.traps import register_cde, Cost
    def my_dot(ctx):                       # cx3 p0, Rd, Rn, Rm, #opc
        ctx.write(ctx.rd, (ctx.read(ctx.rn) * ctx.read(ctx.rm)) & 0xffffffff)
    reg = register_cde(0, my_dot, Cost(latency=2, resource="mac", dual_issue=True))
    isasim.platforms.stm32h7.run("k.elf", traps=[reg])
"""
from dataclasses import dataclass
from functools import lru_cache

from ...errors import SimError
from ...isa.spec import RESOURCES  # noqa: F401  (the pipeline units a trapped instruction may use)
from ...plugins import cde


@dataclass(frozen=True)
class Cost:
    """Timing of a trapped instruction.

    latency    : cycles until a dependent instruction can use the result (as in isa_timing.md §2.2)
    occupancy  : issue cycles the instruction occupies (1 = fully pipelined)
    resource   : pipeline resource it uses (one of RESOURCES) or None
    dual_issue : whether it may pair with a neighbour (False = single-issue)
    begin_group: with dual_issue, it may only be the older instruction of a pair (like SXTB16,
                 isa_timing.md §2.3 rule 4)
    reads/writes : filled in by the decoder (register numbers); leave empty
    """
    latency: int = 1
    occupancy: int = 1
    resource: str = "alu"
    dual_issue: bool = False
    reads: tuple = ()
    writes: tuple = ()
    begin_group: bool = False

    def __post_init__(self):
        if self.resource is not None and self.resource not in RESOURCES:
            raise SimError(f"trap cost: unknown resource '{self.resource}' "
                           f"(allowed: {', '.join(RESOURCES)} or None)")
        if self.latency < 0 or self.occupancy < 1:
            raise SimError("trap cost: latency must be >= 0 and occupancy >= 1")


@dataclass
class Registration:
    kind: str                  # 'cde' or 'udf'
    handler: object
    cost: Cost
    coproc: int = None         # for 'cde'
    imm: int = None            # for 'udf': only this immediate (None = any)
    kinds: tuple = ("cx1", "cx2", "cx3")
    name: str = ""
    describe: object = None     # optional describe(word) -> text for traces (plug-in names)


def register_cde(coproc, handler, cost=None, kinds=("cx1", "cx2", "cx3"), name=""):
    """Register ``handler(ctx)`` for CDE instructions on coprocessor ``coproc`` (0-7)."""
    if not isinstance(coproc, int) or not 0 <= coproc <= 7:
        raise SimError(f"register_cde: coprocessor must be 0-7, got {coproc!r} "
                       "(p8-p15 are FPU/system space and do not trap)")
    for k in kinds:
        if k not in ("cx1", "cx2", "cx3"):
            raise SimError(f"register_cde: unknown kind '{k}' (allowed: cx1, cx2, cx3)")
    return Registration("cde", handler, cost or Cost(), coproc=coproc, kinds=tuple(kinds),
                        name=name or getattr(handler, "__name__", "cde"))


def register_udf(handler, cost=None, imm=None, name=""):
    """Register ``handler(ctx)`` for UDF (16-bit T1 or 32-bit T2), optionally one immediate."""
    return Registration("udf", handler, cost or Cost(), imm=imm,
                        name=name or getattr(handler, "__name__", "udf"))


@dataclass(frozen=True)
class Decoded:
    kind: str                 # 'cx1' 'cx2' 'cx3' 'udf'
    word: int
    size: int
    coproc: int = None
    acc: bool = False
    dual: bool = False
    rd: int = None
    rn: int = None
    rm: int = None
    imm: int = 0
    opc: int = 0              # CDE opcode immediate (same as imm; 0 for UDF)
    reads: tuple = ()
    writes: tuple = ()


@lru_cache(maxsize=4096)
def decode(hw1, hw2):
    """Decode a trap candidate (fields from the layout in isasim.plugins.cde). Returns Decoded or
    None (not a CDE/UDF encoding)."""
    r = cde.decode_word(hw1, hw2)
    if r is None:
        return None
    form, v, size = r
    word = hw1 if size == 2 else (hw1 << 16) | hw2
    if form in ("udf", "udf.w"):
        return Decoded("udf", word, size, imm=v["opc"])
    acc, dual = bool(v["acc"]), bool(v["dual"])
    rd = v["rd"]
    srcs = tuple(v[r] for r in ("rn", "rm") if r in v)
    dsts = (rd, rd + 1) if dual else (rd,)
    return Decoded(form, word, 4, v["cp"], acc, dual, rd=rd, rn=v.get("rn"), rm=v.get("rm"),
                   imm=v["opc"], opc=v["opc"], reads=tuple(sorted(set(srcs + (dsts if acc else ())))),
                   writes=dsts)


class TrapContext:
    """What a handler sees: decoded fields, pc, word, and register/memory access."""

    def __init__(self, uc, pc, dec, regs):
        self._uc = uc
        self._regs = regs
        self.pc = pc
        self.word = dec.word
        self.kind = dec.kind
        self.coproc = dec.coproc
        self.acc = dec.acc
        self.dual = dec.dual
        self.rd, self.rn, self.rm = dec.rd, dec.rn, dec.rm
        self.imm = dec.imm
        self.opc = dec.opc

    def read(self, r):
        return self._uc.reg_read(self._regs[r]) & 0xFFFFFFFF

    def write(self, r, value):
        if r == 15:
            raise SimError(f"pc {self.pc:#010x}: trap handler may not write pc")
        self._uc.reg_write(self._regs[r], value & 0xFFFFFFFF)

    def mem_read(self, addr, size):
        return bytes(self._uc.mem_read(addr, size))

    def mem_write(self, addr, data):
        self._uc.mem_write(addr, bytes(data))


class TrapTable:
    """Looks up registrations for decoded instructions."""

    def __init__(self, regs=()):
        self.cde = {}
        self.udf = []
        for r in regs or ():
            if not isinstance(r, Registration):
                raise SimError(f"traps: expected Registration objects (from register_cde/"
                               f"register_udf), got {type(r).__name__}")
            if r.kind == "cde":
                for k in r.kinds:
                    if (r.coproc, k) in self.cde:
                        raise SimError(f"traps: {k} on p{r.coproc} registered twice")
                    self.cde[(r.coproc, k)] = r
            else:
                self.udf.append(r)

    def lookup(self, dec):
        if dec is None:
            return None
        if dec.kind == "udf":
            for r in self.udf:
                if r.imm is None or r.imm == dec.imm:
                    return r
            return None
        return self.cde.get((dec.coproc, dec.kind))

    def cost_for(self, dec):
        """Cost with the decoded register operands filled in, or None if not trapped."""
        r = self.lookup(dec)
        if r is None:
            return None
        c = r.cost(dec) if callable(r.cost) else r.cost   # per-instruction cost (plug-in tables)
        reads = c.reads or dec.reads
        writes = c.writes or dec.writes
        return Cost(c.latency, c.occupancy, c.resource, c.dual_issue, tuple(reads), tuple(writes),
                    c.begin_group)
