"""Cortex-M7 cycle model: parameters (each with its source), instruction classes and the scheduler.

Layering: Unicorn executes (isasim.cores.cm7); this module only consumes *what was executed* (the
addresses of executed basic blocks, or of executed instructions in trace mode) and produces cycle
counts. It never touches architectural state. The energy model (isasim.energy.stm32h7) consumes the
counts produced here.

Sources (ids as in isa_timing.md Part 2): LM = LLVM ARMScheduleM7.td, GM = GCC cortex-m7.md,
MD = reverse-engineered dual-issue notes. Section numbers refer to isa_timing.md.

Model (see docs/cm7.md for the full description):
  * in-order issue, at most 2 instructions per cycle (LM IssueWidth 2, §2.1/§2.3 rule 1);
  * per-cycle resources (§2.3 rule 2): ALU 2, load pipes 2, store 1, MAC 1, branch 1, shifter 1,
    SIMD/DSP 1;
  * BeginGroup instructions (SIMD/DSP, extends, slot-0-only ops) may only be the older instruction of
    a pair (§2.3 rule 4); single-issue instructions pair with nothing (§2.3 rule 5);
  * operand readiness: a result produced at issue cycle t with latency L can be read at t+L; operands
    read early (shifted operands, load/store addresses: LM M7Read_ISS / M7Ex1ReadNoFastBypass) need
    it one cycle earlier, operands read late (MAC accumulator: LM ReadMAC; store data: LM M7Read_EX2)
    one cycle later;
  * branches: static prediction (parameter), LM MispredictPenalty 4 on a misprediction.

Every number of the model is a field of :class:`CM7Timing` (``isasim exec --timing key=value``,
an experiment's ``timing:``); the instruction classes are the table ``CLASSES`` (mnemonics ->
class, resources, latency field, flags) read by :func:`classify`.

Cross-block state is captured exactly in a small hashable "state" (relative register ready times,
open issue slot and its used resources, pending branch). A basic block's effect for a given entry
state is computed once and cached, so the fast path (one hook per block) and the trace path (one
hook per instruction) give identical cycle counts by construction (and a test checks it).
"""
from dataclasses import dataclass, asdict, fields
from types import MappingProxyType

from capstone import CS_ARCH_ARM, CS_MODE_THUMB, CS_MODE_MCLASS, Cs
from capstone import arm_const as A

from ..errors import SimError

ISSUE_WIDTH = 2                 # LM IssueWidth = 2 (§2.1); structural: the scheduler issues pairs
RES_ORDER = ("alu", "load", "store", "mac", "branch", "shift", "simd")
PREDICTORS = ("btfn", "not_taken", "taken")
REGIONS = ("itcm", "dtcm", "axisram")   # memory regions with a wait-state parameter (core.REGIONS)
STALL_KINDS = ("load_use", "mac_resource", "branch_mispredict", "memory_wait", "dependency",
               "resource")


# ---------------------------------------------------------------------------------------------
# Parameters. Every number names its source row.
# ---------------------------------------------------------------------------------------------
@dataclass
class CM7Timing:
    """All knobs of the Cortex-M7 cycle model. ``override(**kw)`` changes them with checks."""
    # -- branches
    predictor: str = "btfn"         # ASSUMPTION (§2.4: the real BTAC is undocumented): static
    #   backward-taken / forward-not-taken for conditional branches, direct unconditional branches
    #   always predicted (0 penalty, GM branch latency 0), indirect branches (BX/POP pc/LDR pc/MOV pc)
    #   always mispredicted. Alternatives: "not_taken", "taken" (all conditional branches).
    mispredict_penalty: int = 4     # LM MispredictPenalty = 4 (§2.4; LM comment: forward is really 6)
    # -- per-cycle resource limits, LM ProcResource defs (§2.1, §2.3 rule 2)
    alu_units: int = 2              # 2 ALU (LM M7UnitALU, 2 units)
    load_units: int = 2             # load pipes LoadL/LoadH (LM M7UnitLoadL/H)
    store_units: int = 1            # 1 store pipe (LM M7UnitStore)
    mac_units: int = 1              # 1 MAC/multiply (LM M7UnitMAC)
    branch_units: int = 1           # 1 branch unit (LM M7UnitBranch)
    shift_units: int = 1            # EX1 shifter, one shifted-operand op per cycle (LM M7UnitShift1; MD)
    simd_units: int = 1             # 1 SIMD/DSP unit (LM M7UnitSIMD)
    # -- result latencies (a result issued at t with latency L is readable at t + L)
    lat_alu: int = 1                # LM WriteALU (§2.2 row "ALU")
    lat_alu_si: int = 1             # LM WriteALUsi (§2.2 row "ALU with shifted register operand")
    lat_cmp_si: int = 2             # LM WriteCMPsi (§2.2 row "compare with shift")
    lat_mul: int = 2                # LM WriteMUL16/32/64 (§2.2 row MUL)
    lat_mac: int = 2                # LM WriteMAC16/32 (§2.2 row MLA/SMLAD)
    lat_div: int = 7                # LM WriteDIV (§2.2 row SDIV/UDIV)
    lat_load_word: int = 1          # LM WriteLd (§2.2 row LDR word)
    lat_load_subword: int = 2       # LM M7SlowLoad (§2.2 row LDRB/LDRH/LDRSB/LDRSH)
    lat_load_dual: int = 1          # LM t2LDRDi, M7LoadLatency1 (§2.2 row LDRD)
    lat_load_multi: int = 2         # ASSUMPTION: LDM/POP have no latency row in §2.2; LM machine
    #                                 LoadLatency = 2 ("best case for load-use") is used.
    lat_base_update: int = 0        # LM M7BaseUpdate (§2.2 row "base-update of pre/post-indexed")
    lat_simd1: int = 1              # LM M7WriteSIMD1 / M7WriteShSIMD1 (§2.2 rows SXT*, SADD16, PKHBT...)
    lat_simd2: int = 2              # LM M7WriteSIMD2 / M7WriteShSIMD2 (§2.2 rows QADD*, SSAT...)
    lat_simd0: int = 0              # LM M7WriteShSIMD0 (§2.2 row REV*, RBIT)
    lat_slot0: int = 1              # LM M7Slot0Only (§2.2 row CLZ, BFI/BFC)
    lat_sys: int = 3                # LM M7NonGeneralPurpose (§2.2 row MRS/MSR/.../BKPT/UDF)
    # -- issue cycles
    occ_table_branch: int = 2       # LM M7TableLoad: TBB/TBH 2 issue cycles (§2.2 row TBB/TBH)
    ldm_regs_per_cycle: int = 2     # ASSUMPTION: no issue-cycle row for LDM/STM in §2.2; two
    #   registers per cycle (the two 32-bit load pipes / 64-bit TCM path, as one LDRD moves two
    #   registers per issue); cm7_measured.md §1 "LDM/STM/PUSH/POP: ceil(registers/2) cycles" agrees.
    # -- operand read times
    early_read: int = 1             # operand read this many cycles early: LM M7Read_ISS
    #   (SchedReadAdvance -1), M7Ex1ReadNoFastBypass (§2.2 rows LDR, ALU shifted; §2.3 rule 7)
    late_read: int = 1              # operand read this many cycles late: LM ReadMAC advance 1
    #   (§2.2 row SMLAD), LM M7Read_EX2 for store data (§2.2 row STR)
    # -- memory wait states per data access (ASSUMPTION, §2.5 "not modelled": each access to a
    #    region with N wait states stalls the whole pipeline N cycles)
    wait_itcm: int = 0              # ITCM 0 wait states (§2.5, cm7_measured.md §4)
    wait_dtcm: int = 0              # DTCM 0 wait states (§2.5, cm7_measured.md §4)
    wait_axisram: int = 0           # AXI SRAM: no sourced figure (§2.5, cm7_measured.md §4): set it

    _MIN = MappingProxyType({"ldm_regs_per_cycle": 1, "occ_table_branch": 1})   # others: 0, units 1

    def __post_init__(self):
        self._check(asdict(self))

    @classmethod
    def names(cls):
        return [f.name for f in fields(cls)]

    def _check(self, kw):
        names = self.names()
        out = {}
        for k, v in kw.items():
            if k not in names:
                raise SimError(f"unknown cm7 timing parameter '{k}' (allowed: {', '.join(names)})")
            if k == "predictor":
                if v not in PREDICTORS:
                    raise SimError(f"cm7 timing: unknown branch predictor '{v}' "
                                   f"(allowed: {', '.join(PREDICTORS)})")
                out[k] = v
                continue
            if isinstance(v, str):
                try:
                    v = int(v.strip())
                except ValueError:
                    raise SimError(f"cm7 timing: '{k}' must be an integer, got '{v}'")
            if isinstance(v, bool) or not isinstance(v, int):
                raise SimError(f"cm7 timing: '{k}' must be an integer, got {v!r}")
            lo = self._MIN.get(k, 1 if k.endswith("_units") else 0)
            if v < lo:
                raise SimError(f"cm7 timing: '{k}' must be >= {lo}, got {v}")
            out[k] = v
        return out

    def override(self, **kw):
        """Set the given knobs (names, types and ranges checked first; one-line SimError)."""
        for k, v in self._check(kw).items():
            setattr(self, k, v)
        return self

    def as_dict(self):
        return asdict(self)

    def wait_states(self):
        return {r: getattr(self, "wait_" + r) for r in REGIONS}

    def unit_limits(self):
        """Per-cycle limit of each resource, in RES_ORDER."""
        return tuple(getattr(self, r + "_units") for r in RES_ORDER)


# ---------------------------------------------------------------------------------------------
# Instruction classes (capstone, once per instruction address)
# ---------------------------------------------------------------------------------------------
_REGNAMES = {f"r{i}": i for i in range(13)}
_REGNAMES.update({"sb": 9, "sl": 10, "fp": 11, "ip": 12, "sp": 13, "lr": 14, "pc": 15})
FLAGS = 16          # pseudo register index for NZCV/GE
NREGS = 17


@dataclass(frozen=True)
class Klass:
    """One instruction class: what the scheduler needs besides the register operands."""
    cls: str                    # class name
    res: tuple                  # pipeline resources used in the issue cycle
    lat: str                    # CM7Timing field: result latency
    single: bool = False        # pairs with nothing (§2.3 rule 5)
    begin_group: bool = False   # only the older instruction of a pair (§2.3 rule 4, LM BeginGroup)
    load: bool = False          # result from memory (load-use attribution; base update latency 0)
    mac: bool = False           # uses the MAC unit
    occ: str = None             # CM7Timing field: issue cycles
    occ_regs: int = -1          # >= 0: issue cycles from the register list (value = registers of
    #                             the operand list that are not transferred, i.e. the base)
    acc: str = ""               # accumulator operands read late: "last" (Ra) or "pair" (RdLo, RdHi)
    late_data: bool = False     # store data read late (LM M7Read_EX2)
    shifted_lat: str = None     # ALU: latency field with a shifted register operand (uses the
    #                             shifter, the shifted register read early: M7Ex1ReadNoFastBypass)
    flags: bool = False         # writes the flags even without an S suffix
    branch: str = ""            # "pcrel" (B/BL/CBZ, target immediate) or "indirect" (BX/BLX)


_LOADW = Klass("load", ("load",), "lat_load_word", load=True)                 # §2.2 row LDR
_STORE = Klass("store", ("store",), "lat_alu", late_data=True)                # §2.2 row STR
_SINGLE_STORE = Klass("store", ("store",), "lat_alu", late_data=True, single=True)   # §2.3 rule 5
_LDM = Klass("ldm", ("load",), "lat_load_multi", load=True, single=True, occ_regs=1)  # §2.3 rule 5
_STM = Klass("stm", ("store",), "lat_load_multi", single=True, occ_regs=1)
_SIMD1 = Klass("simd", ("simd",), "lat_simd1", begin_group=True)              # LM M7WriteSIMD1
_SHSIMD1 = Klass("simd", ("simd", "shift"), "lat_simd1", begin_group=True)    # LM M7WriteShSIMD1
_SIMD2 = Klass("simd", ("simd",), "lat_simd2", begin_group=True)              # LM M7WriteSIMD2
_SHSIMD2 = Klass("simd", ("simd", "shift"), "lat_simd2", begin_group=True)    # LM M7WriteShSIMD2
_SYS = Klass("sys", (), "lat_sys", single=True)                               # LM M7NonGeneralPurpose
_BRANCH = Klass("branch", ("branch",), "lat_alu")
ALU = Klass("alu", ("alu",), "lat_alu", shifted_lat="lat_alu_si")             # LM WriteALU/WriteALUsi

# mnemonic set -> class; a mnemonic listed twice keeps its first class
CLASSES = (
    ("ldr ldrt", _LOADW),
    ("ldrex ldrexb ldrexh", Klass("load", ("load",), "lat_load_word", load=True, single=True)),
    ("ldrb ldrh ldrsb ldrsh ldrbt ldrht ldrsbt ldrsht",
     Klass("load", ("load",), "lat_load_subword", load=True)),                # LM M7SlowLoad
    ("ldrd", Klass("load", ("load",), "lat_load_dual", load=True, single=True)),  # §2.2 row LDRD
    ("str strb strh strt strbt strht", _STORE),
    ("strex strexb strexh strd", _SINGLE_STORE),
    ("ldm ldmia ldmdb ldmfd ldmea", _LDM),
    ("pop", Klass("ldm", ("load",), "lat_load_multi", load=True, single=True, occ_regs=0)),
    ("stm stmia stmdb stmfd stmea", _STM),
    ("push", Klass("stm", ("store",), "lat_load_multi", single=True, occ_regs=0)),
    ("mul muls smulbb smulbt smultb smultt smulwb smulwt smuad smuadx smusd smusdx smull umull "
     "smmul smmulr", Klass("mul", ("mac",), "lat_mul", mac=True)),             # LM WriteMUL16/32/64
    ("mla mls smlabb smlabt smlatb smlatt smlawb smlawt smlad smladx smlsd smlsdx smmla smmlar "
     "smmls smmlsr", Klass("mac", ("mac",), "lat_mac", mac=True, acc="last")),  # WriteMAC + ReadMAC
    ("smlal umlal smlalbb smlalbt smlaltb smlaltt smlald smlaldx smlsld smlsldx umaal",
     Klass("mac", ("mac",), "lat_mac", mac=True, acc="pair")),
    ("sdiv udiv", Klass("div", (), "lat_div", single=True)),                  # LM WriteDIV
    ("sxtb sxth uxtb uxth sxtb16 uxtb16 sadd16 ssub16 sadd8 ssub8 uadd16 usub16 uadd8 usub8 sasx "
     "ssax uasx usax sel shadd16 shsub16 shadd8 shsub8 uhadd16 uhsub16 uhadd8 uhsub8 shasx shsax "
     "uhasx uhsax", _SIMD1),
    ("sxtab16 uxtab16 sxtab sxtah uxtab uxtah pkhbt pkhtb sbfx ubfx", _SHSIMD1),
    ("qadd16 qsub16 qadd8 qsub8 uqadd16 uqsub16 uqadd8 uqsub8 qasx qsax uqasx uqsax usad8 usada8 "
     "qadd qsub", _SIMD2),
    ("ssat usat ssat16 usat16 qdadd qdsub", _SHSIMD2),
    ("rev rev16 revsh rbit", Klass("simd", ("simd", "shift"), "lat_simd0", begin_group=True)),
    ("clz bfi bfc", Klass("alu", ("alu",), "lat_slot0", begin_group=True)),    # LM M7Slot0Only
    ("tbb tbh", Klass("branch", ("load", "branch"), "lat_alu", single=True, occ="occ_table_branch",
                      branch="indirect")),      # LM M7TableLoad; target from a table: indirect
    ("mrs dmb dsb isb svc bkpt udf clrex nop wfi wfe sev yield cpsid cpsie it", _SYS),
    ("msr", Klass("sys", (), "lat_sys", single=True, flags=True)),
    ("b bl cbz cbnz", Klass("branch", ("branch",), "lat_alu", branch="pcrel")),
    ("bx blx", Klass("branch", ("branch",), "lat_alu", branch="indirect")),
    ("lsl lsr asr ror rrx lsls lsrs asrs rors", Klass("alu", ("alu", "shift"), "lat_alu")),  # Shift1
    ("cmp cmn tst teq", Klass("alu", ("alu",), "lat_alu", shifted_lat="lat_cmp_si", flags=True)),
)
# capstone instruction id -> class, for mnemonics not in the table (conditional branches "bne"...,
# coprocessor instructions)
CLASSES_BY_ID = MappingProxyType({
    A.ARM_INS_B: Klass("branch", ("branch",), "lat_alu", branch="pcrel"),
    A.ARM_INS_CDP: _SYS, A.ARM_INS_CDP2: _SYS, A.ARM_INS_MCR: _SYS, A.ARM_INS_MRC: _SYS,
})


def _by_mnemonic():
    out = {}
    for names, k in CLASSES:
        for m in names.split():
            out.setdefault(m, k)
    return MappingProxyType(out)


CLASS_OF = _by_mnemonic()


class Desc:
    """Static description of one instruction for the scheduler (computed once per address)."""
    __slots__ = ("pc", "size", "text", "srcs", "dsts", "res", "begin_group", "single", "occ",
                 "branch", "target", "fallthrough", "is_load", "is_mac", "cls")

    def __init__(self, pc, size, text):
        self.pc = pc
        self.size = size
        self.text = text
        self.srcs = ()          # ((reg, advance), ...) advance: +early, 0 normal, -late
        self.dsts = ()          # ((reg, latency), ...)
        self.res = ()           # ((resource index, count), ...)
        self.begin_group = False
        self.single = False
        self.occ = 1            # issue cycles
        self.branch = None      # None | 'cond' | 'direct' | 'indirect'
        self.target = None
        self.fallthrough = pc + size
        self.is_load = False
        self.is_mac = False
        self.cls = "alu"

    def __repr__(self):
        return f"Desc({self.pc:#x} {self.text!r} {self.cls})"


def _res(*names):
    out = {}
    for n in names:
        out[n] = out.get(n, 0) + 1
    return tuple((RES_ORDER.index(k), v) for k, v in out.items())


def make_cs():
    cs = Cs(CS_ARCH_ARM, CS_MODE_THUMB | CS_MODE_MCLASS)
    cs.detail = True
    return cs


def _reg(insn, r):
    return _REGNAMES.get(insn.reg_name(r))


def _mn(insn):
    m = insn.mnemonic.lower()
    if m.endswith(".w") or m.endswith(".n"):
        m = m[:-2]
    return m


def trap_desc(d, cost):
    """Fill ``d`` from the Cost of an instruction a plug-in handler implements (its register
    operands come from the trap decoder / plug-in description, not from capstone)."""
    d.cls = "trap"
    d.occ = max(1, cost.occupancy)
    d.single = not cost.dual_issue
    d.begin_group = cost.begin_group
    d.srcs = tuple((r, 0) for r in cost.reads)
    d.dsts = tuple((r, cost.latency) for r in cost.writes)
    d.res = _res(cost.resource) if cost.resource else ()
    return d


def undecoded(pc, size, text, trap_cost=None):
    """Desc of a word capstone cannot decode: a trapped plug-in instruction, or a system-class
    single-issue instruction (it faults when executed)."""
    d = Desc(pc, size, text)
    d.single = True
    d.cls = "sys"
    return trap_desc(d, trap_cost) if trap_cost is not None else d


def classify(insn, timing, trap_cost=None):
    """Build a Desc from a capstone instruction with the latencies of ``timing`` (a CM7Timing).
    ``trap_cost`` (a traps.Cost) overrides the class for an instruction that a plug-in handler
    implements."""
    d = Desc(insn.address, insn.size, f"{insn.mnemonic} {insn.op_str}".strip())
    mn = _mn(insn)
    try:
        rd, wr = insn.regs_access()
    except Exception:  # pragma: no cover - capstone lacks access info for a few encodings
        rd, wr = [], []
    reads = [_reg(insn, r) for r in rd]
    writes = [_reg(insn, r) for r in wr]
    reads = [r for r in reads if r is not None and r != 15]
    writes = [r for r in writes if r is not None]
    ops = insn.operands
    early = set()
    late = set()
    mem_base = None
    for op in ops:
        if op.type == A.ARM_OP_MEM:
            if op.mem.base:
                mem_base = _reg(insn, op.mem.base)
                early.add(mem_base)
            if op.mem.index:
                early.add(_reg(insn, op.mem.index))
    cond = insn.cc not in (A.ARM_CC_AL, A.ARM_CC_INVALID)
    pc_write = 15 in writes
    if trap_cost is not None:
        # register operands of a trapped instruction are declared by the trap decoder
        trap_desc(d, trap_cost)
        reads = list(trap_cost.reads)
        writes = list(trap_cost.writes)
        early = set()
        k = None
        lat = trap_cost.latency
        res = (trap_cost.resource,) if trap_cost.resource else ()
    else:
        k = CLASS_OF.get(mn) or CLASSES_BY_ID.get(insn.id) or ALU
        lat = getattr(timing, k.lat)
        res = k.res
        d.single = k.single
        d.begin_group = k.begin_group
        d.is_load = k.load
        d.is_mac = k.mac
        if k.occ:
            d.occ = getattr(timing, k.occ)
        if k.occ_regs >= 0:
            nregs = sum(1 for op in ops if op.type == A.ARM_OP_REG) - k.occ_regs
            per = timing.ldm_regs_per_cycle
            d.occ = max(1, (nregs + per - 1) // per)
        if k.acc:
            regops = [_reg(insn, op.reg) for op in ops if op.type == A.ARM_OP_REG]
            if k.acc == "pair":
                late.update(regops[:2])                      # RdLo/RdHi accumulate (ReadMAC)
            elif regops:
                late.add(regops[-1])                         # Ra (ReadMAC, advance 1)
        if k.shifted_lat and any(op.type == A.ARM_OP_REG and op.shift.type != 0 for op in ops):
            res = ("alu", "shift")
            lat = getattr(timing, k.shifted_lat)
            for op in ops:
                if op.type == A.ARM_OP_REG and op.shift.type != 0:
                    early.add(_reg(insn, op.reg))            # read in EX1 (M7Ex1ReadNoFastBypass)
                    if op.shift.type >= A.ARM_SFT_ASR_REG:   # register-specified shift amount
                        early.add(_reg(insn, op.shift.value))
    cls = d.cls if k is None else k.cls
    # branches
    if k is not None and k.branch == "pcrel":
        imm = [op.imm for op in ops if op.type == A.ARM_OP_IMM]
        d.target = imm[-1] if imm else None
        d.branch = "cond" if (cond or mn in ("cbz", "cbnz")) else "direct"
        cls = "branch"
        res = ("branch",)
    elif (k is not None and k.branch == "indirect") or (pc_write and k is not None):
        d.branch = "indirect"
        if cls == "alu":
            cls = "branch"
            res = ("branch",)
    if mn == "bl":
        d.branch = "direct"
    # flags
    if insn.update_flags or (k is not None and k.flags):
        writes.append(FLAGS)
    if cond and d.branch != "cond":
        reads.append(FLAGS)             # conditional execution in an IT block reads the flags
    # Conditional branches do not wait for the flags: the branch is predicted at fetch and
    # resolved later (ASSUMPTION, documented in docs/cm7.md: this lets SUBS+BNE pair).
    # sources
    early_adv, late_adv = timing.early_read, -timing.late_read
    srcs = {}
    for r in reads:
        adv = early_adv if r in early else (late_adv if r in late else 0)
        if k is not None and k.late_data and r not in early:
            adv = late_adv                                   # store data read late (M7Read_EX2)
        srcs[r] = max(srcs.get(r, adv), adv) if r in srcs else adv
    d.srcs = tuple(sorted(srcs.items()))
    dsts = {}
    base_lat = timing.lat_base_update                        # M7BaseUpdate
    for r in writes:
        if r == 15:
            continue
        if d.is_load and mem_base is not None and r == mem_base and (insn.writeback or cls == "ldm"):
            lt = base_lat
        elif cls == "store" and r == mem_base:
            lt = base_lat
        elif cls in ("ldm", "stm") and r == 13:
            lt = base_lat
        elif cls == "stm":
            lt = base_lat
        else:
            lt = lat
        dsts[r] = lt
    d.dsts = tuple(sorted(dsts.items()))
    d.res = _res(*res)
    d.cls = cls
    if d.branch is not None:
        d.fallthrough = insn.address + insn.size
    return d


# ---------------------------------------------------------------------------------------------
# Scheduler
# ---------------------------------------------------------------------------------------------
_MAC = RES_ORDER.index("mac")


class Scheduler:
    """In-order dual-issue scheduler working on absolute cycles.

    ``cyc`` is the issue cycle of the most recent instruction; ``open`` tells whether the next
    instruction may still issue in that cycle; ``used`` the resources used in it.
    """

    def __init__(self, timing):
        self.predictor = timing.predictor
        self.penalty = timing.mispredict_penalty
        self.limits = timing.unit_limits()
        self.reset()

    def reset(self):
        self.cyc = -1
        self.open = False
        self.used = [0] * len(RES_ORDER)
        self.ready = [-1000] * NREGS
        self.isload = [False] * NREGS
        self.pending = None     # (kind, predicted_taken, fallthrough)
        self.min_next = 0       # earliest cycle for the next issue (occupancy, penalties)
        self.stalls = dict.fromkeys(STALL_KINDS, 0)
        self.dual = 0
        self.mispredicts = 0
        self.branches = 0

    # -- state capture (relative to cyc), used as the cache key of block transitions
    def state(self):
        c = self.cyc
        regs = tuple((r, self.ready[r] - c, self.isload[r]) for r in range(NREGS)
                     if self.ready[r] - c >= 0)
        return (self.open, tuple(self.used) if self.open else None, self.pending,
                max(self.min_next - c, 0), regs)

    def load_state(self, st):
        self.cyc = 0
        self.open, used, self.pending, mn, regs = st
        self.used = list(used) if used is not None else [0] * len(RES_ORDER)
        self.min_next = mn
        self.ready = [-1000] * NREGS
        self.isload = [False] * NREGS
        for r, rel, il in regs:
            self.ready[r] = rel
            self.isload[r] = il

    def _predict(self, d):
        if d.branch == "indirect":
            return False, True          # (predicted taken, always mispredicted when taken)
        if d.branch == "direct":
            return True, False
        if self.predictor == "btfn":
            return (d.target is not None and d.target <= d.pc), False
        return self.predictor == "taken", False

    def issue(self, d):
        """Issue one instruction; return its issue cycle."""
        st = self.stalls
        c = self.cyc
        earliest = c if self.open else c + 1
        if self.pending is not None:
            kind, pred_taken, ft, always_miss = self.pending
            taken = kind == "direct" or d.pc != ft      # B/BL to the next instruction: taken
            self.pending = None
            if (taken and always_miss) or taken != pred_taken:
                self.mispredicts += 1
                earliest = max(earliest, c + 1) + self.penalty
                st["branch_mispredict"] += self.penalty
        if self.min_next > earliest:
            earliest = self.min_next
        # structural pairing check
        pair_ok = earliest == c and not d.begin_group and not d.single
        if pair_ok:
            used = self.used
            for ri, n in d.res:
                if used[ri] + n > self.limits[ri]:
                    pair_ok = False
                    if ri == _MAC:
                        st["mac_resource"] += 1
                    else:
                        st["resource"] += 1
                    break
        if earliest == c and not pair_ok:
            earliest = c + 1
        # operand readiness
        t = earliest
        cause = None
        ready = self.ready
        for r, adv in d.srcs:
            need = ready[r] + adv
            if need > t:
                t = need
                cause = r
        if t > earliest:
            if self.isload[cause]:
                st["load_use"] += t - earliest
            else:
                st["dependency"] += t - earliest
        if t == c:
            self.dual += 1
            for ri, n in d.res:
                self.used[ri] += n
            self.open = False
        else:
            used = [0] * len(RES_ORDER)
            for ri, n in d.res:
                used[ri] += n
            self.used = used
            self.open = not d.single and d.branch is None
        for r, lat in d.dsts:
            ready[r] = t + lat
            self.isload[r] = d.is_load and lat > 0
        if d.occ > 1:
            self.min_next = t + d.occ
            self.open = False
        if d.single:
            self.open = False
            if t + 1 > self.min_next:
                self.min_next = t + 1
        if d.branch is not None:
            self.branches += 1
            pt, am = self._predict(d)
            self.pending = (d.branch, pt, d.fallthrough, am)
            self.open = False
        self.cyc = t
        return t

    @property
    def cycles(self):
        return self.cyc + 1


class BlockCache:
    """Static per-block information + cached transitions (block, entry state) -> effect."""

    def __init__(self, timing):
        self.sched = Scheduler(timing)
        self.state_ids = {}
        self.states = []
        self.trans = {}          # key -> transition index
        self.trans_info = []     # (block addr, ninsn, dcycles, {stall deltas}, dual, mispredicts)
        self.counts = []         # executions per transition

    def sid(self, st):
        i = self.state_ids.get(st)
        if i is None:
            i = len(self.states)
            self.state_ids[st] = i
            self.states.append(st)
        return i

    def transition(self, addr, descs, sid):
        """Compute (and cache) the effect of executing ``descs`` from state ``sid``."""
        s = self.sched
        s.reset()
        s.load_state(self.states[sid])
        for d in descs:
            s.issue(d)
        dcyc = s.cyc
        nst = self.sid(s.state())
        info = (addr, len(descs), dcyc, tuple(s.stalls[k] for k in STALL_KINDS), s.dual,
                s.mispredicts, s.branches)
        ti = len(self.trans_info)
        self.trans_info.append(info)
        self.counts.append(0)
        return nst, ti
