"""isasim: instruction-level simulator and ISA-extension explorer for QNN kernels.

Data flow (one folder per stage):
    kernels_asm/, experiments/  ->  isasim.toolchain (front end, assemble, link)
    ->  isasim.isa (instruction tables)  ->  isasim.cores (RI5CY engine, Cortex-M7 on Unicorn)
    ->  isasim.timing / isasim.energy  ->  isasim.experiments  ->  isasim.report

Small API (mirrors the CLI):
    from isasim import build, run
    elf = build("cm7", ["k.S"], "k.elf")
    res = run(elf, target="cm7")
"""
__version__ = "0.1.0"

from .errors import IsasimError  # noqa: F401


def build(target, sources, out, **kw):
    """Assemble/compile and link ``sources`` for ``target`` into ``out``; returns the ELF path."""
    from .toolchain.build import build_elf
    return build_elf(target, sources, out, **kw)


def run(elf, target, **kw):
    """Run an ELF on the named target and return a result dict (exit_code, cycles, ...)."""
    from .cores import run_elf
    return run_elf(elf, target, **kw)
