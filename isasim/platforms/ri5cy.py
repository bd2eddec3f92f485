"""One RI5CY core on the GAP-8 memory map (target ``ri5cy``): the core (isasim.cores.ri5cy), its
timing parameters (isasim.timing.ri5cy) and the GAP-8 energy model at an operating point
(isasim.energy.gap8). The cluster of N such cores is isasim.platforms.gap8.
"""
from ..cores.ri5cy.core import RI5CY
from ..energy import gap8 as energy
from ..errors import IsasimError
from ..timing.ri5cy import RI5CYTiming


def run(elf, max_instructions=None, trace=None, plugins=(), profile=False, timing=None,
        operating_point=None, read_symbols=None, hwloop_csr_base=None, cost=None, lanes=False):
    """Run ``elf`` on one RI5CY core; return the result dict (see isasim.run.run_elf).
    ``profile``: ``result["profile"]`` {function: {"cycles", "instructions", "stalls"}} (adds up
    to cycles, instructions and every stall); ``lanes``: ``result["lanes"]``, the lane profile of
    the SIMD dot products (isasim.cores.ri5cy.lanes; the trace path, same cycles)."""
    t = RI5CYTiming()
    if timing:
        t.override(**timing)
    core = RI5CY(elf, plugins=plugins, timing=t, hwloop_csr_base=hwloop_csr_base, cost=cost)
    code = core.run(max_instructions=max_instructions, trace=trace, profile=profile, lanes=lanes)
    cnt = core.counters()
    op = operating_point or energy.DEFAULT_OP
    if op not in energy.OPERATING_POINTS:
        raise IsasimError(f"unknown operating point '{op}' for ri5cy "
                          f"(allowed: {', '.join(energy.OPERATING_POINTS)})")
    e = energy.energy(cnt["cycles"], 0, cnt["tcdm_accesses"], cnt["l2_accesses"], op)
    e += sum(int(n) * float(core.table.instrs[i].cost.get("energy_pj", 0.0))
             for i, n in enumerate(core.OPCNT) if n) * 1e-6      # plug-in energy per execution
    res = {"target": "ri5cy", "cores": 1, "exit_code": code, **cnt,
           "macs": core.macs(), "energy_uj": e,
           "energy_model": energy.describe(op), "timing": t.as_dict(),
           "op_counts": core.op_counts()}
    if profile:
        res["profile"] = core.profile()
        regions = core.region_profile()
        if regions is not None:
            res["regions"] = regions
    if lanes:
        res["lanes"] = core.lanes.result()
    if read_symbols:
        res["memory"] = {k: core.read_symbol(k, n) for k, n in read_symbols.items()}
    return res
