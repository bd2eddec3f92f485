"""The STM32H7 platform (target ``cm7``): one Cortex-M7 core (isasim.cores.cm7: Unicorn + cycle
model) with the STM32H743 memories and caches (isasim.cores.cm7.memory), the plug-in traps of the
loaded plug-ins and the STM32H743 energy model of DS12110 (isasim.energy.stm32h7). ``run``
assembles the result of a run; see docs/cm7.md.

An operating point (isasim.energy.stm32h7.OPERATING_POINTS) is a silicon revision, a core clock and
a voltage scale, and implies a placement of the program (built with it: ``linker_script``) and a
cache state; the memory option of a variant overrides them. The energy row follows what was
actually simulated: where the ELF's code is and which caches were on.
"""
import os

from ..cores.cm7 import Cm7Core
from ..cores.cm7 import memory as MEM
from ..cores.cm7.core import NeedMemoryHooks, check_max_instructions
from ..energy import stm32h7 as _energy
from ..errors import IsasimError, SimError
from ..timing.cm7 import CM7Timing


def effective_memory(operating_point=None, memory=None):
    """The memory option of a run or build: the operating point's placement and cache state with
    the given ``memory`` keys over them (all keys, checked)."""
    op = _energy.point(operating_point)
    base = dict(MEM.FLASH_PLACEMENT if op["placement"] == "flash" else MEM.TCM_PLACEMENT)
    base.update(icache=op["caches"], dcache=op["caches"])
    base.update(MEM.check(memory))
    return base


def linker_script(memory=None, operating_point=None):
    """Linker script text for a build with this memory option / operating point."""
    return MEM.linker_script({k: v for k, v in effective_memory(operating_point, memory).items()
                              if k in MEM.ROLES})


def _sections(elf_path):
    from elftools.elf.elffile import ELFFile
    try:
        with open(elf_path, "rb") as f:
            e = ELFFile(f)
            return {s.name: (s["sh_addr"], s["sh_size"]) for s in e.iter_sections()
                    if s["sh_flags"] & 2}          # SHF_ALLOC
    except Exception:
        return {}


def run(elf_path, max_instructions=None, trace=None, plugins=(), timing=None, operating_point=None,
        profile=False, read_symbols=None, traps=None, freq_mhz=None, predictor=None, cost=None,
        native_traps=True, memory=None, record=None, lanes=False):
    """Run a Thumb ELF on the Cortex-M7 model and return the result dict.

    plugins: plug-in files / built-in names (their Thumb-2 instructions are trapped and timed);
    timing: dict of CM7Timing overrides (or a CM7Timing); operating_point: a name of
    isasim.energy.stm32h7.OPERATING_POINTS (default DEFAULT_OP); freq_mhz: run it at this clock;
    memory: the memory option (isasim.cores.cm7.memory: placement keys, checked against the ELF,
    and cache keys); traps: extra raw trap registrations (traps.register_cde/register_udf);
    predictor: shorthand for the timing field; cost: {mnemonic: {knob: value}} overrides of the
    plug-ins' cost knobs (what-if costs); native_traps: execute plug-in instructions with compiled
    handlers on the block path (isasim.cores.cm7.native; False: the Python trap handlers, as the
    trace path does).
    trace: file path; when given, the per-instruction path runs and writes one line per
    instruction: ``<issue cycle> <pc hex> <'+' if dual-issued with the previous> <disassembly>``.
    record: file path; after the run, a recording that ``retime`` re-times for other timing
    parameters and plug-in costs (isasim.cores.cm7.replay; block path only).
    lanes: add ``result["lanes"]``, the lane and precision profile of the SIMD multiplies
    (isasim.cores.cm7.lanes; code hooks on those instructions, same cycles).
    """
    max_instructions = check_max_instructions(max_instructions)
    if isinstance(timing, CM7Timing):
        t = timing
    else:
        t = CM7Timing().override(**(timing or {}))
    if predictor:
        t = CM7Timing().override(**t.as_dict()).override(predictor=predictor)
    op = _energy.point(operating_point, freq_mhz)           # validated before running
    if record is not None:
        if trace:
            raise IsasimError("--record: a recording is made on the block path; run it without "
                              "--trace")
        if traps:
            raise IsasimError("--record: runs with raw trap registrations cannot be recorded")
        from ..retime import check_record_path
        check_record_path(record)
    given = MEM.check(memory)
    mem = effective_memory(op["name"], given)
    sections = _sections(elf_path)
    actual = MEM.placement_of(sections)
    for role in MEM.ROLES:
        if role in given and role in actual and actual[role] != given[role]:
            raise IsasimError(f"--memory {role}={given[role]}: {elf_path} has its {role} in "
                              f"{actual[role]}; build it with the same --memory")
    pt = None
    regs = list(traps or ())
    native = None
    if plugins:
        from ..isa.registry import load_table
        from ..cores.cm7.plugins import PluginTraps
        pt = PluginTraps(load_table("cm7", plugins, cost=cost))
        regs += pt.registrations
        if native_traps:
            native = (pt.table, tuple(plugins))
    cache_keys = {k: v for k, v in mem.items() if k in MEM.CACHE_DEFAULTS}
    lane_spec = None
    if lanes:
        from ..cores.cm7.lanes import LaneProfile
        lane_spec = LaneProfile(pt.table if pt is not None else None)

    def make(hooks="auto", lanes=True):
        c = Cm7Core(elf_path, traps=regs, timing=t, native_plugins=native, memory=cache_keys,
                    memory_hooks=hooks)
        if lanes and lane_spec is not None:
            lane_spec.attach(c)
        return c
    hooks = "auto"
    try:
        core = make()
        core.run(max_instructions=max_instructions, trace=trace, record=record is not None)
    except NeedMemoryHooks:
        # the ELF has nothing outside the TCMs but the program reached another memory: run it
        # again from the start with the memory model's hooks (deterministic: the same run)
        if pt is not None:
            pt.counts.clear()
        if lane_spec is not None:
            lane_spec.clear()
        hooks = "always"
        core = make(hooks)
        core.run(max_instructions=max_instructions, trace=trace, record=record is not None)
    if pt is not None:
        for k, n in core.native_counts.items():
            pt.counts[k] = pt.counts.get(k, 0) + n
    res = _result(core, pt, op, mem, actual, profile)
    if profile and core.regions:
        if trace is None:
            # the block path charges whole blocks, and a region marker need not start one: the
            # per-instruction path (identical cycles) gives the region figures
            counts = dict(pt.counts) if pt is not None else None
            rc = make(hooks, lanes=False)
            rc.run(max_instructions=max_instructions, trace=os.devnull)
            if pt is not None:              # the plug-in counts are the first run's
                pt.counts.clear()
                pt.counts.update(counts)
            if rc.cycles != core.cycles or rc.instructions != core.instructions:
                raise SimError(f"internal error: {elf_path}: the per-instruction path gave "
                               f"{rc.cycles} cycles / {rc.instructions} instructions, the block "
                               f"path {core.cycles} / {core.instructions} (region profile)")
        else:
            rc = core
        res["regions"] = rc.region_profile()
    res["path"] = "trace" if trace else "block"
    res["stdout"] = "".join(core.stdout)
    if lane_spec is not None:
        res["lanes"] = lane_spec.result()
    if read_symbols:
        res["memory"] = {k: core.read_symbol(k, n) for k, n in read_symbols.items()}
    if record is not None:
        _write_record(record, elf_path, core, pt, plugins, cost, t, op, given, freq_mhz,
                      max_instructions, native_traps, profile, actual)
    return res


def _result(core, pt, op, mem, actual, profile):
    """The result dict of a finished core (a run or a re-timing), without stdout and memory."""
    code = actual.get("code") or (MEM.region_of(core.symbols["_start"]).name
                                  if MEM.region_of(core.symbols["_start"]) else "?")
    e_uj, opd, model = _energy.energy(core.cycles, op, code, mem["icache"], mem["dcache"])
    res = {
        "target": "cm7",
        "exit_code": core.exit_code if core.exit_code is not None else 1,
        "instructions": core.instructions,
        "cycles": core.cycles,
        "energy_uj": e_uj,
        "stalls": dict(core.stalls),
        "memory_stall_cycles": core.mem_stall_cycles,
        "counters": dict(core.counters),
        "dual_issued": core.dual_issued,
        "branches": core.branches,
        "mispredicts": core.mispredicts,
        "operating_point": opd,
        "energy_model": model,
        "memory_system": dict(core.mem.describe(), placement=actual),
        "timing": core.timing.as_dict(),
        "macs": pt.macs() if pt is not None else 0,     # declared by plug-ins (params macs)
        "op_counts": dict(sorted(core.op_counts.items())),
    }
    if pt is not None:
        res["plugin_counts"] = dict(pt.counts)
        extra = pt.energy_pj() * 1e-6
        res["plugin_energy_uj"] = extra
        if res["energy_uj"] is not None:
            res["energy_uj"] = res["energy_uj"] + extra
    if profile:
        res["profile"] = core.profile
    return res


# ---------------------------------------------------------------------------------------------
# record once, re-time many (isasim.cores.cm7.replay)
# ---------------------------------------------------------------------------------------------
def _sha256(path):
    import hashlib
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def _timing_overrides(t):
    default = CM7Timing().as_dict()
    return {k: v for k, v in t.as_dict().items() if default[k] != v}


def _write_record(path, elf_path, core, pt, plugins, cost, t, op, given, freq_mhz,
                  max_instructions, native_traps, profile, placement):
    import hashlib
    from ..cores.cm7 import replay
    from ..version import __version__
    with open(elf_path, "rb") as f:
        elf = f.read()
    files = []
    if plugins:
        from ..plugins import resolve
        files = resolve(plugins)
    header = {
        "isasim_record": replay.FORMAT, "target": "cm7",
        "elf_sha256": hashlib.sha256(elf).hexdigest(),
        "functions": [list(f) for f in core.funcs], "start": core.symbols["_start"],
        "plugins": files, "plugin_sha256": {p: _sha256(p) for p in files},
        "run": {"operating_point": op["name"], "freq_mhz": freq_mhz, "memory": given,
                "max_instructions": max_instructions, "native_traps": bool(native_traps)},
        "timing": _timing_overrides(t), "cost": cost or {},
        "version": __version__,
        "exit_code": core.exit_code if core.exit_code is not None else 1,
        "plugin_counts": dict(pt.counts) if pt is not None else {},
        "instructions": core.instructions, "profile": bool(profile), "placement": placement,
    }
    code = replay.code_ranges(core.recording["blocks"], core.segments)
    replay.save(path, header, code, core.recording, dict(core.counters), core.keep_insns)


# run options a recording keeps fixed: re-timing with another value is refused
_RUN_KEYS = ("operating_point", "freq_mhz", "memory", "max_instructions", "plugins")


def retime(record_path, timing=None, cost=None, **run):
    """The result of the recorded run re-timed with CM7Timing overrides ``timing`` and plug-in
    cost overrides ``cost`` (full override dicts, not deltas from the recording's): the same keys
    as ``run``'s result except ``memory`` and ``stdout``, equal to a fresh run with them. Other
    run options given in ``run`` must equal the recording's (else a one-line IsasimError names
    the option: it changes what executes or where, re-run instead)."""
    import os
    from ..cores.cm7 import replay
    from ..cores.cm7.engine import hooks_module
    from ..timing import cm7 as T
    rec = replay.load(record_path)
    h = rec.header
    for k, v in run.items():
        if k not in _RUN_KEYS and k != "profile":
            raise IsasimError(f"retime: {k} cannot be re-timed from a recording; re-run the "
                              f"program (a recording re-times timing.* and cost.* knobs only)")
    for k in _RUN_KEYS:
        if k not in run or k == "plugins":
            continue
        want = run[k]
        have = h["run"].get(k)
        if k == "max_instructions":
            # the recorded run completes under any limit >= its instruction count
            from ..targets import check_max_instructions as limit
            want = limit(want)
            if h["instructions"] > want:
                raise IsasimError(f"retime: max_instructions={want}: the recorded run executed "
                                  f"{h['instructions']} instructions, a fresh run would stop")
            continue
        if k == "memory":
            want = MEM.check(want)
        elif k == "operating_point":
            want = _energy.point(want)["name"]
        if want != have:
            raise IsasimError(f"retime: {k}={want!r} differs from the recording's {have!r}; it "
                              f"changes what executes or where: re-run the program")
    if "plugins" in run:
        from ..plugins import resolve
        files = resolve(run["plugins"] or ())
        if files != h["plugins"]:
            raise IsasimError(f"retime: plugins {files} differ from the recording's "
                              f"{h['plugins']}: re-run the program")
    for p, sha in h["plugin_sha256"].items():
        if not os.path.isfile(p) or _sha256(p) != sha:
            raise IsasimError(f"retime: plug-in {p} changed (or is gone) since the recording "
                              f"{record_path}: its semantics may differ, re-run the program")
    if isinstance(timing, CM7Timing):
        t = timing
    else:
        t = CM7Timing().override(**(timing or {}))
    if cost and not h["plugins"]:
        raise IsasimError("cost overrides apply to plug-in instructions, and the recorded run "
                          "loaded no plug-in")
    op = _energy.point(h["run"]["operating_point"], h["run"]["freq_mhz"])
    given = h["run"]["memory"]
    mem = effective_memory(op["name"], given)
    cache_keys = {k: v for k, v in mem.items() if k in MEM.CACHE_DEFAULTS}
    pt = None
    regs = []
    if h["plugins"]:
        from ..isa.registry import load_table
        from ..cores.cm7.plugins import PluginTraps
        pt = PluginTraps(load_table("cm7", h["plugins"], cost=cost))
        regs = pt.registrations
        pt.counts.update(h["plugin_counts"])
    from ..cores.cm7 import decoder
    functions = [(a, end - a, name) for a, end, name in h["functions"]]
    core = decoder.decoder(Cm7Core, rec.segments, {"_start": h["start"]}, functions, regs, t,
                           cache_keys, rec.insns)
    core.mem = MEM.MemoryModel(core.memory_cfg, core.timing, hooks_module())
    core.bc = T.BlockCache(core.timing)
    replay.replay(core, rec)
    core.mem.replay(h["counters"], rec.events)
    core._finish_fast([a for a, _ in rec.blocks], rec.events)
    core.exit_code = h["exit_code"]
    if core.instructions != h["instructions"]:
        raise IsasimError(f"{record_path}: the re-timed run has {core.instructions} instructions, "
                          f"the recording {h['instructions']} (corrupt recording)")
    res = _result(core, pt, op, mem, h["placement"],
                  run.get("profile", h["profile"]))
    res["path"] = "block"
    code = int(res["exit_code"]) & 0xFFFFFFFF
    res["exit_code"] = code - (1 << 32) if code & 0x80000000 else code
    res["status"] = "exit"
    res["retimed_from"] = record_path
    return res
