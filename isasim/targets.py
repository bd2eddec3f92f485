"""The target registry: everything that makes ``cm7``, ``ri5cy`` and ``gap8`` what they are, in one
place. The CLI, experiment-config validation, the build and the run entry point read it; nothing
else spells a target name out.

A target is a core (or a cluster of cores) + its instruction tables + toolchain flags, linker script
and crt0 + platform headers + timing-parameter class + energy model + operating points + the stall
causes its results report. ``validate_run_options`` checks the options of a run against the target
(an option that does not apply is refused, never ignored), in the CLI and in configs alike.
"""
import os
from dataclasses import dataclass, field

from .errors import IsasimError

_HERE = os.path.dirname(os.path.abspath(__file__))
_REPO = os.path.dirname(_HERE)

# One default for every target and every entry point (exec, run, the Python API through run_elf):
# a program that has not exited after this many retired instructions (all cores together) is
# stopped with an error. At 30-100 MIPS this is 10-35 s of simulation. Override with
# --max-instructions N / a variant's max_instructions.
DEFAULT_MAX_INSTRUCTIONS = 1_000_000_000


@dataclass(frozen=True)
class Target:
    name: str
    isa: str                      # instruction-table name (isasim.isa.registry.load_table)
    description: str
    ld_script: str                # file in isasim/toolchain/data
    crt0: str                     # file in isasim/toolchain/data
    include_dirs: tuple = ()      # platform headers, always on the include path of a build
    cores: tuple = None           # (min, max, default) for a multi-core platform, None: one core
    options: frozenset = field(default_factory=frozenset)   # run options that apply (see OPTIONS)
    # 'module:name' of the timing parameters: a class with override(**kw) and as_dict(), or a
    # function validate(overrides) -> parameter object(s); both check names, types and ranges
    timing: str = ""
    runner: str = ""              # 'module:function' of the platform that runs a program
    # 'module:function' returning the linker script text for (memory=, operating_point=), or ""
    # (the fixed ld_script)
    ld_generator: str = ""
    # 'module:function' re-timing a recording: retime(record_path, timing=None, cost=None) -> the
    # result of the recorded run with these timing/cost overrides (see docs/explorer.md), or ""
    retimer: str = ""
    # whether the experiment runner re-times (knob-only sweep points, cycle_range corners) from a
    # recording instead of running: only where re-timing is faster than a run (the Cortex-M7:
    # python benchmarks/bench_retime.py); on RI5CY/GAP-8 a re-time costs about a run
    # (python benchmarks/bench_retime_rv.py), and separate runs keep the workers parallel
    runner_retime: bool = False

    def linker_script(self, memory=None, operating_point=None):
        import importlib
        mod, name = self.ld_generator.split(":")
        return getattr(importlib.import_module(mod), name)(memory=memory,
                                                           operating_point=operating_point)

    def retimer_fn(self):
        import importlib
        if not self.retimer:
            raise IsasimError(f"target {self.name} cannot re-time recordings")
        mod, name = self.retimer.split(":")
        return getattr(importlib.import_module(mod), name)

    def runner_fn(self):
        import importlib
        mod, name = self.runner.split(":")
        return getattr(importlib.import_module(mod), name)

    def timing_validator(self):
        import importlib
        mod, name = self.timing.split(":")
        obj = getattr(importlib.import_module(mod), name)
        if isinstance(obj, type):
            return lambda kw: obj().override(**kw)
        return obj


# headers of every target (isasim_region.h: region markers for the per-region profile)
_COMMON_INC = os.path.join(_REPO, "kernels_asm", "include")

# run options a target may support (besides max_instructions, plugins, operating_point, timing)
OPTIONS = ("cores", "timeline", "profile", "trace", "hwloop_csr_base", "memory", "record", "lanes")

TARGETS = {
    "cm7": Target("cm7", "cm7", "Cortex-M7 (Armv7E-M + DSP) on Unicorn, STM32H7 memory map and energy",
                  "cm7.ld", "crt0_cm7.S",
                  include_dirs=(_COMMON_INC,),
                  options=frozenset({"profile", "trace", "memory", "record", "lanes"}),
                  timing="isasim.timing.cm7:CM7Timing", runner="isasim.platforms.stm32h7:run",
                  ld_generator="isasim.platforms.stm32h7:linker_script",
                  retimer="isasim.platforms.stm32h7:retime", runner_retime=True),
    "ri5cy": Target("ri5cy", "rv32", "one RI5CY core (RV32IMC + XpulpV2, GAP-8 ISA)",
                    "gap8.ld", "crt0_rv.S",
                    include_dirs=(os.path.join(_REPO, "kernels_asm", "ri5cy", "include"), _COMMON_INC),
                    options=frozenset({"profile", "trace", "hwloop_csr_base", "lanes", "record"}),
                    timing="isasim.timing.ri5cy:RI5CYTiming", runner="isasim.platforms.ri5cy:run",
                    retimer="isasim.platforms.ri5cy:retime"),
    "gap8": Target("gap8", "rv32", "GAP-8 cluster: N RI5CY cores, banked TCDM, event unit",
                   "gap8.ld", "crt0_rv.S",
                   include_dirs=(os.path.join(_REPO, "kernels_asm", "ri5cy", "include"), _COMMON_INC),
                   cores=(1, 16, 8),
                   options=frozenset({"cores", "profile", "trace", "timeline", "hwloop_csr_base",
                                      "lanes", "record"}),
                   timing="isasim.platforms.gap8:validate_timing",
                   runner="isasim.platforms.gap8:run_cluster",
                   retimer="isasim.platforms.gap8:retime"),
}
NAMES = tuple(TARGETS)


def get(name):
    if name not in TARGETS:
        raise IsasimError(f"unknown target '{name}' (allowed: {', '.join(NAMES)})")
    return TARGETS[name]


def operating_points(name):
    """(names, default) of the energy operating points of a target."""
    if name == "cm7":
        from .energy import stm32h7 as e
        return tuple(e.OPERATING_POINT_NAMES), e.DEFAULT_OP
    from .energy import gap8 as e
    return tuple(e.OPERATING_POINTS), e.DEFAULT_OP


def check_max_instructions(n, what="--max-instructions"):
    """A positive integer, or None for the documented default; anything else is refused."""
    if n is None:
        return DEFAULT_MAX_INSTRUCTIONS
    import numbers
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n <= 0:
        raise IsasimError(f"{what} must be a positive integer (default {DEFAULT_MAX_INSTRUCTIONS}), "
                          f"got {n!r}")
    return int(n)


def check_timing(name, overrides):
    """The target's timing-parameter object with ``overrides`` applied (names, types and ranges
    checked by the target's own parameter class)."""
    t = get(name)
    try:
        validate = t.timing_validator()
    except (ImportError, AttributeError):
        validate = None
    if validate is None:
        if overrides:
            raise IsasimError(f"target {name} has no timing parameters that can be overridden")
        return None
    try:
        return validate(dict(overrides or {}))
    except (TypeError, ValueError) as e:
        raise IsasimError(f"timing parameters for target {name}: {e}")
    except IsasimError as e:
        if e.exit_code != IsasimError.exit_code:     # a bad option is bad input (exit 2), whoever
            raise IsasimError(str(e)) from None       # checked it
        raise


def validate_run_options(name, cores=None, timeline=None, profile=False, trace=None,
                         hwloop_csr_base=None, operating_point=None, timing=None,
                         max_instructions=None, memory=None, record=None, lanes=False):
    """Check a run's options against target ``name``; return the normalised options
    (cores, max_instructions, operating_point, memory). Raises IsasimError naming the option."""
    t = get(name)
    given = {"cores": cores is not None, "timeline": bool(timeline), "profile": bool(profile),
             "trace": bool(trace), "hwloop_csr_base": hwloop_csr_base is not None,
             "memory": bool(memory), "record": record is not None, "lanes": bool(lanes)}
    for opt, on in given.items():
        if on and opt not in t.options:
            flag = "--" + opt.replace("_", "-")
            applies = [n for n, x in TARGETS.items() if opt in x.options]
            raise IsasimError(f"{flag} does not apply to target {name} (it applies to: "
                              f"{', '.join(applies)})")
    if t.cores is not None:
        lo, hi, default = t.cores
        if cores is None:
            cores = default
        if isinstance(cores, bool) or not isinstance(cores, int) or not lo <= cores <= hi:
            raise IsasimError(f"--cores must be an integer {lo}..{hi} for target {name}, got {cores!r}")
    names, default_op = operating_points(name)
    op = operating_point if operating_point is not None else default_op
    if name == "cm7":
        from .energy.stm32h7 import op_name
        op = op_name(op) or op
    if str(op) not in names:
        raise IsasimError(f"unknown operating point '{op}' for target {name} "
                          f"(allowed: {', '.join(names)})")
    check_timing(name, timing or {})
    if hwloop_csr_base is not None:
        from .cores.ri5cy.core import hwloop_csr_base as check_base
        check_base(hwloop_csr_base)
    if memory:
        from .cores.cm7.memory import check as check_memory
        memory = check_memory(memory)
    return {"cores": cores, "max_instructions": check_max_instructions(max_instructions),
            "operating_point": str(op), "memory": memory or None}
