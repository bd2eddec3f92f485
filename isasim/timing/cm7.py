"""Cortex-M7 cycle model: instruction classes, constants (each with its source) and the scheduler.

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

Cross-block state is captured exactly in a small hashable "state" (relative register ready times,
open issue slot and its used resources, pending branch). A basic block's effect for a given entry
state is computed once and cached, so the fast path (one hook per block) and the trace path (one
hook per instruction) give identical cycle counts by construction (and a test checks it).
"""
from capstone import CS_ARCH_ARM, CS_MODE_THUMB, CS_MODE_MCLASS, Cs
from capstone import arm_const as A

# ---------------------------------------------------------------------------------------------
# Constants. Every number names its source row.
# ---------------------------------------------------------------------------------------------
ISSUE_WIDTH = 2                 # LM IssueWidth = 2 (§2.1)
RES_LIMIT = {                   # per-cycle resource limits, LM ProcResource defs (§2.1, §2.3 rule 2)
    "alu": 2,                   # 2 ALU (LM M7UnitALU, 2 units)
    "load": 2,                  # load pipes LoadL/LoadH (LM M7UnitLoadL/H)
    "store": 1,                 # 1 store pipe (LM M7UnitStore)
    "mac": 1,                   # 1 MAC/multiply (LM M7UnitMAC)
    "branch": 1,                # 1 branch unit (LM M7UnitBranch)
    "shift": 1,                 # EX1 shifter, one shifted-operand op per cycle (LM M7UnitShift1; MD)
    "simd": 1,                  # 1 SIMD/DSP unit (LM M7UnitSIMD)
}
RES_ORDER = ("alu", "load", "store", "mac", "branch", "shift", "simd")

LAT_ALU = 1                     # LM WriteALU (§2.2 row "ALU")
LAT_ALU_SI = 1                  # LM WriteALUsi (§2.2 row "ALU with shifted register operand")
LAT_CMP_SI = 2                  # LM WriteCMPsi (§2.2 row "compare with shift")
LAT_MUL = 2                     # LM WriteMUL16/32/64 (§2.2 row MUL)
LAT_MAC = 2                     # LM WriteMAC16/32 (§2.2 row MLA/SMLAD)
LAT_DIV = 7                     # LM WriteDIV (§2.2 row SDIV/UDIV)
LAT_LOAD_WORD = 1               # LM WriteLd (§2.2 row LDR word)
LAT_LOAD_SUBWORD = 2            # LM M7SlowLoad (§2.2 row LDRB/LDRH/LDRSB/LDRSH)
LAT_LOAD_DUAL = 1               # LM t2LDRDi, M7LoadLatency1 (§2.2 row LDRD)
LAT_LOAD_MULTI = 2              # ASSUMPTION: LDM/POP have no latency row in §2.2; LM machine
                                #   LoadLatency = 2 ("best case for load-use") is used.
LAT_BASE_UPDATE = 0             # LM M7BaseUpdate (§2.2 row "base-update of pre/post-indexed")
LAT_SIMD1 = 1                   # LM M7WriteSIMD1 / M7WriteShSIMD1 (§2.2 rows SXT*, SADD16, PKHBT...)
LAT_SIMD2 = 2                   # LM M7WriteSIMD2 / M7WriteShSIMD2 (§2.2 rows QADD*, SSAT...)
LAT_SIMD0 = 0                   # LM M7WriteShSIMD0 (§2.2 row REV*, RBIT)
LAT_SLOT0 = 1                   # LM M7Slot0Only (§2.2 row CLZ, BFI/BFC)
LAT_SYS = 3                     # LM M7NonGeneralPurpose (§2.2 row MRS/MSR/.../BKPT/UDF)
OCC_TABLE_BRANCH = 2            # LM M7TableLoad: TBB/TBH 2 issue cycles (§2.2 row TBB/TBH)

EARLY = 1                       # operand read one cycle early: LM M7Read_ISS (SchedReadAdvance -1),
                                #   M7Ex1ReadNoFastBypass (§2.2 rows LDR, ALU shifted; §2.3 rule 7)
LATE = -1                       # operand read one cycle late: LM ReadMAC advance 1 (§2.2 row SMLAD),
                                #   LM M7Read_EX2 for store data (§2.2 row STR)

MISPREDICT_PENALTY = 4          # LM MispredictPenalty = 4 (§2.4)
PREDICTORS = ("btfn", "not_taken", "taken")
DEFAULT_PREDICTOR = "btfn"      # ASSUMPTION (§2.4: the real BTAC is undocumented): static
                                #   backward-taken / forward-not-taken for conditional branches,
                                #   direct unconditional branches always predicted (0 penalty, GM
                                #   branch latency 0), indirect branches (BX/POP pc/LDR pc/MOV pc)
                                #   always mispredicted.

STALL_KINDS = ("load_use", "mac_resource", "branch_mispredict", "memory_wait", "dependency",
               "resource")

# ---------------------------------------------------------------------------------------------
# Instruction classification (capstone, once per instruction address)
# ---------------------------------------------------------------------------------------------
_REGNAMES = {f"r{i}": i for i in range(13)}
_REGNAMES.update({"sb": 9, "sl": 10, "fp": 11, "ip": 12, "sp": 13, "lr": 14, "pc": 15})
FLAGS = 16          # pseudo register index for NZCV/GE
NREGS = 17


def _mn(insn):
    m = insn.mnemonic.lower()
    if m.endswith(".w") or m.endswith(".n"):
        m = m[:-2]
    return m


_SIMD1 = {"sxtb", "sxth", "uxtb", "uxth", "sxtb16", "uxtb16", "sadd16", "ssub16", "sadd8", "ssub8",
          "uadd16", "usub16", "uadd8", "usub8", "sasx", "ssax", "uasx", "usax", "sel", "shadd16",
          "shsub16", "shadd8", "shsub8", "uhadd16", "uhsub16", "uhadd8", "uhsub8", "shasx", "shsax",
          "uhasx", "uhsax"}
_SHSIMD1 = {"sxtab16", "uxtab16", "sxtab", "sxtah", "uxtab", "uxtah", "pkhbt", "pkhtb", "sbfx", "ubfx"}
_SIMD2 = {"qadd16", "qsub16", "qadd8", "qsub8", "uqadd16", "uqsub16", "uqadd8", "uqsub8", "qasx",
          "qsax", "uqasx", "uqsax", "usad8", "usada8", "qadd", "qsub"}
_SHSIMD2 = {"ssat", "usat", "ssat16", "usat16", "qdadd", "qdsub"}
_SIMD0 = {"rev", "rev16", "revsh", "rbit"}
_SLOT0 = {"clz", "bfi", "bfc"}
# These classes must be the older instruction of a dual-issued pair (§2.3 rule 4, LM BeginGroup;
# slot-0-only ops likewise): mnemonic -> (class, pipeline resources, result latency). Built in the
# order above, so a mnemonic listed twice keeps its first class.
_BEGIN_GROUP = {}
for _set, _cls, _res, _lat in ((_SIMD1, "simd", ("simd",), LAT_SIMD1),
                               (_SHSIMD1, "simd", ("simd", "shift"), LAT_SIMD1),
                               (_SIMD2, "simd", ("simd",), LAT_SIMD2),
                               (_SHSIMD2, "simd", ("simd", "shift"), LAT_SIMD2),
                               (_SIMD0, "simd", ("simd", "shift"), LAT_SIMD0),
                               (_SLOT0, "alu", ("alu",), LAT_SLOT0)):
    for _m in sorted(_set):
        _BEGIN_GROUP.setdefault(_m, (_cls, _res, _lat))
_MUL = {"mul", "muls", "smulbb", "smulbt", "smultb", "smultt", "smulwb", "smulwt", "smuad", "smuadx",
        "smusd", "smusdx", "smull", "umull", "smmul", "smmulr"}
_MAC = {"mla", "mls", "smlabb", "smlabt", "smlatb", "smlatt", "smlawb", "smlawt", "smlad", "smladx",
        "smlsd", "smlsdx", "smmla", "smmlar", "smmls", "smmlsr"}
_MAC64 = {"smlal", "umlal", "smlalbb", "smlalbt", "smlaltb", "smlaltt", "smlald", "smlaldx", "smlsld",
          "smlsldx", "umaal"}
_DIV = {"sdiv", "udiv"}
_SYS = {"mrs", "msr", "dmb", "dsb", "isb", "svc", "bkpt", "udf", "clrex", "nop", "wfi", "wfe", "sev",
        "yield", "cpsid", "cpsie", "it"}
_LOAD_SUB = {"ldrb", "ldrh", "ldrsb", "ldrsh", "ldrbt", "ldrht", "ldrsbt", "ldrsht"}
_LOAD_WORD = {"ldr", "ldrt", "ldrex", "ldrexb", "ldrexh"}
_STORE = {"str", "strb", "strh", "strt", "strbt", "strht", "strex", "strexb", "strexh"}
_LDM = {"ldm", "ldmia", "ldmdb", "ldmfd", "ldmea", "pop"}
_STM = {"stm", "stmia", "stmdb", "stmfd", "stmea", "push"}
_CMP = {"cmp", "cmn", "tst", "teq"}


class Desc:
    """Static description of one instruction for the scheduler (computed once per address)."""
    __slots__ = ("pc", "size", "text", "srcs", "dsts", "res", "begin_group", "single", "occ",
                 "branch", "target", "fallthrough", "is_load", "is_mac", "cls")

    def __init__(self, pc, size, text):
        self.pc = pc
        self.size = size
        self.text = text
        self.srcs = ()          # ((reg, advance), ...) advance: +1 early, 0 normal, -1 late
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


def classify(insn, trap_cost=None):
    """Build a Desc from a capstone instruction. ``trap_cost`` (a traps.Cost) overrides the class
    for an instruction that a plug-in handler implements."""
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
    shifted = any(op.type == A.ARM_OP_REG and op.shift.type not in (0,) for op in ops)
    cond = insn.cc not in (A.ARM_CC_AL, A.ARM_CC_INVALID)
    lat = LAT_ALU
    res = ("alu",)
    cls = "alu"
    pc_write = 15 in writes
    if trap_cost is not None:
        cls = "trap"
        lat = trap_cost.latency
        res = (trap_cost.resource,) if trap_cost.resource else ()
        d.occ = max(1, trap_cost.occupancy)
        d.single = not trap_cost.dual_issue
        d.begin_group = False
        # register operands of a trapped instruction are declared by the trap decoder
        reads = list(trap_cost.reads)
        writes = list(trap_cost.writes)
        early = set()
    elif mn in _LOAD_WORD or mn in _LOAD_SUB or mn in ("ldrd",):
        cls = "load"
        d.is_load = True
        res = ("load",)
        lat = LAT_LOAD_SUBWORD if mn in _LOAD_SUB else LAT_LOAD_WORD
        if mn == "ldrd":
            lat = LAT_LOAD_DUAL
            d.single = True                                  # §2.2 row LDRD, §2.3 rule 5
        if mn.startswith("ldrex"):
            d.single = True                                  # §2.3 rule 5
    elif mn in _STORE or mn == "strd":
        cls = "store"
        res = ("store",)
        if mn == "strd" or mn.startswith("strex"):
            d.single = True                                  # §2.3 rule 5
    elif mn in _LDM or mn in _STM:
        cls = "ldm" if mn in _LDM else "stm"
        d.is_load = mn in _LDM
        res = ("load",) if mn in _LDM else ("store",)
        lat = LAT_LOAD_MULTI
        d.single = True                                      # §2.3 rule 5
        nregs = sum(1 for op in ops if op.type == A.ARM_OP_REG) - (0 if mn in ("push", "pop") else 1)
        # ASSUMPTION: no issue-cycle row exists for LDM/STM in §2.2; two registers per cycle
        # (the two 32-bit load pipes / 64-bit TCM path, as one LDRD moves two registers per issue).
        d.occ = max(1, (nregs + 1) // 2)
    elif mn in _MUL:
        cls = "mul"
        res = ("mac",)
        lat = LAT_MUL
        d.is_mac = True
    elif mn in _MAC or mn in _MAC64:
        cls = "mac"
        res = ("mac",)
        lat = LAT_MAC
        d.is_mac = True
        regops = [_reg(insn, op.reg) for op in ops if op.type == A.ARM_OP_REG]
        if mn in _MAC64:
            late.update(regops[:2])                          # RdLo/RdHi accumulate (ReadMAC)
        elif regops:
            late.add(regops[-1])                             # Ra (ReadMAC, advance 1)
    elif mn in _DIV:
        cls = "div"
        res = ()
        lat = LAT_DIV
        d.single = True                                      # §2.3 rule 5
    elif mn in _BEGIN_GROUP:
        cls, res, lat = _BEGIN_GROUP[mn]
        d.begin_group = True                                 # §2.3 rule 4, LM BeginGroup
    elif mn in ("tbb", "tbh"):
        cls = "branch"
        res = ("load", "branch")
        d.single = True
        d.occ = OCC_TABLE_BRANCH
    elif mn in _SYS or insn.id in (A.ARM_INS_CDP, A.ARM_INS_CDP2, A.ARM_INS_MCR, A.ARM_INS_MRC):
        cls = "sys"
        res = ()
        lat = LAT_SYS
        d.single = True                                      # §2.3 rule 5
    elif mn in ("b", "bl", "bx", "blx", "cbz", "cbnz") or mn.startswith("b") and insn.id == A.ARM_INS_B:
        cls = "branch"
        res = ("branch",)
    else:
        cls = "alu"
        if shifted and mn not in ("lsl", "lsr", "asr", "ror", "rrx", "lsls", "lsrs", "asrs", "rors"):
            res = ("alu", "shift")
            lat = LAT_CMP_SI if mn in _CMP else LAT_ALU_SI
            for op in ops:
                if op.type == A.ARM_OP_REG and op.shift.type != 0:
                    early.add(_reg(insn, op.reg))            # read in EX1 (M7Ex1ReadNoFastBypass)
                    if op.shift.type >= A.ARM_SFT_ASR_REG:   # register-specified shift amount
                        early.add(_reg(insn, op.shift.value))
        elif mn in ("lsl", "lsr", "asr", "ror", "rrx", "lsls", "lsrs", "asrs", "rors"):
            res = ("alu", "shift")                           # uses the shifter (LM M7UnitShift1)
    # branches
    if mn in ("b", "bl", "cbz", "cbnz") or (insn.id == A.ARM_INS_B):
        imm = [op.imm for op in ops if op.type == A.ARM_OP_IMM]
        d.target = imm[-1] if imm else None
        d.branch = "cond" if (cond or mn in ("cbz", "cbnz")) else "direct"
        cls = "branch"
        res = ("branch",)
    elif mn in ("bx", "blx") or (pc_write and cls not in ("trap",)):
        d.branch = "indirect"
        if cls == "alu":
            cls = "branch"
            res = ("branch",)
    if mn == "bl":
        d.branch = "direct"
    # flags
    if insn.update_flags or mn in _CMP or mn in ("msr",):
        writes.append(FLAGS)
    if cond and d.branch != "cond":
        reads.append(FLAGS)             # conditional execution in an IT block reads the flags
    # Conditional branches do not wait for the flags: the branch is predicted at fetch and
    # resolved later (ASSUMPTION, documented in docs/cm7.md: this lets SUBS+BNE pair).
    # sources
    srcs = {}
    for r in reads:
        adv = EARLY if r in early else (LATE if r in late else 0)
        if mn in _STORE or mn == "strd":
            if r not in early:
                adv = LATE                                   # store data read late (M7Read_EX2)
        srcs[r] = max(srcs.get(r, adv), adv) if r in srcs else adv
    d.srcs = tuple(sorted(srcs.items()))
    dsts = {}
    for r in writes:
        if r == 15:
            continue
        if d.is_load and mem_base is not None and r == mem_base and (insn.writeback or mn in _LDM):
            lt = LAT_BASE_UPDATE                             # M7BaseUpdate
        elif cls == "store" and r == mem_base:
            lt = LAT_BASE_UPDATE
        elif cls in ("ldm", "stm") and r == 13:
            lt = LAT_BASE_UPDATE
        elif cls == "stm":
            lt = LAT_BASE_UPDATE
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
class Scheduler:
    """In-order dual-issue scheduler working on absolute cycles.

    ``cyc`` is the issue cycle of the most recent instruction; ``open`` tells whether the next
    instruction may still issue in that cycle; ``used`` the resources used in it.
    """

    def __init__(self, predictor=DEFAULT_PREDICTOR, penalty=MISPREDICT_PENALTY):
        if predictor not in PREDICTORS:
            raise ValueError(f"unknown branch predictor '{predictor}' (allowed: {', '.join(PREDICTORS)})")
        self.predictor = predictor
        self.penalty = penalty
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
            taken = d.pc != ft
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
                if used[ri] + n > RES_LIMIT[RES_ORDER[ri]]:
                    pair_ok = False
                    if RES_ORDER[ri] == "mac":
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

    def __init__(self, predictor=DEFAULT_PREDICTOR, penalty=MISPREDICT_PENALTY):
        self.sched = Scheduler(predictor, penalty)
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
