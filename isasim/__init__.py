"""isasim: instruction-level simulator and ISA-extension explorer for QNN kernels.

Data flow (one folder per stage; docs/architecture.md):
    kernels_asm/, experiments/  ->  isasim.toolchain (front end, assemble, link)
    ->  isasim.isa (instruction tables)  ->  isasim.cores (RI5CY engine, Cortex-M7 on Unicorn)
    ->  isasim.platforms (memory maps, cluster; with isasim.timing / isasim.energy)
    ->  isasim.simulate (run_elf on a target of isasim.targets)
    ->  isasim.experiments  ->  isasim.report

Small API (mirrors the CLI):
    from isasim import build, run
    elf = build("cm7", ["k.S"], "k.elf")
    res = run(elf, target="cm7")
"""
from .version import __version__  # noqa: F401

from .errors import IsasimError  # noqa: F401


def build(target, sources, out, **kw):
    """Assemble/compile and link ``sources`` for ``target`` into ``out``; returns the ELF path."""
    from .toolchain.build import build_elf
    return build_elf(target, sources, out, **kw)


def run(elf, target, **kw):
    """Run an ELF on the named target and return a result dict (exit_code, cycles, ...)."""
    from .simulate import run_elf
    return run_elf(elf, target, **kw)
