"""The XpulpNN unsigned x signed nibble / crumb sum-of-dot-products added to the built-in qnn plug-in
(pv.sdotusp.n, pv.sdotusp.c): encodings against the PULP binutils MATCH/MASK values
(isa_timing.md §1.3, XpulpNN table) and results against a reference written here from the
semantics line of that table (rD += sum_i u(rs1[i]) * s(rs2[i])), executed on the RI5CY engine."""
import pytest
from hypothesis import given, settings, strategies as st

from isasim.cores.ri5cy.core import L2_BASE, RI5CY
from isasim.elf import Program
from isasim.isa.registry import load_table

from rvcode import EXIT

TABLE = load_table("rv32", ["qnn"])
# binutils riscv-opc.h (via isa_timing.md §1.3): MATCH, MASK
BINUTILS = {"pv.sdotusp.n": (0xa8002057, 0xfe00707f), "pv.sdotusp.c": (0xaa002057, 0xfe00707f)}
U32 = st.one_of(st.integers(0, 0xFFFFFFFF),
                st.sampled_from([0, 0xFFFFFFFF, 0x88888888, 0x77777777, 0xAAAAAAAA, 0x55555555]))


def ref(d, a, b, bits):
    """Lane by lane from the manual's formula: lane i = bits [bits*i, bits*i + bits)."""
    s = d
    for i in range(32 // bits):
        u = (a >> (bits * i)) & ((1 << bits) - 1)
        v = (b >> (bits * i)) & ((1 << bits) - 1)
        if v >= 1 << (bits - 1):
            v -= 1 << bits
        s += u * v
    return s & 0xFFFFFFFF


@pytest.mark.parametrize("name", sorted(BINUTILS))
def test_encoding_matches_binutils(name):
    match, mask = BINUTILS[name]
    ins = TABLE.by_name[name][0]
    for rd, rs1, rs2 in ((0, 0, 0), (10, 11, 12), (31, 1, 17)):
        word = ins.encode({"rd": rd, "rs1": rs1, "rs2": rs2})
        assert word & mask == match
        assert word == match | (rs2 << 20) | (rs1 << 15) | (rd << 7)


@pytest.mark.parametrize("name,bits", [("pv.sdotusp.n", 4), ("pv.sdotusp.c", 2)])
@settings(max_examples=150, deadline=None)
@given(a=U32, b=U32, d=U32)
def test_semantics_on_the_engine(name, bits, a, b, d):
    ins = TABLE.by_name[name][0]
    code = ins.encode({"rd": 10, "rs1": 11, "rs2": 12}).to_bytes(4, "little") + EXIT
    core = RI5CY(Program.from_code(code, L2_BASE), plugins=["qnn"])
    core.R[10], core.R[11], core.R[12] = d, a, b
    assert core.run(max_instructions=10) == ref(d, a, b, bits)


def test_reference_by_hand():
    # all lanes u = 15 (0xF...), w = -1 (0xF...): 8 * 15 * -1 = -120; crumbs: 16 * 3 * -1 = -48
    assert ref(0, 0xFFFFFFFF, 0xFFFFFFFF, 4) == (-120) & 0xFFFFFFFF
    assert ref(0, 0xFFFFFFFF, 0xFFFFFFFF, 2) == (-48) & 0xFFFFFFFF
    # lane 0 only: u = 5, w = 3 (nibble) -> 15, plus accumulator 100
    assert ref(100, 0x5, 0x3, 4) == 115
