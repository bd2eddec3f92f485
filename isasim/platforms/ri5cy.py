"""One RI5CY core on the GAP-8 memory map (target ``ri5cy``): the core (isasim.cores.ri5cy), its
timing parameters (isasim.timing.ri5cy) and the GAP-8 energy model at an operating point
(isasim.energy.gap8). The cluster of N such cores is isasim.platforms.gap8.
"""
from ..cores.ri5cy.core import RI5CY, hwloop_csr_base as _hwloop_base
from ..energy import gap8 as energy
from ..errors import IsasimError
from ..timing.ri5cy import RI5CYTiming


def run(elf, max_instructions=None, trace=None, plugins=(), profile=False, timing=None,
        operating_point=None, read_symbols=None, hwloop_csr_base=None, cost=None, record=None,
        lanes=False):
    """Run ``elf`` on one RI5CY core; return the result dict (see isasim.run.run_elf).
    ``profile``: ``result["profile"]`` {function: {"cycles", "instructions", "stalls"}} (adds up
    to cycles, instructions and every stall) and, when the program has region markers,
    ``result["regions"]``; ``lanes``: ``result["lanes"]``, the lane profile of the SIMD dot
    products (isasim.cores.ri5cy.lanes; the trace path, same cycles). ``record``: file path;
    after the run, a recording that ``retime`` re-times for other timing and plug-in cost knobs
    (isasim/cores/ri5cy/replay.py)."""
    from ..cores.ri5cy import replay
    t = RI5CYTiming()
    if timing:
        t.override(**timing)
    if record is not None:
        from ..retime import check_record_path
        check_record_path(record)
    core = RI5CY(elf, plugins=plugins, timing=t, hwloop_csr_base=hwloop_csr_base, cost=cost)
    rec = replay.Recorder(1, core.table, core.dec) if record is not None else None
    code = core.run(max_instructions=max_instructions, trace=trace, profile=profile, record=rec,
                    lanes=lanes)
    res = _result(core, code, t, operating_point, profile)
    if lanes:
        res["lanes"] = core.lanes.result()
    if rec is not None:
        default = RI5CYTiming().as_dict()
        replay.write_record(
            record, "ri5cy", core.prog, plugins, cost,
            {k: v for k, v in t.as_dict().items() if default[k] != v},
            {"operating_point": operating_point or energy.DEFAULT_OP,
             "hwloop_csr_base": _hwloop_base(hwloop_csr_base),
             "max_instructions": max_instructions},
            rec, [True], [code], res["instructions"], profile)
    if read_symbols:
        res["memory"] = {k: core.read_symbol(k, n) for k, n in read_symbols.items()}
    return res


def _result(core, code, t, operating_point, profile):
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
    return res


# run options a recording keeps fixed (a re-time with another value is refused): checkers that
# normalise a given value as the run does
_FIXED = {"operating_point": lambda v: v or energy.DEFAULT_OP, "hwloop_csr_base": _hwloop_base,
          "max_instructions": None, "plugins": None}


def retime(record_path, timing=None, cost=None, **run):
    """The result of the recorded run re-timed with RI5CY timing overrides ``timing`` and plug-in
    cost overrides ``cost`` (full override dicts): the same keys as ``run``'s result except
    ``memory``, equal to a fresh run with them. The recorded stream is replayed through the
    replay engine (isasim/cores/ri5cy/replay.py) with the engine's own cost rules."""
    from ..cores.ri5cy import replay
    from ..cores.ri5cy import codegen as cg
    from ..errors import SimError
    h, z, prog = replay.load(record_path, "ri5cy", run, _FIXED)
    t = RI5CYTiming().override(**(timing or {}))
    if cost and not h["plugins"]:
        raise IsasimError("cost overrides apply to plug-in instructions, and the recorded run "
                          "loaded no plug-in")
    profile = run.get("profile", h["profile"])
    core = RI5CY(prog, plugins=h["plugins"], timing=t, hwloop_csr_base=h["run"]["hwloop_csr_base"],
                 cost=cost)
    replay.check_table(h, core.table, record_path)
    core.eng = replay.engine(core.table)
    core.TR = replay.cached_streams(z, core.dec.nslots)[0]
    core.CTR[cg.C["exit_code"]] = h["exit_codes"][0]
    try:
        code = core.run(profile=profile)
    except SimError as e:
        raise IsasimError(f"{record_path}: the replay left the recorded stream ({e}): corrupt "
                          f"recording") from None
    if core.CTR[cg.C["instructions"]] != h["instructions"]:
        n = int(core.CTR[cg.C["instructions"]])
        raise IsasimError(f"{record_path}: the replay retired {n} instructions, the recording "
                          f"{h['instructions']} (corrupt recording)")
    res = _result(core, code, t, h["run"]["operating_point"], profile)
    res["status"] = "exit"
    return res
