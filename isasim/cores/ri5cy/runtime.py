"""numba helpers shared by every generated RI5CY engine: memory regions, the CSR file,
misaligned-target detection. Kept out of the generated code so they are compiled once."""
from numba import njit

from ...isa.helpers import clz32 as _clz32

CSR_SLOW_FLAGS = 4096       # CSR[4096 + n] != 0: CSR n costs csr_slow cycles


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
def csr_access(CSR, HW, P, n, src, mode, write, cyc, instret):
    """Read CSR ``n`` and, if ``write``, update it (mode 0 write, 1 set bits, 2 clear bits)."""
    n &= 0xFFF
    base = P[11]
    hw = n - base
    if n == 0xB00 or n == 0xC00:
        old = cyc & 0xFFFFFFFF
    elif n == 0xB80 or n == 0xC80:
        old = (cyc >> 32) & 0xFFFFFFFF
    elif n == 0xB02 or n == 0xC02:
        old = instret & 0xFFFFFFFF
    elif n == 0xB82 or n == 0xC82:
        old = (instret >> 32) & 0xFFFFFFFF
    elif n == 0xF14 or n == 0x014:
        old = ((P[13] & 0x3F) << 5) | (P[12] & 0x1F)
    elif 0 <= hw <= 6 and hw != 3:
        old = HW[hw if hw < 3 else hw - 1]
    else:
        old = CSR[n]
    if write:
        if mode == 0:
            new = src
        elif mode == 1:
            new = old | src
        else:
            new = old & ~src
        new &= 0xFFFFFFFF
        if 0 <= hw <= 6 and hw != 3:
            HW[hw if hw < 3 else hw - 1] = new
        elif n in (0xB00, 0xB02, 0xB80, 0xB82, 0xC00, 0xC02, 0xC80, 0xC82, 0xF14, 0x014):
            pass        # counters and ids are read-only views of the simulator state
        else:
            CSR[n] = new
    return old
