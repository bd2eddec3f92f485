"""numba helpers shared by every generated RI5CY engine: memory regions, the CSR file,
misaligned-target detection. Kept out of the generated code so they are compiled once."""
from numba import njit

from ...isa.helpers import clz32 as _clz32

# The CSR array: CSR[n] value of CSR n; CSR[CSR_SLOW_FLAGS + n] != 0: CSR n costs csr_slow cycles;
# CSR[CSR_IMPL + n] != 0: CSR n has storage (core.CSR_FILE); CSR[CSR_WMASK + n]: its writable bits.
CSR_SLOW_FLAGS = 4096
CSR_IMPL = 8192
CSR_WMASK = 12288
CSR_SIZE = 16384
CSR_NOT_MODELLED = -2       # csr_access result: a CSR the RTL has and isasim does not model

# The hardware-loop array HW: loop L's start, end and count at L * HW_LOOP + HW_START/END/COUNT
# (the CSRs lpstart/lpend/lpcount of loop L are at base + 4 L + 0/1/2).
HW_START, HW_END, HW_COUNT, HW_LOOP = 0, 1, 2, 3
HW_SIZE = 2 * HW_LOOP


clz32 = njit(cache=True, nogil=True)(_clz32)      # the table's helper, compiled


@njit(cache=True, nogil=True)
def mem_load(MEM, RB, RS, RO, a, size, signed):
    """Little-endian load; -1 if [a, a+size) is not inside one mapped region. (Written out per
    size: a generic byte loop with a helper returning a tuple cost ~30 ns per access, this ~2 ns.)"""
    for k in range(RB.shape[0]):
        off = a - RB[k]
        if off >= 0 and off + size <= RS[k]:
            b = RO[k] + off
            if size == 4:
                return MEM[b] | (MEM[b + 1] << 8) | (MEM[b + 2] << 16) | (MEM[b + 3] << 24)
            if size == 2:
                v = MEM[b] | (MEM[b + 1] << 8)
                if signed and v & 0x8000:
                    v |= 0xFFFF0000
                return v
            v = MEM[b]
            if signed and v & 0x80:
                v |= 0xFFFFFF00
            return v
    return -1


@njit(cache=True, nogil=True)
def mem_store(MEM, RB, RS, RO, a, size, val):
    for k in range(RB.shape[0]):
        off = a - RB[k]
        if off >= 0 and off + size <= RS[k]:
            b = RO[k] + off
            MEM[b] = val & 0xFF
            if size >= 2:
                MEM[b + 1] = (val >> 8) & 0xFF
            if size == 4:
                MEM[b + 2] = (val >> 16) & 0xFF
                MEM[b + 3] = (val >> 24) & 0xFF
            return True
    return False


@njit(cache=True, nogil=True)
def mis_target(OP, LEN, npc, code_base, nslots):
    """1 if ``npc`` is a 32-bit instruction that is not word aligned (costs a fetch cycle)."""
    if npc & 3 == 0:
        return 0
    s = (npc - code_base) >> 1
    if s < 0 or s >= nslots:
        return 0
    return 1 if LEN[s] == 4 else 0


@njit(cache=True, nogil=True)
def csr_is_slow(CSR, n):
    return CSR[CSR_SLOW_FLAGS + (n & 0xFFF)] != 0


@njit(cache=True, nogil=True)
def _hw_index(hw):
    """HW index of the hardware-loop CSR at ``hw`` = number - base (0..6, not 3)."""
    return (hw >> 2) * HW_LOOP + (hw & 3)


@njit(cache=True, nogil=True)
def csr_access(CSR, HW, hw_base, hartid, n, src, mode, write, cyc, instret):
    """Read CSR ``n`` and, if ``write``, update it (mode 0 write, 1 set bits, 2 clear bits).
    ``hw_base``: the hardware-loop CSR base; ``hartid``: what mhartid/uhartid read.
    As riscv_cs_registers.sv (RI5CY, GAP-8 era): a CSR that is not implemented reads 0 and ignores
    writes (the read case has no default assignment but csr_rdata_int = '0). Returns
    CSR_NOT_MODELLED for the performance-counter CSRs 0x780-0x7A1 (implemented in the RTL, not here)."""
    n &= 0xFFF
    hw = n - hw_base
    if n == 0xB00 or n == 0xC00:
        old = cyc & 0xFFFFFFFF
    elif n == 0xB80 or n == 0xC80:
        old = (cyc >> 32) & 0xFFFFFFFF
    elif n == 0xB02 or n == 0xC02:
        old = instret & 0xFFFFFFFF
    elif n == 0xB82 or n == 0xC82:
        old = (instret >> 32) & 0xFFFFFFFF
    elif n == 0xF14 or n == 0x014:
        old = hartid
    elif 0 <= hw <= 6 and hw != 3:
        old = HW[_hw_index(hw)]
    elif CSR[CSR_IMPL + n] != 0:
        old = CSR[n]
    elif 0x780 <= n <= 0x7A1:
        return CSR_NOT_MODELLED
    else:
        return 0            # not implemented: reads 0, writes ignored
    if write:
        if mode == 0:
            new = src
        elif mode == 1:
            new = old | src
        else:
            new = old & ~src
        new &= 0xFFFFFFFF
        if 0 <= hw <= 6 and hw != 3:
            HW[_hw_index(hw)] = new
        elif CSR[CSR_IMPL + n] != 0:
            if n == 0x342:      # mcause: stores {wdata[5], wdata[4:0]}, reads {bit 5, 26'b0, [4:0]}
                new = (((new >> 5) & 1) << 31) | (new & 0x1F)
            m = CSR[CSR_WMASK + n]
            CSR[n] = (CSR[n] & ~m) | (new & m)
        # counters and ids are read-only views of the simulator state
    return old


@njit(cache=True, nogil=True)
def invalidate(OP, LEN, MEM, RB, RS, RO, code_base, nslots, a, size):
    """A store wrote [a, a+size) inside the decoded code: mark every slot whose instruction may
    cover those bytes (a 32-bit one starting one slot earlier too) stale (OP = -2, codegen.OP_STALE),
    so that the engine stops there and the core decodes the slot again from memory; LEN is updated
    at once (jump timing reads the target's length). Called only for stores into code."""
    lo = ((a - code_base) >> 1) - 1
    hi = (a + size - 1 - code_base) >> 1
    if lo < 0:
        lo = 0
    if hi > nslots - 1:
        hi = nslots - 1
    for s in range(lo, hi + 1):
        OP[s] = -2
        h = mem_load(MEM, RB, RS, RO, code_base + 2 * s, 2, False)
        if h >= 0:
            LEN[s] = 4 if (h & 3) == 3 else 2


# The shared instruction cache IC (the GAP-8 cluster's; see isasim/platforms/gap8.py): IC[IC_TAG, k]
# the line held by way k (k = set * ways + way; -1: invalid), IC[IC_READY, k] the cycle its refill
# ends, IC[IC_NEXT, set] the way the next refill of that set replaces (round robin).
IC_TAG, IC_READY, IC_NEXT = 0, 1, 2
IC_ROWS = 3


@njit(cache=True, nogil=True)
def icache_access(IC, line, cyc, sets, ways, refill):
    """Fetch from instruction-cache line ``line`` (address >> line bits) at cycle ``cyc``.
    Returns (stall cycles << 1) | miss. A miss refills the line (``refill`` cycles); a hit on a
    line whose refill has not ended yet (another core missed on it) waits for the rest of it."""
    s = line % sets
    base = s * ways
    for w in range(ways):
        k = base + w
        if IC[IC_TAG, k] == line:
            r = IC[IC_READY, k] - cyc
            if r > 0:
                return (r if r < refill else refill) << 1
            return 0
    w = IC[IC_NEXT, s]
    IC[IC_NEXT, s] = w + 1 if w + 1 < ways else 0
    k = base + w
    IC[IC_TAG, k] = line
    IC[IC_READY, k] = cyc + refill
    return (refill << 1) | 1
