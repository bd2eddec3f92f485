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
