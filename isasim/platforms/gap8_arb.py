"""Arbitration of the GAP-8 cluster's logged memory accesses (the replay of docs/gap8.md
"Simulation scheme"): ``_resolve`` replays a window in global time order, ``_precheck`` is the
conflict-free shortcut. The window loop (gap8_loop.py, compiled in the helper process of a cold
start while the engine compiles) imports them.

Ports: TCDM banks 0..nbanks-1, the L2 port ``nbanks``, the instruction-cache refill port
``nbanks + 1`` (a refill is logged with a negative address and holds its port ``ic_lat`` cycles).
"""
import numpy as np
from numba import njit

from isasim.cores.ri5cy.layout import AL_NAMES, PR, PR_NAMES

# an empty ring slot / no grant yet: not a cycle (an instruction-cache refill at cycle 0 is
# requested in cycle -1)
NONE = -(1 << 62)

# access-log columns (layout.AL_NAMES): issue cycle, address, cycles of the instruction, its slot
# (profiling only). They are constants of this module's compiled (and cached) code: a change of
# AL_NAMES must change this file.
_AC, _AA, _AK, _AS = 0, 1, 2, 3
assert AL_NAMES == ("cycle", "addr", "cost", "slot"), "update gap8_arb._AC/_AA/_AK/_AS"
# profile columns (layout.PR_NAMES) the arbitration charges; PROF[i] has one column when the run
# does not profile
_PW, _PCY = len(PR_NAMES), PR["cycles"]
_PTC, _PL2C, _PL2L, _PICC = (PR["st_tcdm_contention"], PR["l2_contention"], PR["l2_latency"],
                             PR["icache_port"])


@njit(cache=True, nogil=True, inline="always")
def _charge(PROF, AL, i, h, col, k):
    """Profiling: ``k`` stall cycles of cause ``col`` (and as many cycles) to the slot of core i's
    access-log row h."""
    if PROF.shape[1] > 1:
        q = AL[i, h, _AS] * _PW
        PROF[i, q + col] += k
        PROF[i, q + _PCY] += k


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


@njit(cache=True, nogil=True, inline="always")
def _lose(i, b, nbanks, D, e, l2c, icc, cont, PROF, AL, head):
    """Core i's access to port b lost this cycle: one cycle later, counted by port kind."""
    D[i] += 1
    e[i] += 1
    if b == nbanks:
        l2c[i] += 1
        _charge(PROF, AL, i, head[i], _PL2C, 1)
    elif b > nbanks:
        icc[i] += 1
        _charge(PROF, AL, i, head[i], _PICC, 1)
    else:
        cont[i] += 1
        _charge(PROF, AL, i, head[i], _PTC, 1)


@njit(cache=True, nogil=True, inline="always")
def _grant(i, b, nbanks, l2_lat, D, l2l, ntc, nl2, PROF, AL, head):
    """Core i's access to port b is granted: past it, the L2 latency added to its delay."""
    head[i] += 1
    if b == nbanks:
        nl2[i] += 1
        D[i] += l2_lat
        l2l[i] += l2_lat
        _charge(PROF, AL, i, head[i] - 1, _PL2L, l2_lat)
    elif b < nbanks:
        ntc[i] += 1


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
            if AL.shape[2] > _AS:
                AL[i, k, _AS] = AL[i, j, _AS]
            k += 1
        cnt[i] = k


@njit(cache=True, nogil=True)
def _resolve(AL, cnt, n, horizon, tcdm_base, tcdm_size, nbanks, ilv, l2_lat, ic_lat, ev_base,
             ring, rr, D, cont, l2c, icc, l2l, ntc, nl2, nev, ev_issue, PROF):
    """Replay the logged accesses of ``n`` cores in global time order with per-bank arbitration,
    up to (not including) cycle ``horizon``. Bank ``nbanks`` is the single L2 port, ``nbanks + 1``
    the instruction-cache refill port (one refill at a time, ``ic_lat`` cycles each; the refill
    latency itself is charged by the engine, a wait for the port here, as ``icc``). Writes the
    per-core delays of this window into ``D``, adds to the per-core statistics arrays, and moves
    each core's unresolved accesses (at or after the horizon) to the front of its log, shifted by
    its delay (they are resolved with the next window); ``cnt[i]`` becomes their number. When
    profiling (``PROF`` rows of layout.PR_NAMES), every delay is also charged to the slot of the
    access that waited."""
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
                _lose(i, b, nbanks, D, e, l2c, icc, cont, PROF, AL, head)
                continue
            _occupy(ring, b, tmin, ic_lat if b > nbanks else 1, msk)
            rr[b] = i + 1 if i + 1 < n else 0
            _grant(i, b, nbanks, l2_lat, D, l2l, ntc, nl2, PROF, AL, head)
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
                    _grant(j, b, nbanks, l2_lat, D, l2l, ntc, nl2, PROF, AL, head)
                    _head(AL, j, head, cnt, D, e, bank, tcdm_base, tcdm_size, nbanks, ilv,
                          ev_base, nev, ev_issue)
                else:
                    _lose(j, b, nbanks, D, e, l2c, icc, cont, PROF, AL, head)
            if win >= 0:
                _occupy(ring, b, tmin, ic_lat if b > nbanks else 1, msk)
                rr[b] = win + 1 if win + 1 < n else 0
    _carry(AL, cnt, n, head, D)


@njit(cache=True, nogil=True)
def _precheck(AL, cnt, n, horizon, tcdm_base, tcdm_size, nbanks, ilv, l2_lat, ic_lat, ev_base,
              ring, rr, D, ntc, nl2, l2l, nev, ev_issue, T, UNDO, LAST, PROF):
    """The common case of ``_resolve`` in one pass per core instead of a global time-ordered
    replay: if no two accesses of the window (nor one of them and a grant of an earlier window in
    ``ring``) use the same bank in the same cycle, nobody waits, every delay is a core's own L2
    latency, and the result is exactly what ``_resolve`` would compute (same delays, statistics,
    ring, round-robin pointers and carried-over log). Returns True and commits that result;
    returns False and leaves every array as it was (``ring`` restored from ``UNDO``) when a
    conflict is found: the caller then runs ``_resolve``.
    ``T`` (7 x n) holds the tentative per-core values; ``LAST`` (2 x banks+2) the last grant per
    bank (cycle, core); ``UNDO`` (3 x capacity) the overwritten ring entries. Profiling
    (``PROF``): the L2 latencies are charged to the slots of the L2 accesses, as _resolve does."""
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
        if PROF.shape[1] > 1 and l2_lat != 0:
            for h in range(T[5, i]):
                a = AL[i, h, _AA]
                if not (ev_base != 0 and a >= ev_base and a < ev_base + 4096) and \
                        _bank(a, tcdm_base, tcdm_size, nbanks, ilv) == nbanks:
                    _charge(PROF, AL, i, h, _PL2L, l2_lat)
    _carry(AL, cnt, n, T[5], D)
    return True
