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
A ring of granted (bank, cycle) pairs carries arbitration across window boundaries.

Barrier: a load from ``EU_BASE + EU_BARRIER`` stops the core (engine status ST_EVENT). When every
core that has not exited has arrived, all of them resume in the same cycle
``max(issue cycle of the barrier loads) + barrier_latency`` (never earlier than a load's own end).
The wait is counted as ``barrier`` stall and as clock-gated cycles for the energy model.
"""
import copy
import json
from dataclasses import dataclass, asdict, fields

import numpy as np
from numba import njit

from ..errors import IsasimError, SimError
from ..cores.ri5cy import codegen as cg
from ..cores.ri5cy.core import RI5CY, Memory, L2_BASE, L2_SIZE, TCDM_BASE

# ---- event unit (isasim's own register layout inside a 4 KB window; NOT GAP-8's real map) -------
EU_BASE = 0x10204000
EU_BARRIER = 0x00        # load: wait until all (non-exited) cores arrived; returns 0
EU_CORE_ID = 0x04        # load: core id (same as mhartid & 0x1f)
EU_NB_CORES = 0x08       # load: number of cores in the cluster

MAX_CORES = 16           # gap8.ld reserves 16 stacks
STALL_KEYS = ("load_use", "branch", "jump", "muldiv", "misaligned", "csr", "tcdm_contention",
              "barrier", "l2_contention", "l2_latency")


@dataclass
class ClusterConfig:
    """Cluster parameters (``isasim exec --timing key=value`` overrides the ones named here)."""
    # isa_timing.md §1.8: 16 word-interleaved banks in the PULP cluster RTL [UNCONFIRMED for GAP-8]
    tcdm_banks: int = 16
    tcdm_size: int = 64 * 1024          # §1.8 "64 KB shared by the 8 cores"
    tcdm_interleave: int = 4            # bytes per bank before moving to the next (word-interleaved)
    # ASSUMPTION: extra stall cycles of a data access to L2 from a cluster core (cluster bus + SoC
    # interconnect round trip). Not published for GAP-8; plausible range 5..30. The I-cache is
    # assumed to always hit (instruction fetch from L2 is not modelled).
    l2_latency: int = 10
    # §1.8: 11 cycles, PULP event unit (Glaser et al., DATE 2019) [UNCONFIRMED for GAP-8]:
    # cycles from the issue of the last core's barrier load to the cycle all cores continue.
    barrier_latency: int = 11
    # simulation quantum in cycles (accuracy/speed knob, see docs/gap8.md)
    quantum: int = 1024
    # cycles between window ends that the arbitration ring remembers (power of two)
    ring: int = 8192

    def override(self, **kw):
        names = {f.name for f in fields(self)}
        for k, v in kw.items():
            if k not in names:
                raise IsasimError(f"unknown gap8 cluster parameter '{k}' (allowed: {sorted(names)})")
            setattr(self, k, int(v))
        if self.tcdm_banks < 1 or self.tcdm_interleave < 1 or self.quantum < 1:
            raise IsasimError("gap8: tcdm_banks, tcdm_interleave and quantum must be >= 1")
        return self


# ---- bank arbitration (compiled once, cached) -----------------------------------------------------
@njit(cache=True, nogil=True, inline="always")
def _head(AL, i, head, cnt, D, e, bank, tcdm_base, tcdm_size, nbanks, ilv, ev_base, nev, ev_issue):
    """Move core i's head past event-unit accesses; set its next access time and bank."""
    h = head[i]
    while h < cnt[i]:
        a = AL[i, h, 1]
        if ev_base != 0 and a >= ev_base and a < ev_base + 4096:
            nev[i] += 1
            ev_issue[i] = AL[i, h, 0] + D[i]
            h += 1
            continue
        head[i] = h
        e[i] = AL[i, h, 0] + AL[i, h, 2] - 1 + D[i]
        off = a - tcdm_base
        if off >= 0 and off < tcdm_size:
            if ilv < 0:                # powers of two: ilv = -(log2(interleave) + 1)
                bank[i] = (off >> (-ilv - 1)) & (nbanks - 1)
            else:
                bank[i] = (off // ilv) % nbanks
        else:
            bank[i] = nbanks           # the L2 port
        return
    head[i] = h
    e[i] = 1 << 62


@njit(cache=True, nogil=True)
def _resolve(AL, cnt, n, horizon, tcdm_base, tcdm_size, nbanks, ilv, l2_lat, ev_base,
             ring, rr, D, cont, l2c, l2l, ntc, nl2, nev, ev_issue):
    """Replay the logged accesses of ``n`` cores in global time order with per-bank arbitration,
    up to (not including) cycle ``horizon``. Bank ``nbanks`` is the single L2 port. Writes the
    per-core delays of this window into ``D``, adds to the per-core statistics arrays, and moves
    each core's unresolved accesses (at or after the horizon) to the front of its log, shifted by
    its delay (they are resolved with the next window); ``cnt[i]`` becomes their number."""
    H = ring.shape[1]
    msk = H - 1
    INF = 1 << 62
    head = np.zeros(n, np.int64)
    e = np.zeros(n, np.int64)
    bank = np.zeros(n, np.int64)
    req = np.zeros(n, np.int64)
    for i in range(n):
        D[i] = 0
        _head(AL, i, head, cnt, D, e, bank, tcdm_base, tcdm_size, nbanks, ilv, ev_base, nev,
              ev_issue)
    while True:
        tmin = INF
        nreq = 0
        imin = 0
        for i in range(n):
            if e[i] < tmin:
                tmin = e[i]
                nreq = 1
                imin = i
            elif e[i] == tmin:
                nreq += 1
        if tmin >= horizon:
            break
        slot = tmin & msk
        if nreq == 1:                  # fast path: a single access in this cycle
            i = imin
            b = bank[i]
            if ring[b, slot] == tmin:  # bank granted in this cycle in the previous quantum
                D[i] += 1
                e[i] += 1
                if b == nbanks:
                    l2c[i] += 1
                else:
                    cont[i] += 1
                continue
            ring[b, slot] = tmin
            rr[b] = i + 1 if i + 1 < n else 0
            head[i] += 1
            if b == nbanks:
                nl2[i] += 1
                D[i] += l2_lat
                l2l[i] += l2_lat
            else:
                ntc[i] += 1
            _head(AL, i, head, cnt, D, e, bank, tcdm_base, tcdm_size, nbanks, ilv, ev_base,
                  nev, ev_issue)
            continue
        for i in range(n):
            req[i] = 1 if e[i] == tmin else 0
        for i in range(n):
            if req[i] == 0:
                continue
            b = bank[i]
            win = -1
            if ring[b, slot] != tmin:
                j = rr[b]
                for k in range(n):
                    if req[j] != 0 and bank[j] == b:
                        win = j
                        break
                    j += 1
                    if j == n:
                        j = 0
            for j in range(i, n):
                if req[j] == 0 or bank[j] != b:
                    continue
                req[j] = 0
                if j == win:
                    head[j] += 1
                    if b == nbanks:
                        nl2[j] += 1
                        D[j] += l2_lat
                        l2l[j] += l2_lat
                    else:
                        ntc[j] += 1
                    _head(AL, j, head, cnt, D, e, bank, tcdm_base, tcdm_size, nbanks, ilv,
                          ev_base, nev, ev_issue)
                else:
                    D[j] += 1
                    e[j] += 1
                    if b == nbanks:
                        l2c[j] += 1
                    else:
                        cont[j] += 1
            if win >= 0:
                ring[b, slot] = tmin
                rr[b] = win + 1 if win + 1 < n else 0
    for i in range(n):
        h = head[i]
        k = 0
        for j in range(h, cnt[i]):
            AL[i, k, 0] = AL[i, j, 0] + D[i]
            AL[i, k, 1] = AL[i, j, 1]
            AL[i, k, 2] = AL[i, j, 2]
            k += 1
        cnt[i] = k


# ---- the cluster ----------------------------------------------------------------------------------
RUN, WAIT, EXITED = 0, 1, 2


class Cluster:
    """N RI5CY cores sharing one Memory and one pre-decoded program."""

    def __init__(self, elf, cores=8, plugins=(), timing=None, config=None, trace=None,
                 profile=False, timeline=False, freq_mhz=175.0):
        from ..timing.ri5cy import RI5CYTiming
        if not 1 <= int(cores) <= MAX_CORES:
            raise IsasimError(f"gap8: --cores must be 1..{MAX_CORES} (got {cores})")
        self.n = n = int(cores)
        self.cfg = config or ClusterConfig()
        from ..elf import Program
        t = timing or RI5CYTiming()
        prog = elf if isinstance(elf, Program) else Program(elf)
        mem = Memory.for_program(prog, [("L2", L2_BASE, L2_SIZE),
                                         ("TCDM", TCDM_BASE, self.cfg.tcdm_size)])
        c0 = RI5CY(prog, plugins=plugins, timing=t, core_id=0, memory=mem)
        self.prog, self.mem, self.timing = c0.prog, c0.mem, t
        self.cores = [c0] + [_clone(c0, i) for i in range(1, n)]
        self.cap = 2 * self.cfg.quantum + 256
        self.AL = np.zeros((n, self.cap, 3), np.int64)
        P = cg.P
        # log every data access (TCDM, L2 and the event window): the range covers all of them
        lo = TCDM_BASE
        hi = max(L2_BASE + L2_SIZE, EU_BASE + 0x1000)
        for i, c in enumerate(self.cores):
            c.AL = self.AL[i]
            c.P[P["log_tcdm"]] = 1
            c.P[P["tcdm_base"]] = lo
            c.P[P["tcdm_size"]] = hi - lo
            c.P[P["event_base"]] = EU_BASE
            c.P[P["ncores"]] = n
            c.P[P["core_id"]] = i
            c.P[P["cluster_id"]] = 0
            if profile:
                c.enable_profile()
        ring = 1
        while ring < max(self.cfg.ring, 4 * self.cfg.quantum):
            ring *= 2
        il, nb = self.cfg.tcdm_interleave, self.cfg.tcdm_banks
        pow2 = lambda v: v & (v - 1) == 0          # noqa: E731
        self._ilv = -il.bit_length() if pow2(il) and pow2(nb) else il
        self.ring = np.full((self.cfg.tcdm_banks + 1, ring), -1, np.int64)
        self.rr = np.zeros(self.cfg.tcdm_banks + 1, np.int64)
        z = lambda: np.zeros(n, np.int64)          # noqa: E731
        self.D, self.cont, self.l2c, self.l2l = z(), z(), z(), z()
        self.ntc, self.nl2, self.nev, self.ev_issue = z(), z(), z(), z()
        self.gated = z()
        self.pending = z()
        self.state = [RUN] * n
        self.end_cycle = [None] * n
        self.exit_codes = [None] * n
        self.barriers = []                # (release cycle, [arrival cycles]) of the first 1000
        self.n_barriers = 0
        self.trace = trace
        self.freq_mhz = freq_mhz
        self.tl = [] if timeline else None
        self._busy_start = [0] * n
        self._tl_prev = (np.zeros(n, np.int64), np.zeros(n, np.int64))
        self.windows = 0
        self._ep = None
        self._argc = {}                   # core id -> engine arguments (arrays never replaced,
                                          # except AL: cleared by _grow_log)

    # ------------------------------------------------------------------------------------------
    def cycles_of(self, i):
        return int(self.cores[i].CTR[cg.C["cycles"]])

    def _grow_log(self):
        self.cap *= 2
        new = np.zeros((self.n, self.cap, 3), np.int64)
        new[:, :self.AL.shape[1]] = self.AL
        self.AL = new
        for i, c in enumerate(self.cores):
            c.AL = self.AL[i]
        self._argc = {}

    def _step(self, c, max_n):
        """``c.step(max_n)`` through the engine's compiled entry point: skips numba's per-call
        argument typing (~10 us per call, a large share of a short quantum). The arguments are
        looked up by the engine's parameter names (so a new engine argument that is an attribute
        of the core, its Decoded or its Memory is picked up); falls back to ``c.step`` if that
        or numba's overload table is not available."""
        if self._ep is None:
            st, k = c.step(max_n)       # compiles/loads the engine overload
            self._ep = False
            try:
                run = c.eng.run
                code = run.py_func.__code__
                names = code.co_varnames[:code.co_argcount]
                args = self._args(c, names, max_n)
                sig = tuple(run.typeof_pyval(x) for x in args)
                self._names = names
                self._ep = run.overloads[sig].entry_point
            except Exception:           # numba internals changed: keep the public path
                self._ep = False
            return st, k
        if self._ep is False:
            return c.step(max_n)
        args = self._argc.get(c.core_id)
        if args is None:
            args = self._argc[c.core_id] = self._args(c, self._names, 0)
        a = list(args)
        a[self._ipc] = c.pc
        a[self._imax] = max_n
        st, pc, k = self._ep(*a)
        c.pc = pc
        return st, k

    def _args(self, c, names, max_n):
        out = []
        for nm in names:
            if nm == "pc":
                self._ipc = len(out)
                out.append(c.pc)
            elif nm == "max_n":
                self._imax = len(out)
                out.append(max_n)
            elif nm == "code_base":
                out.append(c.dec.base)
            elif hasattr(c.dec, nm):
                out.append(getattr(c.dec, nm))
            elif hasattr(c.mem, nm):
                out.append(getattr(c.mem, nm))
            else:
                out.append(getattr(c, nm))
        if c.P[cg.P["trace"]]:
            raise IsasimError("internal: fast step with the trace buffer on")
        return tuple(out)

    def _event(self, i, c):
        """Handle an event-unit access of core i; True if the core must stop (barrier)."""
        a = int(c.CTR[cg.C["ev_addr"]]) - EU_BASE
        rd = int(c.CTR[cg.C["ev_rd"]])
        if rd < 0:
            raise SimError(f"core {i}: store to event unit register 0x{EU_BASE + a:08x} "
                           f"(pc 0x{c.pc:08x}, {c.where(c.pc)}): isasim's event unit has no "
                           f"writable registers (barrier = load from 0x{EU_BASE + EU_BARRIER:08x})")
        if a == EU_BARRIER:
            return True
        if a == EU_CORE_ID:
            val = i
        elif a == EU_NB_CORES:
            val = self.n
        else:
            raise SimError(f"core {i}: load from unknown event unit register 0x{EU_BASE + a:08x} "
                           f"(pc 0x{c.pc:08x}); registers: barrier +0x0, core id +0x4, "
                           f"number of cores +0x8")
        if rd != 0:
            c.R[rd] = val
        return False

    def run(self, max_instructions=None):
        cfg = self.cfg
        limit = max_instructions if max_instructions else (1 << 62)
        done = 0
        W = 0
        CL = cg.P["cycle_limit"]
        CAL = cg.C["al_n"]
        CYC = cg.C["cycles"]
        out = open(self.trace, "w") if self.trace else None
        tcap = 65536 if out else 0
        cnt = np.zeros(self.n, np.int64)
        try:
            if out:
                out.write("# isasim gap8 cluster commit log: core cycle pc word disassembly "
                          "[reg=value] [mem=address]; cycles exclude the contention stalls of "
                          "the current quantum\n")
            while True:
                runnable = [i for i in range(self.n) if self.state[i] == RUN]
                if runnable:
                    W = max(W, min(self.cycles_of(i) for i in runnable)) + cfg.quantum
                else:
                    W += cfg.quantum          # only draining logged accesses
                starts = [self.cycles_of(i) for i in range(self.n)]
                stopped_in_window = [False] * self.n
                for i in runnable:
                    c = self.cores[i]
                    if c.CTR[CYC] >= W:
                        continue
                    c.P[CL] = W
                    while True:
                        budget = limit - done
                        if budget <= 0:
                            raise SimError(
                                f"stopped after {done} instructions (--max-instructions {limit}) "
                                f"at core {i} pc 0x{c.pc:08x} ({c.where(c.pc)}): the program "
                                f"did not exit")
                        if out:
                            st, k = c.step(min(budget, tcap), trace_cap=tcap)
                            _write_trace(out, c, i, k)
                        else:
                            st, k = self._step(c, budget)
                        done += k
                        if st == cg.ST_LIMIT:
                            if c.CTR[CYC] >= W:
                                break
                            continue
                        if st == cg.ST_LOG_FULL:
                            self._grow_log()
                            continue
                        if st == cg.ST_EVENT:
                            if self._event(i, c):
                                self.state[i] = WAIT
                                stopped_in_window[i] = True
                                break
                            continue
                        if st == cg.ST_EXIT:
                            self.state[i] = EXITED
                            self.exit_codes[i] = c._finish(st)
                            stopped_in_window[i] = True
                            break
                        fa = int(c.CTR[cg.C["fault_addr"]])
                        if st == cg.ST_MEM and EU_BASE <= fa < EU_BASE + 0x1000:
                            raise SimError(
                                f"core {i}: {'store to' if c.CTR[cg.C['fault_store']] else 'load from'}"
                                f" event unit register 0x{fa:08x} (pc 0x{c.pc:08x}, "
                                f"{c.where(c.pc)}): isasim's event unit has no writable registers "
                                f"(barrier = load from 0x{EU_BASE + EU_BARRIER:08x})")
                        try:
                            c._finish(st)
                        except SimError as e:
                            raise SimError(f"core {i}: {e}") from None
                        raise SimError(f"core {i}: engine status {st}")
                for i in range(self.n):
                    cnt[i] = self.cores[i].CTR[CAL]
                _resolve(self.AL, cnt, self.n, W, TCDM_BASE, cfg.tcdm_size, cfg.tcdm_banks,
                         self._ilv, cfg.l2_latency, EU_BASE, self.ring, self.rr,
                         self.D, self.cont, self.l2c, self.l2l, self.ntc, self.nl2, self.nev,
                         self.ev_issue)
                self.windows += 1
                for i in range(self.n):
                    c = self.cores[i]
                    c.CTR[CAL] = cnt[i]           # accesses left for the next window
                    c.CTR[CYC] += self.D[i]
                    self.pending[i] = cnt[i]
                    if self.tl is not None and (i in runnable or self.D[i]):
                        self._tl_window(i, starts[i], self.D[i], stopped_in_window[i])
                    if self.state[i] == EXITED and self.end_cycle[i] is None and cnt[i] == 0:
                        self.end_cycle[i] = int(c.CTR[CYC])
                self._barrier()
                if self.end_cycle[0] is not None:
                    break
        finally:
            if out:
                out.close()
        return self.exit_codes[0]

    def _barrier(self):
        waiting = [i for i in range(self.n) if self.state[i] == WAIT]
        if not waiting or any(s == RUN for s in self.state):
            return
        if any(self.pending[i] for i in waiting):
            return              # arrival cycles are final once their accesses are arbitrated
        arr = [self.cycles_of(i) for i in waiting]
        rel = max(max(int(self.ev_issue[i]) for i in waiting) + self.cfg.barrier_latency, max(arr))
        for i, a in zip(waiting, arr):
            c = self.cores[i]
            w = rel - a
            c.CTR[cg.C["cycles"]] = rel
            c.CTR[cg.C["st_barrier"]] += w
            self.gated[i] += w
            self.state[i] = RUN
            if self.tl is not None:
                self._tl_slice(i, "barrier wait", a, rel, {"arrival": a, "release": rel})
                self._busy_start[i] = rel
        self.n_barriers += 1
        if len(self.barriers) < 1000:
            self.barriers.append({"release": rel, "arrivals": dict(zip(waiting, arr))})

    # ---- timeline -------------------------------------------------------------------------------
    def _tl_slice(self, i, name, s, e, args=None):
        if e <= s:
            return
        f = self.freq_mhz
        ev = {"name": name, "ph": "X", "pid": 0, "tid": i, "ts": s / f, "dur": (e - s) / f,
              "args": {"start_cycle": int(s), "end_cycle": int(e), **(args or {})}}
        self.tl.append(ev)

    def _tl_window(self, i, start, delay, stopped):
        """Busy slices are merged until a quantum has memory stalls or the core stops. The stall
        cycles of one quantum are drawn as slices at its end, one per cause ("tcdm contention",
        "l2 access" = L2 latency + L2 port contention): the cause and amount are exact, the
        position inside the quantum is not kept."""
        end = self.cycles_of(i)
        if delay > 0 or stopped:
            tc = int(self.cont[i] - self._tl_prev[0][i])
            l2 = int(self.l2c[i] + self.l2l[i] - self._tl_prev[1][i])
            self._tl_prev[0][i] = self.cont[i]
            self._tl_prev[1][i] = self.l2c[i] + self.l2l[i]
            s = end - delay
            self._tl_slice(i, "busy", self._busy_start[i], s)
            self._tl_slice(i, "tcdm contention", s, s + tc, {"cycles": tc})
            self._tl_slice(i, "l2 access", s + tc, s + tc + l2, {"cycles": l2})
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
        for i, c in enumerate(self.cores):
            cnt = c.counters()
            end = self.end_cycle[i] if self.end_cycle[i] is not None else min(self.cycles_of(i),
                                                                             total)
            stalls = dict(cnt["stalls"])
            # bank-conflict stalls come from the arbitration, not from the engine
            c.CTR[cg.C["st_tcdm_contention"]] = self.cont[i]
            stalls["tcdm_contention"] = int(self.cont[i])
            stalls["l2_contention"] = int(self.l2c[i])
            stalls["l2_latency"] = int(self.l2l[i])
            # the access log covered every data access: the engine's TCDM/L2 split is replaced
            gated = int(self.gated[i]) + max(0, total - end)
            res.append({"core": i, "cycles": cnt["cycles"], "end_cycle": int(end),
                        "instructions": cnt["instructions"], "stalls": stalls,
                        "loads": cnt["loads"], "stores": cnt["stores"],
                        "tcdm_accesses": int(self.ntc[i]), "l2_accesses": int(self.nl2[i]),
                        "event_accesses": int(self.nev[i]),
                        "active_cycles": max(0, int(end) - int(self.gated[i])),
                        "gated_cycles": gated,
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
    c.TR = np.zeros((1, 8), np.int64)
    c.AL = np.zeros((1, 3), np.int64)
    c.core_id = core_id
    c.pc = c0.prog.entry
    c.status = None
    top = c0.prog.symbols.get("__stack_top")
    size = c0.prog.symbols.get("__stack_size", 0x400)
    if top:
        c.R[2] = top - core_id * size
    return c


def _write_trace(out, c, i, k):
    import io
    buf = io.StringIO()
    c._write_trace(buf, k)
    for line in buf.getvalue().splitlines():
        out.write(f"c{i} {line}\n")


_CLUSTER_KEYS = {f.name for f in fields(ClusterConfig)}


def run_cluster(elf, cores=8, max_instructions=None, trace=None, plugins=(), profile=False,
                timing=None, operating_point=None, timeline=None, config=None, read_symbols=None):
    """Run ``elf`` SPMD on a ``cores``-core GAP-8 cluster; return the result dict.
    ``timing``: dict of RI5CY timing and/or ClusterConfig overrides; ``read_symbols`` {name:
    nbytes}: shared memory read back after the run into ``result["memory"]``."""
    from ..timing.ri5cy import RI5CYTiming
    from ..energy import gap8 as energy
    op = operating_point or energy.DEFAULT_OP
    if op not in energy.OPERATING_POINTS:
        raise IsasimError(f"unknown operating point '{op}' for gap8 "
                          f"(allowed: {', '.join(energy.OPERATING_POINTS)})")
    t = RI5CYTiming()
    cfg = copy.copy(config) if config else ClusterConfig()
    if timing:
        cl = {k: v for k, v in timing.items() if k in _CLUSTER_KEYS}
        t.override(**{k: v for k, v in timing.items() if k not in _CLUSTER_KEYS})
        cfg.override(**cl)
    cl = Cluster(elf, cores=cores, plugins=plugins, timing=t, config=cfg, trace=trace,
                 profile=profile, timeline=bool(timeline),
                 freq_mhz=energy.OPERATING_POINTS[op].f_mhz)
    code = cl.run(max_instructions=max_instructions)
    res = cluster_result(cl, op)
    res["exit_code"] = code
    if timeline:
        cl.write_timeline(timeline)
        res["timeline"] = timeline
    if profile:
        prof = {}
        for c in cl.cores:
            for k, v in c.profile().items():
                prof[k] = prof.get(k, 0) + v
        res["profile"] = dict(sorted(prof.items(), key=lambda kv: -kv[1]))
    if read_symbols:
        c0 = cl.cores[0]
        res["memory"] = {}
        for k, n in read_symbols.items():
            if k not in c0.prog.symbols:
                raise IsasimError(f"{elf}: no symbol '{k}' to read the output from")
            res["memory"][k] = c0.mem.read(c0.prog.symbols[k], n)
    return res


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
            "instructions": sum(p["instructions"] for p in pc), "stalls": stalls,
            "loads": sum(p["loads"] for p in pc), "stores": sum(p["stores"] for p in pc),
            "tcdm_accesses": tc, "l2_accesses": l2,
            "macs": sum(c.macs() for c in cl.cores),
            "energy_uj": e["total_uj"], "energy_breakdown_uj": e["breakdown_uj"],
            "operating_point": op, "energy_model": energy.describe(op),
            "per_core": pc, "barriers": cl.n_barriers,
            "cluster": {**asdict(cl.cfg), "event_unit_base": EU_BASE, "quanta": cl.windows},
            "timing": cl.timing.as_dict(), "op_counts": opc}
