"""Experiment config (YAML): schema, validation with file:line errors, sweep expansion.

Schema (docs/experiments.md has the full description)::

    name: quickstart                       # required, used in output names
    description: text
    workload:                              # golden model + inputs (see isasim/qnn/workloads.py)
      generator: isasim.qnn.workloads:packed_dot
      params: {n: 256, bits: 4}
    variants:                              # required: build + run recipes
      - id: rv_sw
        target: ri5cy                      # cm7 | ri5cy | gap8
        sources: [kernels_asm/quickstart/rv_dot4_sw.S]    # relative to the config file
        plugins: []                        # plug-in files (relative) or built-in names (qnn)
        defines: {}                        # extra -D NAME=VALUE
        include: []                        # extra -I directories
        cores: 1                           # gap8 only
        operating_point: null              # energy operating point (target specific)
        timing: {}                         # timing-model overrides (RI5CY parameters)
        max_instructions: 200000000
        hwloop_csr_base: ri5cy-2018        # ri5cy/gap8 only: CSR number or core revision
        params: {}                         # workload params for this variant only
    sweep: {n: [256, 1024]}                # grid over workload params
    baselines:                             # ratio columns: metric(baseline) / metric(row)
      - name: speedup
        baseline: rv_sw                    # variant id
        compare: [rv_qnn]                  # variant ids
        metric: cycles                     # any numeric results column
    postprocess: module:function           # optional: fn(df, comparison, cfg, out_dir) -> {"figures":
                                           #   [...], "markdown": "..."} appended to report.md
    paper:                                 # reference figures -> comparison.csv
      - id: R3a
        quantity: "speedup of Q=4 with QNN instructions"
        value: 7.5
        unit: x
        simulated: {column: speedup, variant: rv_qnn, where: {n: 1024}}
        note: text
"""
import itertools
import os

import yaml

from ..errors import IsasimError

TARGETS = ("cm7", "ri5cy", "gap8")
TOP = {"name", "description", "workload", "variants", "sweep", "baselines", "paper", "postprocess"}
VARIANT = {"id", "target", "sources", "plugins", "defines", "include", "cores", "operating_point",
           "timing", "max_instructions", "params", "label", "hwloop_csr_base"}
BASELINE = {"name", "baseline", "compare", "metric"}
PAPER = {"id", "quantity", "value", "unit", "simulated", "note"}
SIMULATED = {"column", "variant", "where", "aggregate"}


class ConfigError(IsasimError):
    pass


class Located:
    """YAML data plus the source line of every node (for error messages)."""

    def __init__(self, path):
        self.path = path
        try:
            with open(path) as f:
                text = f.read()
        except FileNotFoundError:
            raise ConfigError(f"{path}: no such config file")
        try:
            node = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.YAMLError as e:
            mark = getattr(e, "problem_mark", None)
            line = f":{mark.line + 1}" if mark else ""
            raise ConfigError(f"{path}{line}: invalid YAML: {getattr(e, 'problem', e)}")
        self.lines = {}
        self.data = self._build(node, ()) if node is not None else None

    def _build(self, node, path):
        self.lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            out = {}
            for k, v in node.value:
                key = k.value
                self.lines[path + (key,)] = k.start_mark.line + 1
                out[key] = self._build(v, path + (key,))
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self._build(v, path + (i,)) for i, v in enumerate(node.value)]
        if node.tag == "tag:yaml.org,2002:str":
            return node.value
        return yaml.safe_load(yaml.serialize(node))      # scalars: int, float, bool, null

    def line(self, path):
        while path and path not in self.lines:
            path = path[:-1]
        return self.lines.get(path, 1)

    def error(self, path, msg):
        field = ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in path).replace(".[", "[")
        return ConfigError(f"{self.path}:{self.line(path)}: {field}: {msg}")


def _check_keys(loc, d, allowed, path):
    if not isinstance(d, dict):
        raise loc.error(path, f"expected a mapping, got {type(d).__name__}")
    for k in d:
        if k not in allowed:
            raise loc.error(path + (k,), f"unknown field '{k}' (allowed: {', '.join(sorted(allowed))})")


def _type(loc, v, types, path, what):
    ts = types if isinstance(types, tuple) else (types,)
    if not isinstance(v, ts) or (isinstance(v, bool) and bool not in ts):
        names = "/".join(t.__name__ for t in ts)
        raise loc.error(path, f"expected {what} ({names}), got {type(v).__name__} {v!r}")


def load(path):
    """Validated config dict with absolute paths and a list of expanded points."""
    loc = Located(path)
    cfg = loc.data
    if cfg is None:
        raise ConfigError(f"{path}:1: empty config")
    _check_keys(loc, cfg, TOP, ())
    base = os.path.dirname(os.path.abspath(path))
    cfg["_path"] = os.path.abspath(path)
    if "name" not in cfg:
        raise loc.error((), "missing required field 'name'")
    _type(loc, cfg["name"], str, ("name",), "a name")
    wl = cfg.get("workload")
    if wl is not None:
        _check_keys(loc, wl, {"generator", "params"}, ("workload",))
        gen = wl.get("generator")
        _type(loc, gen, str, ("workload", "generator"), "'module:function'")
        if ":" not in gen:
            raise loc.error(("workload", "generator"), f"'{gen}' is not of the form module:function")
        _resolve_generator(loc, gen)
        _type(loc, wl.get("params", {}), dict, ("workload", "params"), "a mapping")
    if "postprocess" in cfg:
        _type(loc, cfg["postprocess"], str, ("postprocess",), "'module:function'")
        if ":" not in cfg["postprocess"]:
            raise loc.error(("postprocess",), "expected 'module:function'")
    variants = cfg.get("variants")
    if not variants:
        raise loc.error(("variants",), "missing required field 'variants' (a list of build+run recipes)")
    _type(loc, variants, list, ("variants",), "a list")
    ids = set()
    for i, v in enumerate(variants):
        p = ("variants", i)
        _check_keys(loc, v, VARIANT, p)
        for req in ("id", "target", "sources"):
            if req not in v:
                raise loc.error(p, f"missing required field '{req}'")
        _type(loc, v["id"], str, p + ("id",), "an identifier")
        if v["id"] in ids:
            raise loc.error(p + ("id",), f"duplicate variant id '{v['id']}'")
        ids.add(v["id"])
        if v["target"] not in TARGETS:
            raise loc.error(p + ("target",), f"'{v['target']}' is not a target (allowed: {', '.join(TARGETS)})")
        _type(loc, v["sources"], list, p + ("sources",), "a list of files")
        srcs = []
        for j, s in enumerate(v["sources"]):
            _type(loc, s, str, p + ("sources", j), "a file path")
            f = s if os.path.isabs(s) else os.path.join(base, s)
            if not os.path.isfile(f):
                raise loc.error(p + ("sources", j), f"kernel source '{s}' not found")
            srcs.append(f)
        v["sources"] = srcs
        plugs = []
        _type(loc, v.get("plugins", []), list, p + ("plugins",), "a list")
        from ..plugins import BUILTIN
        for j, s in enumerate(v.get("plugins", [])):
            _type(loc, s, str, p + ("plugins", j), "a plug-in file or built-in name")
            if s in BUILTIN:
                plugs.append(s)
                continue
            f = s if os.path.isabs(s) else os.path.join(base, s)
            if not os.path.isfile(f):
                raise loc.error(p + ("plugins", j), f"unknown plug-in '{s}' (not a file; built-in "
                                                    f"plug-ins: {', '.join(BUILTIN)})")
            plugs.append(f)
        v["plugins"] = plugs
        v["include"] = [d if os.path.isabs(d) else os.path.join(base, d) for d in v.get("include", [])]
        for key, t, what in (("defines", dict, "a mapping"), ("timing", dict, "a mapping"),
                             ("params", dict, "a mapping"), ("cores", int, "an integer"),
                             ("max_instructions", int, "an integer")):
            if key in v:
                _type(loc, v[key], t, p + (key,), what)
        if "cores" in v and not 1 <= v["cores"] <= 16:
            raise loc.error(p + ("cores",), f"{v['cores']} cores (allowed: 1..16)")
        if "hwloop_csr_base" in v:
            from ..cores.ri5cy.core import hwloop_csr_base
            if v["target"] == "cm7":
                raise loc.error(p + ("hwloop_csr_base",), "applies to ri5cy and gap8 only")
            try:
                hwloop_csr_base(v["hwloop_csr_base"])
            except IsasimError as e:
                raise loc.error(p + ("hwloop_csr_base",), str(e))
        if v.get("timing"):
            from ..timing.ri5cy import RI5CYTiming
            try:
                RI5CYTiming().override(**v["timing"])
            except (IsasimError, ValueError, TypeError) as e:
                raise loc.error(p + ("timing",), str(e))
    sweep = cfg.get("sweep", {}) or {}
    _type(loc, sweep, dict, ("sweep",), "a mapping of parameter: [values]")
    for k, vals in sweep.items():
        _type(loc, vals, list, ("sweep", k), "a list of values")
    for i, b in enumerate(cfg.get("baselines", []) or []):
        p = ("baselines", i)
        _check_keys(loc, b, BASELINE, p)
        for req in ("name", "baseline", "metric"):
            if req not in b:
                raise loc.error(p, f"missing required field '{req}'")
        for vid in [b["baseline"]] + list(b.get("compare", [])):
            if vid not in ids:
                raise loc.error(p, f"unknown variant '{vid}' (variants: {', '.join(sorted(ids))})")
    for i, r in enumerate(cfg.get("paper", []) or []):
        p = ("paper", i)
        _check_keys(loc, r, PAPER, p)
        for req in ("id", "quantity", "value", "simulated"):
            if req not in r:
                raise loc.error(p, f"missing required field '{req}'")
        _type(loc, r["value"], (int, float), p + ("value",), "a number")
        _check_keys(loc, r["simulated"], SIMULATED, p + ("simulated",))
        agg = r["simulated"].get("aggregate", "mean")
        if agg not in ("mean", "min", "max", "geomean"):
            raise loc.error(p + ("simulated", "aggregate"), f"'{agg}' (allowed: mean, min, max, geomean)")
        if "variant" in r["simulated"] and r["simulated"]["variant"] not in ids:
            raise loc.error(p + ("simulated", "variant"), f"unknown variant '{r['simulated']['variant']}'")
    cfg["points"] = expand(cfg)
    return cfg


def _resolve_generator(loc, spec):
    import importlib
    import sys
    d = os.path.dirname(os.path.abspath(loc.path))
    if d not in sys.path:       # generator modules may live next to the config
        sys.path.insert(0, d)
    mod, fn = spec.split(":", 1)
    try:
        m = importlib.import_module(mod)
    except ImportError as e:
        raise loc.error(("workload", "generator"), f"cannot import '{mod}': {e}")
    if not hasattr(m, fn):
        raise loc.error(("workload", "generator"), f"'{mod}' has no function '{fn}'")
    return getattr(m, fn)


def expand(cfg):
    """One point per (variant, sweep combination)."""
    sweep = cfg.get("sweep", {}) or {}
    keys = list(sweep)
    combos = list(itertools.product(*[sweep[k] for k in keys])) or [()]
    wl = cfg.get("workload") or {}
    points = []
    for v in cfg["variants"]:
        for combo in combos:
            params = dict(wl.get("params", {}))
            params.update(v.get("params", {}))
            params.update(dict(zip(keys, combo)))
            points.append({"experiment": cfg["name"], "variant": v, "params": params,
                           "generator": wl.get("generator"), "sweep": dict(zip(keys, combo)),
                           "config_dir": os.path.dirname(cfg["_path"])})
    return points
