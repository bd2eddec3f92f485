"""``isasim plugins list``: the instruction tables with encodings and costs, built-in and loaded."""
import os

from ..isa.registry import load_table
from ..plugins import BUILTIN, BUILTIN_DIR, resolve


def list_instructions(paths=(), isa="all"):
    """Lines for ``isasim plugins list``."""
    from ..timing.ri5cy import RI5CYTiming
    t = RI5CYTiming()
    lines = []
    if isa in ("rv32", "all"):
        tab = load_table("rv32", paths)
        lines.append(f"{'mnemonic':<22} {'operands':<20} {'encoding (bit 31..0)':<34} "
                     f"{'cost':<22} source")
        for ins in tab.instrs:
            if ins.ext.startswith(("rv32", "zicsr")):
                continue
            cost = _cost_text(ins, t.base_cycles(ins.timing))
            src = "builtin:" + ins.ext if ins.source == "builtin" else os.path.basename(ins.source)
            lines.append(f"{ins.name:<22} {ins.syntax:<20} {ins.bit_pattern():<34} {cost:<22} {src}")
    if isa in ("thumb2", "all"):
        tab = load_table("cm7", paths)
        if tab.instrs:
            lines.append("")
            lines.append("Thumb-2 (Cortex-M7, trapped through Unicorn):")
            for ins in tab.instrs:
                lines.append(f"{ins.name:<22} {ins.syntax:<20} {ins.bit_pattern():<34} "
                             f"{_cost_text(ins, 1):<22} {os.path.basename(ins.source)}")
    avail = [n for n in BUILTIN if not any(os.path.join(BUILTIN_DIR, f) in resolve(paths)
                                           for f in BUILTIN[n])]
    if avail:
        lines.append("")
        lines.append("built-in plug-ins (load with --plugin NAME): " + ", ".join(
            f"{n} ({', '.join(BUILTIN[n])})" for n in avail))
    return lines


def _cost_text(ins, default_latency):
    c = dict(ins.cost)
    parts = [f"lat={c.get('latency', default_latency)}"]
    if "occupancy" in c:
        parts.append(f"occ={c['occupancy']}")
    if "resource" in c:
        parts.append(c["resource"])
    if "energy_pj" in c:
        parts.append(f"{c['energy_pj']}pJ")
    if ins.source == "builtin":
        parts = [ins.timing]
    return ",".join(parts)
