"""Virtual Quantization storage format and value grid (isasim/qnn/vq.py), checked against an
independent bit-by-bit reference written from the documented format."""
import numpy as np
import pytest

from isasim.qnn import vq


def _ref_pack(codes, n):
    """Reference: a Python integer as the bitstream, field j at bit j*n."""
    acc = 0
    for j, c in enumerate(codes):
        acc |= (int(c) & ((1 << n) - 1)) << (j * n)
    nbytes = len(codes) * n // 8
    return np.frombuffer(acc.to_bytes(nbytes, "little"), dtype="<u4")


@pytest.mark.parametrize("n", vq.BITS)
def test_pack_matches_reference_and_roundtrips(n):
    rng = np.random.default_rng(n)
    u = vq.unit_fields(n)
    assert u * n % 32 == 0 and u % 2 == 0            # whole words, whole SMLAD pairs
    codes = vq.random_codes(rng, 3 * u, n)
    w = vq.pack_bitstream(codes, n)
    assert w.size == 3 * u * n // 32
    assert np.array_equal(w, _ref_pack(codes, n))
    assert np.array_equal(vq.unpack_bitstream(w, n, codes.size), codes)


def test_grid_values():
    assert list(vq.to_grid([0, 1], 1)) == [-64, 64]
    assert list(vq.to_grid([-2, -1, 0, 1], 2)) == [-128, -64, 0, 64]
    assert list(vq.to_grid([-4, 3], 3)) == [-128, 96]
    assert list(vq.to_grid([-128, 127], 8)) == [-128, 127]
    with pytest.raises(ValueError):
        vq.to_grid([4], 3)
    with pytest.raises(ValueError):
        vq.check_bits(9)


def test_padding_and_sizes():
    assert [vq.unit_fields(n) for n in vq.BITS] == [32, 16, 32, 8, 32, 16, 32, 4]
    assert vq.padded_length(75, 3) == 96 and vq.model_bytes(75, 3) == 36
    with pytest.raises(ValueError):
        vq.pack_bitstream(np.zeros(5, int), 3)


def test_column_order_and_q7_rows():
    assert list(vq.column_order(1, 1, 8, True)) == [0, 2, 1, 3, 4, 6, 5, 7]
    assert list(vq.column_order(1, 1, 6, False)) == list(range(6))
    w = np.arange(8).reshape(1, 8)
    assert list(vq.q7_rows(w, True, 8)[0]) == list(range(8))
    assert list(vq.q7_rows(w, False, 8)[0]) == [0, 2, 1, 3, 4, 6, 5, 7]


def _sxtb16(x):
    b = [(x >> (8 * k)) & 0xFF for k in (0, 2)]
    return [v - 256 if v >= 128 else v for v in b]


def _ror(x, r):
    return ((x >> r) | (x << (32 - r))) & 0xFFFFFFFF


@pytest.mark.parametrize("n", vq.LANE_BITS)
def test_byte_lane_layout_gives_grid_values(n):
    """Model of the kernel's pair extraction (LSL, AND with the byte mask, SXTB16 / SXTB16 ROR #8),
    written from the instruction semantics: pair m of a packed unit = the 8-bit-grid values of
    elements 2m, 2m+1 (n = 1: -128 * b, the kernel corrects with the column sum)."""
    rng = np.random.default_rng(10 + n)
    u = vq.unit_fields(n)
    codes = vq.random_codes(rng, (3, 2 * u), n)
    words = vq.pack_unit_rows(codes, n)
    assert np.array_equal(vq.unpack_unit_rows(words, n, 3, 2 * u), codes)
    mask = {4: 0xF0F0F0F0, 2: 0xC0C0C0C0, 1: 0x80808080}[n]
    for row in range(3):
        for unit in range(2):
            w = int(words[row * 2 + unit])
            for m in range(u // 2):
                t = (w << ((m // 2) * n)) & 0xFFFFFFFF & mask
                lanes = _sxtb16(_ror(t, 8) if m % 2 else t)
                c = codes[row, unit * u + 2 * m: unit * u + 2 * m + 2]
                want = list(-128 * c) if n == 1 else list(vq.to_grid(c, n))
                assert lanes == want, (row, unit, m)


@pytest.mark.parametrize("n", (3, 5, 6, 7))
def test_dense_rows_are_the_bitstream(n):
    rng = np.random.default_rng(n)
    u = vq.unit_fields(n)
    codes = vq.random_codes(rng, (2, u), n)
    assert np.array_equal(vq.pack_unit_rows(codes, n), np.concatenate([_ref_pack(r, n) for r in codes]))
