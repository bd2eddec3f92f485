"""Property tests of the Rusci 2018 golden models (isasim/qnn/golden.py) against slow direct
references written with nested loops (no im2col, no numpy broadcasting tricks)."""
import numpy as np
import pytest

from isasim.qnn import golden as G
from isasim.qnn.packing import unpack


def slow_conv(x, w, stride, pad, pad_value=0):
    h, wd, ci = x.shape
    co, k, _, _ = w.shape
    oh, ow = (h + 2 * pad - k) // stride + 1, (wd + 2 * pad - k) // stride + 1
    out = np.zeros((oh, ow, co), dtype=np.int64)
    for oy in range(oh):
        for ox in range(ow):
            for o in range(co):
                s = 0
                for ky in range(k):
                    for kx in range(k):
                        iy, ix = oy * stride - pad + ky, ox * stride - pad + kx
                        for c in range(ci):
                            v = x[iy, ix, c] if 0 <= iy < h and 0 <= ix < wd else pad_value
                            s += int(v) * int(w[o, ky, kx, c])
                out[oy, ox, o] = s
    return out


def slow_requant(a, b, bias_shift, out_shift, relu):
    v = int(a) + (int(b) << bias_shift) + ((1 << (out_shift - 1)) if out_shift else 0)
    v >>= out_shift                              # Python >> is arithmetic (floor), like ASR
    v = max(-128, min(127, v))
    return max(v, 0) if relu else v


def shapes(n, seed):
    rng = np.random.default_rng(seed)
    for _ in range(n):
        k = int(rng.choice([1, 3, 5]))
        pad = int(rng.integers(0, k // 2 + 1))
        stride = int(rng.integers(1, 3))
        h = int(rng.integers(k, k + 4))
        yield rng, dict(h=h, w=int(rng.integers(k, k + 4)), ci=int(rng.integers(1, 7)),
                        co=int(rng.integers(1, 5)), k=k, pad=pad, stride=stride)


@pytest.mark.parametrize("seed", range(4))
def test_conv_q7_matches_direct_loops(seed):
    for rng, s in shapes(4, seed):
        x = rng.integers(-128, 128, (s["h"], s["w"], s["ci"]))
        w = rng.integers(-128, 128, (s["co"], s["k"], s["k"], s["ci"]))
        b = rng.integers(-128, 128, s["co"])
        bsh, osh, relu = int(rng.integers(0, 6)), int(rng.integers(0, 12)), bool(rng.integers(0, 2))
        acc = G.conv_acc(x, w, s["stride"], s["pad"])
        ref = slow_conv(x, w, s["stride"], s["pad"])
        assert np.array_equal(acc, ref)
        y = G.conv_q7(x, w, b, bsh, osh, s["stride"], s["pad"], relu)
        exp = np.vectorize(lambda a, o: slow_requant(a, b[o], bsh, osh, relu))(
            ref, np.arange(s["co"])[None, None, :])
        assert y.dtype == np.int8 and np.array_equal(y, exp)


def test_requant_rounding_and_saturation_edges():
    # NN_ROUND: +0.5 then floor; negative halves round toward +inf; saturation both ways
    assert G.requantize_q7([[3]], [0], 0, 1).tolist() == [[2]]          # 1.5 -> 2
    assert G.requantize_q7([[-3]], [0], 0, 1).tolist() == [[-1]]        # -1.5 -> -1
    assert G.requantize_q7([[10 ** 6]], [0], 0, 2).tolist() == [[127]]
    assert G.requantize_q7([[-10 ** 6]], [0], 0, 2).tolist() == [[-128]]
    assert G.requantize_q7([[-50]], [0], 0, 0, relu=True).tolist() == [[0]]
    assert G.requantize_q7([[0]], [3], 4, 0).tolist() == [[48]]
    with pytest.raises(ValueError):
        G.requantize_q7([[2 ** 31]], [0], 0, 0)


@pytest.mark.parametrize("bits", [4, 2])
def test_threshold_staircase_matches_tree_and_counting(bits):
    rng = np.random.default_rng(bits)
    n = (1 << bits) - 1
    for _ in range(200):
        th = np.sort(rng.integers(-300, 300, n))
        if rng.integers(0, 4) == 0:
            th[1:3] = th[1]                                          # ties
        a = int(rng.integers(-400, 400))
        if rng.integers(0, 3) == 0:
            a = int(th[rng.integers(0, n)])                          # exactly on a threshold
        q = int(G.threshold_quantize(np.array([a]), th[None, :], bits)[0])
        cnt = 0
        for t in th:                                                 # direct staircase
            if a >= t:
                cnt += 1
        assert q == cnt - (1 << (bits - 1)) == G.threshold_tree(a, th, bits)
        assert -(1 << (bits - 1)) <= q < (1 << (bits - 1))
    with pytest.raises(ValueError):
        G.threshold_quantize(np.array([0]), np.arange(n)[None, ::-1], bits)


@pytest.mark.parametrize("seed", range(3))
def test_subbyte_conv_matches_direct_loops(seed):
    for bits in (4, 2):
        for rng, s in shapes(3, seed + 10 * bits):
            lo, hi = -(1 << (bits - 1)), 1 << (bits - 1)
            x = rng.integers(lo, hi, (s["h"], s["w"], s["ci"]))
            w = rng.integers(lo, hi, (s["co"], s["k"], s["k"], s["ci"]))
            th = np.sort(rng.integers(-40, 40, (s["co"], (1 << bits) - 1)), axis=1)
            q = G.conv_subbyte(x, w, th, bits, s["stride"], s["pad"])
            ref = slow_conv(x, w, s["stride"], s["pad"])
            exp = np.vectorize(lambda a, o: G.threshold_tree(int(a), th[o], bits))(
                ref, np.arange(s["co"])[None, None, :])
            assert np.array_equal(q, exp)


@pytest.mark.parametrize("seed", range(3))
def test_binary_conv_matches_direct_xnor_popcount(seed):
    for rng, s in shapes(4, seed + 100):
        x = rng.choice([-1, 1], (s["h"], s["w"], s["ci"]))
        w = rng.choice([-1, 1], (s["co"], s["k"], s["k"], s["ci"]))
        pc = G.binary_conv_popcount(x, w, s["stride"], s["pad"])
        xb, wb = (x > 0).astype(int), (w > 0).astype(int)
        h, wd = x.shape[:2]
        for oy in range(pc.shape[0]):
            for ox in range(pc.shape[1]):
                for o in range(s["co"]):
                    m = 0
                    for ky in range(s["k"]):
                        for kx in range(s["k"]):
                            iy, ix = oy * s["stride"] - s["pad"] + ky, ox * s["stride"] - s["pad"] + kx
                            for c in range(s["ci"]):
                                a = xb[iy, ix, c] if 0 <= iy < h and 0 <= ix < wd else 0  # pad = -1
                                m += 1 - (a ^ wb[o, ky, kx, c])                           # XNOR
                    assert pc[oy, ox, o] == m
        th = rng.integers(0, s["k"] * s["k"] * s["ci"] + 1, s["co"])
        assert np.array_equal(G.conv_binary(x, w, th, s["stride"], s["pad"]), (pc >= th).astype(int))


def test_packing_lanes_and_neutral_padding():
    rng = np.random.default_rng(7)
    for bits in (4, 2):
        lo, hi = -(1 << (bits - 1)), 1 << (bits - 1)
        a = rng.integers(lo, hi, (3, 2, 5))
        cp = 32 // bits
        words = G.pack_hwc(a, bits, cp)
        back = unpack(words, bits).reshape(3, 2, cp)
        assert np.array_equal(back[..., :5], a) and not back[..., 5:].any()
        # lane i of word j = channel i (little endian)
        assert (int(words[0]) >> (bits * 1)) & ((1 << bits) - 1) == a[0, 0, 1] & ((1 << bits) - 1)
        with pytest.raises(ValueError):
            G.pack_hwc(np.array([hi]), bits)
    # binary: bit 1 = +1; padded lanes: activation bit 0, weight bit 1 -> XNOR of a padded lane is 0
    x = rng.choice([-1, 1], (2, 20))
    aw = G.pack_hwc(x, 1, 32, "act")
    ww = G.pack_hwc(x, 1, 32, "weight")
    assert np.array_equal(unpack(aw, 1, signed=False).reshape(2, 32)[:, :20], (x > 0).astype(int))
    for a_, w_ in zip(aw, ww):
        xnor = ~(int(a_) ^ int(w_)) & 0xFFFFFFFF
        assert bin(xnor).count("1") == 20                      # identical signs on the 20 real lanes
        assert bin(~(0 ^ int(w_)) & 0xFFFFFFFF).count("1") == sum(1 for i in range(20) if not (int(w_) >> i) & 1)
    q = rng.integers(-8, 8, (3, 4))
    b = G.pack_bytes_hwc(q, 4)
    assert all(((int(b[i // 2]) >> (4 * (i % 2))) & 0xF) == (q.reshape(-1)[i] & 0xF) for i in range(12))
