"""GAP-8 cluster: N RI5CY cores (SPMD), banked TCDM with bank arbitration, L2 behind the cluster
bus, and an event unit with a hardware barrier. Design and error bound: docs/gap8.md.

Execution scheme (quantum + post-hoc bank arbitration)
-----------------------------------------------------
Every core runs in the compiled engine (no Python per instruction) for a time quantum: up to the
window end ``W`` in its own cycle count (``P[cycle_limit]``) with the memory-access log on (cycle,
address, cycles of the instruction). Then ``_resolve`` replays the logged accesses of all cores in
global time order: an access of core i is at ``issue + cost - 1 + d_i`` where ``d_i`` is the delay
core i has accumulated so far in the window. Accesses of different cores to the same TCDM bank in
the same cycle: one is granted (round-robin per bank), the others retry next cycle (``d += 1``,
counted as ``tcdm_contention``), which shifts all later accesses of the loser. An L2 access goes
through one arbitrated cluster-bus port (losers: ``l2_contention``) and then stalls the core for
``l2_latency`` cycles (``l2_latency`` stall). The delays are added to the core's cycle counter.
A ring of granted (bank, cycle) pairs carries arbitration across window boundaries. Most
windows have no two accesses to one bank in one cycle: ``_precheck`` recognises them in one pass
per core and gives the same result without the time-ordered replay.

The window loop itself (run the cores, arbitrate, event unit, barrier) is compiled too
(gap8_loop.py, called with the engine by ``Cluster.run``); this class sets up the stacked per-core
arrays, drives that loop and does what needs Python: traces, Python-path plug-ins, errors,
timelines, results.

Barrier: a load from ``EU_BASE + EU_BARRIER`` stops the core (engine status ST_EVENT). When every
core that has not exited has arrived, all of them resume in the same cycle
``max(issue cycle of the barrier loads) + barrier_latency`` (never earlier than a load's own end).
The wait is counted as ``barrier`` stall and as clock-gated cycles for the energy model.
"""
import copy
import io
import json
from dataclasses import dataclass, asdict, fields

import numpy as np

from ..errors import IsasimError, SimError
from ..cores.ri5cy import codegen as cg
from ..cores.ri5cy.core import (RI5CY, Memory, L2_BASE, L2_SIZE, TCDM_BASE, CHUNK,
                                instruction_limit, profile_by_function,
                                profile_by_region, hwloop_csr_base as _hwloop_base)
from ..cores.ri5cy.runtime import IC_ROWS, IC_NEXT
from .gap8_loop import RUN, EXITED, EU_BARRIER

# ---- event unit (isasim's own register layout inside a 4 KB window; NOT GAP-8's real map) -------
# register offsets: gap8_loop.EU_* (the compiled loop handles the loads)
EU_BASE = 0x10204000

MAX_CORES = 16           # gap8.ld reserves 16 stacks
STALL_KEYS = ("load_use", "branch", "jump", "muldiv", "misaligned", "csr", "tcdm_contention",
              "barrier", "l2_contention", "l2_latency", "icache")

# the profile's stall causes (STALL_KEYS) from the profile columns of isasim/cores/ri5cy/layout.py
# PR_NAMES: the engine's causes, the arbitration's, and the instruction cache = refill latency
# (engine) + waits for the refill port (arbitration), as per_core() reports them
_CLUSTER_COLUMNS = {"l2_contention": ["l2_contention"], "l2_latency": ["l2_latency"],
                    "icache": ["st_icache", "icache_port"]}
PROFILE_CAUSES = {k: _CLUSTER_COLUMNS.get(k, ["st_" + k]) for k in STALL_KEYS}


@dataclass
class ClusterConfig:
    """Cluster parameters (``isasim exec --timing key=value`` overrides the ones named here)."""
    # isa_timing.md §1.8: 16 word-interleaved banks in the PULP cluster RTL [UNCONFIRMED for GAP-8]
    tcdm_banks: int = 16
    tcdm_size: int = 64 * 1024          # §1.8 "64 KB shared by the 8 cores"
    tcdm_interleave: int = 4            # bytes per bank before moving to the next (word-interleaved)
    # ASSUMPTION: extra stall cycles of a data access to L2 from a cluster core (cluster bus + SoC
    # interconnect round trip). Not published for GAP-8; plausible range 5..30.
    l2_latency: int = 10
    # §1.8: 11 cycles, PULP event unit (Glaser et al., DATE 2019) [UNCONFIRMED for GAP-8]:
    # cycles from the issue of the last core's barrier load to the cycle all cores continue.
    barrier_latency: int = 11
    # simulation quantum in cycles (accuracy/speed knob, see docs/gap8.md)
    quantum: int = 256
    # simulation bookkeeping, not a chip property: cycles between window ends that the arbitration
    # ring remembers (power of two)
    ring: int = 8192
    # ---- shared instruction cache of the cluster (docs/gap8.md "Instruction cache") ----
    # 1 = modelled, 0 = every fetch hits (the model before the I-cache existed)
    icache: int = 1
    # 4096 bytes, 16-byte lines, 1 way: pulp-configs configs/chips/gap/cluster_0.json "icache"
    # (the GVSoC GAP-8 cluster: size 4096, line_size 16, ways 1, 8 ports). [CONFLICT] the gap_sdk
    # docs (isa_timing.md §1.8) give 16 KB; the PULP RTL of the time (icache_mp_128_pf, Mr. Wolf,
    # 2018) is 4 KB with 16-byte lines and 4 ways (gap8_measured.md "cluster I-cache")
    icache_size: int = 4096
    icache_line: int = 16
    icache_ways: int = 1
    # ASSUMPTION: cycles from a miss to the line being usable, the same as a data access to L2
    # (l2_latency, itself an assumption); one refill at a time, a miss while another core's refill
    # is in flight waits for the refill port (GVSoC cache model, gvsoc-core cache_impl.cpp: "only
    # 1 refill at the same time"); hits never stall (per-core read ports: icache_mp_128_pf)
    icache_refill: int = 10

    # The stated ranges of parameters no measurement fixes (ASSUMPTION ranges above, sources that
    # disagree): name -> (fast end, slow end); results report the cycles at the two corners
    # (cycles_fast, cycles_slow; docs/explorer.md "Uncertainty").
    RANGES = {
        "l2_latency": (5, 30),           # ASSUMPTION, "plausible range 5..30"
        "icache_refill": (5, 30),        # ASSUMPTION: as l2_latency
        "icache_size": (16384, 4096),    # [CONFLICT] gap_sdk docs 16 KB, GVSoC config 4 KB
    }

    # smallest allowed value of each parameter (latencies may be 0; the TCDM must not reach into
    # the event-unit window at EU_BASE)
    MIN = {"tcdm_banks": 1, "tcdm_size": 4, "tcdm_interleave": 1, "l2_latency": 0,
           "barrier_latency": 0, "quantum": 1, "ring": 1, "icache": 0, "icache_size": 4,
           "icache_line": 4, "icache_ways": 1, "icache_refill": 0}

    def override(self, **kw):
        """Set the named parameters; refuse unknown names, non-integers and out-of-range values
        (all of them, or none are set)."""
        from ..timing.ri5cy import int_param
        names = [f.name for f in fields(self)]
        new = {}
        for k, v in kw.items():
            if k not in names:
                raise IsasimError(f"unknown gap8 cluster parameter '{k}' (allowed: "
                                  f"{', '.join(sorted(names))})")
            new[k] = int_param("gap8 cluster", k, v, self.MIN[k])
        size = new.get("tcdm_size", self.tcdm_size)
        if size > EU_BASE - TCDM_BASE:
            raise IsasimError(f"gap8 cluster parameter 'tcdm_size' = {size}: the TCDM at "
                              f"0x{TCDM_BASE:08x} would overlap the event unit at 0x{EU_BASE:08x} "
                              f"(at most {EU_BASE - TCDM_BASE})")
        get = lambda k: new.get(k, getattr(self, k))      # noqa: E731
        if get("icache") not in (0, 1):
            raise IsasimError(f"gap8 cluster parameter 'icache' = {get('icache')}: must be 1 "
                              f"(modelled) or 0 (every fetch hits)")
        line, ways, isize = get("icache_line"), get("icache_ways"), get("icache_size")
        if line & (line - 1):
            raise IsasimError(f"gap8 cluster parameter 'icache_line' = {line}: must be a power "
                              f"of two")
        if isize % (line * ways):
            raise IsasimError(f"gap8 cluster parameters: icache_size = {isize} is not a multiple "
                              f"of icache_line x icache_ways = {line * ways}")
        for k, v in new.items():
            setattr(self, k, v)
        return self

    def icache_sets(self):
        return self.icache_size // (self.icache_line * self.icache_ways)


# ---- the compiled window loop -------------------------------------------------------------------
_loops = {}


def _loop_paths():
    import hashlib
    import os
    from ..toolchain.zig import cache_root
    from . import gap8_arb, gap8_loop
    with open(gap8_loop.__file__) as f:
        src = f.read()
    with open(gap8_arb.__file__, "rb") as f:
        arb = f.read()
    key = hashlib.sha256(src.encode() + arb + cg.layout.signature().encode()).hexdigest()[:20]
    return key, os.path.join(cache_root(), "engine", f"gap8_loop_{key}.py"), src


def loop_module():
    """The compiled window loop (gap8_loop.py; it takes the engine as an argument): a copy of
    gap8_loop.py in the engine cache directory, keyed by its source, gap8_arb.py's and the layout,
    so numba caches it there. A cold start compiles it in the engine's helper process (BACKGROUND
    below) while run() compiles; this process waits for that helper, then loads it."""
    import os
    key, path, src = _loop_paths()
    if key not in _loops:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        mod = cg._import_generated(path, f"isasim_gap8_loop_{key}", src)
        if not cg._jit_disabled() and not cg._cached(mod.run_windows):
            cg.wait_background()            # this process's helper may be compiling it
            with cg.compile_lock(path):     # cold: one process compiles, the others wait here
                mod.run_windows.compile(loop_signature())   # or loads what another compiled
        _loops[key] = mod
    return _loops[key]


def loop_signature():
    """numba types of run_windows()'s arguments as Cluster.run passes them."""
    from numba import types as t
    i64 = t.int64
    a1, a2, a3 = (t.Array(i64, k, "C") for k in (1, 2, 3))
    e = cg.engine_signature()
    return ((cg.engine_function_type(),)
            + e[:3] + (a2, a2, a2, e[6], a1, a1, a1, a2, a2, a2, a1, a3, a2, a3, e[18], a2, a2)
            + (a2, a1, a2, a1, a2, a2, a2, a2))


# a cold start compiles the window loop (and with it the arbitration, gap8_arb.py) in the helper
# process while the engine compiles
if "isasim.platforms.gap8:loop_module" not in cg.BACKGROUND:
    cg.BACKGROUND.append("isasim.platforms.gap8:loop_module")


class Cluster:
    """N RI5CY cores sharing one Memory and one pre-decoded program. The per-core arrays of all
    cores are stacked (``self.R[i]`` is core i's registers; ``self.cores[i].R`` is a view of that
    row), so the compiled loop (gap8_loop.py) runs every core without Python in between."""

    def __init__(self, elf, cores=8, plugins=(), timing=None, config=None, trace=None,
                 profile=False, timeline=False, freq_mhz=175.0, hwloop_csr_base=None, cost=None,
                 lanes=False, record=False):
        from ..timing.ri5cy import RI5CYTiming
        if not 1 <= int(cores) <= MAX_CORES:
            raise IsasimError(f"gap8: --cores must be 1..{MAX_CORES} (got {cores})")
        self.n = n = int(cores)
        self.cfg = cfg = config or ClusterConfig()
        from ..elf import Program
        t = timing or RI5CYTiming()
        prog = elf if isinstance(elf, Program) else Program(elf)
        mem = Memory.for_program(prog, [("L2", L2_BASE, L2_SIZE),
                                         ("TCDM", TCDM_BASE, cfg.tcdm_size)])
        c0 = RI5CY(prog, plugins=plugins, timing=t, core_id=0, memory=mem,
                   hwloop_csr_base=hwloop_csr_base, cost=cost)
        self.prog, self.mem, self.timing = c0.prog, c0.mem, t
        self.cores = [c0] + [_clone(c0, i) for i in range(1, n)]
        self.loop = loop_module()
        self.eng = cg.engine_pointer(c0.eng)
        self.trace = trace
        # the lane profile reads the trace rows (isasim.cores.ri5cy.lanes): the trace path
        self.lanes = None
        if lanes:
            from ..cores.ri5cy.lanes import LaneProfile
            self.lanes = LaneProfile(c0.table, c0.dec)
        # record: the commit-log rows go to a replay.Recorder (trace path, same cycles)
        self.recorder = None
        if record:
            from ..cores.ri5cy import replay
            self.recorder = replay.Recorder(n, c0.table, c0.dec)
        self.tcap = 65536 if trace or lanes or record else 0
        P = cg.P
        # log every data access (TCDM, L2 and the event window): the range covers all of them
        lo = TCDM_BASE
        hi = max(L2_BASE + L2_SIZE, EU_BASE + 0x1000)
        for i, c in enumerate(self.cores):
            c.P[P["log_tcdm"]] = 1
            c.P[P["tcdm_base"]] = lo
            c.P[P["tcdm_size"]] = hi - lo
            c.P[P["event_base"]] = EU_BASE
            c.P[P["ncores"]] = n
            c.P[P["core_id"]] = i
            c.P[P["cluster_id"]] = 0
            c.P[P["trace"]] = 1 if self.tcap else 0
            c.P[P["icache"]] = cfg.icache
            c.P[P["icache_line_bits"]] = cfg.icache_line.bit_length() - 1
            c.P[P["icache_sets"]] = cfg.icache_sets()
            c.P[P["icache_ways"]] = cfg.icache_ways
            c.P[P["icache_refill"]] = cfg.icache_refill
            c.TR = np.zeros((max(self.tcap, 1), len(cg.layout.TR_NAMES)), np.int64)
            if profile:
                c.enable_profile()
        for name in ("R", "HW", "CSR", "CTR", "OPCNT", "P", "TR", "PROF"):
            rows = np.stack([getattr(c, name) for c in self.cores])
            setattr(self, name, rows)
            for i, c in enumerate(self.cores):
                setattr(c, name, rows[i])
        self.PC = np.array([c.pc for c in self.cores], np.int64)
        # the shared instruction cache (runtime.icache_access): one array for all cores
        self.IC = np.full((IC_ROWS, cfg.icache_sets() * cfg.icache_ways), -1, np.int64)
        self.IC[IC_NEXT] = 0
        for c in self.cores:
            c.IC = self.IC
        self.cap = 2 * cfg.quantum + 256
        self._new_log()
        L = self.loop
        self.CS = np.zeros((len(L.CS_NAMES), n), np.int64)
        self.CS[L.CS_END] = -1
        self.LS = np.zeros(len(L.LS_NAMES), np.int64)
        il, nb = cfg.tcdm_interleave, cfg.tcdm_banks
        pow2 = lambda v: v & (v - 1) == 0          # noqa: E731
        for k, v in (("quantum", cfg.quantum), ("tcdm_base", TCDM_BASE),
                     ("tcdm_size", cfg.tcdm_size), ("banks", nb),
                     ("ilv", -il.bit_length() if pow2(il) and pow2(nb) else il),
                     ("l2_latency", cfg.l2_latency), ("ev_base", EU_BASE),
                     ("barrier_latency", cfg.barrier_latency), ("trace_cap", self.tcap),
                     ("timeline", 1 if timeline else 0), ("ic_refill", cfg.icache_refill)):
            self.LS[L.LS_NAMES.index(k)] = v
        ring = 1
        while ring < max(cfg.ring, 4 * cfg.quantum):
            ring *= 2
        # ports: the TCDM banks, the L2 port (nb), the instruction-cache refill port (nb + 1)
        self.ring = np.full((nb + 2, ring), L.NONE, np.int64)
        self.rr = np.zeros(nb + 2, np.int64)
        self.T = np.zeros((6, n), np.int64)
        self.LAST = np.zeros((2, nb + 2), np.int64)
        self.BAR = np.zeros((1000, 1 + n), np.int64)     # first 1000 barrier episodes
        self.freq_mhz = freq_mhz
        self.tl = [] if timeline else None
        self._busy_start = [0] * n
        self._tl_prev = (np.zeros(n, np.int64), np.zeros(n, np.int64), np.zeros(n, np.int64))
        self._tl_nb = 0                   # barrier episodes already drawn

    # ---- bookkeeping views ---------------------------------------------------------------------
    def _row(self, name):
        return self.CS[self.loop.CS_NAMES.index(name)]

    @property
    def state(self):
        return [int(v) for v in self._row("state")]

    @property
    def end_cycle(self):
        return [int(v) if v >= 0 else None for v in self._row("end_cycle")]

    @property
    def exit_codes(self):
        C = cg.C["exit_code"]
        return [int(self.CTR[i, C] & 0xFFFFFFFF) if s == EXITED else None
                for i, s in enumerate(self.state)]

    @property
    def windows(self):
        return int(self.LS[self.loop.LS_WINDOWS])

    @property
    def n_barriers(self):
        return int(self.LS[self.loop.LS_NB])

    @property
    def barriers(self):
        """(release cycle, {core: arrival cycle}) of the first 1000 barrier episodes."""
        out = []
        for k in range(min(self.n_barriers, len(self.BAR))):
            row = self.BAR[k]
            out.append({"release": int(row[0]),
                        "arrivals": {i: int(row[1 + i]) for i in range(self.n) if row[1 + i] >= 0}})
        return out

    def cycles_of(self, i):
        return int(self.CTR[i, cg.C["cycles"]])

    def _new_log(self, old=None):
        self.AL = np.zeros((self.n, self.cap, len(cg.layout.AL_NAMES)), np.int64)
        if old is not None:
            self.AL[:, :old.shape[1]] = old
        for i, c in enumerate(self.cores):
            c.AL = self.AL[i]
        # ring entries _precheck may overwrite: one per access, icache_refill per refill (more
        # than fit sends the window to _resolve, which gives the same result)
        self.UNDO = np.zeros((3, 2 * self.n * self.cap), np.int64)

    # ---- the run ---------------------------------------------------------------------------------
    def run(self, max_instructions=None):
        """Run to core 0's exit. ``max_instructions``: None (no limit) or a positive int, counted
        over all cores together."""
        L = self.loop
        LS = self.LS
        LS[L.LS_LIMIT] = instruction_limit(max_instructions)
        LS[L.LS_YIELD_DONE] = LS[L.LS_DONE] + CHUNK
        LS[L.LS_YIELD_WINDOWS] = LS[L.LS_WINDOWS] + 4096
        out = open(self.trace, "w") if self.trace else None
        try:
            if out:
                out.write("# isasim gap8 cluster commit log: core cycle pc word disassembly "
                          "[reg=value] [mem=address]; cycles exclude the contention stalls of "
                          "the current quantum\n")
            while True:
                d = self.cores[0].dec
                m = self.mem
                why, i = L.run_windows(
                    self.eng,
                    d.SLOT, d.base, d.nslots, self.R, self.HW, self.CSR, m.MEM, m.RB, m.RS, m.RO,
                    self.CTR, self.OPCNT, self.P, self.PC, self.TR, self.PROF, self.AL,
                    self.cores[0].PF, self.cores[0].PMETA, self.IC,
                    self.CS, LS, self.ring, self.rr, self.T, self.UNDO, self.LAST, self.BAR)
                for k, c in enumerate(self.cores):
                    c.pc = int(self.PC[k])
                c = self.cores[i]
                if self.tcap and LS[L.LS_K]:
                    if out:
                        buf = io.StringIO()
                        c.write_trace(buf, int(LS[L.LS_K]))
                        _prefixed(out, i, buf)
                    if self.lanes is not None:
                        self.lanes.add_rows(c.TR, int(LS[L.LS_K]))
                    if self.recorder is not None:
                        self.recorder.rows(i, self.TR[i], int(LS[L.LS_K]))
                    LS[L.LS_K] = 0
                if self.recorder is not None and why in (L.R_REDECODE, L.R_PYCALL):
                    self.recorder.refuse("self-modifying code" if why == L.R_REDECODE else
                                         "a Python-path plug-in instruction executed")
                if why == L.R_DONE:
                    break
                if why == L.R_YIELD:        # back in Python now and then (Ctrl-C)
                    LS[L.LS_YIELD_DONE] = LS[L.LS_DONE] + CHUNK
                    LS[L.LS_YIELD_WINDOWS] = LS[L.LS_WINDOWS] + 4096
                    continue
                if why == L.R_REDECODE:     # a store overwrote code: decode that slot again
                    d.redecode(int(self.PC[i]), self.mem)
                    continue
                if why == L.R_WINDOW:
                    self._tl_window_all()
                    if self.CS[L.CS_END, 0] >= 0:
                        break
                elif why == L.R_LOG_FULL:
                    self.cap *= 2
                    self._new_log(self.AL)
                elif why == L.R_PYCALL:
                    if self.lanes is not None:
                        self.lanes.python_exec(c)
                    buf = io.StringIO() if out else None
                    try:
                        c.py_exec(buf)
                    except SimError as e:
                        raise SimError(f"core {i}: {e}") from None
                    if out:
                        _prefixed(out, i, buf)
                    self.PC[i] = c.pc
                    LS[L.LS_DONE] += 1
                elif why == L.R_LIMIT:
                    raise SimError(
                        f"stopped after {int(LS[L.LS_DONE])} instructions (--max-instructions "
                        f"{int(LS[L.LS_LIMIT])}) at core {i} pc 0x{c.pc:08x} ({c.where(c.pc)}): "
                        f"the program did not exit")
                elif why == L.R_ERROR:
                    self._error(i, c, int(LS[L.LS_STATUS]))
        finally:
            if out:
                out.close()
        for i, c in enumerate(self.cores):
            if self.state[i] == EXITED:
                c.status = "exit"
        return self.exit_codes[0]

    def _error(self, i, c, st):
        """Raise the one-line error for engine status ``st`` of core ``i``."""
        if st == cg.ST_EVENT:
            a = int(c.CTR[cg.C["ev_addr"]])
            if int(c.CTR[cg.C["ev_rd"]]) < 0:
                raise SimError(f"core {i}: store to event unit register 0x{a:08x} "
                               f"(pc 0x{c.pc:08x}, {c.where(c.pc)}): isasim's event unit has no "
                               f"writable registers (barrier = load from "
                               f"0x{EU_BASE + EU_BARRIER:08x})")
            raise SimError(f"core {i}: load from unknown event unit register 0x{a:08x} "
                           f"(pc 0x{c.pc:08x}); registers: barrier +0x0, core id +0x4, "
                           f"number of cores +0x8")
        fa = int(c.CTR[cg.C["fault_addr"]])
        if st == cg.ST_MEM and EU_BASE <= fa < EU_BASE + 0x1000:
            raise SimError(
                f"core {i}: {'store to' if c.CTR[cg.C['fault_store']] else 'load from'}"
                f" event unit register 0x{fa:08x} (pc 0x{c.pc:08x}, "
                f"{c.where(c.pc)}): isasim's event unit has no writable registers "
                f"(barrier = load from 0x{EU_BASE + EU_BARRIER:08x})")
        try:
            c.finish(st)
        except SimError as e:
            raise SimError(f"core {i}: {e}") from None
        raise SimError(f"core {i}: engine status {st}")

    # ---- timeline -------------------------------------------------------------------------------
    def _tl_slice(self, i, name, s, e, args=None):
        if e <= s:
            return
        f = self.freq_mhz
        ev = {"name": name, "ph": "X", "pid": 0, "tid": i, "ts": s / f, "dur": (e - s) / f,
              "args": {"start_cycle": int(s), "end_cycle": int(e), **(args or {})}}
        self.tl.append(ev)

    def _tl_window_all(self):
        """Timeline slices of the window just arbitrated (and of a barrier it released)."""
        L, CS = self.loop, self.CS
        nb = self.n_barriers
        released = nb > self._tl_nb
        self._tl_nb = nb
        rel = int(self.LS[L.LS_LAST_REL])
        for i in range(self.n):
            d = int(CS[L.CS_D, i])
            waited = released and CS[L.CS_ARRIVAL, i] >= 0
            end = int(CS[L.CS_ARRIVAL, i]) if waited else self.cycles_of(i)
            if CS[L.CS_RUNNABLE, i] or d:
                self._tl_window(i, end, d, bool(CS[L.CS_STOPPED, i]))
            if waited:
                a = int(CS[L.CS_ARRIVAL, i])
                self._tl_slice(i, "barrier wait", a, rel, {"arrival": a, "release": rel})
                self._busy_start[i] = rel

    def _tl_window(self, i, end, delay, stopped):
        """Busy slices are merged until a quantum has memory stalls or the core stops. The stall
        cycles of one quantum are drawn as slices at its end, one per cause ("tcdm contention",
        "l2 access" = L2 latency + L2 port contention, "icache refill port" = waiting for another
        core's refill): the cause and amount are exact, the position inside the quantum is not
        kept. I-cache refill latencies are inside "busy" (the engine charges them, like the
        pipeline stalls)."""
        if delay > 0 or stopped:
            cont, l2c, l2l = self._row("cont"), self._row("l2c"), self._row("l2l")
            icc = self._row("icc")
            tc = int(cont[i] - self._tl_prev[0][i])
            l2 = int(l2c[i] + l2l[i] - self._tl_prev[1][i])
            ic = int(icc[i] - self._tl_prev[2][i])
            self._tl_prev[0][i] = cont[i]
            self._tl_prev[1][i] = l2c[i] + l2l[i]
            self._tl_prev[2][i] = icc[i]
            s = end - delay
            self._tl_slice(i, "busy", self._busy_start[i], s)
            self._tl_slice(i, "tcdm contention", s, s + tc, {"cycles": tc})
            self._tl_slice(i, "l2 access", s + tc, s + tc + l2, {"cycles": l2})
            self._tl_slice(i, "icache refill port", s + tc + l2, s + tc + l2 + ic, {"cycles": ic})
            self._busy_start[i] = end

    def _tl_close(self):
        for i in range(self.n):
            if self.state[i] == RUN:
                self._tl_slice(i, "busy", self._busy_start[i], self.cycles_of(i))
        meta = [{"name": "thread_name", "ph": "M", "pid": 0, "tid": i,
                 "args": {"name": f"core {i}"}} for i in range(self.n)]
        meta.append({"name": "process_name", "ph": "M", "pid": 0,
                     "args": {"name": f"gap8 cluster ({self.n} cores, ts in us at "
                                      f"{self.freq_mhz} MHz)"}})
        return meta + self.tl

    def write_timeline(self, path):
        with open(path, "w") as f:
            json.dump({"traceEvents": self._tl_close(), "displayTimeUnit": "ns"}, f)

    # ---- results --------------------------------------------------------------------------------
    def per_core(self):
        total = self.end_cycle[0] if self.end_cycle[0] is not None else self.cycles_of(0)
        res = []
        cont, gated = self._row("cont"), self._row("gated")
        for i, c in enumerate(self.cores):
            cnt = c.counters()
            end = self.end_cycle[i] if self.end_cycle[i] is not None else min(self.cycles_of(i),
                                                                             total)
            stalls = dict(cnt["stalls"])
            # bank-conflict stalls come from the arbitration, not from the engine
            c.CTR[cg.C["st_tcdm_contention"]] = cont[i]
            stalls["tcdm_contention"] = int(cont[i])
            stalls["l2_contention"] = int(self._row("l2c")[i])
            stalls["l2_latency"] = int(self._row("l2l")[i])
            # instruction cache: refill and in-flight waits (engine) + refill-port waits (replay)
            stalls["icache"] = int(c.CTR[cg.C["st_icache"]]) + int(self._row("icc")[i])
            # the access log covered every data access: the engine's TCDM/L2 split is replaced
            gated_i = int(gated[i]) + max(0, total - end)
            res.append({"core": i, "cycles": cnt["cycles"], "end_cycle": int(end),
                        "instructions": cnt["instructions"], "stalls": stalls,
                        "loads": cnt["loads"], "stores": cnt["stores"],
                        "tcdm_accesses": int(self._row("ntc")[i]),
                        "l2_accesses": int(self._row("nl2")[i]),
                        "event_accesses": int(self._row("nev")[i]),
                        "icache_hits": int(c.CTR[cg.C["ic_hits"]]),
                        "icache_misses": int(c.CTR[cg.C["ic_misses"]]),
                        "active_cycles": max(0, int(end) - int(gated[i])),
                        "gated_cycles": gated_i,
                        "state": ("running", "waiting at barrier", "exited")[self.state[i]],
                        "exit_code": self.exit_codes[i]})
        return res


def _clone(c0, core_id):
    """A second core for the same program: shares the decoded program, engine, table, timing and
    memory of ``c0``; has its own registers, counters and parameters (must be called before c0
    runs)."""
    c = copy.copy(c0)
    c.R = np.zeros_like(c0.R)
    c.HW = np.zeros_like(c0.HW)
    c.CSR = c0.CSR.copy()
    c.CTR = np.zeros_like(c0.CTR)
    c.OPCNT = np.zeros_like(c0.OPCNT)
    c.P = c0.P.copy()
    c.P[cg.P["core_id"]] = core_id
    c.PROF = np.zeros(1, np.int64)
    c.TR = np.zeros_like(c0.TR[:1])
    c.AL = np.zeros_like(c0.AL[:1])
    c.core_id = core_id
    c.pc = c0.prog.entry
    c.status = None
    top = c0.prog.symbols.get("__stack_top")
    size = c0.prog.symbols.get("__stack_size", 0x400)
    if top:
        c.R[2] = top - core_id * size
    return c


def _prefixed(out, i, buf):
    """Copy the commit-log lines in ``buf`` to ``out``, each prefixed with its core."""
    for line in buf.getvalue().splitlines():
        out.write(f"c{i} {line}\n")


_CLUSTER_KEYS = {f.name for f in fields(ClusterConfig)}


def validate_timing(overrides, base_config=None):
    """(RI5CYTiming, ClusterConfig) with ``overrides`` (a dict of RI5CY timing and/or cluster
    parameters, values int or integer strings) applied to the defaults (to a copy of
    ``base_config`` for the cluster part); IsasimError naming the parameter otherwise."""
    from ..timing.ri5cy import RI5CYTiming
    t = RI5CYTiming()
    cfg = copy.copy(base_config) if base_config else ClusterConfig()
    overrides = dict(overrides or {})
    core_keys = {f.name for f in fields(RI5CYTiming)} - {"slow_csrs"}
    unknown = [k for k in overrides if k not in _CLUSTER_KEYS and k not in core_keys]
    if unknown:
        raise IsasimError(f"unknown gap8 timing parameter '{unknown[0]}' (RI5CY: "
                          f"{', '.join(sorted(core_keys))}; cluster: "
                          f"{', '.join(sorted(_CLUSTER_KEYS))})")
    t.override(**{k: v for k, v in overrides.items() if k in core_keys})
    cfg.override(**{k: v for k, v in overrides.items() if k in _CLUSTER_KEYS})
    return t, cfg


def run_cluster(elf, cores=8, max_instructions=None, trace=None, plugins=(), profile=False,
                timing=None, operating_point=None, timeline=None, config=None, read_symbols=None,
                hwloop_csr_base=None, cost=None, lanes=False, record=None):
    """Run ``elf`` SPMD on a ``cores``-core GAP-8 cluster; return the result dict.
    ``profile``: ``result["profile"]`` {function: {"cycles", "instructions", "stalls"}} summed
    over the cores (adds up to core_cycles, instructions and every stall, the cluster's included);
    ``lanes``: ``result["lanes"]``, the lane profile of the SIMD dot products of all cores.
    ``timing``: dict of RI5CY timing and/or ClusterConfig overrides (validate_timing);
    ``read_symbols`` {name: nbytes}: shared memory read back after the run into
    ``result["memory"]``; ``hwloop_csr_base``: see isasim.cores.ri5cy.core.hwloop_csr_base.
    ``record``: file path; after the run, a recording that ``retime`` re-times for other timing
    and cost knobs (isasim/cores/ri5cy/replay.py)."""
    from ..energy import gap8 as energy
    op = operating_point or energy.DEFAULT_OP
    if op not in energy.OPERATING_POINTS:
        raise IsasimError(f"unknown operating point '{op}' for gap8 "
                          f"(allowed: {', '.join(energy.OPERATING_POINTS)})")
    t, cfg = validate_timing(timing, config)
    if record is not None:
        from ..retime import check_record_path
        check_record_path(record)
    cl = Cluster(elf, cores=cores, plugins=plugins, timing=t, config=cfg, trace=trace,
                 profile=profile, timeline=bool(timeline),
                 freq_mhz=energy.OPERATING_POINTS[op].f_mhz, hwloop_csr_base=hwloop_csr_base,
                 cost=cost, lanes=lanes, record=record is not None)
    code = cl.run(max_instructions=max_instructions)
    if record is not None:
        _write_record(record, cl, plugins, cost, timing, op, max_instructions, profile)
    res = cluster_result(cl, op)
    res["exit_code"] = code
    if timeline:
        cl.write_timeline(timeline)
        res["timeline"] = timeline
    if profile:
        res.update(_cluster_profile(cl))
    if lanes:
        res["lanes"] = cl.lanes.result()
    if read_symbols:           # shared memory: any core reads it
        res["memory"] = {k: cl.cores[0].read_symbol(k, n) for k, n in read_symbols.items()}
    return res


def _cluster_profile(cl):
    """``profile``: {function: {"cycles", "instructions", "stalls"}} summed over the cores (adds
    up to core_cycles, instructions and every stall, the cluster's included), and ``regions``
    (the same by region marker) when the program has them."""
    out = {"profile": profile_by_function(cl.cores, PROFILE_CAUSES)}
    regions = profile_by_region(cl.cores, PROFILE_CAUSES)
    if regions is not None:
        out["regions"] = regions
    return out


def cluster_result(cl, op):
    from ..energy import gap8 as energy
    pc = cl.per_core()
    total = pc[0]["end_cycle"]
    stalls = {k: sum(p["stalls"].get(k, 0) for p in pc) for k in STALL_KEYS}
    opc = {}
    for c in cl.cores:
        for k, v in c.op_counts().items():
            opc[k] = opc.get(k, 0) + v
    act = sum(p["active_cycles"] for p in pc)
    gat = sum(p["gated_cycles"] for p in pc)
    tc = sum(p["tcdm_accesses"] for p in pc)
    l2 = sum(p["l2_accesses"] for p in pc)
    e = energy.cluster_energy(act, gat, tc, l2, op)
    return {"target": "gap8", "cores": cl.n, "exit_code": None, "cycles": total,
            "core_cycles": sum(p["cycles"] for p in pc),
            "instructions": sum(p["instructions"] for p in pc), "stalls": stalls,
            "stall_causes": list(STALL_KEYS),
            "loads": sum(p["loads"] for p in pc), "stores": sum(p["stores"] for p in pc),
            "tcdm_accesses": tc, "l2_accesses": l2,
            "macs": sum(c.macs() for c in cl.cores),
            "energy_uj": e["total_uj"], "energy_breakdown_uj": e["breakdown_uj"],
            "operating_point": op, "energy_model": energy.describe(op),
            "per_core": pc, "barriers": cl.n_barriers,
            "counters": {"icache_hits": sum(p["icache_hits"] for p in pc),
                         "icache_misses": sum(p["icache_misses"] for p in pc)},
            "cluster": {**asdict(cl.cfg), "event_unit_base": EU_BASE, "quanta": cl.windows,
                        "quanta_without_conflict": int(cl.LS[cl.loop.LS_FAST])},
            "timing": cl.timing.as_dict(), "op_counts": opc}


# ---- record once, re-time many (isasim/cores/ri5cy/replay.py) ----------------------------------
def _write_record(path, cl, plugins, cost, timing, op, max_instructions, profile):
    from ..cores.ri5cy import replay
    rec = cl.recorder
    left = [i for i, st in enumerate(cl.state) if st != EXITED]
    if left:        # how far such a core got depends on when core 0 exited, i.e. on timing
        rec.refuse(f"core {left[0]} had not exited when core 0 ended the run: how far it got "
                   f"depends on timing")
    replay.check_races(rec, EU_BASE, EU_BARRIER, cl.cores[0].PMETA)
    c0 = cl.cores[0]
    replay.write_record(
        path, "gap8", cl.prog, plugins, cost, dict(timing or {}),
        {"cores": cl.n, "operating_point": op,
         "hwloop_csr_base": c0.P[cg.P["hwloop_csr_base"]].item(),
         "max_instructions": max_instructions, "tcdm_size": cl.cfg.tcdm_size},
        rec, [s == EXITED for s in cl.state], cl.exit_codes,
        int(sum(c.CTR[cg.C["instructions"]] for c in cl.cores)), profile)


def _op(v):
    from ..energy import gap8 as energy
    return v or energy.DEFAULT_OP


# run options a recording keeps fixed (a re-time with another value is refused)
_FIXED = {"cores": None, "operating_point": _op, "hwloop_csr_base": _hwloop_base,
          "max_instructions": None, "plugins": None}


def retime(record_path, timing=None, cost=None, **run):
    """The result of the recorded cluster run re-timed with ``timing`` (RI5CY and cluster
    parameters, as run_cluster takes them) and plug-in cost overrides ``cost`` (full override
    dicts): the same keys as run_cluster's result except ``memory``, equal to a fresh run with
    them. Each core's recorded stream runs through the replay engine bound into the same window
    loop, so contention, barriers and the I-cache are recomputed by the same code."""
    from ..cores.ri5cy import replay
    from ..energy import gap8 as energy
    h, z, prog = replay.load(record_path, "gap8", run, _FIXED)
    t, cfg = validate_timing(timing or {})
    if cfg.tcdm_size != h["run"]["tcdm_size"]:
        raise IsasimError(f"retime: timing tcdm_size={cfg.tcdm_size} differs from the "
                          f"recording's {h['run']['tcdm_size']}: it changes the memory map (what "
                          f"executes or where); re-run the program")
    if cost and not h["plugins"]:
        raise IsasimError("cost overrides apply to plug-in instructions, and the recorded run "
                          "loaded no plug-in")
    profile = run.get("profile", h["profile"])
    op = h["run"]["operating_point"]
    cl = Cluster(prog, cores=h["run"]["cores"], plugins=h["plugins"], timing=t, config=cfg,
                 profile=profile, freq_mhz=energy.OPERATING_POINTS[op].f_mhz,
                 hwloop_csr_base=h["run"]["hwloop_csr_base"], cost=cost)
    c0 = cl.cores[0]
    replay.check_table(h, c0.table, record_path)
    mod = replay.engine(c0.table)
    cl.eng = cg.engine_pointer(mod)      # the window loop calls the replay engine instead
    cl.TR = replay.cached_streams(z, c0.dec.nslots)
    for i, c in enumerate(cl.cores):
        c.eng = mod
        c.TR = cl.TR[i]
        if h["exit_codes"][i] is not None:
            c.CTR[cg.C["exit_code"]] = h["exit_codes"][i]
    try:
        code = cl.run()
    except SimError as e:
        raise IsasimError(f"{record_path}: the replay left the recorded stream ({e}): corrupt "
                          f"recording") from None
    n = [int(c.CTR[cg.C["instructions"]]) for c in cl.cores]
    if sum(n) != h["instructions"] or n != [int(v) for v in z["lengths"]]:
        raise IsasimError(f"{record_path}: the replay retired {n} instructions per core, the "
                          f"recording {[int(v) for v in z['lengths']]} (corrupt recording)")
    res = cluster_result(cl, op)
    res["exit_code"] = code
    if profile:
        res.update(_cluster_profile(cl))
    res["status"] = "exit"
    return res
