"""RI5CY (GAP-8 cluster core) timing model parameters.

Every number cites its row in docs/reference/isa_timing.md §1.7 (which cites the CV32E40P v1
user manual "V1", the RI5CY user manual rev 3.0 "UM" and the RTL). Where sources conflict the
choice is a field of ``RI5CYTiming`` that a user can override (``isasim exec --timing key=value``
or an experiment's ``timing:`` overrides).

The engine charges ``base[timing class]`` cycles per instruction and adds the dynamic effects:
load-use hazard, taken branch, jump, jalr hazard, misaligned access, data-dependent division,
and (cluster) TCDM contention. Stall cycles are counted by cause.
"""
from dataclasses import dataclass, field, asdict, fields

from ..errors import IsasimError


def int_param(owner, name, value, lo):
    """``value`` of timing parameter ``name`` as an int >= ``lo``: an int, or a string holding one
    (the CLI's --timing key=value); anything else is a one-line IsasimError naming the parameter."""
    v = value
    if isinstance(v, str):
        try:
            v = int(v.strip(), 0)
        except ValueError:
            raise IsasimError(f"{owner} parameter '{name}' = {value!r}: not an integer") from None
    elif isinstance(v, bool) or not hasattr(v, "__index__"):
        raise IsasimError(f"{owner} parameter '{name}' = {value!r}: not an integer")
    v = int(v)
    if v < lo:
        raise IsasimError(f"{owner} parameter '{name}' = {v}: must be >= {lo}")
    return v


@dataclass
class RI5CYTiming:
    # §1.7 "ALU, bit-manip, clip, min/max, SIMD ALU, dot-products, p.mac, 16x16 p.mul*/p.mac*: 1"
    alu: int = 1
    # §1.7 "mul: 1 cycle" (V1/V2)
    mul: int = 1
    # §1.7 "mulh, mulhsu, mulhu: 5 cycles" (V1/V2 and RTL FSM) [CONFLICT: UM 2018 says 4]
    mulh: int = 5
    # §1.7 div/rem: "3..35, 3 when the divisor has no leading zero bits, 35 when it is 0"
    # (CV32E40P v1 pipeline.rst): cycles = div_base + clz(|divisor|), div_zero when divisor == 0.
    # [CONFLICT: UM says 2..32]
    div_base: int = 3
    div_zero: int = 35
    # §1.7 "load/store (aligned): 1 cycle issue" (V1)
    load: int = 1
    store: int = 1
    # §1.7 "load-use stall: 1 cycle when the next instruction uses the result" (V1 Hazards)
    load_use: int = 1
    # §1.7 "misaligned word / halfword crossing a word boundary: 2 cycles" (V1, UM §3.1)
    misaligned_extra: int = 1
    # §1.7 "p.elw: 4 cycles (plus sleep time until the event)" (V1)
    elw: int = 4
    # §1.7 "jump (jal, jalr): 2 cycles; 3 if the target is a non-word-aligned 32-bit instruction"
    jump: int = 2
    jump_misaligned_extra: int = 1
    # §1.7 "jalr data hazard: +1 if jalr uses the result of the immediately preceding instruction"
    jalr_hazard: int = 1
    # §1.7 "branch not taken: 1; taken: 3; 4 if target is a non-word-aligned 32-bit instruction"
    # (immediate branches p.beqimm/p.bneimm assumed identical [UNCONFIRMED])
    branch: int = 1
    branch_taken: int = 3
    branch_misaligned_extra: int = 1
    # §1.7 "hardware loop back-edge: 0 cycles" (UM §7); "setup: 1 cycle per lp.*" [UNCONFIRMED]
    hwloop: int = 1
    hwloop_backedge: int = 0
    # §1.7 "CSR access: 4 cycles for mstatus/mepc/mtvec/mcause/mcycle/minstret/mhpm*/dcsr/dpc/
    # dscratch*, 1 for others" (V1)
    csr_slow: int = 4
    csr_fast: int = 1
    # §1.7 "fence.i: 2" (V1)
    fencei: int = 2
    # ecall/ebreak/mret: ASSUMPTION (not in the tables; they end or redirect the program)
    system: int = 1
    # CSR numbers that cost csr_slow (V1 list)
    slow_csrs: tuple = field(default=(0x300, 0x341, 0x305, 0x342, 0xB00, 0xB02, 0xB80, 0xB82,
                                      0x320, 0x7B0, 0x7B1, 0x7B2, 0x7B3) + tuple(range(0xB03, 0xB20))
                             + tuple(range(0xB83, 0xBA0)) + tuple(range(0x323, 0x340)))

    def base_cycles(self, timing_class):
        """Static cycles of one instruction of ``timing_class`` (dynamic effects are added)."""
        return {
            "alu": self.alu, "dot": self.alu, "mac": self.alu, "mul16": self.alu, "mac16": self.alu,
            "mul": self.mul, "mulh": self.mulh, "div": self.div_base, "load": self.load,
            "store": self.store, "elw": self.elw, "jump": self.jump, "branch": self.branch,
            "hwloop": self.hwloop, "csr": self.csr_fast, "fencei": self.fencei,
            "system": self.system,
        }.get(timing_class, self.alu)

    # The stated ranges of parameters on which sources disagree (isa_timing.md §1.7 [CONFLICT]):
    # name -> (fast end, slow end). Results report the cycles at the two corners (every ranged
    # parameter at its fast end / at its slow end): cycles_fast, cycles_slow (docs/explorer.md
    # "Uncertainty").
    RANGES = {
        "mulh": (4, 5),                  # UM 2018 "4 cycles"; V1/V2 and the RTL FSM 5
        "div_base": (2, 3),              # UM "2..32"; V1 "3..35"
        "div_zero": (32, 35),            # UM "2..32"; V1 "35 when the divisor is 0"
    }

    # penalties may be 0; every other parameter is the issue cost of an instruction (>= 1 cycle)
    PENALTIES = ("load_use", "misaligned_extra", "jump_misaligned_extra", "jalr_hazard",
                 "branch_misaligned_extra", "hwloop_backedge")

    def override(self, **kw):
        """Set the named parameters; refuse unknown names, non-integers and out-of-range values
        (all of them, or none are set)."""
        names = {f.name for f in fields(self)} - {"slow_csrs"}     # numbers only
        new = {}
        for k, v in kw.items():
            if k not in names:
                raise IsasimError(f"unknown RI5CY timing parameter '{k}' (allowed: "
                                  f"{', '.join(sorted(names))})")
            new[k] = int_param("RI5CY timing", k, v, 0 if k in self.PENALTIES else 1)
        get = lambda k: new.get(k, getattr(self, k))      # noqa: E731
        for hi, lo in (("branch_taken", "branch"), ("csr_slow", "csr_fast")):
            if get(hi) < get(lo):
                raise IsasimError(f"RI5CY timing: {hi} = {get(hi)} is less than {lo} = {get(lo)} "
                                  f"(the difference is a stall count)")
        for k, v in new.items():
            setattr(self, k, v)
        return self

    def as_dict(self):
        d = asdict(self)
        d.pop("slow_csrs")
        return d


STALL_CAUSES = ("load_use", "branch", "jump", "muldiv", "misaligned", "csr", "tcdm_contention",
                "barrier")


def engine_parameters():
    """Names of the timing parameters the engine receives at run time (every numeric field of
    RI5CYTiming, in declaration order): rules below refer to them by name."""
    return [f.name for f in fields(RI5CYTiming) if f.name != "slow_csrs"]


@dataclass(frozen=True)
class Rule:
    """A dynamic timing rule of the RI5CY engine. When the engine sees the rule's event, it adds
    ``extra`` cycles to the instruction's static cost (``base_cycles`` of its timing class) and
    counts ``stall`` cycles (default: ``extra``) as stall cause ``cause`` (None: issue cycles, not
    a stall). Both are Python expressions over the timing parameters (field names of RI5CYTiming),
    ``static`` (the instruction's static cost), ``extra`` (in ``stall`` only), the event's
    variables ``vars`` and ``clz32``; isasim.cores.ri5cy.codegen compiles them into the engine, so
    editing a rule here changes the engine (it is part of the engine's cache key), and
    ``evaluate`` gives the same figures in Python."""
    extra: str
    cause: object = None
    stall: str = None
    vars: tuple = ()
    source: str = ""

    def evaluate(self, timing, static=0, **variables):
        """(extra cycles, stall cycles) for a RI5CYTiming ``timing``."""
        from ..isa.helpers import clz32
        env = {**{k: getattr(timing, k) for k in engine_parameters()}, "static": static,
               "clz32": clz32, **variables}
        extra = eval(self.extra, {"__builtins__": {}}, env)
        stall = eval(self.stall, {"__builtins__": {}}, {**env, "extra": extra}) if self.stall else extra
        return int(extra), int(stall)


# When each event happens is the engine's business (codegen.py says where); what it costs is here.
RULES = {
    # §1.7 "load-use stall: 1 cycle when the next instruction uses the result" (V1 Hazards)
    "load_use": Rule("load_use", "load_use", source="isa_timing.md §1.7 load-use stall (V1)"),
    # §1.7 "misaligned word / halfword crossing a word boundary: 2 cycles" (V1, UM §3.1)
    "misaligned": Rule("misaligned_extra", "misaligned",
                       source="isa_timing.md §1.7 misaligned access (V1, UM §3.1)"),
    # §1.7 "branch taken: 3; 4 if the target is a non-word-aligned 32-bit instruction" (V1);
    # mis_target = 1 for such a target
    "branch_taken": Rule("branch_taken - branch + mis_target * branch_misaligned_extra", "branch",
                         vars=("mis_target",), source="isa_timing.md §1.7 branch taken (V1)"),
    # §1.7 "jump: 2 cycles; 3 if the target is a non-word-aligned 32-bit instruction" (V1): one
    # issue cycle, the rest is a stall
    "jump": Rule("mis_target * jump_misaligned_extra", "jump", stall="static - 1 + extra",
                 vars=("mis_target",), source="isa_timing.md §1.7 jump (V1)"),
    # §1.7 "jalr data hazard: +1 if jalr uses the result of the immediately preceding instruction"
    "jalr_hazard": Rule("jalr_hazard", "jump", source="isa_timing.md §1.7 jalr hazard (V1)"),
    # §1.7 "mulh*: 5 cycles" (V1/V2, RTL FSM): one issue cycle, the rest is a stall
    "mulh": Rule("0", "muldiv", stall="static - 1", source="isa_timing.md §1.7 mulh (V1, RTL)"),
    # §1.7 div/rem "3..35, 3 when the divisor has no leading zero bits, 35 when it is 0" (V1);
    # divisor = |rs2| as an unsigned 32-bit value (the signed forms divide magnitudes)
    "div": Rule("(div_zero if divisor == 0 else div_base + clz32(divisor)) - static", "muldiv",
                stall="static + extra - 1", vars=("divisor",),
                source="isa_timing.md §1.7 div/rem (V1)"),
    # §1.7 "p.elw: 4 cycles (plus sleep time until the event)" (V1); the sleep is the cluster's
    "elw": Rule("0", "barrier", stall="static - 1", source="isa_timing.md §1.7 p.elw (V1)"),
    # §1.7 "CSR access: 4 cycles for mstatus/mepc/... (slow_csrs), 1 for others" (V1)
    "csr_slow": Rule("csr_slow - csr_fast", "csr", source="isa_timing.md §1.7 CSR access (V1)"),
    # §1.7 "hardware loop back-edge: 0 cycles" (UM §7): issue cycles, not a stall
    "hwloop_backedge": Rule("hwloop_backedge", None,
                            source="isa_timing.md §1.7 hardware loop back-edge (UM §7)"),
}
