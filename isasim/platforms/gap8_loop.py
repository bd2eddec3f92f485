"""The GAP-8 cluster's window loop, compiled: runs every core in the RI5CY engine for a quantum,
arbitrates the logged memory accesses, handles the event unit, and repeats, without returning to
Python except for what only Python can do (a Python-path plug-in, writing a trace, growing the
access log, an error, a timeline window, the end). Scheme and error bound: docs/gap8.md; the
driver is ``Cluster.run`` in gap8.py.

The loop calls the engine through its first argument ``eng``, a first-class function value
(``codegen.engine_function_type()``, given by ``codegen.engine_pointer``), so it compiles without
the engine: a cold start compiles it in the helper process while the engine compiles.
``gap8.loop_module()`` writes a copy of this file next to the generated engines, keyed by its
source, gap8_arb.py's and the layout (numba's cache does not notice a change of a called module),
so its numba cache lives under ``$ISASIM_CACHE_DIR`` like the engine's. The arbitration
(``_resolve``, ``_precheck``) is in gap8_arb.py and re-exported here.

Arrays (``n`` cores): the per-core state of all cores is stacked (``R[i]`` is core i's registers,
and so on; the Python core objects hold views of these rows). Cluster bookkeeping is one array
``CS[row, core]`` (rows ``CS_*`` below) and the loop's own state is ``LS`` (``LS_*``).
"""
from numba import njit

from isasim.cores.ri5cy.layout import (C, P, ST_LIMIT, ST_EXIT, ST_EVENT, ST_LOG_FULL, ST_PYCALL,
                                      ST_REDECODE)
from isasim.platforms.gap8_arb import _resolve, _precheck, NONE  # noqa: F401 (NONE: gap8.py, tests)

# ---- CS rows: per-core cluster bookkeeping ------------------------------------------------------
CS_NAMES = ("state", "D", "cont", "l2c", "l2l", "ntc", "nl2", "nev", "ev_issue", "gated",
            "pending", "end_cycle", "start", "stopped", "runnable", "cnt", "arrival", "icc")
CS_STATE, CS_D, CS_CONT, CS_L2C, CS_L2L, CS_NTC, CS_NL2, CS_NEV, CS_EV_ISSUE, CS_GATED, \
    CS_PENDING, CS_END, CS_START, CS_STOPPED, CS_RUNNABLE, CS_CNT, CS_ARRIVAL, \
    CS_ICC = range(len(CS_NAMES))
# icc: cycles a core waited for the instruction-cache refill port (another core's refill)
RUN, WAIT, EXITED = 0, 1, 2

# ---- LS: loop state and configuration -----------------------------------------------------------
LS_NAMES = ("W", "cur", "phase", "windows", "done", "limit", "n_barriers", "last_release",
            "k", "status", "quantum", "tcdm_base", "tcdm_size", "banks", "ilv", "l2_latency",
            "ev_base", "barrier_latency", "trace_cap", "timeline", "fast_windows", "yield_done",
            "yield_windows", "ic_refill")
LS_W, LS_CUR, LS_PHASE, LS_WINDOWS, LS_DONE, LS_LIMIT, LS_NB, LS_LAST_REL, LS_K, LS_STATUS, \
    LS_QUANTUM, LS_TB, LS_TS, LS_BANKS, LS_ILV, LS_L2LAT, LS_EVB, LS_BLAT, LS_TCAP, LS_TIMELINE, \
    LS_FAST, LS_YIELD_DONE, LS_YIELD_WINDOWS, LS_ICREFILL = range(len(LS_NAMES))

# ---- why run_windows returned --------------------------------------------------------------------
# R_REDECODE: core i reached a slot a store overwrote (Python decodes it again, then resumes);
# R_YIELD: LS[LS_DONE] / LS[LS_WINDOWS] passed LS[LS_YIELD_*], at a window boundary (so that
# Python sees Ctrl-C; resuming continues exactly where the loop stopped).
R_DONE, R_WINDOW, R_TRACE, R_LOG_FULL, R_PYCALL, R_LIMIT, R_ERROR, R_REDECODE, R_YIELD = range(9)



# event-unit registers (offsets in the 4 KB window at LS[LS_EVB] = gap8.EU_BASE; loads only):
EU_BARRIER = 0x00        # wait until all (non-exited) cores arrived; returns 0
EU_CORE_ID = 0x04        # the core's id (same as mhartid & 0x1f)
EU_NB_CORES = 0x08       # number of cores in the cluster

_CYC, _CAL, _EVA, _EVRD, _STB = C["cycles"], C["al_n"], C["ev_addr"], C["ev_rd"], C["st_barrier"]
_PCL = P["cycle_limit"]


@njit(cache=True, nogil=True)
def _barrier(CS, CTR, LS, BAR, n):
    """Release the barrier if every core that has not exited waits at it and their arrival
    cycles are final (all their earlier accesses arbitrated). Arrival cycles go to
    ``CS[CS_ARRIVAL]`` (valid for the cores that waited, when ``LS[LS_NB]`` has grown) and, for
    the first ``len(BAR)`` episodes, to ``BAR[k] = (release, arrival or -1 per core)``."""
    nw = 0
    for i in range(n):
        if CS[CS_STATE, i] == RUN:
            return
        if CS[CS_STATE, i] == WAIT:
            if CS[CS_PENDING, i] != 0:
                return
            nw += 1
    if nw == 0:
        return
    rel = 0
    for i in range(n):
        if CS[CS_STATE, i] == WAIT:
            rel = max(rel, CS[CS_EV_ISSUE, i] + LS[LS_BLAT], CTR[i, _CYC])
    k = LS[LS_NB]
    for i in range(n):
        if CS[CS_STATE, i] == WAIT:
            a = CTR[i, _CYC]
            CS[CS_ARRIVAL, i] = a
            CTR[i, _CYC] = rel
            CTR[i, _STB] += rel - a
            CS[CS_GATED, i] += rel - a
            CS[CS_STATE, i] = RUN
            if k < BAR.shape[0]:
                BAR[k, 1 + i] = a
        else:
            CS[CS_ARRIVAL, i] = -1
            if k < BAR.shape[0]:
                BAR[k, 1 + i] = -1
    if k < BAR.shape[0]:
        BAR[k, 0] = rel
    LS[LS_NB] = k + 1
    LS[LS_LAST_REL] = rel


@njit(cache=True, nogil=True)
def run_windows(eng,
                SLOT, code_base, nslots, R, HW, CSR, MEM, RB, RS, RO, CTR, OPCNT, P, PC, TR, PROF,
                AL, PF, PMETA, IC, CS, LS, ring, rr, T, UNDO, LAST, BAR):
    """Run windows until core 0 has ended (R_DONE) or Python is needed; returns (reason, core).
    ``eng``: the engine's run() (codegen.engine_pointer). Resumable: ``LS`` holds the window end,
    the core being run and the phase."""
    n = R.shape[0]
    tcap = LS[LS_TCAP]
    while True:
        if LS[LS_PHASE] == 0:                       # open a window
            if LS[LS_DONE] >= LS[LS_YIELD_DONE] or LS[LS_WINDOWS] >= LS[LS_YIELD_WINDOWS]:
                return R_YIELD, 0
            W = LS[LS_W]
            lo = 1 << 62
            for i in range(n):
                CS[CS_START, i] = CTR[i, _CYC]
                CS[CS_STOPPED, i] = 0
                CS[CS_RUNNABLE, i] = 1 if CS[CS_STATE, i] == RUN else 0
                if CS[CS_STATE, i] == RUN:
                    lo = min(lo, CTR[i, _CYC])
            if lo < (1 << 62):
                W = max(W, lo) + LS[LS_QUANTUM]
            else:
                W += LS[LS_QUANTUM]                 # only draining logged accesses
            LS[LS_W] = W
            LS[LS_CUR] = 0
            LS[LS_PHASE] = 1
        W = LS[LS_W]
        while LS[LS_CUR] < n:                       # run the cores, one after the other
            i = LS[LS_CUR]
            if CS[CS_RUNNABLE, i] == 0 or CS[CS_STATE, i] != RUN or CTR[i, _CYC] >= W:
                LS[LS_CUR] = i + 1
                continue
            P[i, _PCL] = W
            budget = LS[LS_LIMIT] - LS[LS_DONE]
            if budget <= 0:
                return R_LIMIT, i
            mx = budget if tcap == 0 else min(budget, tcap)
            st, pc, k = eng(SLOT, code_base, nslots, R[i], HW[i], CSR[i], MEM, RB, RS, RO, CTR[i],
                            OPCNT[i], P[i], PC[i], mx, TR[i], PROF[i], AL[i], PF, PMETA, IC)
            PC[i] = pc
            LS[LS_DONE] += k
            LS[LS_K] = k
            LS[LS_STATUS] = st
            if st == ST_LIMIT:
                pass
            elif st == ST_EVENT:
                a = CTR[i, _EVA] - LS[LS_EVB]
                rd = CTR[i, _EVRD]
                if rd < 0:
                    return R_ERROR, i
                if a == EU_BARRIER:
                    CS[CS_STATE, i] = WAIT
                    CS[CS_STOPPED, i] = 1
                elif a == EU_CORE_ID:
                    if rd != 0:
                        R[i, rd] = i
                elif a == EU_NB_CORES:
                    if rd != 0:
                        R[i, rd] = n
                else:
                    return R_ERROR, i
            elif st == ST_EXIT:
                CS[CS_STATE, i] = EXITED
                CS[CS_STOPPED, i] = 1
            elif st == ST_LOG_FULL:
                return R_LOG_FULL, i
            elif st == ST_PYCALL:
                return R_PYCALL, i
            elif st == ST_REDECODE:
                return R_REDECODE, i
            else:
                return R_ERROR, i
            if tcap != 0:
                return R_TRACE, i
        # arbitrate the window's accesses, then barrier and end
        for i in range(n):
            CS[CS_CNT, i] = CTR[i, _CAL]
        cnt = CS[CS_CNT]
        args_ok = _precheck(AL, cnt, n, W, LS[LS_TB], LS[LS_TS], LS[LS_BANKS], LS[LS_ILV],
                            LS[LS_L2LAT], LS[LS_ICREFILL], LS[LS_EVB], ring, rr, CS[CS_D],
                            CS[CS_NTC], CS[CS_NL2], CS[CS_L2L], CS[CS_NEV], CS[CS_EV_ISSUE], T,
                            UNDO, LAST, PROF)
        if args_ok:
            LS[LS_FAST] += 1
        else:
            _resolve(AL, cnt, n, W, LS[LS_TB], LS[LS_TS], LS[LS_BANKS], LS[LS_ILV],
                     LS[LS_L2LAT], LS[LS_ICREFILL], LS[LS_EVB], ring, rr, CS[CS_D], CS[CS_CONT],
                     CS[CS_L2C], CS[CS_ICC], CS[CS_L2L], CS[CS_NTC], CS[CS_NL2], CS[CS_NEV],
                     CS[CS_EV_ISSUE], PROF)
        LS[LS_WINDOWS] += 1
        for i in range(n):
            CTR[i, _CAL] = cnt[i]                   # accesses left for the next window
            CTR[i, _CYC] += CS[CS_D, i]
            CS[CS_PENDING, i] = cnt[i]
            if CS[CS_STATE, i] == EXITED and CS[CS_END, i] < 0 and cnt[i] == 0:
                CS[CS_END, i] = CTR[i, _CYC]
        _barrier(CS, CTR, LS, BAR, n)
        LS[LS_PHASE] = 0
        if LS[LS_TIMELINE] != 0:
            return R_WINDOW, 0
        if CS[CS_END, 0] >= 0:
            return R_DONE, 0
