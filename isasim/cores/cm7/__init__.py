"""Cortex-M7 core: Unicorn executes Thumb-2 (core.py), the cycle model (isasim.timing.cm7)
consumes what executed, plug-in instructions trap into Python (traps.py, plugins.py). The platform
that runs it with a memory map and an energy model is isasim.platforms.stm32h7; see docs/cm7.md.
"""
from ...timing.cm7 import CM7Timing
from .core import Cm7Core, make_uc
from .traps import Cost, register_cde, register_udf

__all__ = ["Cm7Core", "CM7Timing", "make_uc", "Cost", "register_cde", "register_udf"]
