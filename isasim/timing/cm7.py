"""Cortex-M7 cycle model: parameters (each with its source), instruction classes and the scheduler.

Layering: Unicorn executes (isasim.cores.cm7); this module only consumes *what was executed* (the
executed instructions, in blocks or one at a time, and the low three bits of the address of each
memory access) and produces cycle counts. It never touches architectural state. The energy model
(isasim.energy.stm32h7) consumes the counts produced here.

Sources. JN = the measurements on an STM32H743 (revision Y) of jnk0le/random, ``pipeline cycle
test/doc/cortex_m7.md`` at commit 0b9c602 (summarised in cm7_measured.md §1): they are silicon
measurements, so where they disagree with the LLVM model they win. LM = LLVM ARMScheduleM7.td,
GM = GCC cortex-m7.md, MD = reverse-engineered dual-issue notes (ids and section numbers of
isa_timing.md Part 2). A number that no source gives is marked ASSUMPTION.

Model (docs/cm7.md has every rule with its source):
  * in-order issue, at most 2 instructions per cycle: the older and the younger (LM, JN);
  * per-cycle resources: ALU 2, load pipes 2, store 1, MAC 1, branch 1, DSP/bit-field unit 1;
    the EX1 shifter of operand 2 (shifted register, rotated constant) and of the bit-field
    instructions is one per cycle, a plain shift in the older slot blocks it too (JN operand-2
    matrix);
  * two ALU stages one cycle apart (JN): a result is readable by a *late* consumer (ordinary ALU
    operand) at t + latency and by an *early* consumer (shifted operand 2, address/index,
    SBFX/UBFX/RBIT/REV sources, the extracted operand of BFI/PKH/SXTA/UXTA) one cycle later;
    ADD/SUB/MOV with simple operands in the older slot and plain shifts in either slot execute in
    the early ALU when their inputs are ready for it, and forward to a late consumer in the same
    cycle (a dependent pair dual-issues, e.g. MOVW+MOVT);
  * MUL/MAC results have latency 2, multiplicands cannot use a word load of the previous cycle,
    accumulators are read one stage after the late ALU; MUL/MAC never pair with each other or with
    a store (JN);
  * two loads pair only if they access different banks (even/odd word, JN); unaligned loads cost
    extra cycles; byte/halfword/unaligned stores go through a 5-entry store buffer that does a
    read-modify-write per store on the bank(s) it touches (JN);
  * LDM/STM/PUSH/POP: single-issue, ceil(registers/2) cycles, +1 for an even register count stored
    to an address that is not 8-byte aligned (JN);
  * branches issue as the older instruction and pair with the next instruction on the predicted
    path; a misprediction costs 8 cycles, 6 when the flags were set >= 3 cycles before the branch
    (JN); IT behaves like a predicted not-taken branch (JN); prediction is static (ASSUMPTION).

Every number of the model is a field of :class:`CM7Timing` (``isasim exec --timing key=value``,
an experiment's ``timing:``); the instruction classes are the table ``CLASSES`` (mnemonics ->
class, resources, latency field, flags) read by :func:`classify`.

Cross-block state is captured exactly in a small hashable "state" (relative register ready times,
the open issue slot and what its older instruction uses, pending branch, store-buffer occupancy). A
block's effect for a given entry state and given access address bits is computed once and cached,
so the fast path (one hook per block) and the trace path (one hook per instruction) give identical
cycle counts by construction (and a test checks it).
"""
from dataclasses import dataclass, fields
from types import MappingProxyType

from capstone import CS_ARCH_ARM, CS_MODE_THUMB, CS_MODE_MCLASS, Cs
from capstone import arm_const as A

from ..errors import SimError

ISSUE_WIDTH = 2                 # LM IssueWidth = 2 (§2.1); JN: older + younger op
RES_ORDER = ("alu", "load", "store", "mac", "branch", "shift", "simd")
PREDICTORS = ("btfn", "not_taken", "taken")
STALL_KINDS = ("load_use", "mac_resource", "branch_mispredict", "dependency", "resource",
               "bank_conflict", "unaligned", "store_buffer")


# ---------------------------------------------------------------------------------------------
# Parameters. Every number names its source.
# ---------------------------------------------------------------------------------------------
@dataclass
class CM7Timing:
    """All knobs of the Cortex-M7 cycle model. ``override(**kw)`` changes them with checks."""
    # -- branches
    predictor: str = "btfn"         # ASSUMPTION (§2.4: the real BTAC is undocumented): static
    #   backward-taken / forward-not-taken for conditional branches, direct unconditional branches
    #   always predicted, indirect branches (BX/POP pc/LDR pc/MOV pc/TBB) always mispredicted when
    #   taken. Alternatives: "not_taken", "taken" (all conditional branches).
    mispredict_penalty: int = 8     # JN "branching/cmp": misprediction penalty 8 cycles (the
    #   next instruction issues this many cycles after the branch). LM says 4 ("forward is
    #   really 6"): the measurement wins.
    mispredict_penalty_early_flags: int = 6   # JN: 6 cycles when the flags (CBZ/CBNZ: the
    #   register) were set at least flags_early_cycles before the branch
    flags_early_cycles: int = 3     # JN: "at least 3 cycles before branch"
    not_taken_branch_pairs: int = 1   # JN: a not-taken branch dual-issues with the next instruction
    taken_branch_pairs: int = 1     # JN: a predicted taken branch dual-issues with one instruction at
    #   its target (JN: "highly sensitive to alignment"; ASSUMPTION: always, set 0 for never)
    # -- per-cycle resource limits, LM ProcResource defs (§2.1, §2.3 rule 2), JN
    alu_units: int = 2              # 2 ALU (LM M7UnitALU)
    load_units: int = 2             # load pipes LoadL/LoadH (LM M7UnitLoadL/H); JN: two loads pair
    store_units: int = 1            # 1 store pipe (LM M7UnitStore); JN: two stores never pair
    mac_units: int = 1              # 1 MAC (LM M7UnitMAC); JN: MUL/MAC never pair with each other
    branch_units: int = 1           # 1 branch unit (LM M7UnitBranch)
    shift_units: int = 1            # EX1 shifter of operand 2 / bit-field ops (LM M7UnitShift1; JN
    #   operand-2 matrix: shifted constants and inline-shifted registers never pair)
    simd_units: int = 1             # DSP/bit-field unit (LM M7UnitSIMD; JN: DSP/bit-field
    #   instructions never dual-issue with each other)
    mac_store_pair: int = 0         # JN: MUL/MAC cannot dual-issue with a store (0 = never, 1 = may)
    # -- result latencies (a result issued at t with latency L is readable by a late consumer at
    #    t + L, by an early consumer at t + L + early_read)
    lat_alu: int = 1                # LM WriteALU; JN: late ALU result -> late ALU next cycle
    lat_early_alu: int = 0          # JN: an early-ALU result is forwarded to the late ALU in 0
    #   cycles (a dependent younger instruction issues in the same cycle)
    lat_alu_si: int = 1             # LM WriteALUsi (ALU with shifted register operand)
    lat_cmp_si: int = 2             # LM WriteCMPsi (compare with shifted operand)
    lat_mul: int = 2                # LM WriteMUL16/32/64; JN: "1 additional cycle of result latency"
    lat_mac: int = 2                # LM WriteMAC16/32; JN: same
    lat_div: int = 7                # LM WriteDIV (GM: 4); no measurement
    lat_load_word: int = 1          # LM WriteLd; JN: a word load is consumable by the late ALU next cycle
    lat_load_subword: int = 2       # LM M7SlowLoad; JN: byte/half loads: second cycle (late ALU)
    lat_load_dual: int = 1          # LM t2LDRDi, M7LoadLatency1
    lat_load_multi: int = 1         # JN: registers of LDM/VLDM: "1 cycle to anything else" after
    #   the cycle that loads them (ASSUMPTION: two registers per cycle, in list order)
    lat_base_update: int = 0        # LM M7BaseUpdate; JN: the AGU's pre/post-index result is an
    #   early-ALU result (address of the next load in the next cycle)
    lat_simd1: int = 1              # LM M7WriteSIMD1 / M7WriteShSIMD1 (SXT*, SADD16, PKHBT, SBFX...)
    lat_simd2: int = 2              # LM M7WriteSIMD2 / M7WriteShSIMD2 (QADD*, USAD8, SSAT...)
    lat_simd0: int = 0              # LM M7WriteShSIMD0; JN: REV*/RBIT forward to the late ALU in 0
    #   cycles, and are not readable by an early consumer in the next cycle
    lat_slot0: int = 1              # LM M7Slot0Only (CLZ, BFI/BFC); JN: in the DSP/bit-field group
    lat_sys: int = 3                # LM M7NonGeneralPurpose (MRS/MSR/barriers/BKPT/UDF...)
    # -- operand read times
    early_read: int = 1             # JN: early consumers need a result 1 cycle earlier than late
    #   ones (LM M7Read_ISS / M7Ex1ReadNoFastBypass agree)
    acc_late_read: int = 1          # JN: the accumulator is read one stage after the late ALU
    #   (LM ReadMAC advance 1 agrees)
    mac_load_extra: int = 1         # JN: MUL/MAC "can't consume ldr result from previous cycle":
    #   multiplicands from a word load wait this many more cycles than a late ALU consumer
    early_op_load_extra: int = 1    # JN: a word load is not consumable next cycle by an
    #   instruction that reads any operand early (shifted operand 2, UXTAB...)
    store_data_wait: int = 0        # JN: "can store any result in same cycle, including ldr, ldrh,
    #   ldrb": store data is read this many cycles after its producer issued (LM M7Read_EX2: late)
    # -- loads
    load_bank_conflict: int = 1     # JN: two loads dual-issue only to different banks (even/odd
    #   word); 1 = enforce, 0 = ignore
    unaligned_load_older: int = 3   # JN: an unaligned load costs +3 cycles as the older op
    unaligned_load_younger: int = 4  # JN: +4 as the younger op or when both loads are unaligned
    unaligned_load_relief: int = 1  # JN: -1 if the other load is aligned and targets the bank the
    #   unaligned one accesses first
    # -- stores (byte, halfword and unaligned stores: read-modify-write, no merging; JN "stores")
    sb_entries: int = 5             # JN: the store buffer clogs after 5 consecutive stores
    sb_rmw_cycles: int = 4          # ASSUMPTION fitted to JN: a buffered store occupies its bank (an
    #   unaligned word store both banks) for 4 cycles; this reproduces JN's 4 cycles/store to one
    #   bank, 2 alternating banks, 2 for unit-stride STRH and 4 for unaligned stores (unit-stride
    #   STRB: 2.0 here, 2.4 measured)
    # -- issue cycles
    occ_table_branch: int = 2       # LM M7TableLoad: TBB/TBH 2 issue cycles
    ldm_regs_per_cycle: int = 2     # JN: LDM/STM/PUSH/POP take ceil(registers/2) cycles
    stm_unaligned_extra: int = 1    # JN: STM (STRD, PUSH) of an even register count to an
    #   address that is not 8-byte aligned takes 1 more cycle
    # -- memories outside the TCMs (isasim.cores.cm7.memory; docs/cm7.md "Memory hierarchy").
    #    ITCM/DTCM: 0 wait states (DS12110 §3.3.2), no parameter. Everything below is an
    #    ASSUMPTION (no published cycle counts, cm7_measured.md §4), with its plausible range.
    flash_wait_states: int = 2      # cm7_measured.md §3: FLASH_ACR latency 2 wait states at
    #   400 MHz (the papers' group's set-up); a flash read takes wait states + 1 AXI clocks
    axi_clock_div: int = 2          # ASSUMPTION (1-2): core clock / AXI clock (200 MHz AXI at a
    #   400 MHz core: the bus-matrix maximum)
    axi_latency: int = 2            # ASSUMPTION (1-4 AXI clocks): request to first data through
    #   the AXI bus matrix
    axisram_access: int = 1         # ASSUMPTION (1-2 AXI clocks): AXI SRAM read
    ahb_bridge_latency: int = 2     # ASSUMPTION (1-4 AXI clocks): extra for SRAM1-4 behind the
    #   AXI->AHB bridges (stm32h743xx.h: "over AXI->AHB Bridge")
    uncached_store: int = 0         # ASSUMPTION (0 to a first access): an uncached or
    #   write-through store is posted (AXI write buffer) and does not stall
    dcache_writeback: int = 0       # ASSUMPTION (0 to a line transfer): the write-back of an
    #   evicted dirty line is buffered and does not stall

    # The stated ranges of parameters whose value no measurement fixes (ASSUMPTION ranges from
    # the comments above, sources that disagree): name -> (fast end, slow end), the value of each
    # end that should give fewer / more cycles. Results report the cycles at the two corners
    # (every ranged parameter at its fast end / at its slow end): cycles_fast, cycles_slow
    # (docs/explorer.md "Uncertainty"). predictor (not a number), uncached_store and
    # dcache_writeback (no single number at their slow end) are not ranged.
    RANGES = MappingProxyType({
        "taken_branch_pairs": (1, 0),    # ASSUMPTION "always, set 0 for never"
        "lat_div": (4, 7),               # LM 7, GM 4, no measurement
        "axi_clock_div": (1, 2),         # ASSUMPTION (1-2)
        "axi_latency": (1, 4),           # ASSUMPTION (1-4 AXI clocks)
        "axisram_access": (1, 2),        # ASSUMPTION (1-2 AXI clocks)
        "ahb_bridge_latency": (1, 4),    # ASSUMPTION (1-4 AXI clocks)
    })

    _MIN = MappingProxyType({"ldm_regs_per_cycle": 1, "occ_table_branch": 1, "sb_entries": 1,
                             "axi_clock_div": 1, "axisram_access": 1})
    _MAX = MappingProxyType({"not_taken_branch_pairs": 1, "taken_branch_pairs": 1,
                             "mac_store_pair": 1, "load_bank_conflict": 1})

    def __post_init__(self):
        self._check(self.as_dict())

    @classmethod
    def names(cls):
        n = cls.__dict__.get("_names")
        if n is None:
            n = [f.name for f in fields(cls)]
            cls._names = n
        return list(n)

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
            hi = self._MAX.get(k)
            if hi is not None and v > hi:
                raise SimError(f"cm7 timing: '{k}' must be 0 or 1, got {v}")
            out[k] = v
        return out

    def override(self, **kw):
        """Set the given knobs (names, types and ranges checked first; one-line SimError)."""
        for k, v in self._check(kw).items():
            setattr(self, k, v)
        return self

    def as_dict(self):
        # every knob is an int or a str: a shallow dict is dataclasses.asdict (which deep-copies;
        # 13x slower, and a re-timing makes a few)
        return {k: getattr(self, k) for k in self.names()}

    def key(self):
        """The values of all knobs (hashable): equal keys, equal schedules."""
        return tuple(getattr(self, k) for k in self.names())

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

# operand read classes (how long after the producer an operand can be read)
R_L, R_E, R_M, R_A, R_S = range(5)     # late ALU, early, multiplicand, accumulator, store data
# producer kinds (special consumers): ordinary, word load, AGU base write-back
K_NORM, K_WLOAD, K_AGU = range(3)
# what the older instruction of the open cycle uses (bit flags of the scheduler's open state)
O_SHIFT, O_PLAIN_SHIFT, O_MAC, O_STORE = 1, 2, 4, 8


@dataclass(frozen=True)
class Klass:
    """One instruction class: what the scheduler needs besides the register operands."""
    cls: str                    # class name
    res: tuple                  # pipeline resources used in the issue cycle
    lat: str                    # CM7Timing field: result latency
    single: bool = False        # pairs with nothing (JN "load/store pair/multiple"; LM)
    begin_group: bool = False   # only the older instruction of a pair (JN DSP; LM BeginGroup)
    load: bool = False          # result from memory (load-use attribution)
    wload: bool = False         # a word load (JN: special consumers wait one more cycle)
    mac: bool = False           # uses the MAC unit
    occ: str = None             # CM7Timing field: issue cycles
    occ_regs: int = -1          # >= 0: issue cycles from the register list (value = registers of
    #                             the operand list that are not transferred, i.e. the base)
    acc: str = ""               # accumulator operands: "last" (Ra) or "pair" (RdLo, RdHi)
    shifted_lat: str = None     # ALU: latency field with a shifted register operand
    flags: bool = False         # writes the flags even without an S suffix
    branch: str = ""            # "pcrel" (B/BL/CBZ, target immediate) or "indirect" (BX/BLX)
    early: str = ""             # JN: executes in the early ALU: "older" (ADD/SUB/MOV, only as
    #                             the older op) or "any" (plain shifts, either slot)
    plain_shift: bool = False   # LSL/LSR/ASR/ROR (JN operand-2 matrix rows "shift by ...")
    bit_shift: bool = False     # bit-field op using the EX1 shifter (JN: BFI, SBFX, REV, SXTA...)
    early_srcs: str = ""        # JN: sources read early: "all", "last" (extracted operand Rm),
    #                             "rn_rm" (PKHTB: both)
    rev: bool = False           # JN: REV*/RBIT: early result, not early-readable next cycle
    store: bool = False         # a store (data operands read as store data)
    it: bool = False            # IT: a predicted not-taken branch (JN)


_LOADW = Klass("load", ("load",), "lat_load_word", load=True, wload=True)
_STORE = Klass("store", ("store",), "lat_alu", store=True)
_SINGLE_STORE = Klass("store", ("store",), "lat_alu", single=True, store=True)
_LDM = Klass("ldm", ("load",), "lat_load_multi", load=True, wload=True, single=True, occ_regs=1)
_STM = Klass("stm", ("store",), "lat_alu", single=True, occ_regs=1, store=True)
_DSP1 = Klass("simd", ("simd",), "lat_simd1", begin_group=True)
_DSP2 = Klass("simd", ("simd",), "lat_simd2", begin_group=True)
_SYS = Klass("sys", (), "lat_sys", single=True)
ALU = Klass("alu", ("alu",), "lat_alu", shifted_lat="lat_alu_si")             # LM WriteALU/WriteALUsi

# mnemonic set -> class; a mnemonic listed twice keeps its first class
CLASSES = (
    ("ldr ldrt", _LOADW),
    ("ldrex ldrexb ldrexh", Klass("load", ("load",), "lat_load_word", load=True, wload=True,
                                  single=True)),
    ("ldrb ldrh ldrsb ldrsh ldrbt ldrht ldrsbt ldrsht",
     Klass("load", ("load",), "lat_load_subword", load=True)),                # LM M7SlowLoad, JN
    ("ldrd", Klass("load", ("load",), "lat_load_dual", load=True, wload=True, single=True)),
    ("str strb strh strt strbt strht", _STORE),
    ("strex strexb strexh", _SINGLE_STORE),
    ("strd", Klass("stm", ("store",), "lat_alu", single=True, store=True)),   # JN: pair/multiple
    ("ldm ldmia ldmdb ldmfd ldmea", _LDM),
    ("pop", Klass("ldm", ("load",), "lat_load_multi", load=True, wload=True, single=True,
                  occ_regs=0)),
    ("stm stmia stmdb stmfd stmea", _STM),
    ("push", Klass("stm", ("store",), "lat_alu", single=True, occ_regs=0, store=True)),
    ("mul muls smulbb smulbt smultb smultt smulwb smulwt smuad smuadx smusd smusdx smull umull "
     "smmul smmulr", Klass("mul", ("mac",), "lat_mul", mac=True)),             # LM WriteMUL, JN
    ("mla mls smlabb smlabt smlatb smlatt smlawb smlawt smlad smladx smlsd smlsdx smmla smmlar "
     "smmls smmlsr", Klass("mac", ("mac",), "lat_mac", mac=True, acc="last")),  # LM WriteMAC, JN
    ("smlal umlal smlalbb smlalbt smlaltb smlaltt smlald smlaldx smlsld smlsldx umaal",
     Klass("mac", ("mac",), "lat_mac", mac=True, acc="pair")),
    ("sdiv udiv", Klass("div", (), "lat_div", single=True)),                  # LM WriteDIV
    # JN "bitfield and DSP instructions except multiplication": one per cycle, older op only
    ("sxtb sxth uxtb uxth sxtb16 uxtb16 sadd16 ssub16 sadd8 ssub8 uadd16 usub16 uadd8 usub8 sasx "
     "ssax uasx usax sel shadd16 shsub16 shadd8 shsub8 uhadd16 uhsub16 uhadd8 uhsub8 shasx shsax "
     "uhasx uhsax", _DSP1),
    ("sxtab16 uxtab16 sxtab sxtah uxtab uxtah pkhbt",
     Klass("simd", ("simd", "shift"), "lat_simd1", begin_group=True, bit_shift=True,
           early_srcs="last")),                                               # JN: Rm read early
    ("pkhtb", Klass("simd", ("simd", "shift"), "lat_simd1", begin_group=True, bit_shift=True,
                    early_srcs="rn_rm")),                                     # JN: Rn too
    ("sbfx ubfx", Klass("simd", ("simd", "shift"), "lat_simd1", begin_group=True, bit_shift=True,
                        early_srcs="all")),                                   # JN: early ALU
    ("qadd16 qsub16 qadd8 qsub8 uqadd16 uqsub16 uqadd8 uqsub8 qasx qsax uqasx uqsax usad8 usada8 "
     "qadd qsub ssat usat ssat16 usat16 qdadd qdsub", _DSP2),
    ("rev rev16 revsh rbit", Klass("simd", ("simd", "shift"), "lat_simd0", begin_group=True,
                                   bit_shift=True, early_srcs="all", rev=True)),
    ("clz", Klass("simd", ("simd",), "lat_slot0", begin_group=True)),
    ("bfi", Klass("simd", ("simd", "shift"), "lat_slot0", begin_group=True, bit_shift=True,
                  early_srcs="last")),                                        # JN: Rn extracted
    ("bfc", Klass("simd", ("simd", "shift"), "lat_slot0", begin_group=True, bit_shift=True)),
    ("tbb tbh", Klass("branch", ("load", "branch"), "lat_alu", single=True, occ="occ_table_branch",
                      branch="indirect")),      # LM M7TableLoad; target from a table: indirect
    ("it", Klass("it", ("branch",), "lat_alu", it=True)),                     # JN: like a branch
    ("mrs dmb dsb isb svc bkpt udf clrex wfi wfe sev yield cpsid cpsie", _SYS),
    ("nop", Klass("alu", ("alu",), "lat_alu")),        # JN: no NOP elimination; NOPs pair
    ("msr", Klass("sys", (), "lat_sys", single=True, flags=True)),
    ("b bl cbz cbnz", Klass("branch", ("branch",), "lat_alu", branch="pcrel")),
    ("bx blx", Klass("branch", ("branch",), "lat_alu", branch="indirect")),
    ("lsl lsr asr ror lsls lsrs asrs rors",
     Klass("alu", ("alu",), "lat_alu", early="any", plain_shift=True)),       # JN: early ALU
    ("rrx rrxs", Klass("alu", ("alu",), "lat_alu", plain_shift=True)),        # JN: "except rrx"
    ("add adds sub subs addw subw mov movs movw",
     Klass("alu", ("alu",), "lat_alu", shifted_lat="lat_alu_si", early="older")),
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
                 "branch", "target", "fallthrough", "is_load", "is_mac", "cls", "early",
                 "oflags", "sh_op2", "has_early", "mem", "msize", "sb_store", "stm_even",
                 "it", "cond", "cbz_reg", "is_store", "word_load", "needs_addr", "aeff", "nregs",
                 "mnem", "lanes")

    def __init__(self, pc, size, text):
        self.pc = pc
        self.size = size
        self.text = text
        self.srcs = ()          # ((reg, read class R_*), ...)
        self.dsts = ()          # ((reg, late latency, early latency - late latency, kind), ...)
        self.res = ()           # ((resource index, count), ...)
        self.begin_group = False
        self.single = False
        self.occ = 1            # issue cycles
        self.branch = None      # None | 'cond' | 'direct' | 'indirect'
        self.target = None
        self.fallthrough = pc + size
        self.is_load = False
        self.is_mac = False
        self.is_store = False
        self.word_load = False
        self.cls = "alu"
        self.early = ""         # "older" / "any": may execute in the early ALU (JN)
        self.oflags = 0         # O_* flags it sets as the older op of a cycle
        self.sh_op2 = False     # needs the EX1 operand-2 shifter (shifted register / constant)
        self.has_early = False  # reads at least one operand early
        self.needs_addr = False  # a rule needs its access address bits (bank, alignment)
        self.mem = None         # address recipe (isasim.cores.cm7.addrs, filled in by the core)
        self.aeff = None        # register effects for the address analysis (same)
        self.nregs = 0          # registers transferred (LDM/STM/PUSH/POP)
        self.msize = 0          # bytes per access (loads/stores)
        self.sb_store = False   # byte/halfword store (store buffer; unaligned word stores too)
        self.stm_even = False   # STM/PUSH/STRD of an even register count (8-byte alignment rule)
        self.it = False
        self.cond = False       # conditional (in an IT block), not a branch
        self.cbz_reg = None     # CBZ/CBNZ: the register whose producer sets the penalty
        self.mnem = text.split()[0] if text else "?"   # op counts: capstone's, no .w/.n
        self.lanes = None       # SIMD multiply: (a reg, b reg, lanes, lane bits, signed a, signed b,
        #                         exchange) for the lane profile (isasim.cores.cm7.lanes)

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


def rotated_immediate(insn):
    """True for a T32 data-processing instruction whose immediate is a rotated 8-bit value (JN
    "shifted constant": uses the operand-2 shifter), False for plain 8-bit, the 0x00XY00XY /
    0xXY00XY00 / 0xXYXYXYXY patterns, 12-bit ADDW/SUBW and 16-bit encodings."""
    if insn.size != 4:
        return False
    b = bytes(insn.bytes)
    hw1 = b[0] | (b[1] << 8)
    hw2 = b[2] | (b[3] << 8)
    # data processing (modified immediate): hw1 11110 x 0 xxxxx, hw2 bit 15 = 0
    if (hw1 & 0xFA00) != 0xF000 or (hw2 & 0x8000):
        return False
    i = (hw1 >> 10) & 1
    imm3 = (hw2 >> 12) & 7
    return ((i << 3) | imm3) >= 4


def trap_desc(d, cost):
    """Fill ``d`` from the Cost of an instruction a plug-in handler implements (its register
    operands come from the trap decoder / plug-in description, not from capstone). A plug-in that
    uses the MAC resource follows the MAC rules (ASSUMPTION: multiplicands and accumulator read
    like SMLAD's, no pairing with a store)."""
    d.cls = "trap"
    d.occ = max(1, cost.occupancy)
    d.single = not cost.dual_issue
    d.begin_group = cost.begin_group
    mac = cost.resource == "mac"
    d.is_mac = mac
    acc = set(cost.reads) & set(cost.writes)
    d.srcs = tuple((r, (R_A if r in acc else R_M) if mac else R_L) for r in cost.reads)
    d.dsts = tuple((r, cost.latency, 1, K_NORM) for r in cost.writes)
    d.res = _res(cost.resource) if cost.resource else ()
    d.oflags = O_MAC if mac else 0
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
    d.mnem = mn
    try:
        rd, wr = insn.regs_access()
    except Exception:  # pragma: no cover - capstone lacks access info for a few encodings
        rd, wr = [], []
    reads = [_reg(insn, r) for r in rd]
    writes = [_reg(insn, r) for r in wr]
    reads = [r for r in reads if r is not None and r != 15]
    writes = [r for r in writes if r is not None]
    ops = insn.operands
    # conditional: in an IT block (capstone knows only when it decoded the IT instruction with
    # it: the core does). IT itself reports its first condition but reads no flags.
    cond = insn.cc not in (A.ARM_CC_AL, A.ARM_CC_INVALID) and insn.id != A.ARM_INS_IT
    if trap_cost is not None:
        # register operands of a trapped instruction are declared by the trap decoder
        trap_desc(d, trap_cost)
        d.cond = cond
        if cond:
            d.srcs = d.srcs + ((FLAGS, R_L),)
        return d
    k = CLASS_OF.get(mn) or CLASSES_BY_ID.get(insn.id) or ALU
    lat = getattr(timing, k.lat)
    res = k.res
    d.single = k.single
    d.begin_group = k.begin_group
    d.is_load = k.load
    d.word_load = k.wload
    d.is_mac = k.mac
    d.is_store = k.store
    d.it = k.it
    cls = k.cls
    regops = [_reg(insn, op.reg) for op in ops if op.type == A.ARM_OP_REG]
    early = set()
    late = set()       # accumulators
    mem_base = None
    for op in ops:
        if op.type == A.ARM_OP_MEM:
            if op.mem.base:
                mem_base = _reg(insn, op.mem.base)
                early.add(mem_base)                          # AGU (JN: early)
            if op.mem.index:
                early.add(_reg(insn, op.mem.index))
    if cls in ("ldm", "stm"):
        base = 13 if mn in ("push", "pop") else (regops[0] if regops else None)
        if base is not None:
            early.add(base)
            mem_base = base
    if k.occ:
        d.occ = getattr(timing, k.occ)
    nregs = 0
    if k.occ_regs >= 0:
        nregs = len(regops) - k.occ_regs
        per = timing.ldm_regs_per_cycle
        d.occ = max(1, (nregs + per - 1) // per)
        d.stm_even = cls == "stm" and nregs % 2 == 0
    if mn == "strd":
        d.stm_even = True
    if k.acc:
        if k.acc == "pair":
            late.update(regops[:2])                          # RdLo/RdHi accumulate
        elif len(regops) >= 4:
            late.add(regops[-1])                             # Ra
    if k.early_srcs == "all":
        early.update(r for r in regops[1:])
    elif k.early_srcs == "last" and len(regops) >= 2:
        early.add(regops[-1] if mn != "bfi" else regops[1])
    elif k.early_srcs == "rn_rm":
        early.update(regops[1:3])
    shifted = any(op.type == A.ARM_OP_REG and op.shift.type != 0 for op in ops) and \
        cls == "alu" and not k.plain_shift
    if k.shifted_lat and shifted:
        lat = getattr(timing, k.shifted_lat)
        for op in ops:
            if op.type == A.ARM_OP_REG and op.shift.type != 0:
                early.add(_reg(insn, op.reg))                # read in EX1 (JN operand 2)
                if op.shift.type >= A.ARM_SFT_ASR_REG:       # register-specified shift amount
                    early.add(_reg(insn, op.shift.value))
    if cls == "alu" and not k.plain_shift and (shifted or rotated_immediate(insn)):
        d.sh_op2 = True                                      # JN: operand-2 shifter
        res = tuple(res) + ("shift",)
    elif k.early and not shifted:
        d.early = k.early
    if mn in ("add", "adds", "sub", "subs", "addw", "subw") and 15 in [
            _reg(insn, op.reg) for op in ops if op.type == A.ARM_OP_REG]:
        d.early = ""                                         # ADR: a PC-relative constant
    pc_write = 15 in writes
    # branches
    if k.branch == "pcrel":
        imm = [op.imm for op in ops if op.type == A.ARM_OP_IMM]
        d.target = imm[-1] if imm else None
        d.branch = "cond" if (cond or mn in ("cbz", "cbnz")) else "direct"
        if mn in ("cbz", "cbnz") and regops:
            d.cbz_reg = regops[0]
        cls = "branch"
        res = ("branch",)
    elif k.branch == "indirect" or pc_write:
        d.branch = "indirect"
        if cls == "alu":
            cls = "branch"
            res = ("branch",)
    if mn == "bl":
        d.branch = "direct"
    d.cond = cond and d.branch != "cond"
    # flags
    if insn.update_flags or k.flags:
        writes.append(FLAGS)
    if d.cond:
        reads.append(FLAGS)             # conditional execution in an IT block reads the flags
    # Conditional branches do not wait for the flags: the branch is predicted at fetch and
    # resolved later; the distance to the flag-setting instruction sets the penalty (JN).
    # sources: one (register, read class) per role; the scheduler waits for the latest
    if mn == "strd":
        store_data = set(regops[:2])
    elif cls == "stm":
        store_data = set(regops if k.occ_regs == 0 else regops[1:])
    elif d.is_store:
        store_data = set(regops[:1])
    else:
        store_data = set()
    srcs = set()
    for r in reads:
        if r in early:
            srcs.add((r, R_E))
        if r in late:
            srcs.add((r, R_A))
        elif r in store_data:
            srcs.add((r, R_S))
        elif r not in early:
            srcs.add((r, R_M if d.is_mac else R_L))
    d.srcs = tuple(sorted(srcs))
    d.has_early = any(c == R_E for _, c in d.srcs)
    dsts = {}
    base_lat = timing.lat_base_update                        # M7BaseUpdate (AGU)
    for i, r in enumerate(writes):
        if r == 15:
            continue
        if r == mem_base and (insn.writeback or cls in ("ldm", "stm")) and \
                (cls != "ldm" or r not in regops[k.occ_regs:]):
            dsts[r] = (r, base_lat, timing.early_read, K_AGU)          # base write-back
        elif cls == "stm":
            dsts[r] = (r, base_lat, timing.early_read, K_AGU)
        elif cls == "ldm":
            j = regops[k.occ_regs:].index(r) if r in regops[k.occ_regs:] else 0
            per = timing.ldm_regs_per_cycle
            dsts[r] = (r, j // per + lat, timing.early_read, K_WLOAD)
        elif r == FLAGS:
            dsts[r] = (r, lat, timing.early_read, K_NORM)      # JN: flags are set late
        else:
            dE = timing.early_read + (1 if k.rev else 0)
            dsts[r] = (r, lat, dE, K_WLOAD if k.wload else K_NORM)
    d.dsts = tuple(sorted(dsts.values()))
    d.res = _res(*res)
    d.cls = cls
    d.oflags = (O_SHIFT if (d.sh_op2 or k.bit_shift) else 0) | \
        (O_PLAIN_SHIFT if k.plain_shift else 0) | (O_MAC if d.is_mac else 0) | \
        (O_STORE if d.is_store else 0)
    # memory access: the rules that need its address bits (the core adds the address recipe)
    d.nregs = nregs
    if d.is_load or d.is_store:
        d.msize = 1 if mn in ("ldrb", "ldrsb", "strb", "ldrbt", "ldrsbt", "strbt", "ldrexb",
                               "strexb") else \
            2 if mn in ("ldrh", "ldrsh", "strh", "ldrht", "ldrsht", "strht", "ldrexh",
                        "strexh") else 4
        d.sb_store = mn in ("str", "strb", "strh", "strt", "strbt", "strht")
        d.needs_addr = (cls == "load" and not d.single) or d.sb_store or d.stm_even
    if d.branch is not None:
        d.fallthrough = insn.address + insn.size
    return d


# ---------------------------------------------------------------------------------------------
# Scheduler
# ---------------------------------------------------------------------------------------------
_MAC = RES_ORDER.index("mac")
_NEVER = -1000
_STALL_INDEX = {k: i for i, k in enumerate(STALL_KINDS)}


class Scheduler:
    """In-order dual-issue scheduler working on absolute cycles.

    ``cyc`` is the issue cycle of the most recent instruction; ``open`` tells whether the next
    instruction may still issue in that cycle as the younger op; ``used`` the resources used in it
    and ``ostate`` what its older op was (flags O_*, load bank and alignment).

    Register timing: ``rl[r]`` is the cycle a late consumer can issue, ``re[r]`` the cycle an early
    consumer can, ``kind[r]`` the producer kind (K_*: special consumers of word loads and AGU
    results), ``wcyc[r]`` the producer's issue cycle (store data, branch flag distance).
    """

    def __init__(self, timing):
        self.t = timing
        self.predictor = timing.predictor
        self.limits = timing.unit_limits()
        self.reset()

    def reset(self):
        self.cyc = -1
        self.open = False
        self.used = [0] * len(RES_ORDER)
        self.ostate = (0, -1, 0)       # older op of the open cycle: (O_* flags, bank, unaligned)
        self.rl = [_NEVER] * NREGS
        self.re = [_NEVER] * NREGS
        self.kind = [K_NORM] * NREGS
        self.isload = [False] * NREGS
        self.wcyc = [_NEVER] * NREGS
        self.pending = None     # (kind, predicted_taken, fallthrough, always_miss, penalty)
        self.min_next = 0       # earliest cycle for the next issue in a new cycle
        self.sb_bank = [_NEVER, _NEVER]   # store buffer: cycle each bank is free again
        self.sb_done = ()       # store buffer: completion cycles of the entries not yet done
        self.stalls = dict.fromkeys(STALL_KINDS, 0)
        self.dual = 0
        self.mispredicts = 0
        self.branches = 0

    # -- state capture (relative to cyc), used as the cache key of block transitions
    def state(self):
        c = self.cyc
        t = self.t
        hold = t.flags_early_cycles + t.store_data_wait
        wload_extra = max(t.mac_load_extra, t.early_op_load_extra)
        regs = []
        for r in range(NREGS):
            w = c - self.wcyc[r]
            # the latest cycle any consumer class may still have to wait for (see _need and the
            # early-ALU test: AGU results are early-ALU-ready one cycle after re)
            extra = {K_WLOAD: wload_extra, K_AGU: 1}.get(self.kind[r], 0)
            if self.rl[r] + extra > c or self.re[r] + extra > c or w < hold:
                regs.append((r, self.rl[r] - c, self.re[r] - c, self.kind[r], self.isload[r],
                             min(w, hold)))
        sb_done = tuple(x - c for x in self.sb_done if x > c)
        sb_bank = tuple(max(b - c, 0) for b in self.sb_bank)
        return (self.open, (tuple(self.used), self.ostate) if self.open else None, self.pending,
                max(self.min_next - c, 0), tuple(regs), sb_done, sb_bank)

    def load_state(self, st):
        self.cyc = 0
        self.open, o, self.pending, mn, regs, sb_done, sb_bank = st
        if o is not None:
            self.used = list(o[0])
            self.ostate = o[1]
        else:
            self.used = [0] * len(RES_ORDER)
            self.ostate = (0, -1, 0)
        self.min_next = mn
        self.rl = [_NEVER] * NREGS
        self.re = [_NEVER] * NREGS
        self.kind = [K_NORM] * NREGS
        self.isload = [False] * NREGS
        self.wcyc = [_NEVER] * NREGS
        for r, rl, re_, kind, il, w in regs:
            self.rl[r] = rl
            self.re[r] = re_
            self.kind[r] = kind
            self.isload[r] = il
            self.wcyc[r] = -w
        self.sb_done = sb_done
        self.sb_bank = list(sb_bank)

    def _predict(self, d):
        if d.branch == "indirect":
            return False, True          # (predicted taken, always mispredicted when taken)
        if d.branch == "direct":
            return True, False
        if self.predictor == "btfn":
            return (d.target is not None and d.target <= d.pc), False
        return self.predictor == "taken", False

    def _need(self, r, c, d):
        """Earliest issue cycle for reading register ``r`` with read class ``c`` by ``d``."""
        t = self.t
        k = self.kind[r]
        if c == R_L:
            n = self.rl[r]
            if k == K_WLOAD and d.has_early:
                n += t.early_op_load_extra                  # JN: word load -> early-reading op
            return n
        if c == R_E:
            return self.re[r]
        if c == R_M:
            return self.rl[r] + (t.mac_load_extra if k == K_WLOAD else 0)
        if c == R_A:
            return self.rl[r] - t.acc_late_read
        return self.wcyc[r] + t.store_data_wait             # R_S

    def _pair_ok(self, d, a):
        """May ``d`` (access address bits ``a``) issue as the younger op of the open cycle?"""
        if d.begin_group or d.single or d.branch is not None or d.it:
            return False, None
        used = self.used
        for ri, n in d.res:
            if used[ri] + n > self.limits[ri]:
                return False, ("mac_resource" if ri == _MAC else "resource")
        of, obank, _ = self.ostate
        t = self.t
        if not t.mac_store_pair and ((d.is_mac and of & O_STORE) or (d.is_store and of & O_MAC)):
            return False, "mac_resource" if d.is_mac else "resource"
        if d.sh_op2 and of & O_PLAIN_SHIFT:
            return False, "resource"                        # JN: shift (older) + operand-2 shift
        if (t.load_bank_conflict and d.is_load and a is not None and obank >= 0 and
                not self._unaligned(d, a) and (a >> 2) & 1 == obank):
            return False, "bank_conflict"                   # JN: same bank
        return True, None

    @staticmethod
    def _unaligned(d, a):
        return a is not None and (a & (d.msize - 1)) != 0 and d.msize > 1

    def issue(self, d, a=None):
        """Issue one instruction (``a``: low three bits of its access address, None if it makes
        no access); return its issue cycle."""
        st = self.stalls
        t = self.t
        c = self.cyc
        earliest = c if self.open else c + 1
        if self.pending is not None:
            kind, pred_taken, ft, always_miss, pen = self.pending
            taken = kind == "direct" or d.pc != ft      # B/BL to the next instruction: taken
            self.pending = None
            if (taken and always_miss) or taken != pred_taken:
                self.mispredicts += 1
                st["branch_mispredict"] += c + pen - earliest
                earliest = c + pen
        # operand readiness
        need = earliest
        why = None
        for r, rc in d.srcs:
            n = self._need(r, rc, d)
            if n > need:
                need = n
                why = r
        # structural pairing check (only when the operands would allow the pairing slot)
        if earliest == c and need <= c:
            pair_ok, cause = self._pair_ok(d, a)
            if not pair_ok:
                earliest = c + 1
                if cause:
                    st[cause] += 1
        if earliest > c and self.min_next > earliest:
            earliest = self.min_next
        tt = max(earliest, need)
        if tt > c and self.min_next > tt:
            tt = self.min_next
        if need > earliest and why is not None:
            if self.isload[why]:
                st["load_use"] += tt - earliest
            else:
                st["dependency"] += tt - earliest
        # store buffer (JN: byte/halfword/unaligned stores, read-modify-write per store)
        sb = d.sb_store and a is not None and (d.msize < 4 or a & 3)
        if sb:
            done = sorted(x for x in self.sb_done if x > tt)
            if len(done) >= t.sb_entries:
                adm = done[len(done) - t.sb_entries]
                if tt == c and adm > c:
                    adm = max(adm, self.min_next)
                st["store_buffer"] += adm - tt
                tt = adm
        older = tt != c
        if not older:
            self.dual += 1
            for ri, n in d.res:
                self.used[ri] += n
        else:
            used = [0] * len(RES_ORDER)
            for ri, n in d.res:
                used[ri] += n
            self.used = used
        # early ALU (JN): ADD/SUB/MOV in the older slot, plain shifts in either (if the older op
        # does not use the EX1 shifter), when every input is ready for the early stage
        early = False
        if d.early and (older or (d.early == "any" and not self.ostate[0] & O_SHIFT)):
            early = all(self.re[r] + (1 if self.kind[r] == K_AGU else 0) <= tt
                        for r, rc in d.srcs if rc in (R_L, R_E))
        for r, lat, de, kind in d.dsts:
            if early and r != FLAGS:
                lat = t.lat_early_alu
            self.rl[r] = tt + lat
            self.re[r] = tt + lat + de
            self.kind[r] = kind
            self.isload[r] = d.is_load and lat > 0
            self.wcyc[r] = tt
        # unaligned loads (JN): +3 as older, +4 as younger or both, -1 with an aligned load to
        # the bank the unaligned one accesses first
        unal = d.is_load and d.cls == "load" and self._unaligned(d, a)
        nxt = tt + 1
        if unal:
            extra = t.unaligned_load_older if older else t.unaligned_load_younger
            if not older:
                of, obank, ounal = self.ostate
                if obank >= 0 and (a >> 2) & 1 == obank:
                    extra -= t.unaligned_load_relief
            st["unaligned"] += extra
            self.min_next = max(self.min_next, nxt + extra)
        elif not older and d.is_load and self.ostate[2] and a is not None:
            # the older op was an unaligned load (its +3 is in min_next): aligned younger load
            of, obank, ounal = self.ostate
            if (a >> 2) & 1 == ounal - 1:
                self.min_next -= t.unaligned_load_relief
                st["unaligned"] -= t.unaligned_load_relief
        if sb:
            banks = (0, 1) if (a & 3) + d.msize > 4 or (d.msize == 4 and a & 3) else ((a >> 2) & 1,)
            start = max([tt] + [self.sb_bank[b] for b in banks])
            end = start + t.sb_rmw_cycles
            for b in banks:
                self.sb_bank[b] = end
            self.sb_done = tuple(x for x in self.sb_done if x > tt) + (end,)
        occ = d.occ
        if d.stm_even and a is not None and a & 4:
            occ += t.stm_unaligned_extra                    # JN: STM not 8-byte aligned
            st["unaligned"] += t.stm_unaligned_extra
        if occ > 1:
            self.min_next = max(self.min_next, tt + occ)
        if d.single:
            self.min_next = max(self.min_next, nxt)
        # what the next instruction may pair with
        if older:
            bank = ((a >> 2) & 1) if (d.is_load and a is not None and not unal) else -1
            self.ostate = (d.oflags, bank, (((a >> 2) & 1) + 1) if unal else 0)
            self.open = not d.single and occ == 1
        else:
            self.open = False
        if d.branch is not None:
            self.branches += 1
            pt, am = self._predict(d)
            if d.branch == "indirect":
                pen = t.mispredict_penalty
            else:
                src = d.cbz_reg if d.cbz_reg is not None else FLAGS
                early_flags = tt - self.wcyc[src] >= t.flags_early_cycles
                pen = t.mispredict_penalty_early_flags if early_flags else t.mispredict_penalty
            self.pending = (d.branch, pt, d.fallthrough, am, pen)
            self.open = older and (t.taken_branch_pairs if pt else t.not_taken_branch_pairs) and \
                d.branch != "indirect"
        elif d.it:
            self.open = older and bool(t.not_taken_branch_pairs)
        self.cyc = tt
        return tt

    @property
    def cycles(self):
        return self.cyc + 1


def canonical_bits(d, a):
    """The representative of the access address bits ``a`` (0-7 or None) of ``d`` among those
    the scheduler cannot tell apart under any timing: it reads bit 2 (bank), whether a load is
    unaligned (``_unaligned``), whether a word store is unaligned and whether a halfword store
    crosses a word (the store buffer's banks, ``issue``); nothing else of ``a``. Re-timing merges
    the executions of a block whose address bits differ only in what no rule reads."""
    return canonical_bits_of(canonical_key(d), a)


def canonical_key(d):
    """All that ``canonical_bits`` reads of ``d`` (a re-timing caches its merging on it)."""
    return d.sb_store, d.msize, d.is_load


def canonical_bits_of(key, a):
    """``canonical_bits`` of an instruction whose ``canonical_key`` is ``key``."""
    if a is None:
        return None
    sb_store, msize, is_load = key
    c = a & 4
    if sb_store:
        if msize == 4 and a & 3:
            c |= 1
        elif msize == 2 and a & 3 == 3:
            c |= 3
    elif is_load and msize > 1 and a & (msize - 1):
        c |= 1
    return c


class BlockCache:
    """Cached transitions (block, entry state, access address bits) -> effect."""

    def __init__(self, timing):
        self.sched = Scheduler(timing)
        self.state_ids = {}
        self.states = []
        self.trans = {}          # key -> transition index
        self.trans_info = []     # (block addr, ninsn, dcycles, (stall deltas), dual, mispredicts, branches)
        self.trans_descs = []    # the block's instructions, per transition (op counts)
        self.counts = []         # executions per transition
        self._segs = {}          # (block, first insn, state id, address bits) -> segment effect
        # (segment's Descs, entry state, address bits) -> (exit state, segment effect), shared by
        # the BlockCaches of one timing (``shared_segments``; Descs hash by identity)
        self.shared = None

    def sid(self, st):
        i = self.state_ids.get(st)
        if i is None:
            i = len(self.states)
            self.state_ids[st] = i
            self.states.append(st)
        return i

    def transition_segmented(self, key, addr, descs, sid, abits, seg=8):
        """``transition``, composed of the effects of segments of ``seg`` instructions: segment
        ``i`` from (relative) scheduler state ``s`` with address bits ``b`` is scheduled once per
        (block ``key``, i, s, b) and reused by every later transition that reaches it, whatever
        the instructions before it did. ``state`` is everything ``issue`` reads, relative to the
        last issue cycle, at any instruction boundary (a block boundary is not special to the
        scheduler), so the cycles, stalls and exit state are those of ``transition``; a block
        executed with many address-bit variants whose schedules re-converge is scheduled about
        once per segment instead of once per variant (tests/test_m7x_segments.py compares both)."""
        memo = self._segs
        s = self.sched
        n = len(descs)
        cur = sid
        dcyc = dual = mp = br = 0
        stalls = [0] * len(STALL_KINDS)
        for i in range(0, n, seg):
            ab = abits[i:i + seg]
            k = (key, i, cur, ab)
            r = memo.get(k)
            if r is None:
                sk = None
                if self.shared is not None:
                    sk = (tuple(descs[i:i + seg]), self.states[cur], ab)
                    x = self.shared.get(sk)
                    if x is not None:
                        r = memo[k] = (self.sid(x[0]),) + x[1:]
                if r is None:
                    s.reset()
                    s.load_state(self.states[cur])
                    for d, a in zip(descs[i:i + seg], ab):
                        s.issue(d, a)
                    st = s.stalls
                    nst = s.state()
                    eff = (s.cyc, tuple(st[x] for x in STALL_KINDS), s.dual, s.mispredicts,
                           s.branches)
                    r = memo[k] = (self.sid(nst),) + eff
                    if sk is not None:
                        self.shared[sk] = (nst,) + eff
            cur = r[0]
            dcyc += r[1]
            for j, x in enumerate(r[2]):
                if x:
                    stalls[j] += x
            dual += r[3]
            mp += r[4]
            br += r[5]
        ti = len(self.trans_info)
        self.trans_info.append((addr, n, dcyc, tuple(stalls), dual, mp, br))
        self.trans_descs.append(descs)
        self.counts.append(0)
        return cur, ti

    def transition(self, addr, descs, sid, abits=None):
        """Compute the effect of executing ``descs`` from state ``sid`` with access address bits
        ``abits`` (one entry per desc: 0-7 or None); return (next state id, transition index)."""
        s = self.sched
        s.reset()
        s.load_state(self.states[sid])
        if abits is None:
            abits = (None,) * len(descs)
        for d, a in zip(descs, abits):
            s.issue(d, a)
        return self._finish_transition(addr, descs)

    def _finish_transition(self, addr, descs):
        s = self.sched
        dcyc = s.cyc
        nst = self.sid(s.state())
        info = (addr, len(descs), dcyc, tuple(s.stalls[k] for k in STALL_KINDS), s.dual,
                s.mispredicts, s.branches)
        ti = len(self.trans_info)
        self.trans_info.append(info)
        self.trans_descs.append(descs)
        self.counts.append(0)
        return nst, ti
