"""Network runner: descriptions, placement and the refusal of networks that do not fit."""
import os

import pytest

from isasim.errors import IsasimError
from isasim.networks import memory, spec, workload, zoo
from isasim.networks.cm7 import LD_SCRIPT

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_zoo_shapes_from_sources():
    cifar = spec.parse(zoo.get("cifar10"))
    assert sum(l["macs"] for l in cifar["layers"]) == 6558720          # papers.md §4.1
    assert [l["shape"] for l in cifar["layers"] if l["op"] == "maxpool"] == [(16, 16, 32), (8, 8, 16), (4, 4, 32)]
    ds = spec.parse(zoo.get("dscnn"))
    c1 = ds["layers"][0]
    assert c1["shape"] == (25, 5, 64) and (c1["py"], c1["px"]) == (4, 1)   # ds_cnn.h
    mb = spec.parse(zoo.get("mobilenet_v1_025"))
    assert mb["layers"][-3]["shape"] == (5, 5, 256) and mb["layers"][-1]["shape"] == (1, 1, 1000)


def test_memories_from_linker_script():
    m = memory.Memories(LD_SCRIPT)
    assert m.region_of(".weights") == "flash" and m.region_of(".activations") == "dtcm"   # default placement: the papers' set-up
    assert m.capacity("dtcm") == 128 * 1024 - 0x2000 - memory.PROGRAM_RESERVE


def test_network_that_does_not_fit_is_refused_in_one_line():
    net = spec.parse(zoo.get("mobilenet_v1_025"))
    with pytest.raises(spec.NetworkError) as e:
        workload.network_plan(net, 8, {"activations": "dtcm"})
    msg = str(e.value)
    assert "\n" not in msg and "layer " in msg and "buffer '" in msg and "does not fit in" in msg
    # the generator refuses it too (fit: refuse is the default), naming layer and buffer
    # weights and activations both in AXI SRAM (the default puts the weights in flash)
    with pytest.raises(IsasimError, match=r"layer \w+: buffer '\w+' .* does not fit in axisram"):
        workload.layer(layer="mobilenet_v1_025/pw3", wbits=8, activations="axisram",
                       weights="axisram")
    # and at 4 bits the same network fits there
    workload.network_plan(net, 4, {"activations": "axisram", "weights": "axisram"})


def test_config_refuses_at_load_time(tmp_path):
    from isasim.experiments import config
    cfg = tmp_path / "c.yaml"
    cfg.write_text(f"""name: t
workload: {{generator: isasim.networks.workload:layer, params: {{wbits: 8, activations: dtcm}}}}
sweep: {{layer: [mobilenet_v1_025/conv1]}}
variants:
  - {{id: vq, target: cm7, include: [{ROOT}/kernels_asm/cm7/nn], sources: [{ROOT}/kernels_asm/cm7/nn/net_program.c]}}
""")
    with pytest.raises(IsasimError) as e:
        config.load(str(cfg))
    assert "\n" not in str(e.value) and "does not fit in dtcm" in str(e.value)


def test_bad_descriptions():
    with pytest.raises(spec.NetworkError, match="layer c: op 'conv3d'"):
        spec.parse({"name": "x", "input": [4, 4, 4], "layers": [{"name": "c", "op": "conv3d"}]})
    with pytest.raises(spec.NetworkError, match="input2 'nope'"):
        spec.parse({"name": "x", "input": [4, 4, 4], "layers": [{"name": "a", "op": "add", "input2": "nope"}]})
    with pytest.raises(spec.NetworkError, match="placement: activations: .*flash"):
        workload.network_plan(spec.parse(zoo.get("dscnn")), 8, {"activations": "flash"})
