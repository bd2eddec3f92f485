"""Compiled network kernels (kernels_asm/cm7/nn/) bit-exact against the network golden model on
small shapes, through the experiment runner's path: conv at every weight precision n = 1..8 on 3
shapes (reordered and natural im2col order, odd channel and pixel counts, stride 2, asymmetric
SAME padding), depthwise (8-bit and VQ), pooling, ReLU, residual add, fully connected."""
import pytest

from isasim.experiments import runner
from isasim.networks import cm7, golden, workload

SHAPES = {
    "k3_ci8_co6_odd_px": dict(input=[5, 5, 8], layers=[{"name": "c", "op": "conv", "out": 6, "k": 3, "pad": 1}]),
    "k5_ci3_co5_s2_natural": dict(input=[9, 7, 3], layers=[{"name": "c", "op": "conv", "out": 5, "k": 5, "stride": 2,
                                                           "pad": "same", "relu": True}]),
    "k1x3_ci12_co7_fc": dict(input=[4, 6, 12], layers=[{"name": "c", "op": "conv", "out": 7, "k": [1, 3], "pad": "same"},
                                                      {"name": "f", "op": "fc", "out": 3}]),
}
OTHER = dict(input=[10, 9, 8], layers=[
    {"name": "dw", "op": "dwconv", "k": 3, "stride": 2, "pad": "same", "relu": True},
    {"name": "mp", "op": "maxpool", "k": 2, "stride": 1, "pad": "same"},
    {"name": "ap", "op": "avgpool", "k": 3, "stride": 2, "pad": 1},
    {"name": "pw", "op": "pwconv", "out": 8},
    {"name": "dw2", "op": "dwconv", "k": 3, "pad": 1, "input": "dw"},   # 3x3 interior fast path
    {"name": "r", "op": "relu", "input": "pw"},
    {"name": "add", "op": "add", "input": "pw", "input2": "ap", "shift": 1, "relu": True},
    {"name": "gap", "op": "avgpool", "k": "global"},
])


def point(net, lname, wbits):
    v = {"id": "nn", "target": "cm7", "sources": cm7.SOURCES, "include": [cm7.KDIR]}
    return {"experiment": "test_nn", "variant": v,
            "params": dict(network=net, layer=lname, wbits=wbits, seed=7),
            "generator": "isasim.networks.workload:layer", "sweep": {"layer": lname}}


def _run(net, lname, wbits):
    g = golden.run(net, wbits, 7)
    out = [r for r in g["layers"] if r["name"] == lname][0]["out"]
    assert len(set(out.reshape(-1).tolist())) >= 2          # a non-trivial expected output
    row = runner.run_point(point(net, lname, wbits), use_cache=False)
    assert row["golden"] == "bit-exact" and row["exit_code"] == 0 and row["cycles"] > 0
    return row


@pytest.mark.parametrize("wbits", range(1, 9))
@pytest.mark.parametrize("shape", list(SHAPES))
def test_conv_every_precision(shape, wbits):
    net = dict(SHAPES[shape], name=shape)
    for l in net["layers"]:
        _run(net, l["name"], wbits)


@pytest.mark.parametrize("wbits", [8, 5, 1])
def test_other_layers(wbits):
    net = dict(OTHER, name="other")
    for l in net["layers"]:
        _run(net, l["name"], wbits)


def test_macs_reported():
    net = dict(SHAPES["k3_ci8_co6_odd_px"], name="m")
    w = workload.layer(network=net, layer="c", wbits=4, seed=7)
    assert w["macs"] == 5 * 5 * 6 * 9 * 8


@pytest.mark.parametrize("wbits", [8, 6, 1])
def test_whole_network_one_program(wbits):
    """Every layer in one ELF (activation arena, weights blob, table of layers): the final output
    matches the golden model of the whole network; cycles ~ the sum of the per-layer points."""
    net = dict(OTHER, name="other")
    v = {"id": "nn", "target": "cm7", "sources": cm7.SOURCES, "include": [cm7.KDIR]}
    pt = {"experiment": "test_nn", "variant": v, "params": dict(network=net, wbits=wbits, seed=7),
          "generator": "isasim.networks.workload:layer", "sweep": {}}
    row = runner.run_point(pt, use_cache=False)
    assert row["golden"] == "bit-exact"
    per = sum(runner.run_point(point(net, l["name"], wbits))["cycles"] for l in net["layers"])
    assert abs(row["cycles"] - per) < 0.1 * per
