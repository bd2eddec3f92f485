"""Workload generator of the network runner (experiments/peluso2019): one point = one layer of a
network at a weight precision, on the Cortex-M7.

    workload: {generator: isasim.networks.workload:layer, params: {seed: 2019}}
    sweep: {layer: [cifar10/conv1, cifar10/pool1, ...], wbits: [1, 2, ..., 8]}

``layer`` is ``NETWORK/LAYER`` (a network of :mod:`isasim.networks.zoo`) or a layer name with the
network given inline as ``network`` (a mapping, see :mod:`isasim.networks.spec`). The point's input
is the golden model's tensor feeding the layer (the network input or the output of the producing
layer), its expected output the golden model's output of the layer: every layer of a network
bit-exact = the network bit-exact end to end. Before anything runs, the whole network is placed
(:func:`isasim.networks.memory.plan`); with ``fit: refuse`` (default) a network that does not fit
is refused with one line naming the layer and the buffer; ``fit: layer`` only requires the simulated
layer's own buffers to fit (for per-layer figures of a network that needs more memory than the
target has; the network-level verdict is then the postprocess's to report).
"""
import numpy as np

from . import cm7, golden, memory, spec, zoo

PLACEMENT_KEYS = ("weights", "activations", "scratch")


def resolve(network, layer):
    """(unparsed network dict, layer name) of a point."""
    if network is None:
        if not isinstance(layer, str) or "/" not in layer:
            raise spec.NetworkError(f"layer {layer!r}: expected NETWORK/LAYER (networks: {', '.join(zoo.NETWORKS)}) "
                                    f"or a network mapping in the parameter 'network'")
        name, lname = layer.split("/", 1)
        return zoo.get(name), lname
    if isinstance(network, str):
        return zoo.get(network), layer
    return network, layer


def network_plan(net, wbits, placement, where=None, check=True):
    """Place the parsed network ``net`` at weight precision ``wbits`` (memory.plan)."""
    mem = memory.Memories(cm7.LD_SCRIPT)
    where = where or f"network {net['name']} (n={wbits})"
    kerns = [cm7.layer_kernel(l, golden.layer_bits(l, wbits), where) for l in net["layers"]]
    bufs = [{"weights": k["weight_bytes"], "scratch": k["scratch_bytes"]} for k in kerns]
    return memory.plan(net["name"], net["layers"], bufs, placement, mem, where, check), kerns


def auto_placement(net, wbits, weights="default", scratch="default", errors=None):
    """``activations: auto``: the role's own region (cm7: DTCM) if the network fits there, else the
    first other data region in which it fits (cm7: AXI SRAM), else the role's region (whose
    refusal then names the layer and buffer). ``errors``: a list that receives the refusal of
    every region tried."""
    mem = memory.Memories(cm7.LD_SCRIPT)
    home = mem.region_of(memory.ROLE_SECTIONS["activations"])
    cands = [home] + [r for r in mem.regions if r != home and any(
        s in mem.regions[r]["sections"] for s in (".data", ".axisram", ".activations"))]
    for r in cands:
        p = {"weights": weights, "activations": r, "scratch": scratch}
        try:
            network_plan(net, wbits, p)
            return p
        except spec.NetworkError as e:
            if errors is not None:
                errors.append(str(e))
    return {"weights": weights, "activations": home, "scratch": scratch}


def _check(network, layer, wbits, weights, activations, scratch, fit):
    net_d, lname = resolve(network, layer)
    net = spec.parse(net_d)
    l = spec.layer(net, lname)
    where = f"network {net['name']} (n={wbits})"
    if fit not in ("refuse", "layer"):
        raise spec.NetworkError(f"fit must be refuse or layer, got {fit!r}")
    placement = {"weights": weights, "activations": activations, "scratch": scratch}
    if activations == "auto":
        placement = auto_placement(net, wbits, weights, scratch)
    try:
        plan, kerns = network_plan(net, wbits, placement, where)
    except spec.NetworkError:
        if fit == "refuse":
            raise
        # only the simulated layer: its weights, input(s), output and scratch
        one = dict(l, index=0, src=-1, src2=-1 if l.get("src2") is not None else None)
        alone = {"name": net["name"], "layers": [one]}
        if activations == "auto":
            placement = auto_placement(alone, wbits, weights, scratch)
        plan, kerns = network_plan(alone, wbits, placement, f"{where} (layer {l['name']} alone)")
        return net_d, net, l, plan, kerns[0]
    return net_d, net, l, plan, kerns[l["index"]]


def whole_network(net_d, wbits, seed, placement):
    """Workload of a whole network in one program (net_layer.c with NET_WHOLE): every layer in
    sequence, activations in one arena planned by :func:`memory.arena` (the network input
    initialised at its offset), the final output in its own buffer ``n_out`` checked against the
    golden model. The network must fit (memory.plan, then the arena itself)."""
    net = spec.parse(net_d)
    where = f"network {net['name']} (n={wbits})"
    if placement.get("activations") == "auto":
        placement = auto_placement(net, wbits, placement.get("weights", "default"),
                                   placement.get("scratch", "default"))
    plan, kerns = network_plan(net, wbits, placement, where)
    layers = net["layers"]
    last = layers[-1]["index"]
    off, asize = memory.arena(layers, exclude=(last,))
    mem = memory.Memories(cm7.LD_SCRIPT)
    roles = plan["roles"]
    need = asize + (plan["peak_scratch_bytes"] if roles["scratch"] == roles["activations"] else 0) + \
        (plan["weight_bytes"] if roles["weights"] == roles["activations"] else 0) + \
        memory.align4(layers[-1]["shape"][0] * layers[-1]["shape"][1] * layers[-1]["shape"][2])
    cap = mem.capacity(roles["activations"])
    if need > cap:
        raise spec.NetworkError(f"{where}: buffer 'activation arena' ({asize:,} B, greedy offsets) does not "
                                f"fit in {roles['activations']}: {need:,} B needed with the other buffers "
                                f"there, {cap:,} B available")
    g = golden.run(net_d, wbits, seed)
    act = np.zeros(max(asize, 4), np.int8)
    x = np.asarray(g["input"], np.int8).reshape(-1)
    act[off[-1]:off[-1] + x.size] = x
    blob = []
    pos = 0
    rows = []
    ns = set()
    for l, kern in zip(layers, kerns):
        n = golden.layer_bits(l, wbits)
        d, desc = cm7.layer_data(l, g["layers"][l["index"]], n, kern)
        w = np.ascontiguousarray(d.get("l_wgt", np.zeros(0, "<u4"))).view(np.uint8)
        b = np.ascontiguousarray(d.get("l_bias", np.zeros(0, np.int8))).view(np.uint8)
        woff, boff = pos, pos + memory.align4(w.size)
        blob += [w, np.zeros(memory.align4(w.size) - w.size, np.uint8), b,
                 np.zeros(memory.align4(b.size) - b.size, np.uint8)]
        pos = boff + memory.align4(b.size)
        if kern["kernel"] == "conv_vq":
            ns.add(n)

        def loc(t):
            return (1, 0) if t == last else (0, off[t])
        src2 = l.get("src2")
        rows.append(list(d["l_desc"]) + [*loc(l["src"]), *(loc(src2) if src2 is not None else (0, 0)),
                                         *loc(l["index"]), woff, boff])
    table = np.array([len(layers)] + [v for r in rows for v in r], dtype="<i4")
    wgt = np.concatenate(blob) if blob else np.zeros(4, np.uint8)
    wgt = np.concatenate([wgt, np.zeros((-wgt.size) % 4 or (4 if not wgt.size else 0), np.uint8)])
    out = np.asarray(g["layers"][-1]["out"], np.int8).reshape(-1)
    sec = plan["sections"]
    defines = {"NET_WHOLE": 1}
    if len(ns) <= 1:
        defines["VQ_ONLY"] = ns.pop() if ns else 0
    return {"data": {"n_table": table, "n_act": act, "n_wgt": wgt.view("<u4"),
                     "n_scr": np.zeros(max(plan["peak_scratch_bytes"], 4) // 4, "<u4")},
            "outputs": {"n_out": out}, "macs": int(sum(l["macs"] for l in layers)), "defines": defines,
            "sections": {"n_act": sec["activations"], "n_out": sec["activations"], "n_wgt": sec["weights"],
                         "n_scr": sec["scratch"]}}


def layer(layer=None, wbits=8, seed=2019, network=None, weights="default", activations="default",
          scratch="default", fit="refuse"):
    """Workload of one layer (module docstring); ``layer`` = a network name alone (or ``network``
    given without ``layer``): the whole network in one program (:func:`whole_network`)."""
    if _is_whole(network, layer):
        net_d = zoo.get(layer) if network is None else (zoo.get(network) if isinstance(network, str) else network)
        return whole_network(net_d, wbits, seed, {"weights": weights, "activations": activations,
                                                  "scratch": scratch})
    net_d, net, l, plan, kern = _check(network, layer, wbits, weights, activations, scratch, fit)
    g = golden.run(net_d, wbits, seed)
    n = golden.layer_bits(l, wbits)
    data, _ = cm7.layer_data(l, g["layers"][l["index"]], n, kern)
    src = g["input"] if l["src"] < 0 else g["layers"][l["src"]]["out"]
    data["l_in"] = _pad4(src)
    data["l_in2"] = _pad4(g["layers"][l["src2"]]["out"] if l.get("src2") is not None and l["src2"] >= 0
                          else g["input"] if l.get("src2") == -1 else np.zeros(4, np.int8))
    data.setdefault("l_wgt", np.zeros(1, "<u4"))
    data.setdefault("l_bias", np.zeros(4, np.int8))
    out = np.asarray(g["layers"][l["index"]]["out"], dtype=np.int8).reshape(-1)
    sec = plan["sections"]
    sections = {"l_in": sec["activations"], "l_in2": sec["activations"], "l_out": sec["activations"],
                "l_wgt": sec["weights"], "l_bias": sec["weights"], "l_scratch": sec["scratch"]}
    vq_only = n if kern["kernel"] == "conv_vq" else 0      # compile only the VQ copy this layer runs
    return {"data": data, "outputs": {"l_out": out}, "macs": int(l["macs"]), "defines": {"VQ_ONLY": vq_only},
            "sections": sections}


def _pad4(a):
    a = np.asarray(a, dtype=np.int8).reshape(-1)
    return np.concatenate([a, np.zeros((-a.size) % 4, np.int8)])


def _is_whole(network, layer):
    return (network is None and isinstance(layer, str) and "/" not in layer) or \
        (network is not None and layer is None)


def _validate(params):
    p = dict(params)
    if _is_whole(p.get("network"), p.get("layer")):
        net_d = zoo.get(p["layer"]) if p.get("network") is None else (
            zoo.get(p["network"]) if isinstance(p["network"], str) else p["network"])
        net = spec.parse(net_d)
        placement = {k: p.get(k, "default") for k in PLACEMENT_KEYS}
        if placement["activations"] == "auto":
            placement = auto_placement(net, p.get("wbits", 8), placement["weights"], placement["scratch"])
        network_plan(net, p.get("wbits", 8), placement)
        return
    _check(p.get("network"), p.get("layer"), p.get("wbits", 8), p.get("weights", "default"),
           p.get("activations", "default"), p.get("scratch", "default"), p.get("fit", "refuse"))


layer.validate = _validate
