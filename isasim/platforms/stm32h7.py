"""The STM32H7 platform (target ``cm7``): one Cortex-M7 core (isasim.cores.cm7: Unicorn + cycle
model) with the STM32H743 memories and caches (isasim.cores.cm7.memory), the plug-in traps of the
loaded plug-ins and the STM32H743 energy model of DS12110 (isasim.energy.stm32h7). ``run``
assembles the result of a run; see docs/cm7.md.

An operating point (isasim.energy.stm32h7.OPERATING_POINTS) is a silicon revision, a core clock and
a voltage scale, and implies a placement of the program (built with it: ``linker_script``) and a
cache state; the memory option of a variant overrides them. The energy row follows what was
actually simulated: where the ELF's code is and which caches were on.
"""
from ..cores.cm7 import Cm7Core
from ..cores.cm7 import memory as MEM
from ..cores.cm7.core import NeedMemoryHooks, check_max_instructions
from ..energy import stm32h7 as _energy
from ..errors import IsasimError
from ..timing.cm7 import CM7Timing


def effective_memory(operating_point=None, memory=None):
    """The memory option of a run or build: the operating point's placement and cache state with
    the given ``memory`` keys over them (all keys, checked)."""
    op = _energy.point(operating_point)
    base = dict(MEM.FLASH_PLACEMENT if op["placement"] == "flash" else MEM.TCM_PLACEMENT)
    base.update(icache=op["caches"], dcache=op["caches"])
    base.update(MEM.check(memory))
    return base


def linker_script(memory=None, operating_point=None):
    """Linker script text for a build with this memory option / operating point."""
    return MEM.linker_script({k: v for k, v in effective_memory(operating_point, memory).items()
                              if k in MEM.ROLES})


def _sections(elf_path):
    from elftools.elf.elffile import ELFFile
    try:
        with open(elf_path, "rb") as f:
            e = ELFFile(f)
            return {s.name: (s["sh_addr"], s["sh_size"]) for s in e.iter_sections()
                    if s["sh_flags"] & 2}          # SHF_ALLOC
    except Exception:
        return {}


def run(elf_path, max_instructions=None, trace=None, plugins=(), timing=None, operating_point=None,
        profile=False, read_symbols=None, traps=None, freq_mhz=None, predictor=None, cost=None,
        native_traps=True, memory=None):
    """Run a Thumb ELF on the Cortex-M7 model and return the result dict.

    plugins: plug-in files / built-in names (their Thumb-2 instructions are trapped and timed);
    timing: dict of CM7Timing overrides (or a CM7Timing); operating_point: a name of
    isasim.energy.stm32h7.OPERATING_POINTS (default DEFAULT_OP); freq_mhz: run it at this clock;
    memory: the memory option (isasim.cores.cm7.memory: placement keys, checked against the ELF,
    and cache keys); traps: extra raw trap registrations (traps.register_cde/register_udf);
    predictor: shorthand for the timing field; cost: {mnemonic: {knob: value}} overrides of the
    plug-ins' cost knobs (what-if costs); native_traps: execute plug-in instructions with compiled
    handlers on the block path (isasim.cores.cm7.native; False: the Python trap handlers, as the
    trace path does).
    trace: file path; when given, the per-instruction path runs and writes one line per
    instruction: ``<issue cycle> <pc hex> <'+' if dual-issued with the previous> <disassembly>``.
    """
    max_instructions = check_max_instructions(max_instructions)
    if isinstance(timing, CM7Timing):
        t = timing
    else:
        t = CM7Timing().override(**(timing or {}))
    op = _energy.point(operating_point, freq_mhz)           # validated before running
    given = MEM.check(memory)
    mem = effective_memory(op["name"], given)
    sections = _sections(elf_path)
    actual = MEM.placement_of(sections)
    for role in MEM.ROLES:
        if role in given and role in actual and actual[role] != given[role]:
            raise IsasimError(f"--memory {role}={given[role]}: {elf_path} has its {role} in "
                              f"{actual[role]}; build it with the same --memory")
    pt = None
    regs = list(traps or ())
    native = None
    if plugins:
        from ..isa.registry import load_table
        from ..cores.cm7.plugins import PluginTraps
        pt = PluginTraps(load_table("cm7", plugins, cost=cost))
        regs += pt.registrations
        if native_traps:
            native = (pt.table, tuple(plugins))
    cache_keys = {k: v for k, v in mem.items() if k in MEM.CACHE_DEFAULTS}
    try:
        core = Cm7Core(elf_path, traps=regs, predictor=predictor, timing=t, native_plugins=native,
                       memory=cache_keys)
        core.run(max_instructions=max_instructions, trace=trace)
    except NeedMemoryHooks:
        # the ELF has nothing outside the TCMs but the program reached another memory: run it
        # again from the start with the memory model's hooks (deterministic: the same run)
        if pt is not None:
            pt.counts.clear()
        core = Cm7Core(elf_path, traps=regs, predictor=predictor, timing=t, native_plugins=native,
                       memory=cache_keys, memory_hooks="always")
        core.run(max_instructions=max_instructions, trace=trace)
    if pt is not None:
        for k, n in core.native_counts.items():
            pt.counts[k] = pt.counts.get(k, 0) + n
    code = actual.get("code") or (MEM.region_of(core.symbols["_start"]).name
                                  if MEM.region_of(core.symbols["_start"]) else "?")
    e_uj, opd, model = _energy.energy(core.cycles, op, code, mem["icache"], mem["dcache"])
    res = {
        "target": "cm7",
        "exit_code": core.exit_code if core.exit_code is not None else 1,
        "instructions": core.instructions,
        "cycles": core.cycles,
        "energy_uj": e_uj,
        "stalls": dict(core.stalls),
        "memory_stall_cycles": core.mem_stall_cycles,
        "counters": dict(core.counters),
        "dual_issued": core.dual_issued,
        "branches": core.branches,
        "mispredicts": core.mispredicts,
        "stdout": "".join(core.stdout),
        "operating_point": opd,
        "energy_model": model,
        "memory_system": dict(core.mem.describe(), placement=actual),
        "timing": core.timing.as_dict(),
        "path": "trace" if trace else "block",
        "macs": pt.macs() if pt is not None else 0,     # declared by plug-ins (params macs)
    }
    if pt is not None:
        res["plugin_counts"] = dict(pt.counts)
        extra = pt.energy_pj() * 1e-6
        res["plugin_energy_uj"] = extra
        if res["energy_uj"] is not None:
            res["energy_uj"] = res["energy_uj"] + extra
    if profile:
        res["profile"] = core.profile
    if read_symbols:
        res["memory"] = {k: core.read_symbol(k, n) for k, n in read_symbols.items()}
    return res
