"""Cores: execute a program and report what was executed (the timing and energy layers turn
that into cycles and joules). ``run_elf`` is the one entry point used by the CLI and experiments."""
from ..errors import IsasimError

TARGETS = ("cm7", "ri5cy", "gap8")


def run_elf(elf, target, max_instructions=None, trace=None, plugins=(), profile=False,
            timing=None, cores=None, operating_point=None, timeline=None, read_symbols=None):
    """Run ``elf`` on ``target``; return a result dict (exit_code, instructions, cycles,
    energy_uj, stalls by cause, ...). ``read_symbols`` {name: nbytes}: memory read back after the
    run into ``result["memory"]`` (bytes; used by golden-model checks)."""
    if target not in TARGETS:
        raise IsasimError(f"unknown target '{target}' (allowed: {', '.join(TARGETS)})")
    if target == "cm7":
        return run_m7(elf, max_instructions, trace, plugins, profile, operating_point, read_symbols,
                      timing)
    if target == "gap8":            # the cluster (event unit, TCDM banks) also for --cores 1
        from ..platforms.gap8 import run_cluster
        return run_cluster(elf, cores=cores or 8, max_instructions=max_instructions, trace=trace,
                           plugins=plugins, profile=profile, timing=timing,
                           operating_point=operating_point, timeline=timeline,
                           read_symbols=read_symbols)
    return run_single(elf, target, max_instructions, trace, plugins, profile, timing,
                      operating_point, read_symbols)


def run_single(elf, target, max_instructions, trace, plugins, profile, timing, operating_point,
               read_symbols=None):
    from .ri5cy.core import RI5CY
    from ..timing.ri5cy import RI5CYTiming
    from ..energy import gap8 as energy
    t = RI5CYTiming()
    if timing:
        t.override(**timing)
    core = RI5CY(elf, plugins=plugins, timing=t)
    code = core.run(max_instructions=max_instructions, trace=trace, profile=profile)
    cnt = core.counters()
    op = operating_point or energy.DEFAULT_OP
    if op not in energy.OPERATING_POINTS:
        raise IsasimError(f"unknown operating point '{op}' for {target} "
                          f"(allowed: {', '.join(energy.OPERATING_POINTS)})")
    e = energy.energy(cnt["cycles"], 0, cnt["tcdm_accesses"], cnt["l2_accesses"], op)
    e += sum(int(n) * float(core.table.instrs[i].cost.get("energy_pj", 0.0))
             for i, n in enumerate(core.OPCNT) if n) * 1e-6      # plug-in energy per execution
    res = {"target": target, "cores": 1, "exit_code": code, **cnt,
           "macs": core.macs(), "energy_uj": e,
           "energy_model": energy.describe(op), "timing": t.as_dict(),
           "op_counts": core.op_counts()}
    if profile:
        res["profile"] = core.profile()
    if read_symbols:
        res["memory"] = {k: core.read_symbol(k, n) for k, n in read_symbols.items()}
    return res


def run_m7(elf, max_instructions, trace, plugins, profile, operating_point, read_symbols=None,
           timing=None):
    from .cm7 import run as run_cm7
    return run_cm7(elf, max_instructions=max_instructions, trace=trace, plugins=plugins,
                   timing=timing, operating_point=operating_point, profile=profile,
                   read_symbols=read_symbols)
