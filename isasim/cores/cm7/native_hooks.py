"""Native hooks of the Cortex-M7 block path (numba ``cfunc``s that Unicorn calls directly).

Loaded through isasim.cores.cm7.native.import_generated (a copy in the isasim cache, so numba's
on-disk cache lives there). Python (isasim.cores.cm7.engine) owns every array; the hooks find
them through the context array ``c`` (int64 slots C_*), whose pointers Python may replace
(tables grow) whenever it has been called.

* ``block`` (UC_HOOK_BLOCK, every translation block): finishes the previous block -- its
  transition (block, entry state, address signature) -> (next state, transition index) is looked
  up in an open-addressing table and counted -- then reads the entry values of the registers that
  the new block's access addresses depend on (the signature's first word) and resets the block's
  capture slots. Unknown blocks and transitions are computed by Python (``C_PY_MISS``) once.
* ``capture`` (UC_HOOK_CODE on one address each): the low three bits of the access address of
  an instruction whose address the block analysis cannot derive (isasim.cores.cm7.addrs).
* ``finalize``: finishes the pending block (also called from Python at the end of a run).
"""
import numpy as np
from numba import carray, cfunc, njit, types

from isasim.cores.cm7.nbutil import call_i64, call_reg, call_uc, ptr

# context slots
C_REG_READ = 0      # uc_reg_read
C_EMU_STOP = 1      # uc_emu_stop
C_PY_MISS = 2       # int64 miss(int64 kind): Python
C_SCRATCH = 3       # int64[4]
C_REGIDS = 4        # int64[16]: Unicorn ids of r0..r15
C_TBKEY = 5         # int64[cap]: (addr << 32) | size, -1 empty
C_TBVAL = 6         # int64[cap]: block id
C_TBMASK = 7
C_TBINFO = 8        # int64[blocks * TBI]
C_TRKEY = 9         # int64[cap * TRW]
C_TRMASK = 10
C_COUNTS = 11       # int64[transitions]
C_CAPVAL = 12       # int64[captures]
C_SID = 13          # current state id
C_PEND = 14         # block id executing now (finished at the next block), -1 none
C_PEND_S0 = 15      # its signature word 0 (entry register bits)
C_INSNS = 16        # instructions so far
C_LIMIT = 17        # instruction limit
C_STATUS = 18       # 0 running, 1 limit reached, 2 restart requested, 3 Python error
C_ARG = 19          # 19..25: arguments of a miss
C_MEM = 26          # the memory model array (instruction fetch per block), 0: none
C_MMARK = 27        # memory stall cycles counted when the pending block started
C_EVBASE = 28       # int64[blocks * NEV]: memory events of each block (0: not counted)
C_REC = 29          # int32[cap]: transition index of every executed block, in order (0: off)
C_RECN = 30         # entries written
C_RECCAP = 31       # capacity (Python grows it: MISS_GROW)
NCTX = 32

MISS_BLOCK = 1      # args: addr, size -> block id (or -1: stop)
MISS_TRANS = 2      # args: block id, state id, s0, s1..s4 -> (next state << 32) | transition
MISS_GROW = 3       # the recording buffer is full -> 0 (or -1: stop)

# block info row
I_NINSN, I_NSYM, I_NCAP = 0, 1, 2
I_SYMS = 3          # up to 15 registers, 3 bits each -> s0
NSIG = 4            # capture signature words: 16 captures of 4 bits each per word
I_CAPS = 18         # up to 64 capture ids -> signature words s1..s4 (captures 0-15, 16-31, ...)
I_MSTALL = 90       # memory stall cycles of this block's executions (fetch + data), for profiles
TBI = 96            # (the block info row: above)
MAX_SYMS, MAX_CAPS = 15, 16 * NSIG
TRW = 3 + NSIG + 1  # transition row: block id, state id, s0, s1..s4, value


# ---------------------------------------------------------------------------------------------
# memory model: L1 caches and AXI/AHB latencies (isasim.cores.cm7.memory sets the array up)
# ---------------------------------------------------------------------------------------------
M_DON, M_ION, M_DSETS, M_DWAYS, M_ISETS, M_IWAYS, M_REPL, M_NREG = 0, 1, 2, 3, 4, 5, 6, 7
M_FLINE, M_FNEXT, M_TICK, M_LSHIFT = 8, 9, 10, 11
M_DTAG, M_DAGE, M_DDIRTY, M_ITAG, M_IAGE, M_DRR, M_IRR, M_WBCYC = 12, 13, 14, 15, 16, 17, 18, 19
M_EVROW = 20        # address of the executing block's memory-event row (int64[NEV]), 0: none
M_CNT = 24          # counters (order of memory.COUNTERS)
N_DHIT, N_DMISS, N_DWB, N_IHIT, N_IMISS, N_UFETCH, N_ULOAD, N_USTORE = range(8)
M_STL = 32          # stall cycles (order of memory.STALLS)
S_DMISS, S_IMISS, S_UFETCH, S_ULOAD, S_USTORE, S_DWB = range(6)
M_REG = 40          # regions: [base, end, cached (not TCM), write-back, first access, line, store]
RW = 8
MLEN = M_REG + 8 * RW
# memory events (for per-block stall causes and re-timing): one counter per (region, stall kind);
# the stall cycles of an event are the region's latency of that kind (memory.MemoryModel)
NSTL = 6
NEV = 8 * NSTL


@njit(cache=True, nogil=True, inline="always")
def _event(m, b, k):
    """One stall event of kind ``k`` (S_*) in the region at row ``b``, for the executing block."""
    if m[M_EVROW]:
        ev = carray(ptr(m[M_EVROW]), NEV, np.int64)
        ev[((b - M_REG) // RW) * NSTL + k] += 1


@njit(cache=True, nogil=True)
def _region(m, addr):
    for i in range(m[M_NREG]):
        b = M_REG + RW * i
        if m[b] <= addr < m[b + 1]:
            return b
    return -1


@njit(cache=True, nogil=True)
def _cache(m, line, tag_slot, age_slot, rr_slot, sets, ways):
    """Look ``line`` up; allocate on a miss. Returns (hit, way index, victim was valid)."""
    tags = carray(ptr(m[tag_slot]), sets * ways, np.int64)
    ages = carray(ptr(m[age_slot]), sets * ways, np.int64)
    s = line & (sets - 1)
    base = s * ways
    m[M_TICK] += 1
    for w in range(ways):
        if tags[base + w] == line:
            ages[base + w] = m[M_TICK]
            return True, base + w, False
    victim = -1
    for w in range(ways):
        if tags[base + w] == -1:
            victim = base + w
            break
    valid = victim < 0
    if victim < 0:
        if m[M_REPL] == 0:                       # least recently used
            victim = base
            for w in range(1, ways):
                if ages[base + w] < ages[victim]:
                    victim = base + w
        else:                                    # round robin, one counter per set
            rr = carray(ptr(m[rr_slot]), sets, np.int64)
            victim = base + rr[s]
            rr[s] = (rr[s] + 1) % ways
    tags[victim] = line
    ages[victim] = m[M_TICK]
    return False, victim, valid


@njit(cache=True, nogil=True)
def ifetch(m, addr, size):
    """Instruction fetch of [addr, addr + size): one I-cache lookup per 32-byte line entered (a
    line is not looked up again while execution runs on sequentially inside it)."""
    ls = m[M_LSHIFT]
    first = addr >> ls
    last = (addr + size - 1) >> ls
    b = _region(m, addr)
    for ln in range(first, last + 1):
        if ln == first and addr == m[M_FNEXT] and ln == m[M_FLINE]:
            continue
        if b >= 0 and m[b + 2]:
            if m[M_ION]:
                hit, w, v = _cache(m, ln, M_ITAG, M_IAGE, M_IRR, m[M_ISETS], m[M_IWAYS])
                if hit:
                    m[M_CNT + N_IHIT] += 1
                else:
                    m[M_CNT + N_IMISS] += 1
                    m[M_STL + S_IMISS] += m[b + 4]
                    _event(m, b, S_IMISS)
            else:
                m[M_CNT + N_UFETCH] += 1
                m[M_STL + S_UFETCH] += m[b + 5]
                _event(m, b, S_UFETCH)
        m[M_FLINE] = ln
    m[M_FNEXT] = addr + size


@njit(cache=True, nogil=True)
def daccess(m, addr, size, write):
    """A data access to a non-TCM region: D-cache (read-allocate; write-allocate in write-back
    memory, no allocation for a write-through write miss) or, with the cache off, an AXI access."""
    b = _region(m, addr)
    if b < 0 or not m[b + 2]:
        return
    ls = m[M_LSHIFT]
    for ln in range(addr >> ls, ((addr + size - 1) >> ls) + 1):
        if not m[M_DON]:
            if write:
                m[M_CNT + N_USTORE] += 1
                m[M_STL + S_USTORE] += m[b + 6]
                _event(m, b, S_USTORE)
            else:
                m[M_CNT + N_ULOAD] += 1
                m[M_STL + S_ULOAD] += m[b + 4]
                _event(m, b, S_ULOAD)
            continue
        wb = m[b + 3]
        sets = m[M_DSETS]
        ways = m[M_DWAYS]
        if write and not wb:                     # write-through: the write goes to memory
            tags = carray(ptr(m[M_DTAG]), sets * ways, np.int64)
            base = (ln & (sets - 1)) * ways
            hit = False
            for w in range(ways):
                if tags[base + w] == ln:
                    hit = True
            m[M_CNT + (N_DHIT if hit else N_DMISS)] += 1
            m[M_CNT + N_USTORE] += 1
            m[M_STL + S_USTORE] += m[b + 6]
            _event(m, b, S_USTORE)
            continue
        hit, w, valid = _cache(m, ln, M_DTAG, M_DAGE, M_DRR, sets, ways)
        dirty = carray(ptr(m[M_DDIRTY]), sets * ways, np.int64)
        if hit:
            m[M_CNT + N_DHIT] += 1
        else:
            m[M_CNT + N_DMISS] += 1
            if valid and dirty[w]:
                m[M_CNT + N_DWB] += 1
                m[M_STL + S_DWB] += m[M_WBCYC]
                _event(m, b, S_DWB)
            dirty[w] = 0
            if not write:                        # a store miss waits in the store buffer
                m[M_STL + S_DMISS] += m[b + 4]
                _event(m, b, S_DMISS)
        if write:
            dirty[w] = 1


@cfunc(types.void(types.voidptr, types.int32, types.uint64, types.int32, types.int64,
                  types.voidptr), cache=True, nogil=True)
def mem(uc, access, addr, size, value, ud):
    m = carray(ud, MLEN, np.int64)
    daccess(m, np.int64(addr), np.int64(size), access == 17)      # UC_MEM_WRITE


@njit(cache=True, nogil=True)
def mem_stall_total(m):
    t = 0
    for i in range(6):
        t += m[M_STL + i]
    return t


@njit(cache=True, nogil=True)
def ifetch_array(m, addr, size):
    """ifetch for the trace path (called from Python with the numpy array)."""
    ifetch(m, addr, size)


@njit(cache=True, nogil=True, inline="always")
def tr_hash(tbid, sid, s0, s1, s2, s3, s4, mask):
    h = tbid * 1000003 + sid * 7919 + s0 * 31 + s1 * 131 + s2 * 137 + s3 * 139 + s4 * 149
    h ^= h >> 17
    return h & mask


@njit(cache=True, nogil=True)
def finalize(c):
    """Count the pending block's transition; 0, or 1 when the emulation must stop."""
    tbid = c[C_PEND]
    c[C_PEND] = -1
    info = carray(ptr(c[C_TBINFO] + 8 * TBI * tbid), TBI, np.int64)
    if c[C_MEM]:
        mm = carray(ptr(c[C_MEM]), MLEN, np.int64)
        total = mem_stall_total(mm)
        info[I_MSTALL] += total - c[C_MMARK]
        c[C_MMARK] = total
        mm[M_EVROW] = 0
    capval = carray(ptr(c[C_CAPVAL]), 1 << 20, np.int64)
    s1 = 0
    s2 = 0
    s3 = 0
    s4 = 0
    for j in range(info[I_NCAP]):
        v = capval[info[I_CAPS + j]] << (4 * (j & 15))
        w = j >> 4
        if w == 0:
            s1 |= v
        elif w == 1:
            s2 |= v
        elif w == 2:
            s3 |= v
        else:
            s4 |= v
    s0 = c[C_PEND_S0]
    sid = c[C_SID]
    mask = c[C_TRMASK]
    tr = carray(ptr(c[C_TRKEY]), (mask + 1) * TRW, np.int64)
    h = tr_hash(tbid, sid, s0, s1, s2, s3, s4, mask)
    val = -1
    while True:
        b = h * TRW
        k = tr[b]
        if k == -1:
            c[C_ARG] = tbid
            c[C_ARG + 1] = sid
            c[C_ARG + 2] = s0
            c[C_ARG + 3] = s1
            c[C_ARG + 4] = s2
            c[C_ARG + 5] = s3
            c[C_ARG + 6] = s4
            val = call_i64(c[C_PY_MISS], MISS_TRANS)
            if val < 0:
                return 1
            break
        if k == tbid and tr[b + 1] == sid and tr[b + 2] == s0 and tr[b + 3] == s1 and \
                tr[b + 4] == s2 and tr[b + 5] == s3 and tr[b + 6] == s4:
            val = tr[b + 7]
            break
        h = (h + 1) & mask
    ti = val & 0xFFFFFFFF
    counts = carray(ptr(c[C_COUNTS]), ti + 1, np.int64)
    counts[ti] += 1
    if c[C_REC]:
        rec = carray(ptr(c[C_REC]), c[C_RECCAP], np.int32)
        rec[c[C_RECN]] = ti
        c[C_RECN] += 1
        if c[C_RECN] == c[C_RECCAP]:
            if call_i64(c[C_PY_MISS], MISS_GROW) < 0:
                return 1
    c[C_SID] = val >> 32
    c[C_INSNS] += info[I_NINSN]
    if c[C_INSNS] > c[C_LIMIT]:
        c[C_STATUS] = 1
        return 1
    return 0


@njit(cache=True, nogil=True)
def tb_find(c, key):
    mask = c[C_TBMASK]
    keys = carray(ptr(c[C_TBKEY]), mask + 1, np.int64)
    h = (key ^ (key >> 21) ^ (key >> 7)) & mask
    while True:
        k = keys[h]
        if k == key:
            return carray(ptr(c[C_TBVAL]), mask + 1, np.int64)[h]
        if k == -1:
            return -1
        h = (h + 1) & mask


@cfunc(types.void(types.voidptr, types.uint64, types.uint32, types.voidptr), cache=True,
       nogil=True)
def block(uc, addr, size, ud):
    c = carray(ud, NCTX, np.int64)
    if c[C_STATUS] != 0:
        return
    if c[C_PEND] >= 0:
        if finalize(c) != 0:
            call_uc(c[C_EMU_STOP], uc)
            return
    key = (np.int64(addr) << 32) | np.int64(size)
    tbid = tb_find(c, key)
    if tbid < 0:
        c[C_ARG] = addr
        c[C_ARG + 1] = size
        tbid = call_i64(c[C_PY_MISS], MISS_BLOCK)
        if tbid < 0 or c[C_STATUS] != 0:
            call_uc(c[C_EMU_STOP], uc)
            return
    info = carray(ptr(c[C_TBINFO] + 8 * TBI * tbid), TBI, np.int64)
    sp = ptr(c[C_SCRATCH])
    s = carray(sp, 4, np.int64)
    regids = carray(ptr(c[C_REGIDS]), 16, np.int64)
    s0 = 0
    for j in range(info[I_NSYM]):
        s[0] = 0
        call_reg(c[C_REG_READ], uc, regids[info[I_SYMS + j]], sp)
        s0 |= (s[0] & 7) << (3 * j)
    ncap = info[I_NCAP]
    if ncap:
        capval = carray(ptr(c[C_CAPVAL]), 1 << 20, np.int64)
        for j in range(ncap):
            capval[info[I_CAPS + j]] = 8
    c[C_PEND] = tbid
    c[C_PEND_S0] = s0
    if c[C_MEM]:
        mm = carray(ptr(c[C_MEM]), MLEN, np.int64)
        if c[C_EVBASE]:
            mm[M_EVROW] = c[C_EVBASE] + 8 * NEV * tbid
        ifetch(mm, np.int64(addr), np.int64(size))


# capture user data: [context address, capture id, constant, reg1, mult1, reg2, mult2, 0]
@cfunc(types.void(types.voidptr, types.uint64, types.uint32, types.voidptr), cache=True,
       nogil=True)
def capture(uc, addr, size, ud):
    u = carray(ud, 8, np.int64)
    c = carray(ptr(u[0]), NCTX, np.int64)
    sp = ptr(c[C_SCRATCH])
    s = carray(sp, 4, np.int64)
    regids = carray(ptr(c[C_REGIDS]), 16, np.int64)
    v = u[2]
    if u[3] >= 0:
        s[0] = 0
        call_reg(c[C_REG_READ], uc, regids[u[3]], sp)
        v += u[4] * (s[0] & 0xFFFFFFFF)
    if u[5] >= 0:
        s[0] = 0
        call_reg(c[C_REG_READ], uc, regids[u[5]], sp)
        v += u[6] * (s[0] & 0xFFFFFFFF)
    capval = carray(ptr(c[C_CAPVAL]), 1 << 20, np.int64)
    capval[u[1]] = v & 7




# ---------------------------------------------------------------------------------------------
# re-timing a recording (isasim.cores.cm7.replay): the executed (block, address bits) tokens
# through the transition table of a new timing; Python computes the missing transitions
# ---------------------------------------------------------------------------------------------
@njit(cache=True, nogil=True)
def replay(seq, pos, sid, keys, vals, counts):
    """Run tokens ``seq[pos:]`` from state ``sid``: count each (token, state) transition found in
    the open-addressing table ``keys``/``vals`` (key (token << 32) | state, -1 empty; value
    (next state << 32) | transition). Returns (position, state) of the first miss, or
    (len(seq), state) at the end."""
    mask = len(keys) - 1
    n = len(seq)
    while pos < n:
        key = (np.int64(seq[pos]) << 32) | sid
        h = (key ^ (key >> 29) ^ (key >> 13)) & mask
        while True:
            k = keys[h]
            if k == key:
                break
            if k == -1:
                return pos, sid
            h = (h + 1) & mask
        v = vals[h]
        counts[v & 0xFFFFFFFF] += 1
        sid = v >> 32
        pos += 1
    return pos, sid
