"""Cores: execute instructions and count what was executed (the timing and energy layers turn
that into cycles and joules). ``ri5cy``: isasim's compiled RV32IMC+XpulpV2 engine; ``cm7``: a
Cortex-M7 on Unicorn with a pipeline cycle model. The platforms (isasim.platforms) put cores into a
memory map with an energy model; isasim.run.run_elf runs a program on a target. Nothing in this
package imports platforms, experiments or report.
"""
