"""Golden model of the PULP-NN mixed-precision kernels (isasim/qnn/quant.py) against independent
references written here: scalar loops for the convolution, hand-computed requantisation cases,
bit-by-bit packing."""
import os
import sys

import numpy as np
import pytest

from isasim.qnn import quant as Q

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "experiments", "bruschi2020"))
import bruschi2020_workload as W  # noqa: E402
from test_qnn_golden import slow_conv  # noqa: E402  (independent nested-loop convolution)


def ref_conv(x, w, k, lam, d, ob, stride, pad):
    """Reference: the nested-loop convolution of the Rusci golden tests, then per element
    floor((k*phi + lambda) / 2^d) (Python's >> on ints is that floor), clipped."""
    phi = slow_conv(x, w, stride, pad)
    out = np.zeros_like(phi)
    for i, v in np.ndenumerate(phi):
        q = (int(k[i[-1]]) * int(v) + int(lam[i[-1]])) // (1 << d)
        out[i] = min(max(q, 0), (1 << ob) - 1)
    return out


@pytest.mark.parametrize("ib,wb,ob", [(8, 8, 8), (4, 2, 8), (2, 4, 4), (2, 2, 2), (8, 4, 2)])
@pytest.mark.parametrize("stride,pad", [(1, 1), (2, 0)])
def test_conv_matches_scalar_loops(ib, wb, ob, stride, pad):
    rng = np.random.default_rng(ib * 100 + wb * 10 + ob + stride)
    x = rng.integers(0, 1 << ib, (5, 6, 8))
    w = rng.integers(-(1 << (wb - 1)), 1 << (wb - 1), (4, 3, 3, 8))
    k = np.array([37, -5, 1, 12])
    lam = np.array([-100, 4000, 7, -3])
    d = 6
    got = Q.conv(x, w, k, lam, d, ib, wb, ob, stride, pad)
    assert np.array_equal(got, ref_conv(x, w, k, lam, d, ob, stride, pad))


def test_requantize_by_hand():
    # (3 * 10 + 5) >> 2 = 8; (3 * -10 + 5) >> 2 = floor(-25 / 4) = -7 -> clip 0;
    # (3 * 1000 + 5) >> 2 = 751 -> 255 (8 bit), 15 (4 bit), 3 (2 bit); negative k mirrors
    phi = np.array([[10, -10, 1000, 10]])
    k = np.array([3, 3, 3, -3])
    lam = np.array([5, 5, 5, 100])
    assert Q.requantize(phi, k, lam, 2, 8).tolist() == [[8, 0, 255, 17]]
    assert Q.requantize(phi, k, lam, 2, 4).tolist() == [[8, 0, 15, 15]]
    assert Q.requantize(phi, k, lam, 2, 2).tolist() == [[3, 0, 3, 3]]
    # no rounding term: 7 >> 1 = 3, -7 >> 1 = -4
    assert Q.requantize(np.array([[7]]), np.array([1]), np.array([0]), 1, 8).tolist() == [[3]]
    assert Q.requantize(np.array([[-7]]), np.array([1]), np.array([20]), 1, 8).tolist() == [[6]]


def test_requantize_refuses_int32_overflow():
    with pytest.raises(ValueError, match="overflows int32"):
        Q.requantize(np.array([[1 << 20]]), np.array([1 << 12]), np.array([0]), 0, 8)
    with pytest.raises(ValueError, match="overflows int32"):
        Q.requantize(np.array([[1]]), np.array([1]), np.array([(1 << 31) - 1]), 0, 8)


@pytest.mark.parametrize("bits", [8, 4, 2])
def test_pack_bytes_bit_layout(bits):
    rng = np.random.default_rng(bits)
    v = rng.integers(0, 1 << bits, 24)
    b = Q.pack_bytes(v, bits)
    per = 8 // bits
    assert b.dtype == np.uint8 and b.size == 24 * bits // 8
    for i, val in enumerate(v):               # element i: byte i // per, bits (i % per) * bits
        assert (int(b[i // per]) >> ((i % per) * bits)) & ((1 << bits) - 1) == val
    assert np.array_equal(Q.unpack_bytes(b, bits), v)
    s = v - (1 << (bits - 1))
    assert np.array_equal(Q.unpack_bytes(Q.pack_bytes(s, bits), bits, signed=True), s)


def test_ranges_checked():
    with pytest.raises(ValueError, match="unsigned 4-bit"):
        Q.conv(np.full((3, 3, 8), 16), np.zeros((4, 1, 1, 8), int), [1] * 4, [0] * 4, 0, 4, 4, 4)
    with pytest.raises(ValueError, match="signed 2-bit"):
        Q.conv(np.zeros((3, 3, 8), int), np.full((4, 1, 1, 8), 2), [1] * 4, [0] * 4, 0, 4, 2, 4)


@pytest.mark.parametrize("ib,wb,ob", [(8, 8, 8), (2, 2, 2), (4, 8, 2)])
def test_workload_outputs_use_the_range(ib, wb, ob):
    """The generated layer's golden output is non-trivial: clipped at both ends, many levels."""
    w = W.conv_layer(ib, wb, ob, "l11")
    y = Q.unpack_bytes(w["outputs"]["act_out"], ob)
    assert y.min() == 0 and y.max() == (1 << ob) - 1
    assert len(np.unique(y)) >= (3 << ob) // 4
    assert w["macs"] == 11 * 11 * 32 * 9 * 32
    assert w["defines"]["OUT_SHIFT"] > 0


@pytest.mark.parametrize("kw,msg", [
    (dict(shape=dict(ih=4, iw=4, ci=8, co=4, k=3, pad=1), act_bits=2), "ci=8: an input pixel"),
    (dict(shape=dict(ih=4, iw=4, ci=16, co=6, k=3, pad=1)), "co=6 must be a multiple of 4"),
    (dict(shape=dict(ih=4, iw=4, ci=4, co=4, k=3, pad=1), wgt_bits=4), "k\\*k\\*ci=36 must be a multiple of 8"),
    (dict(shape=dict(ih=32, iw=32, ci=32, co=64, k=3, pad=1)), "bytes of TCDM"),
    (dict(shape=dict(ih=8, iw=8, ci=96, co=8, k=3, pad=1)), "12-bit load"),
    (dict(isa="xpulpnn", act_bits=4, wgt_bits=2), "u4 x i4 and u2 x i2 only"),
    (dict(isa="rv32imc", act_bits=4), "8-bit layer only"),
    (dict(out_bits=3), "precision must be one of"),
])
def test_unsupported_layers_refused(kw, msg):
    with pytest.raises(ValueError, match=msg):
        W.conv_layer(**kw)
