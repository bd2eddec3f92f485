"""Cortex-M7 target: Unicorn execution + isasim.timing.cm7 cycle model + STM32H7 energy.

``run(elf_path, ...)`` is the entry point used by the CLI; see docs/cm7.md.
"""
from ...errors import SimError
from ...energy import stm32h7 as _energy
from ...timing import cm7 as _timing
from .core import Cm7Core, make_uc
from .traps import Cost, register_cde, register_udf

__all__ = ["run", "Cm7Core", "make_uc", "Cost", "register_cde", "register_udf"]


def run(elf_path, max_instructions=None, trace=None, freq_mhz=480, wait_states=None, profile=False,
        traps=None, predictor=_timing.DEFAULT_PREDICTOR, read_symbols=None):
    """Run a Thumb ELF on the Cortex-M7 model and return the result dict.

    trace: file path; when given, the per-instruction path runs and writes one line per
    instruction: ``<issue cycle> <pc hex> <'+' if dual-issued with the previous> <disassembly>``.
    """
    if max_instructions is not None and (not isinstance(max_instructions, int) or max_instructions <= 0):
        raise SimError(f"max_instructions must be a positive integer, got {max_instructions!r}")
    if predictor not in _timing.PREDICTORS:
        raise SimError(f"unknown branch predictor '{predictor}' (allowed: {', '.join(_timing.PREDICTORS)})")
    _energy.operating_point(freq_mhz)          # validate before running
    core = Cm7Core(elf_path, wait_states=wait_states, traps=traps, predictor=predictor)
    core.run(max_instructions=max_instructions, trace=trace)
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
        "timing_model": {"predictor": predictor, "mispredict_penalty": _timing.MISPREDICT_PENALTY,
                         "wait_states": dict(core.wait_states), "path": "trace" if trace else "block"},
    }
    if profile:
        res["profile"] = core.profile
    if read_symbols:
        res["memory"] = {k: core.read_symbol(k, n) for k, n in read_symbols.items()}
    return res
