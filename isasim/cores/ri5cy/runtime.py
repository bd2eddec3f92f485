"""numba helpers shared by every generated RI5CY engine: memory regions, the CSR file, the
instruction cache. Kept out of the generated code so they are compiled once."""
import numpy as np
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


# Memory (core.Memory): MEM holds the mapped regions as little-endian 32-bit words (uint32); region
# k starts at byte RO[k] (a multiple of 4) of the buffer, is mapped at RB[k] and has RS[k] bytes.
# A word-aligned word access is one array access; others combine at most two words.


@njit(cache=True, nogil=True)
def mem_load(MEM, RB, RS, RO, a, size, signed):
    """Little-endian load; -1 if [a, a+size) is not inside one mapped region."""
    for k in range(RB.shape[0]):
        off = a - RB[k]
        if off >= 0 and off + size <= RS[k]:
            b = RO[k] + off
            w = b >> 2
            sh = (b & 3) << 3
            lo = np.int64(MEM[w])
            if size == 4:
                if sh == 0:
                    return lo
                return ((lo >> sh) | (np.int64(MEM[w + 1]) << (32 - sh))) & 0xFFFFFFFF
            if size == 2:
                if sh <= 16:
                    v = (lo >> sh) & 0xFFFF
                else:
                    v = ((lo >> 24) | (np.int64(MEM[w + 1]) << 8)) & 0xFFFF
                if signed and v & 0x8000:
                    v |= 0xFFFF0000
                return v
            v = (lo >> sh) & 0xFF
            if signed and v & 0x80:
                v |= 0xFFFFFF00
            return v
    return -1


@njit(cache=True, nogil=True)
def mem_store(MEM, RB, RS, RO, a, size, val):
    """Little-endian store of the low ``size`` bytes of ``val``; False if [a, a+size) is not
    inside one mapped region."""
    for k in range(RB.shape[0]):
        off = a - RB[k]
        if off >= 0 and off + size <= RS[k]:
            b = RO[k] + off
            if size == 4 and b & 3 == 0:
                MEM[b >> 2] = val & 0xFFFFFFFF
                return True
            for i in range(size):
                w = (b + i) >> 2
                sh = ((b + i) & 3) << 3
                MEM[w] = (np.int64(MEM[w]) & ~(0xFF << sh)) | (((val >> (8 * i)) & 0xFF) << sh)
            return True
    return False


# The engine's own loads and stores (codegen.emit_memory) translate the address with xlat, which
# takes scalars only, and access MEM inline: a call of a compiled function with array arguments
# costs an atomic reference-count increment and decrement per array (the previous implementer's
# perf profile: a third of the run time when every load called such a helper; the I-cache lookup
# called out of line with array arguments cost the 8-core cluster ~20 %, measured). ld_split and
# st_split (array arguments) serve only the accesses that cross a word boundary.
@njit(cache=True, nogil=True)
def xlat(a, size, rb0, rs0, ro0, rb1, rs1, ro1):
    """Byte offset in MEM of [a, a+size) inside region 0 or 1 (core.Memory has two); -1 if the
    bytes are not inside one of them."""
    off = a - rb0
    if off >= 0 and off + size <= rs0:
        return ro0 + off
    off = a - rb1
    if off >= 0 and off + size <= rs1:
        return ro1 + off
    return -1


@njit(cache=True, nogil=True)
def ld_split(MEM, b, size):
    """Unsigned little-endian value of the ``size`` bytes at byte offset ``b`` of MEM."""
    v = 0
    for i in range(size):
        v |= ((np.int64(MEM[(b + i) >> 2]) >> (((b + i) & 3) << 3)) & 0xFF) << (8 * i)
    return v


@njit(cache=True, nogil=True)
def st_split(MEM, b, size, val):
    """Store the low ``size`` bytes of ``val`` at byte offset ``b`` of MEM, byte by byte."""
    for i in range(size):
        w = (b + i) >> 2
        sh = ((b + i) & 3) << 3
        MEM[w] = (np.int64(MEM[w]) & ~(0xFF << sh)) | (((val >> (8 * i)) & 0xFF) << sh)


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
def invalidate(SLOT, MEM, RB, RS, RO, code_base, nslots, a, size):
    """A store wrote [a, a+size) inside the decoded code: mark every slot whose instruction may
    cover those bytes (a 32-bit one starting one slot earlier too) stale (op = -2, codegen.OP_STALE),
    so that the engine stops there and the core decodes the slot again from memory; the length in
    the slot's fields is updated at once (jump timing reads the target's length). SLOT: rows of 8
    (layout.SLOT_NAMES: op at 0, fields at 1, length at bit 20; written out here because numba's
    cache of this module does not see layout.py: tests/test_rvs_coldstart.py checks them). Called
    only for stores into code."""
    lo = ((a - code_base) >> 1) - 1
    hi = (a + size - 1 - code_base) >> 1
    if lo < 0:
        lo = 0
    if hi > nslots - 1:
        hi = nslots - 1
    for s in range(lo, hi + 1):
        SLOT[s << 3] = -2
        h = mem_load(MEM, RB, RS, RO, code_base + 2 * s, 2, False)
        if h >= 0:
            f = SLOT[(s << 3) + 1]
            SLOT[(s << 3) + 1] = (f & ((1 << 20) - 1)) | ((4 if (h & 3) == 3 else 2) << 20)


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
