"""Network shapes from their public sources (HWC, int8 activations; ReLU fused into the layer
before it, which equals a separate ReLU after the requantisation). Softmax is not simulated.

* ``cifar10`` - the CIFAR-10 example network shipped with CMSIS-NN (ARM-software/CMSIS_5,
  CMSIS/NN/Examples/ARM/arm_nn_examples/cifar10/, papers.md §4.1): conv 5x5 3->32 pad 2, ReLU,
  maxpool 3x3/2 (window clipped at the border: 32 -> 16), conv 5x5 ->16, ReLU, maxpool, conv 5x5 ->32,
  ReLU, maxpool, FC 512 -> 10.
* ``dscnn`` - DS-CNN-S of "Hello Edge" (Zhang et al. 2017), as deployed in ARM-software/ML-KWS-for-MCU
  (Deployment/Source/NN/DS_CNN/ds_cnn.h): 49x10x1 MFCC input, conv 10x4 stride 2 pad (4, 1) -> 25x5x64,
  (TensorFlow SAME = the header's padding 4, 1 and output 25x5), 4 x (depthwise 3x3 pad 1, pointwise 64), ReLU after each, average pool 25x5, FC 64 -> 12.
* ``fer`` - a small CNN for 48x48 grey facial-expression images with 7 classes (Fer2013 format).
  **Our own design**: no small published Fer2013 CNN with shapes we could check was available in this
  work; it follows the usual VGG-like pattern of such models (3x3 conv + ReLU + 2x2 maxpool stages,
  8/16/32/64 channels, global average pool, FC -> 7) and is sized like the other two MCU networks
  (~2.2 M MACs, ~25 k weights).
* ``mobilenet_v1_025`` - MobileNetV1 width 0.25 at 160x160x3 (Howard et al. 2017, Table 1 with
  every channel count x 0.25): conv 3x3/2 ->8, 13 depthwise-separable blocks (stride 2 at blocks 2, 4,
  6, 12; the last depthwise has stride 1 as in the TensorFlow models), ReLU after each layer,
  average pool 5x5, FC 256 -> 1000. TensorFlow SAME padding.
"""
from .spec import NetworkError


def _cifar10():
    return {"name": "cifar10", "input": [32, 32, 3],
            "source": "ARM-software/CMSIS_5 CMSIS/NN/Examples/ARM/arm_nn_examples/cifar10 (papers.md §4.1)",
            "layers": [
                {"name": "conv1", "op": "conv", "out": 32, "k": 5, "pad": 2, "relu": True},
                {"name": "pool1", "op": "maxpool", "k": 3, "stride": 2, "pad": "same"},
                {"name": "conv2", "op": "conv", "out": 16, "k": 5, "pad": 2, "relu": True},
                {"name": "pool2", "op": "maxpool", "k": 3, "stride": 2, "pad": "same"},
                {"name": "conv3", "op": "conv", "out": 32, "k": 5, "pad": 2, "relu": True},
                {"name": "pool3", "op": "maxpool", "k": 3, "stride": 2, "pad": "same"},
                {"name": "fc", "op": "fc", "out": 10},
            ]}


def _dscnn():
    layers = [{"name": "conv1", "op": "conv", "out": 64, "k": [10, 4], "stride": 2, "pad": "same",
               "relu": True}]
    for i in range(1, 5):
        layers += [{"name": f"dw{i}", "op": "dwconv", "k": 3, "pad": 1, "relu": True},
                   {"name": f"pw{i}", "op": "pwconv", "out": 64, "relu": True}]
    layers += [{"name": "pool", "op": "avgpool", "k": "global"},
               {"name": "fc", "op": "fc", "out": 12}]
    return {"name": "dscnn", "input": [49, 10, 1],
            "source": "Hello Edge DS-CNN-S, ARM-software/ML-KWS-for-MCU Deployment/Source/NN/DS_CNN/ds_cnn.h",
            "layers": layers}


def _fer():
    layers = []
    c = 1
    for i, co in enumerate((8, 16, 32, 64), 1):
        layers.append({"name": f"conv{i}", "op": "conv", "out": co, "k": 3, "pad": 1, "relu": True})
        if i < 4:
            layers.append({"name": f"pool{i}", "op": "maxpool", "k": 2, "stride": 2})
        c = co
    layers += [{"name": "gap", "op": "avgpool", "k": "global"}, {"name": "fc", "op": "fc", "out": 7}]
    return {"name": "fer", "input": [48, 48, 1], "source": "own design (see isasim/networks/zoo.py)",
            "layers": layers}


def _mobilenet():
    a = 0.25
    ch = lambda c: int(c * a)  # noqa: E731
    layers = [{"name": "conv1", "op": "conv", "out": ch(32), "k": 3, "stride": 2, "pad": "same", "relu": True}]
    blocks = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2)] + [(512, 1)] * 5 + [(1024, 2), (1024, 1)]
    for i, (co, s) in enumerate(blocks, 1):
        layers += [{"name": f"dw{i}", "op": "dwconv", "k": 3, "stride": s, "pad": "same", "relu": True},
                   {"name": f"pw{i}", "op": "pwconv", "out": ch(co), "relu": True}]
    layers += [{"name": "pool", "op": "avgpool", "k": "global"}, {"name": "fc", "op": "fc", "out": 1000}]
    return {"name": "mobilenet_v1_025", "input": [160, 160, 3],
            "source": "Howard et al. 2017 (arXiv:1704.04861) Table 1, width multiplier 0.25, 160x160",
            "layers": layers}


NETWORKS = {"cifar10": _cifar10, "dscnn": _dscnn, "fer": _fer, "mobilenet_v1_025": _mobilenet}


def get(name):
    if name not in NETWORKS:
        raise NetworkError(f"unknown network {name!r} (known: {', '.join(NETWORKS)})")
    return NETWORKS[name]()


def layer_names(name):
    """NETWORK/LAYER names of every layer of a zoo network (the values of the sweep key ``layer``)."""
    return [f"{name}/{l['name']}" for l in get(name)["layers"]]
