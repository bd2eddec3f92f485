"""Cortex-M7 kernel table of the network runner: which compiled kernel (kernels_asm/cm7/nn/) runs a
layer, the storage format of its weights and the data of the per-layer program
(kernels_asm/cm7/nn/net_layer.c).

=========================  =========================================  ==========================
layer                      n = 8 (CMSIS-NN)                           n = 1..7 (VQ)
=========================  =========================================  ==========================
conv / pwconv / fc         nn_conv_q7 (arm_convolve_HWC_q7_fast, or   nn_conv_vq (in-loop n-bit
                           _basic order when ci % 4 != 0)             expansion, same datapath)
dwconv (ci % 4 == 0)       nn_dwconv_q7                               nn_vq_expand_i8 once per
                                                                      layer + nn_dwconv_q7
maxpool / avgpool / relu   nn_maxpool_q7 / nn_avgpool_q7 / nn_relu_q7  (no weights)
add                        nn_add_q7
=========================  =========================================  ==========================

Scratch: conv-like layers an im2col buffer of 2 x colpad int16 (two pixels, CMSIS-NN bufferA);
VQ depthwise the expanded int8 weights (kh*kw*C bytes).
"""
import os

import numpy as np

from ..qnn import vq
from .memory import align4
from .spec import NetworkError

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KDIR = os.path.join(ROOT, "kernels_asm", "cm7", "nn")
SOURCES = [os.path.join(KDIR, "net_program.c")]   # includes net_layer.c and the kernels
LD_SCRIPT = os.path.join(ROOT, "isasim", "toolchain", "data", "cm7.ld")
OPS = {"conv_q7": 1, "conv_vq": 2, "dw_q7": 3, "dw_vq": 4, "maxpool": 5, "avgpool": 6, "relu": 7, "add": 8}
FIELDS = ("ih", "iw", "ci", "co", "kh", "kw", "sy", "sx", "py", "px", "oh", "ow", "colpad",
          "reordered", "bias_shift", "out_shift", "relu", "oy0", "oy1", "wbits")


def layer_kernel(l, n, where):
    """{"kernel", "colpad", "reordered", "weight_bytes", "scratch_bytes"} of layer ``l`` at weight
    precision ``n``; a layer the kernels cannot run is a NetworkError naming it."""
    op = l["op"]
    k = {"colpad": 0, "reordered": 0, "weight_bytes": 0, "scratch_bytes": 0}
    if op in ("conv", "pwconv", "fc"):
        ci = l["ci"]
        numcol = l["kh"] * l["kw"] * ci
        k["reordered"] = int(ci % 4 == 0)
        co = l["shape"][2]
        if n == 8:
            k["kernel"] = "conv_q7"
            k["colpad"] = -(-numcol // 4) * 4
            k["weight_bytes"] = align4(co * k["colpad"]) + align4(co)
        else:
            k["kernel"] = "conv_vq"
            k["colpad"] = vq.padded_length(numcol, n)
            k["weight_bytes"] = co * k["colpad"] * n // 8 + align4(co)
        k["scratch_bytes"] = 2 * k["colpad"] * 2
    elif op == "dwconv":
        c = l["shape"][2]
        if c % 4:
            raise NetworkError(f"{where}: layer {l['name']}: the depthwise kernel needs a channel "
                               f"count that is a multiple of 4, got {c}")
        cnt = l["kh"] * l["kw"] * c
        if n == 8:
            k["kernel"] = "dw_q7"
            k["weight_bytes"] = align4(cnt) + align4(c)
        else:
            k["kernel"] = "dw_vq"
            k["weight_bytes"] = vq.model_bytes(cnt, n) + align4(c)
            k["scratch_bytes"] = align4(cnt)
    elif op in ("maxpool", "avgpool", "relu", "add"):
        k["kernel"] = op
    else:
        raise NetworkError(f"{where}: layer {l['name']}: op {op} has no cm7 kernel")
    return k


def descriptor(l, n, kern):
    """The int32 descriptor of net_layer.c: op code, then nn_conv_t."""
    ih, iw, c = l["in_shape"]
    oh, ow, co = l["shape"]
    if l["op"] == "fc":
        ih = iw = 1
        c = l["ci"]
    v = dict(ih=ih, iw=iw, ci=c, co=co, kh=l["kh"], kw=l["kw"], sy=l["sy"], sx=l["sx"], py=l["py"],
             px=l["px"], oh=oh, ow=ow, colpad=kern["colpad"], reordered=kern["reordered"],
             bias_shift=0, out_shift=0, relu=int(l["relu"]), oy0=0, oy1=oh, wbits=n)
    if l["op"] == "add":
        v["out_shift"] = l["shift"]
    if l["op"] in ("maxpool", "avgpool", "relu", "add"):
        v["co"] = c
    return v


def layer_data(l, g, n, kern):
    """Data symbols of the layer program: l_desc, l_wgt, l_bias (conv-like layers) and l_scratch
    (zeros); the inputs l_in / l_in2 and the output l_out are added by the workload. Also returns
    the descriptor fields."""
    d = descriptor(l, n, kern)
    data = {}
    if l["op"] in ("conv", "pwconv", "fc", "dwconv"):
        d["bias_shift"], d["out_shift"] = g["bias_shift"], g["out_shift"]
        data["l_bias"] = _pad4(np.asarray(g["bias"], dtype=np.int8))
        if l["op"] == "dwconv":
            codes = g["codes"].reshape(-1)
            if n == 8:
                data["l_wgt"] = _pad4(codes.astype(np.int8))
            else:
                data["l_wgt"] = vq.pack_bitstream(np.pad(codes, (0, vq.padded_length(codes.size, n) - codes.size)), n)
        else:
            co = g["codes"].shape[0]
            codes = g["codes"].reshape(co, -1)
            order = vq.column_order(l["kh"], l["kw"], l["ci"], bool(kern["reordered"]))
            if n == 8:
                data["l_wgt"] = vq.q7_rows(codes, bool(kern["reordered"]), kern["colpad"]).reshape(-1)
            else:
                data["l_wgt"] = vq.pack_rows(codes, n, order, kern["colpad"])
    desc = np.array([OPS[kern["kernel"]]] + [d[f] for f in FIELDS], dtype="<i4")
    data["l_desc"] = desc
    nscr = kern["scratch_bytes"]
    data["l_scratch"] = np.zeros(max(nscr, 4) // 4, dtype="<u4")
    return data, d


def _pad4(a):
    a = np.asarray(a).reshape(-1)
    return np.concatenate([a, np.zeros((-a.size) % 4, a.dtype)])
