"""The STM32H7 platform (target ``cm7``): one Cortex-M7 core (isasim.cores.cm7: Unicorn +
cycle model) with the STM32H7 memory map, the plug-in traps of the loaded plug-ins and the STM32H7
energy model (isasim.energy.stm32h7). ``run`` assembles the result of a run; see docs/cm7.md.
"""
from ..cores.cm7 import Cm7Core
from ..cores.cm7.core import check_max_instructions
from ..energy import stm32h7 as _energy
from ..errors import SimError
from ..timing.cm7 import CM7Timing


def _freq(operating_point):
    """Core clock in MHz from an operating point '480', '400MHz' or a number."""
    try:
        return float(str(operating_point).lower().replace("mhz", ""))
    except ValueError:
        raise SimError(f"cm7 operating point is a core clock in MHz (400 or 480), "
                       f"not '{operating_point}'")


def run(elf_path, max_instructions=None, trace=None, plugins=(), timing=None, operating_point=None,
        profile=False, read_symbols=None, traps=None, freq_mhz=None, wait_states=None,
        predictor=None, cost=None, native_traps=True):
    """Run a Thumb ELF on the Cortex-M7 model and return the result dict.

    plugins: plug-in files / built-in names (their Thumb-2 instructions are trapped and timed);
    timing: dict of CM7Timing overrides (or a CM7Timing); operating_point / freq_mhz: core clock
    (MHz, default 480); traps: extra raw trap registrations (traps.register_cde/register_udf);
    wait_states / predictor: shorthands for the timing fields wait_<region> / predictor;
    cost: {mnemonic: {knob: value}} overrides of the plug-ins' cost knobs (what-if costs).
    native_traps: execute plug-in instructions with compiled handlers on the block path
    (isasim.cores.cm7.native; False: the Python trap handlers, as the trace path does).
    trace: file path; when given, the per-instruction path runs and writes one line per
    instruction: ``<issue cycle> <pc hex> <'+' if dual-issued with the previous> <disassembly>``.
    """
    max_instructions = check_max_instructions(max_instructions)
    if isinstance(timing, CM7Timing):
        t = timing
    else:
        t = CM7Timing().override(**(timing or {}))
    if freq_mhz is None:
        freq_mhz = _freq(operating_point) if operating_point else 480
    _energy.operating_point(freq_mhz)          # validate before running
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
    core = Cm7Core(elf_path, wait_states=wait_states, traps=regs, predictor=predictor, timing=t,
                   native_plugins=native)
    core.run(max_instructions=max_instructions, trace=trace)
    if pt is not None:
        for k, n in core.native_counts.items():
            pt.counts[k] = pt.counts.get(k, 0) + n
    e_uj, op, model = _energy.energy(core.cycles, freq_mhz)
    res = {
        "target": "cm7",
        "exit_code": core.exit_code if core.exit_code is not None else 1,
        "instructions": core.instructions,
        "cycles": core.cycles,
        "energy_uj": e_uj,
        "stalls": dict(core.stalls),
        "dual_issued": core.dual_issued,
        "branches": core.branches,
        "mispredicts": core.mispredicts,
        "stdout": "".join(core.stdout),
        "operating_point": op,
        "energy_model": model,
        "timing": core.timing.as_dict(),
        "path": "trace" if trace else "block",
        "macs": pt.macs() if pt is not None else 0,     # declared by plug-ins (params macs)
    }
    if pt is not None:
        res["plugin_counts"] = dict(pt.counts)
        extra = pt.energy_pj() * 1e-6
        res["plugin_energy_uj"] = extra
        res["energy_uj"] = res["energy_uj"] + extra
    if profile:
        res["profile"] = core.profile
    if read_symbols:
        res["memory"] = {k: core.read_symbol(k, n) for k, n in read_symbols.items()}
    return res
