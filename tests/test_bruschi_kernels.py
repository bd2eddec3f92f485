"""The generated PULP-NN mixed-precision kernels (kernels_asm/ri5cy/pulpnn, generator
experiments/bruschi2020/bruschi2020_kernels.py) bit-exact against the golden model
(isasim/qnn/quant.py) on 1 and 8 GAP-8 cluster cores, through the experiment runner's own path
(generator -> data file -> build -> cluster run -> output read back by symbol and compared).

Default run: a few precision triples on small shapes; ``-m slow``: all 27 kernels and the 6 XpulpNN
variants on three small shapes and on both experiment layers, 1 and 8 cores."""
import os
import sys

import numpy as np
import pytest

from isasim.experiments import runner
from isasim.qnn import quant as Q

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXP = os.path.join(ROOT, "experiments", "bruschi2020")
sys.path.insert(0, EXP)
import bruschi2020_kernels as K  # noqa: E402
import bruschi2020_workload as W  # noqa: E402

KDIR = os.path.join(ROOT, "kernels_asm", "ri5cy", "pulpnn")
INC = [os.path.join(ROOT, "kernels_asm", "ri5cy", "include"), KDIR]

SHAPES = {
    # 5 output rows on 8 cores: pairs of cores split the rows, odd halves (leftover pixel), idle cores
    "s5_pad1": dict(ih=5, iw=5, ci=16, co=8, k=3, pad=1, stride=1),
    # stride 2, no padding, 3 channel groups, odd output width
    "s_stride2": dict(ih=6, iw=7, ci=32, co=12, k=3, pad=0, stride=2),
    # 1x1 kernel, 16 pixels on 8 cores (2 each), 2 channel groups
    "s_k1": dict(ih=4, iw=4, ci=16, co=8, k=1, pad=0, stride=1),
}
ALL = [(i, w, o, isa) for i, w, o, isa in K.all_kernels()]
# u8 x i8 -> u8, u4 x i4 -> u4 and XpulpNN u4 x i4 -> u4 also run in test_bruschi_experiment.py
QUICK = [(4, 2, 8, "xpulpv2"), (2, 4, 4, "xpulpv2"), (8, 2, 2, "xpulpv2"), (2, 2, 8, "xpulpnn")]


def point(ib, wb, ob, isa, shape, cores, skew=0):
    src = [os.path.join(KDIR, "pulp_nn_conv.c"), K.kernel_path(ib, wb, ob, isa)]
    v = {"id": K.kernel_name(ib, wb, ob, isa), "target": "gap8", "sources": src, "include": INC,
         "plugins": ["qnn"] if isa == "xpulpnn" else [], "cores": cores}
    params = dict(act_bits=ib, wgt_bits=wb, out_bits=ob, isa=isa, shape=shape, im2col_skew=skew)
    return {"experiment": "test_bruschi", "variant": v, "params": params,
            "generator": "bruschi2020_workload:conv_layer", "sweep": {}, "config_dir": EXP}


def check(ib, wb, ob, isa, shape, cores, skew=0):
    w = W.conv_layer(ib, wb, ob, shape, isa, skew)
    y = Q.unpack_bytes(w["outputs"]["act_out"], ob)
    assert len(np.unique(y)) >= 2          # a kernel writing nothing (zeros) cannot pass
    row = runner.run_point(point(ib, wb, ob, isa, shape, cores, skew), use_cache=False)
    assert row["golden"] == "bit-exact" and row["exit_code"] == 0 and row["cores"] == cores
    assert row["macs"] == w["macs"] > 0
    return row


@pytest.mark.parametrize("cores", [1, 8])
@pytest.mark.parametrize("ib,wb,ob,isa", QUICK)
def test_quick_kernels_bit_exact(ib, wb, ob, isa, cores):
    check(ib, wb, ob, isa, SHAPES["s5_pad1"], cores)


def test_skewed_buffers_bit_exact():
    check(4, 8, 2, "xpulpv2", SHAPES["s_stride2"], 8, skew=1)


@pytest.mark.slow
@pytest.mark.parametrize("cores", [1, 8])
@pytest.mark.parametrize("shape", list(SHAPES))
@pytest.mark.parametrize("ib,wb,ob,isa", ALL)
def test_all_kernels_small_shapes(ib, wb, ob, isa, shape, cores):
    check(ib, wb, ob, isa, SHAPES[shape], cores)


@pytest.mark.slow
@pytest.mark.parametrize("cores", [1, 8])
@pytest.mark.parametrize("shape", ["l16", "l11"])
@pytest.mark.parametrize("ib,wb,ob,isa", ALL)
def test_all_kernels_experiment_layers(ib, wb, ob, isa, shape, cores):
    check(ib, wb, ob, isa, shape, cores)


def test_generated_files_up_to_date():
    """The committed kernels are what the generator writes (no hand edits, no stale files)."""
    assert K.write_all(check=True) == []
    names = {K.kernel_name(*k) + ".S" for k in K.all_kernels()}
    assert len([n for n in names if n.startswith("pulp_nn_conv_")]) == 27
    assert names <= set(os.listdir(KDIR))


def test_golden_mismatch_detected(monkeypatch):
    """A wrong expected output (one element changed) fails the run: the check is not vacuous."""
    real = W.conv_layer

    def wrong(*a, **kw):
        w = real(*a, **kw)
        w["outputs"]["act_out"] = w["outputs"]["act_out"].copy()
        w["outputs"]["act_out"][5] ^= 1
        return w
    monkeypatch.setattr(W, "conv_layer", wrong)
    with pytest.raises(runner.GoldenMismatch, match="act_out.*differs"):
        runner.run_point(point(8, 4, 8, "xpulpv2", SHAPES["s_k1"], 8), use_cache=False)


def test_too_many_cores_refused():
    """More cores than private im2col buffers: the kernel returns 90, the run fails."""
    with pytest.raises(runner.GoldenMismatch, match="exited with code 90"):
        runner.run_point(point(8, 8, 8, "xpulpv2", SHAPES["s_k1"], 16), use_cache=False)
