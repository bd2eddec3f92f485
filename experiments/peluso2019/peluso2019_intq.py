"""Workload generator of experiments/peluso2019/peluso2019_intq.yaml: a conv or pointwise layer of
a zoo network (``layer: NETWORK/LAYER``, whole output) run by the native sub-byte INT-Q kernels of
the Rusci reproduction (compiled C, kernels_asm/cm7/nn/nn_conv_intq.c: Q-bit activations *and*
weights, threshold outputs; experiments/rusci2018/rusci2018_workload.py makes the data) or by the
8-bit CMSIS-NN kernel with the same data layout (q7_c). INT-Q has convolution kernels only
(square kernel, symmetric padding), so only such layers are eligible (:func:`eligible`)."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
RUSCI = os.path.join(os.path.dirname(HERE), "rusci2018")
if RUSCI not in sys.path:
    sys.path.insert(0, RUSCI)

import rusci2018_workload as rusci  # noqa: E402
from isasim.networks import cm7, memory, spec, zoo  # noqa: E402


def shape_of(l):
    """Rusci shape dict of a parsed layer, or None when INT-Q cannot run it."""
    ih, iw, ci = l["in_shape"]
    oh, ow, co = l["shape"]
    if l["op"] not in ("conv", "pwconv") or l["kh"] != l["kw"] or l["sy"] != l["sx"]:
        return None
    k, s = l["kh"], l["sy"]
    pad = l["py"]
    if l["px"] != pad or (ih + 2 * pad - k) // s + 1 != oh or (iw + 2 * pad - k) // s + 1 != ow:
        return None                    # asymmetric (SAME) padding
    if (oh * ow) % 2 or co % 4:
        return None                    # pixel pairs; INT2 packs 4 outputs per byte
    return dict(ih=ih, iw=iw, ci=ci, co=co, k=k, pad=pad, stride=s)


def eligible(network):
    """NETWORK/LAYER names of the layers of a zoo network the INT-Q kernels can run."""
    net = spec.parse(zoo.get(network))
    return [f"{network}/{l['name']}" for l in net["layers"] if shape_of(l) is not None]


def _layer(layer, kernel):
    if not isinstance(layer, str) or "/" not in layer:
        raise ValueError(f"layer {layer!r}: expected NETWORK/LAYER")
    net_name, lname = layer.split("/", 1)
    l = spec.layer(spec.parse(zoo.get(net_name)), lname)
    s = shape_of(l)
    if s is None:
        raise ValueError(f"{layer}: not a layer the INT-Q kernels can run (square kernel, symmetric "
                         f"padding, an even pixel count, output channels a multiple of 4)")
    rusci.kernel_def(kernel)
    return l, s


def conv(layer, kernel="int4_c", seed=2019):
    """Workload: the whole layer; weights and thresholds in .weights, the input and output tensors
    in .activations (DTCM) when they fit there with the im2col buffer, else in AXI SRAM."""
    l, s = _layer(layer, kernel)
    w = rusci.conv_layer(kernel, shape=s, rows=l["shape"][0], row0=0, seed=seed)
    mem = memory.Memories(cm7.LD_SCRIPT)
    acts = w["data"]["act_in"].nbytes + w["outputs"]["act_out"].nbytes
    col = 2 * 2 * w["defines"]["NUMCOL"] if w["defines"]["BITS"] == 8 else 2 * 4 * w["defines"]["COLW"]
    sec = ".activations" if acts + col <= mem.capacity(mem.region_of(".activations")) else \
        mem.resolve({"activations": "axisram"}, layer)["activations"][1]
    w["sections"] = {"act_in": sec, "act_out": sec, "wgt": ".weights", "qparam": ".weights"}
    return w


def _validate(params):
    _layer(params.get("layer"), params.get("kernel", "int4_c"))


conv.validate = _validate
