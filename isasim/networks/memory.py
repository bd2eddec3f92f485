"""Memory placement of a network: which buffer lives where, peak RAM, and the refusal of a network
that does not fit.

Memories and where the roles go come from the target's linker script (cm7:
isasim/toolchain/data/cm7.ld, parsed here: ``MEMORY`` regions, which region each input section
such as ``.weights`` / ``.activations`` / ``.scratch`` lands in, the stack size), so a changed memory
map changes the planner without code changes. A placement names a region per role
(``weights``, ``activations``, ``scratch``); ``default`` keeps the role section where the linker
script puts it. Buffers of a role placed elsewhere are emitted in a section the script maps to that
region (e.g. ``.axisram``).

Rules: weights (and biases) of every layer are resident; an activation tensor is live from the
layer that produces it to its last consumer (the network input from the start); scratch buffers
(im2col, expanded depthwise weights) live during their layer only. A region's use at a layer is
its resident weights + the live tensors + that layer's scratch placed there; it must not exceed
the region's size minus the stack (in the stack's region) minus ``PROGRAM_RESERVE`` bytes for the
layer program's own data in the ``.data`` region (ASSUMPTION: its descriptor table and statics are
below 1 KiB; the per-layer ELF is linked with the same script, so a wrong reserve shows up as a
link error, never as a wrong figure).
"""
import os
import re

from .spec import NetworkError

PROGRAM_RESERVE = 1024
ROLES = ("weights", "activations", "scratch")
ROLE_SECTIONS = {"weights": ".weights", "activations": ".activations", "scratch": ".scratch"}
_SIZE = re.compile(r"^(0x[0-9a-fA-F]+|\d+)\s*([KM]?)$")


def _num(s):
    m = _SIZE.match(s.strip())
    if not m:
        raise ValueError(s)
    v = int(m.group(1), 0)
    return v * {"": 1, "K": 1024, "M": 1024 * 1024}[m.group(2)]


def ld_memory(path):
    """Regions of a linker script: {name (lower case): {"size", "sections": [input sections],
    "reserved": bytes}}; the stack (``__stack_size``, placed at the end of the region named in
    ``__stack_top``) is reserved in its region."""
    with open(path) as f:
        text = re.sub(r"/\*.*?\*/", "", f.read(), flags=re.S)
    mem = re.search(r"MEMORY\s*\{(.*?)\}", text, re.S)
    if not mem:
        raise NetworkError(f"{path}: no MEMORY block")
    regions = {}
    for m in re.finditer(r"(\w+)\s*(?:\([^)]*\))?\s*:\s*ORIGIN\s*=\s*([^,]+),\s*LENGTH\s*=\s*([^\s;]+)",
                         mem.group(1)):
        regions[m.group(1)] = {"size": _num(m.group(3)), "sections": [], "reserved": 0}
    for m in re.finditer(r"^\s*\.?[\w.]+\s*(?:\(NOLOAD\))?\s*:\s*\{(.*?)\}\s*>\s*(\w+)", text, re.S | re.M):
        body, reg = m.group(1), m.group(2)
        if reg in regions:
            for pat in re.finditer(r"\*\(([^)]*)\)", body):
                regions[reg]["sections"] += [s for s in pat.group(1).split() if "*" not in s]
    st = re.search(r"__stack_size\s*=\s*([^;]+);", text)
    top = re.search(r"__stack_top\s*=\s*ORIGIN\((\w+)\)", text)
    # the stack as a region's end (__stack_top = ORIGIN(R) + LENGTH(R)) or as a NOLOAD .stack
    # output section placed in a region (the generated cm7 scripts)
    sec = re.search(r"^\s*\.stack\s*(?:\(NOLOAD\))?\s*:\s*\{[^}]*__stack_size[^}]*\}\s*>\s*(\w+)",
                    text, re.M)
    reg = top.group(1) if top else (sec.group(1) if sec else None)
    if st and reg in regions:
        regions[reg]["reserved"] = _num(st.group(1))
    return {k.lower(): v for k, v in regions.items()}


class Memories:
    """The data memories of a target as its linker script defines them."""

    def __init__(self, ld_path):
        self.ld_path = ld_path
        self.regions = ld_memory(ld_path)

    def region_of(self, section):
        for name, r in self.regions.items():
            if section in r["sections"]:
                return name
        raise NetworkError(f"{self.ld_path}: no region holds section {section}")

    def capacity(self, region):
        r = self.regions[region]
        cap = r["size"] - r["reserved"]
        if ".data" in r["sections"]:
            cap -= PROGRAM_RESERVE
        return cap

    def resolve(self, placement, where):
        """{role: (region, section)} for a placement mapping (missing roles: default)."""
        placement = dict(placement or {})
        bad = sorted(set(placement) - set(ROLES))
        if bad:
            raise NetworkError(f"{where}: placement: unknown role {bad[0]!r} (roles: {', '.join(ROLES)})")
        out = {}
        for role in ROLES:
            sec = ROLE_SECTIONS[role]
            home = self.region_of(sec)
            want = placement.get(role, "default")
            if want == "default" or want == home:
                out[role] = (home, sec)
                continue
            if want not in self.regions:
                raise NetworkError(f"{where}: placement: {role}: {want!r} is not a memory of this "
                                   f"target (memories in {os.path.basename(self.ld_path)}: "
                                   f"{', '.join(self.regions)})")
            cands = [s for s in self.regions[want]["sections"] if s not in ROLE_SECTIONS.values()
                     and not s.startswith((".text", ".rodata", ".bss", ".sbss", "COMMON"))]
            if not cands:
                raise NetworkError(f"{where}: placement: {role}: no data section of "
                                   f"{os.path.basename(self.ld_path)} goes to {want}")
            out[role] = (want, cands[0])
        return out


def plan(net_name, layers, buffers, placement, mem, where=None, check=True):
    """Check that the network fits and return the figures.

    ``layers``: parsed layers (spec.parse); ``buffers``: per layer {"weights": bytes (incl. bias),
    "scratch": bytes}; tensor sizes come from the layer shapes. Returns {"weight_bytes",
    "peak_activation_bytes", "peak_scratch_bytes", "region_peak": {region: bytes},
    "capacity": {region: bytes}, "layers": [per layer {"weight_bytes", "live_activation_bytes",
    "scratch_bytes"}]}. Raises NetworkError (one line, naming the layer and the buffer) when a
    region overflows (``check=False``: the figures without the check)."""
    where = where or f"network {net_name}"
    roles = mem.resolve(placement, where)
    wreg, areg, sreg = (roles[r][0] for r in ROLES)
    cap = {r: mem.capacity(r) for r in {wreg, areg, sreg}}
    size = {-1: _bytes(layers[0]["in_shape"])}
    last_use = {-1: 0}
    for l in layers:
        size[l["index"]] = _bytes(l["shape"])
        last_use[l["index"]] = l["index"]
        for s in (l["src"], l.get("src2")):
            if s is not None:
                last_use[s] = max(last_use.get(s, 0), l["index"])
    # resident weights, in layer order (the layer whose weights overflow is named)
    used = {r: 0 for r in cap}
    for l, b in zip(layers, buffers):
        if check and b["weights"] and used[wreg] + b["weights"] > cap[wreg]:
            raise NetworkError(f"{where}: layer {l['name']}: buffer 'weights' ({b['weights']:,} B) "
                               f"does not fit in {wreg}: {used[wreg]:,} B of weights before it, "
                               f"{cap[wreg]:,} B available")
        used[wreg] += b["weights"]
    resident = dict(used)
    peak = dict(resident)
    per = []
    peak_act = peak_scr = 0
    for l, b in zip(layers, buffers):
        i = l["index"]
        live = [t for t in size if t < i and last_use[t] >= i] + [i]
        # buffers of this layer in the order they are named: inputs, output, scratch
        items = [("input" if t == l["src"] else "input2" if t == l.get("src2") else
                  f"live tensor of {layers[t]['name'] if t >= 0 else 'the input'}", areg, size[t])
                 for t in live if t != i]
        items.append(("output", areg, size[i]))
        if b["scratch"]:
            items.append(("scratch", sreg, b["scratch"]))
        u = dict(resident)
        for name, reg, nb in items:
            if check and u[reg] + nb > cap[reg]:
                raise NetworkError(
                    f"{where}: layer {l['name']}: buffer '{name}' ({nb:,} B) does not fit in {reg}: "
                    f"{u[reg]:,} B already in use ({resident[reg]:,} B weights) of {cap[reg]:,} B available")
            u[reg] += nb
        for r in u:
            peak[r] = max(peak[r], u[r])
        act = sum(size[t] for t in live)
        peak_act = max(peak_act, act)
        peak_scr = max(peak_scr, b["scratch"])
        per.append({"weight_bytes": b["weights"], "live_activation_bytes": act, "scratch_bytes": b["scratch"]})
    return {"weight_bytes": resident[wreg], "peak_activation_bytes": peak_act,
            "peak_scratch_bytes": peak_scr, "region_peak": peak, "capacity": cap,
            "roles": {r: roles[r][0] for r in ROLES}, "sections": {r: roles[r][1] for r in ROLES},
            "layers": per}


def _bytes(shape):
    """Bytes of an int8 HWC tensor, rounded up to the 4-byte alignment of every buffer."""
    h, w, c = shape
    return align4(h * w * c)


def align4(n):
    return -(-int(n) // 4) * 4


def arena(layers, exclude=()):
    """Offsets of the activation tensors in one arena (greedy by size, like TFLite Micro's
    GreedyMemoryPlanner): a tensor goes to the lowest offset that overlaps no tensor placed before
    it whose lifetime (producer .. last consumer, the network input from the start) intersects its
    own. Returns ({tensor: offset}, arena bytes); tensor -1 = the network input, i = output of
    layer i; tensors in ``exclude`` get no offset (e.g. the final output, kept in its own buffer)."""
    size = {-1: _bytes(layers[0]["in_shape"])}
    life = {-1: [-1, 0]}
    for l in layers:
        size[l["index"]] = _bytes(l["shape"])
        life[l["index"]] = [l["index"], l["index"]]
        for s in (l["src"], l.get("src2")):
            if s is not None:
                life[s][1] = max(life[s][1], l["index"])
    order = sorted((t for t in size if t not in exclude), key=lambda t: (-size[t], life[t][0]))
    placed = []
    off = {}
    for t in order:
        lo, hi = life[t]
        busy = sorted((off[u], off[u] + size[u]) for u in placed
                      if not (life[u][1] < lo or hi < life[u][0]))
        o = 0
        for a, b in busy:
            if o + size[t] <= a:
                break
            o = max(o, b)
        off[t] = o
        placed.append(t)
    return off, max((off[t] + size[t] for t in off), default=0)
