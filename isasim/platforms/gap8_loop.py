"""The GAP-8 cluster's window loop, compiled: runs every core in the RI5CY engine for a quantum,
arbitrates the logged memory accesses, handles the event unit, and repeats, without returning to
Python except for what only Python can do (a Python-path plug-in, writing a trace, growing the
access log, an error, a timeline window, the end). Scheme and error bound: docs/gap8.md; the
driver is ``Cluster.run`` in gap8.py.

This module is a template: ``gap8.loop_module(engine)`` writes a copy of it next to the generated
RI5CY engine with ``eng`` bound to that engine's ``run`` (one copy per engine, so numba's on-disk
cache never mixes engines). ``_resolve`` and ``_precheck`` do not use ``eng`` and can be called
from this module directly (tests do).

Arrays (``n`` cores): the per-core state of all cores is stacked (``R[i]`` is core i's registers,
and so on; the Python core objects hold views of these rows). Cluster bookkeeping is one array
``CS[row, core]`` (rows ``CS_*`` below) and the loop's own state is ``LS`` (``LS_*``).
"""
import numpy as np
from numba import njit

from isasim.cores.ri5cy.layout import (C, P, AL_NAMES, ST_LIMIT, ST_EXIT, ST_EVENT, ST_LOG_FULL,
                                      ST_PYCALL, ST_REDECODE)

eng = None      # the engine's run(): bound at the end of the generated copy

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

# an empty ring slot / no grant yet: not a cycle (an instruction-cache refill at cycle 0 is
# requested in cycle -1)
NONE = -(1 << 62)

# event-unit registers (offsets in the 4 KB window at LS[LS_EVB] = gap8.EU_BASE; loads only):
EU_BARRIER = 0x00        # wait until all (non-exited) cores arrived; returns 0
EU_CORE_ID = 0x04        # the core's id (same as mhartid & 0x1f)
EU_NB_CORES = 0x08       # number of cores in the cluster

_CYC, _CAL, _EVA, _EVRD, _STB = C["cycles"], C["al_n"], C["ev_addr"], C["ev_rd"], C["st_barrier"]
_PCL = P["cycle_limit"]
# access-log columns (layout.AL_NAMES): issue cycle, address, cycles of the instruction
_AC, _AA, _AK = (AL_NAMES.index(k) for k in ("cycle", "addr", "cost"))


@njit(cache=True, nogil=True, inline="always")
def _bank(a, tcdm_base, tcdm_size, nbanks, ilv):
    """Bank of address ``a``: a TCDM bank, ``nbanks`` for the L2 port, ``nbanks + 1`` for the
    instruction-cache refill port (a refill is logged with a negative address)."""
    off = a - tcdm_base
    if off >= 0 and off < tcdm_size:
        if ilv < 0:                    # powers of two: ilv = -(log2(interleave) + 1)
            return (off >> (-ilv - 1)) & (nbanks - 1)
        return (off // ilv) % nbanks
    if a < 0:
        return nbanks + 1
    return nbanks


@njit(cache=True, nogil=True, inline="always")
def _occupy(ring, b, t, occ, msk):
    """Grant bank ``b`` at cycle ``t`` for ``occ`` cycles (the refill port is busy for a whole
    refill, every other port for one cycle)."""
    for k in range(occ):
        ring[b, (t + k) & msk] = t + k


@njit(cache=True, nogil=True, inline="always")
def _head(AL, i, head, cnt, D, e, bank, tcdm_base, tcdm_size, nbanks, ilv, ev_base, nev, ev_issue):
    """Move core i's head past event-unit accesses; set its next access time and bank."""
    h = head[i]
    while h < cnt[i]:
        a = AL[i, h, _AA]
        if ev_base != 0 and a >= ev_base and a < ev_base + 4096:
            nev[i] += 1
            ev_issue[i] = AL[i, h, _AC] + D[i]
            h += 1
            continue
        head[i] = h
        e[i] = AL[i, h, _AC] + AL[i, h, _AK] - 1 + D[i]
        bank[i] = _bank(a, tcdm_base, tcdm_size, nbanks, ilv)
        return
    head[i] = h
    e[i] = 1 << 62


@njit(cache=True, nogil=True)
def _carry(AL, cnt, n, head, D):
    """Move each core's unresolved accesses (from ``head[i]`` on) to the front of its log,
    shifted by its delay; ``cnt[i]`` becomes their number."""
    for i in range(n):
        k = 0
        for j in range(head[i], cnt[i]):
            AL[i, k, _AC] = AL[i, j, _AC] + D[i]
            AL[i, k, _AA] = AL[i, j, _AA]
            AL[i, k, _AK] = AL[i, j, _AK]
            k += 1
        cnt[i] = k


@njit(cache=True, nogil=True)
def _resolve(AL, cnt, n, horizon, tcdm_base, tcdm_size, nbanks, ilv, l2_lat, ic_lat, ev_base,
             ring, rr, D, cont, l2c, icc, l2l, ntc, nl2, nev, ev_issue):
    """Replay the logged accesses of ``n`` cores in global time order with per-bank arbitration,
    up to (not including) cycle ``horizon``. Bank ``nbanks`` is the single L2 port, ``nbanks + 1``
    the instruction-cache refill port (one refill at a time, ``ic_lat`` cycles each; the refill
    latency itself is charged by the engine, a wait for the port here, as ``icc``). Writes the
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
                elif b > nbanks:
                    icc[i] += 1
                else:
                    cont[i] += 1
                continue
            _occupy(ring, b, tmin, ic_lat if b > nbanks else 1, msk)
            rr[b] = i + 1 if i + 1 < n else 0
            head[i] += 1
            if b == nbanks:
                nl2[i] += 1
                D[i] += l2_lat
                l2l[i] += l2_lat
            elif b < nbanks:
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
                    elif b < nbanks:
                        ntc[j] += 1
                    _head(AL, j, head, cnt, D, e, bank, tcdm_base, tcdm_size, nbanks, ilv,
                          ev_base, nev, ev_issue)
                else:
                    D[j] += 1
                    e[j] += 1
                    if b == nbanks:
                        l2c[j] += 1
                    elif b > nbanks:
                        icc[j] += 1
                    else:
                        cont[j] += 1
            if win >= 0:
                _occupy(ring, b, tmin, ic_lat if b > nbanks else 1, msk)
                rr[b] = win + 1 if win + 1 < n else 0
    _carry(AL, cnt, n, head, D)


@njit(cache=True, nogil=True)
def _precheck(AL, cnt, n, horizon, tcdm_base, tcdm_size, nbanks, ilv, l2_lat, ic_lat, ev_base,
              ring, rr, D, ntc, nl2, l2l, nev, ev_issue, T, UNDO, LAST):
    """The common case of ``_resolve`` in one pass per core instead of a global time-ordered
    replay: if no two accesses of the window (nor one of them and a grant of an earlier window in
    ``ring``) use the same bank in the same cycle, nobody waits, every delay is a core's own L2
    latency, and the result is exactly what ``_resolve`` would compute (same delays, statistics,
    ring, round-robin pointers and carried-over log). Returns True and commits that result;
    returns False and leaves every array as it was (``ring`` restored from ``UNDO``) when a
    conflict is found: the caller then runs ``_resolve``.
    ``T`` (7 x n) holds the tentative per-core values; ``LAST`` (2 x banks+2) the last grant per
    bank (cycle, core); ``UNDO`` (3 x capacity) the overwritten ring entries."""
    H = ring.shape[1]
    msk = H - 1
    for b in range(nbanks + 2):
        LAST[0, b] = NONE
    nu = 0
    ok = True
    for i in range(n):
        d = 0
        t_nev = 0
        t_ev = ev_issue[i]
        t_ntc = 0
        t_nl2 = 0
        h = 0
        while h < cnt[i]:
            a = AL[i, h, _AA]
            if ev_base != 0 and a >= ev_base and a < ev_base + 4096:
                t_nev += 1
                t_ev = AL[i, h, _AC] + d
                h += 1
                continue
            e = AL[i, h, _AC] + AL[i, h, _AK] - 1 + d
            if e >= horizon:
                break
            b = _bank(a, tcdm_base, tcdm_size, nbanks, ilv)
            occ = ic_lat if b > nbanks else 1      # a refill holds its port for ic_lat cycles
            for q in range(occ):
                if ring[b, (e + q) & msk] == e + q:
                    ok = False
            if not ok or nu + occ > UNDO.shape[1]:
                ok = False
                break
            for q in range(occ):
                slot = (e + q) & msk
                UNDO[0, nu] = b
                UNDO[1, nu] = slot
                UNDO[2, nu] = ring[b, slot]
                nu += 1
                ring[b, slot] = e + q
            if e > LAST[0, b]:
                LAST[0, b] = e
                LAST[1, b] = i
            if b == nbanks:
                t_nl2 += 1
                d += l2_lat
            elif b < nbanks:
                t_ntc += 1
            h += 1
        if not ok:
            break
        T[0, i] = d
        T[1, i] = t_nev
        T[2, i] = t_ev
        T[3, i] = t_ntc
        T[4, i] = t_nl2
        T[5, i] = h
    if not ok:
        for k in range(nu - 1, -1, -1):
            ring[UNDO[0, k], UNDO[1, k]] = UNDO[2, k]
        return False
    for b in range(nbanks + 2):
        if LAST[0, b] != NONE:
            w = LAST[1, b]
            rr[b] = w + 1 if w + 1 < n else 0
    for i in range(n):
        D[i] = T[0, i]
        nev[i] += T[1, i]
        ev_issue[i] = T[2, i]
        ntc[i] += T[3, i]
        nl2[i] += T[4, i]
        l2l[i] += T[4, i] * l2_lat
    _carry(AL, cnt, n, T[5], D)
    return True


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
def run_windows(OP, LEN, FIELDS, I0, I1, I2, RMASK, code_base, nslots,
                R, HW, CSR, MEM, RB, RS, RO, CTR, OPCNT, TC, P, PC, TR, PROF, AL, PF, PMETA, AG, IC,
                CS, LS, ring, rr, T, UNDO, LAST, BAR):
    """Run windows until core 0 has ended (R_DONE) or Python is needed; returns (reason, core).
    Resumable: ``LS`` holds the window end, the core being run and the phase."""
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
            st, pc, k = eng(OP, LEN, FIELDS, I0, I1, I2, RMASK, code_base, nslots,
                            R[i], HW[i], CSR[i], MEM, RB, RS, RO, CTR[i], OPCNT[i], TC, P[i],
                            PC[i], mx, TR[i], PROF[i], AL[i], PF, PMETA, AG, IC)
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
                            UNDO, LAST)
        if args_ok:
            LS[LS_FAST] += 1
        else:
            _resolve(AL, cnt, n, W, LS[LS_TB], LS[LS_TS], LS[LS_BANKS], LS[LS_ILV],
                     LS[LS_L2LAT], LS[LS_ICREFILL], LS[LS_EVB], ring, rr, CS[CS_D], CS[CS_CONT],
                     CS[CS_L2C], CS[CS_ICC], CS[CS_L2L], CS[CS_NTC], CS[CS_NL2], CS[CS_NEV],
                     CS[CS_EV_ISSUE])
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
