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
        cores: 1                           # multi-core targets only (gap8: 1..16, default 8)
        operating_point: null              # energy operating point (target specific)
        timing: {}                         # timing-model overrides (the target's own parameters)
        max_instructions: 1000000000       # default isasim.targets.DEFAULT_MAX_INSTRUCTIONS
        hwloop_csr_base: ri5cy-2018        # ri5cy/gap8 only: CSR number or core revision
        memory: {code: flash, dcache: on}  # cm7 only: placement and caches (docs/cm7.md)
        params: {}                         # workload params for this variant only
    sweep: {n: [256, 1024]}                # grid over workload params
    baselines:                             # ratio columns: metric(baseline) / metric(row)
      - name: speedup
        baseline: rv_sw                    # variant id
        compare: [rv_qnn]                  # variant ids
        metric: cycles                     # any numeric results column
    lanes: false                           # optional: lane profile (true, or {sweep key: [values]})
    regions: false                         # optional: per-region profile of the region markers
                                           #   (kernels_asm/include/isasim_region.h)
    cycle_range: false                     # optional: cycles at the corners of the timing
                                           #   parameters' stated ranges (cycles_fast/_slow/_min/_max)
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

TOP = {"name", "description", "workload", "variants", "sweep", "baselines", "paper", "postprocess",
       "phases", "lanes", "cycle_range", "regions"}
VARIANT = {"id", "target", "sources", "plugins", "defines", "include", "cores", "operating_point",
           "timing", "max_instructions", "params", "label", "tags", "cost",
           "hwloop_csr_base", "memory", "only"}
KNOB_PREFIXES = ("cost.", "timing.")     # sweep keys that are run options, not workload parameters
BASELINE = {"name", "baseline", "compare", "metric", "match"}
# results columns a workload parameter or a variant tag may not be called
RESERVED = {"experiment", "variant", "label", "target", "cores", "plugins", "exit_code", "cycles",
            "core_cycles", "instructions", "energy_uj", "macs", "golden", "mac_per_cycle",
            "instr_per_mac", "operating_point", "energy_source", "sim_seconds", "point_key", "cached", "retimed", "op_counts",
            "lanes", "lane_useful_pct", "cycles_fast", "cycles_slow", "cycles_min", "cycles_max"}
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
        _resolve_generator(loc, cfg["postprocess"], ("postprocess",))
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
        from .. import targets as T
        if v["target"] not in T.TARGETS:
            raise loc.error(p + ("target",), f"'{v['target']}' is not a target (allowed: {', '.join(T.NAMES)})")
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
                             ("max_instructions", int, "an integer"), ("tags", dict, "a mapping"),
                             ("memory", dict, "a mapping")):
            if key in v:
                _type(loc, v[key], t, p + (key,), what)
        for k, val in (v.get("tags") or {}).items():
            _type(loc, val, (str, int, float, bool), p + ("tags", k), "a scalar tag value")
            if k in RESERVED or k in (v.get("params") or {}) or k.startswith(("stall_", "cycles_fn_", "instructions_fn_", "fnstall_",
                                                                   "phasestall_", "instructions_phase_")):
                raise loc.error(p + ("tags", k), f"tag '{k}' would collide with a results column or "
                                                 f"a workload parameter; choose another name")
        # every run option checked against the variant's target now, not after points have run
        for key in ("cores", "operating_point", "timing", "max_instructions",
                    "hwloop_csr_base", "memory"):
            if key in v and v[key] is not None:
                try:
                    T.validate_run_options(v["target"], **{key: v[key]})
                except IsasimError as e:
                    raise loc.error(p + (key,), str(e).replace("--max-instructions",
                                                               "max_instructions"))
    phases = cfg.get("phases") or {}
    _type(loc, phases, dict, ("phases",), "a mapping {phase: [function names or patterns]}")
    import re as _re
    for name, pats in phases.items():
        if not _re.fullmatch(r"[A-Za-z_]\w*", str(name)) or name == "other":
            raise loc.error(("phases", name), f"'{name}' is not a phase name (an identifier, not "
                                              f"'other', which is what no phase claims)")
        _type(loc, pats, list, ("phases", name), "a list of function names or fnmatch patterns")
        for j, pat in enumerate(pats):
            _type(loc, pat, str, ("phases", name, j), "a function name or pattern")
    sweep = cfg.get("sweep", {}) or {}
    _type(loc, sweep, dict, ("sweep",), "a mapping of parameter: [values]")
    for k, vals in sweep.items():
        _type(loc, vals, list, ("sweep", k), "a list of values")
    for i, v in enumerate(cfg["variants"]):
        only = v.get("only")
        if only is None:
            continue
        _check_filter(loc, only, sweep, ("variants", i, "only"), "this variant runs at")
    if "lanes" in cfg:
        if isinstance(cfg["lanes"], dict):
            _check_filter(loc, cfg["lanes"], sweep, ("lanes",), "with the lane profile")
        else:
            _type(loc, cfg["lanes"], bool, ("lanes",),
                  "true, false or a mapping {sweep key: [values with the lane profile]}")
        if cfg["lanes"]:
            from .. import targets as TT
            for i, v in enumerate(cfg["variants"]):
                if "lanes" not in TT.get(v["target"]).options:
                    raise loc.error(("variants", i, "target"), f"lanes: true, but target "
                                    f"{v['target']} has no lane profile (targets with one: "
                                    f"{', '.join(n for n in TT.NAMES if 'lanes' in TT.get(n).options) or 'none'})")
    for key in ("cycle_range", "regions"):
        if key in cfg:
            _type(loc, cfg[key], bool, (key,), "true or false")
    _check_knobs(loc, cfg)
    gen = None
    if wl is not None:
        gen = _resolve_generator(loc, wl["generator"])
        _check_params(loc, cfg, gen)
    for i, b in enumerate(cfg.get("baselines", []) or []):
        p = ("baselines", i)
        _check_keys(loc, b, BASELINE, p)
        for req in ("name", "baseline", "metric"):
            if req not in b:
                raise loc.error(p, f"missing required field '{req}'")
        for vid in [b["baseline"]] + list(b.get("compare", [])):
            if vid not in ids:
                raise loc.error(p, f"unknown variant '{vid}' (variants: {', '.join(sorted(ids))})")
        if "match" in b:
            _type(loc, b["match"], list, p + ("match",), "a list of results columns")
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
    check = getattr(gen, "validate", None)
    if callable(check):
        # a generator may check a point's parameters cheaply up front (e.g. an unknown kernel
        # name): the error then names the variant's file:line instead of failing mid-run
        for pt in cfg["points"]:
            try:
                check(dict(pt["params"]))
            except (ValueError, TypeError) as e:
                where = f" (sweep {pt['sweep']})" if pt["sweep"] else ""
                raise loc.error(("variants", pt["variant_index"]), f"{e}{where}")
    return cfg


def split_cost_key(key):
    """'cost.qnn.sdot4.latency' -> ('qnn.sdot4', 'latency') (mnemonics may contain dots)."""
    body = key[len("cost."):]
    if "." not in body:
        return None, None
    mn, knob = body.rsplit(".", 1)
    return mn, knob


def _variant_table(loc, v, i):
    from .. import targets
    from ..isa.registry import load_table
    try:
        return load_table(targets.get(v["target"]).isa, v.get("plugins", []))
    except IsasimError as e:
        raise loc.error(("variants", i, "plugins"), str(e))


def _check_filter(loc, spec, sweep, p, what):
    """A mapping {sweep key: [values]} selecting sweep points (a variant's ``only``, ``lanes``)."""
    _type(loc, spec, dict, p, f"a mapping {{sweep key: [values {what}]}}")
    for k, vals in spec.items():
        if k not in sweep:
            raise loc.error(p + (k,), f"'{k}' is not a sweep key (sweep: {', '.join(sweep) or 'none'})")
        _type(loc, vals, list, p + (k,), "a list of values")
        bad = [x for x in vals if x not in sweep[k]]
        if bad or not vals:
            raise loc.error(p + (k,), f"{bad or vals} not among the sweep values of '{k}' "
                                      f"({', '.join(map(str, sweep[k]))})")


def _selects(spec, sw):
    """Whether sweep point ``sw`` is selected by a filter mapping (True: all points)."""
    if isinstance(spec, dict):
        return all(sw[k] in vals for k, vals in spec.items())
    return bool(spec)


def _check_knobs(loc, cfg):
    """Cost knobs of plug-in instructions and timing parameters of targets, as variant fields
    (``cost:``, ``timing:``) and as sweep axes (``cost.<mnemonic>.<knob>``, ``timing.<param>``)."""
    from .. import targets
    from ..isa.registry import check_cost_knob
    tables = {}
    for i, v in enumerate(cfg["variants"]):
        if "cost" not in v:
            continue
        _type(loc, v["cost"], dict, ("variants", i, "cost"), "a mapping {mnemonic: {knob: value}}")
        t = tables.setdefault(i, _variant_table(loc, v, i))
        try:
            t.with_costs(v["cost"])
        except IsasimError as e:
            raise loc.error(("variants", i, "cost"), str(e))
    for key, vals in (cfg.get("sweep") or {}).items():
        path = ("sweep", key)
        if key.startswith("cost."):
            mn, knob = split_cost_key(key)
            if not mn:
                raise loc.error(path, f"'{key}': expected cost.<mnemonic>.<knob>")
            have = [i for i, v in enumerate(cfg["variants"])
                    if any(x.name == mn for x in (lambda t: t.instrs[t.n_builtin:])(
                        tables.setdefault(i, _variant_table(loc, v, i))))]
            if not have:
                raise loc.error(path, f"'{key}': no variant loads a plug-in instruction '{mn}'")
            for val in vals:
                try:
                    check_cost_knob(mn, knob, val)
                except IsasimError as e:
                    raise loc.error(path, str(e))
        elif key.startswith("timing."):
            param = key[len("timing."):]
            for i, v in enumerate(cfg["variants"]):
                for val in vals:
                    try:
                        targets.validate_run_options(v["target"], timing={
                            **(v.get("timing") or {}), param: val})
                    except IsasimError as e:
                        raise loc.error(path, f"variant {v['id']} (target {v['target']}): {e}")


def _check_params(loc, cfg, gen):
    """Workload parameters (workload.params, variants[i].params, sweep keys) must be parameters of
    the generator: an unknown one was a TypeError inside a worker, after other points had run."""
    import inspect
    try:
        sig = inspect.signature(gen)
    except (TypeError, ValueError):
        return
    if any(p.kind == p.VAR_KEYWORD for p in sig.parameters.values()):
        return
    known = [n for n, p in sig.parameters.items() if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    places = [(("workload", "params", k), k) for k in (cfg["workload"].get("params") or {})]
    places += [(("sweep", k), k) for k in (cfg.get("sweep") or {}) if not k.startswith(KNOB_PREFIXES)]
    for i, v in enumerate(cfg["variants"]):
        places += [(("variants", i, "params", k), k) for k in (v.get("params") or {})]
    for path, k in places:
        if k not in known:
            raise loc.error(path, f"'{k}' is not a parameter of the workload generator "
                                  f"{cfg['workload']['generator']} (parameters: {', '.join(known)})")


def import_module(mod, base_dir):
    """The module of a ``module:function`` spec: an importable module name (modules next to the
    config are found: ``base_dir`` goes on sys.path), or a path to a .py file, relative to
    ``base_dir`` (e.g. ``../experiments/rusci2018/rusci2018_workload.py``)."""
    import importlib
    import importlib.util
    import sys
    if base_dir and base_dir not in sys.path:
        sys.path.insert(0, base_dir)
    if not mod.endswith(".py"):
        return importlib.import_module(mod)
    path = os.path.normpath(os.path.join(base_dir or "", mod))
    if not os.path.isfile(path):
        raise ImportError(f"no such file {path}")
    name = "isasim_gen_" + "".join(c if c.isalnum() else "_" for c in os.path.abspath(path))
    if name in sys.modules:
        return sys.modules[name]
    d = os.path.dirname(path)
    if d not in sys.path:       # its own sibling modules
        sys.path.insert(0, d)
    spec = importlib.util.spec_from_file_location(name, path)
    m = importlib.util.module_from_spec(spec)
    sys.modules[name] = m
    try:
        spec.loader.exec_module(m)
    except BaseException:
        del sys.modules[name]
        raise
    return m


def _resolve_generator(loc, spec, field=("workload", "generator")):
    d = os.path.dirname(os.path.abspath(loc.path))
    mod, fn = spec.rsplit(":", 1)
    try:
        m = import_module(mod, d)
    except SyntaxError as e:
        raise loc.error(field, f"'{mod}' has a syntax error: {e.filename}:{e.lineno}: {e.msg}")
    except ImportError as e:
        raise loc.error(field, f"cannot import '{mod}': {e}")
    except Exception as e:
        raise loc.error(field, f"importing '{mod}' failed: {type(e).__name__}: {e}")
    if not callable(getattr(m, fn, None)):
        raise loc.error(field, f"'{mod}' has no function '{fn}'")
    return getattr(m, fn)


def expand(cfg):
    """One point per (variant, sweep combination). Sweep keys ``cost.<mnemonic>.<knob>`` and
    ``timing.<param>`` become the point's run options (``cost``, ``timing``) and results columns;
    the others are workload parameters. A cost knob applies to the variants that load the
    instruction; the others run unchanged for every value (the cache answers all but the first)."""
    from .. import targets
    from ..isa.registry import load_table
    sweep = cfg.get("sweep", {}) or {}
    keys = list(sweep)
    combos = list(itertools.product(*[sweep[k] for k in keys])) or [()]
    wl = cfg.get("workload") or {}
    points = []
    for vi, v in enumerate(cfg["variants"]):
        plug_names = None
        only = v.get("only") or {}
        for combo in combos:
            sw = dict(zip(keys, combo))
            if not _selects(only, sw):
                continue                   # the variant runs only at these sweep values
            params = dict(wl.get("params", {}))
            params.update(v.get("params", {}))
            params.update({k: x for k, x in sw.items() if not k.startswith(KNOB_PREFIXES)})
            timing = dict(v.get("timing") or {})
            cost = {m: dict(k) for m, k in (v.get("cost") or {}).items()}
            for k, x in sw.items():
                if k.startswith("timing."):
                    timing[k[len("timing."):]] = x
                elif k.startswith("cost."):
                    if plug_names is None:
                        t = load_table(targets.get(v["target"]).isa, v.get("plugins", []))
                        plug_names = {i.name for i in t.instrs[t.n_builtin:]}
                    mn, knob = split_cost_key(k)
                    if mn in plug_names:
                        cost.setdefault(mn, {})[knob] = x
            points.append({"experiment": cfg["name"], "variant": v, "variant_index": vi,
                           "profile": bool(cfg.get("phases") or cfg.get("regions")), "lanes": _selects(cfg.get("lanes"), sw),
                           "cycle_range": bool(cfg.get("cycle_range")),
                           "params": params, "timing": timing, "cost": cost,
                           "knobs": {k: x for k, x in sw.items() if k.startswith(KNOB_PREFIXES)},
                           "generator": wl.get("generator"), "sweep": sw,
                           "config_dir": os.path.dirname(cfg["_path"])})
    return points
