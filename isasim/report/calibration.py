"""Calibration of the Cortex-M7 cycle model against silicon (issue 18 item 5): the microbenchmarks
of kernels_asm/cm7/micro/ whose loop repeats one sequence that jnk0le's STM32H743 measurements
(cm7_measured.md §1, "JN") give a throughput for state it in their header as
``MEASURED_CYCLES_PER_ITER: <cycles> (<source>)``; :func:`table` runs them on the model and gives
the error of each. ``python benchmarks/calibration_cm7.py`` prints it.

Every other microbenchmark checks a rule the model implements as measured (its
``EXPECT_CYCLES_PER_ITER`` is derived from the rule, tests/test_cm7_timing.py), not a measured
throughput, so it is not a calibration point.
"""
import os
import re

MICRO = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                     "kernels_asm", "cm7", "micro")
N1, N2 = 8, 24          # iterations of the two runs whose difference is measured


def measured():
    """{microbenchmark: (measured cycles per iteration, source)} from the headers."""
    out = {}
    for f in sorted(os.listdir(MICRO)):
        if not f.endswith(".S"):
            continue
        with open(os.path.join(MICRO, f)) as fh:
            text = fh.read()
        m = re.search(r"MEASURED_CYCLES_PER_ITER:\s*([0-9.]+)\s*\((.*?)\)\s*\n(?!@\s{3})", text,
                      re.S)
        if m:
            src = " ".join(l.lstrip("@ ").strip() for l in m.group(2).splitlines())
            out[f[:-2]] = (float(m.group(1)), src)
    return out


def cycles_per_iteration(name, timing=None):
    """Model cycles per loop iteration of microbenchmark ``name``: (cycles of N2 iterations -
    cycles of N1) / (N2 - N1), builds cached (isasim.toolchain.build)."""
    from .. import cache
    from ..cores.cm7 import Cm7Core
    from ..toolchain.build import build_elf
    from ..timing.cm7 import CM7Timing
    t = CM7Timing().override(**(timing or {}))
    cyc = []
    for n in (N1, N2):
        elf = os.path.join(cache.subdir("micro"), f"{name}_{n}.elf")
        build_elf("cm7", [os.path.join(MICRO, name + ".S")], elf, defines=[f"N={n}"])
        core = Cm7Core(elf, timing=t)
        core.run(max_instructions=10_000_000)
        cyc.append(core.cycles)
    return (cyc[1] - cyc[0]) / (N2 - N1)


def table(timing=None):
    """[(microbenchmark, measured, model, error % = (model - measured) / measured, source)]."""
    rows = []
    for name, (meas, src) in measured().items():
        model = cycles_per_iteration(name, timing)
        rows.append((name, meas, model, 100.0 * (model - meas) / meas, src))
    return rows
