"""Small integer helpers used by instruction semantics.

Register values are unsigned 32-bit integers held in a wider int (Python int or numba int64).
Every helper is plain integer Python so that the same function runs in CPython (trace path, tests)
and inside the numba-compiled engine. Results are not masked here; the core masks what it writes.
"""
M32 = 0xFFFFFFFF


def s32(x):
    """Signed view of a 32-bit value."""
    x &= 0xFFFFFFFF
    return x - 0x100000000 if x & 0x80000000 else x


def sx(x, bits):
    """Sign-extend the low ``bits`` bits of x."""
    m = (1 << bits) - 1
    x &= m
    return x - (1 << bits) if x >> (bits - 1) else x


def zx(x, bits):
    return x & ((1 << bits) - 1)


def lane(x, i, bits, signed):
    """Lane i (0 = least significant) of width ``bits``."""
    v = (x >> (i * bits)) & ((1 << bits) - 1)
    if signed:          # branch-free sign extension (LLVM turns it into one movsx)
        h = 1 << (bits - 1)
        v = (v ^ h) - h
    return v


def dot(a, b, bits, sa, sb):
    """Sum over all lanes of a[i]*b[i] (lanes of ``bits``; sa/sb: signedness of a and b)."""
    n = 32 // bits
    s = 0
    for i in range(n):
        s += lane(a, i, bits, sa) * lane(b, i, bits, sb)
    return s


def rep(x, bits):
    """Replicate lane 0 of x to every lane (the .sc operand form)."""
    v = x & ((1 << bits) - 1)
    r = 0
    for i in range(32 // bits):
        r |= v << (i * bits)
    return r


def mulhu(a, b):
    """High 32 bits of the unsigned 64-bit product (int64-safe)."""
    a &= 0xFFFFFFFF
    b &= 0xFFFFFFFF
    al = a & 0xFFFF
    ah = a >> 16
    bl = b & 0xFFFF
    bh = b >> 16
    t = ah * bl + ((al * bl) >> 16)
    u = al * bh + (t & 0xFFFF)
    return ah * bh + (t >> 16) + (u >> 16)


def mulh(a, b):
    return (s32(a) * s32(b)) >> 32


def mulhsu(a, b):
    return (s32(a) * (b & 0xFFFFFFFF)) >> 32


def div(a, b):
    a = s32(a)
    b = s32(b)
    if b == 0:
        return -1
    if a == -0x80000000 and b == -1:
        return a
    q = abs(a) // abs(b)
    return -q if (a < 0) != (b < 0) else q


def divu(a, b):
    a &= 0xFFFFFFFF
    b &= 0xFFFFFFFF
    if b == 0:
        return 0xFFFFFFFF
    return a // b


def rem(a, b):
    a = s32(a)
    b = s32(b)
    if b == 0:
        return a
    if a == -0x80000000 and b == -1:
        return 0
    r = abs(a) % abs(b)
    return -r if a < 0 else r


def remu(a, b):
    a &= 0xFFFFFFFF
    b &= 0xFFFFFFFF
    if b == 0:
        return a
    return a % b


def clz32(x):
    x &= 0xFFFFFFFF
    if x == 0:
        return 32
    n = 0
    while not (x & 0x80000000):
        x = (x << 1) & 0xFFFFFFFF
        n += 1
    return n


def popcount(x):
    x &= 0xFFFFFFFF
    n = 0
    while x:
        x &= x - 1
        n += 1
    return n


def clamp(x, lo, hi):
    return lo if x < lo else (hi if x > hi else x)


def ror32(x, n):
    x &= 0xFFFFFFFF
    n &= 31
    return ((x >> n) | (x << (32 - n))) & 0xFFFFFFFF


def simd(a, b, bits, op, sa):
    """Lane-wise op over all lanes of a and b; op codes below; sa: lanes read as signed."""
    n = 32 // bits
    m = (1 << bits) - 1
    r = 0
    for i in range(n):
        x = lane(a, i, bits, sa)
        y = lane(b, i, bits, sa)
        if op == 0:
            v = x + y
        elif op == 1:
            v = x - y
        elif op == 2:       # avg: lane-width (modulo) sum, then >>> / >> by sa (cv32e40p issue #98)
            v = lane(x + y, 0, bits, sa) >> 1
        elif op == 3:       # min
            v = x if x < y else y
        elif op == 4:       # max
            v = x if x > y else y
        elif op == 5:       # srl (y is a shift amount)
            v = (x & m) >> (y & (bits - 1))
        elif op == 6:       # sra
            v = lane(a, i, bits, True) >> (y & (bits - 1))
        elif op == 7:       # sll
            v = x << (y & (bits - 1))
        elif op == 8:
            v = x | y
        elif op == 9:
            v = x ^ y
        elif op == 10:
            v = x & y
        elif op == 11:      # abs
            v = -x if x < 0 else x
        elif op == 12:      # cmpeq
            v = m if x == y else 0
        elif op == 13:
            v = m if x != y else 0
        elif op == 14:
            v = m if x > y else 0
        elif op == 15:
            v = m if x >= y else 0
        elif op == 16:
            v = m if x < y else 0
        elif op == 17:
            v = m if x <= y else 0
        elif op == 18:      # GAP-8 .div2/.div4: lane sum/difference wrapped to the lane width,
            v = lane(x + y, 0, bits, True) >> 1     # then arithmetic shift (riscv_alu.sv adder
        elif op == 19:                              # + normalisation shifter, as pv.avg)
            v = lane(x + y, 0, bits, True) >> 2
        elif op == 20:
            v = lane(x - y, 0, bits, True) >> 1
        elif op == 21:
            v = lane(x - y, 0, bits, True) >> 2
        else:
            v = 0
        r |= (v & m) << (i * bits)
    return r


SIMD_OPS = {"add": 0, "sub": 1, "avg": 2, "avgu": 2, "min": 3, "minu": 3, "max": 4, "maxu": 4,
            "srl": 5, "sra": 6, "sll": 7, "or": 8, "xor": 9, "and": 10, "abs": 11,
            "cmpeq": 12, "cmpne": 13, "cmpgt": 14, "cmpge": 15, "cmplt": 16, "cmple": 17,
            "cmpgtu": 14, "cmpgeu": 15, "cmpltu": 16, "cmpleu": 17}
