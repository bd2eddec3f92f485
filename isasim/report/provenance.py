"""Where each timing parameter of a target comes from (issue 18 item 5): measured, documented or
assumed, read from the one place that says it, the comment of the field in its timing class
(isasim/timing/ri5cy.py RI5CYTiming, isasim/timing/cm7.py CM7Timing, isasim/platforms/gap8.py
ClusterConfig).

A field's source is its inline comment with the comment lines that continue it, or else the
comment block right above it (shared by the fields it precedes). Its class:

* ``assumed``: the source says ASSUMPTION;
* ``measured``: silicon measurements (JN = jnk0le's STM32H743 measurements, cm7_measured.md),
  the measurement winning over models;
* ``model``: a knob of the simulation itself (quantum, switches), not a property of the chip;
* ``documented``: manuals, datasheets, RTL, vendor or compiler models (isa_timing.md sections,
  LLVM's scheduling model "LM", GVSoC configurations).

``[CONFLICT]`` and ``[UNCONFIRMED]`` marks are kept as flags.
"""
import dataclasses
import inspect
import io
import re
import tokenize

CLASSES = ("measured", "documented", "assumed", "model")


def _classify(src):
    s = src.lower()
    if "assumption" in s:
        return "assumed"
    if re.search(r"\bsimulation\b|accuracy/speed|= modelled|the model before|not a chip property", s):
        return "model"
    if re.search(r"\bjn\b|\bmeasured|cm7_measured", s):
        return "measured"
    return "documented"


def fields(cls):
    """[(name, default, source, class, flags)] of a dataclass timing class, in field order."""
    lines, _ = inspect.getsourcelines(cls)
    text = "".join(lines)
    names = [f.name for f in dataclasses.fields(cls)]
    defaults = {f.name: f.default for f in dataclasses.fields(cls)}
    toks = list(tokenize.generate_tokens(io.StringIO(text).readline))
    comments = {}          # line number -> comment text
    code_lines = set()
    for t in toks:
        if t.type == tokenize.COMMENT:
            comments[t.start[0]] = t.string.lstrip("#").strip()
        elif t.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
                            tokenize.ENDMARKER):
            code_lines.add(t.start[0])
    src_lines = text.splitlines()
    out = []
    for name in names:
        row = next(i + 1 for i, l in enumerate(src_lines)
                   if re.match(rf"\s+{name}\s*:", l))
        parts = []
        if row in comments:                      # inline comment, then its continuation lines
            parts.append(comments[row])
            j = row + 1
            while j in comments and j not in code_lines and \
                    re.match(r"\s+#\s{2,}\S", src_lines[j - 1]):
                parts.append(comments[j])
                j += 1
        else:                                    # the comment block above (shared)
            j = row - 1
            while j in comments and j not in code_lines:
                parts.insert(0, comments[j])
                j -= 1
            parts = [p for p in parts if not p.startswith("--")]   # section headers
        src = " ".join(parts)
        if not src and out and re.match(rf"\s+{out[-1][0]}\s*:", src_lines[row - 2]):
            src = out[-1][2]                     # a field right below another shares its source
        flags = [f for f in ("CONFLICT", "UNCONFIRMED") if f in src]
        out.append((name, defaults[name], src, _classify(src) if src else "", flags))
    return out


def timing_class(target):
    """The timing-parameter classes of a target: its timing class (isasim/targets.py), and for
    gap8 the RI5CY core's and the cluster's."""
    import importlib
    from .. import targets
    if target == "gap8":
        from ..platforms.gap8 import ClusterConfig
        from ..timing.ri5cy import RI5CYTiming
        return [RI5CYTiming, ClusterConfig]
    mod, name = targets.get(target).timing.split(":")
    return [getattr(importlib.import_module(mod), name)]


def markdown(target_names):
    """A section listing, per target, how many timing parameters are measured, documented,
    assumed or model knobs, and every assumed parameter with its value and stated range."""
    L = ["## Where the parameters come from\n",
         "Timing parameters of the targets used, by provenance (isasim/report/provenance.py reads "
         "the source comment of each field of the target's timing class). Energy: the "
         "`energy_source` column of results.csv names the energy model's source.\n"]
    for tn in target_names:
        for cls in timing_class(tn):
            fs = fields(cls)
            count = {c: sum(1 for f in fs if f[3] == c) for c in CLASSES}
            L.append(f"- **{tn}** `{cls.__name__}` ({len(fs)} parameters): "
                     + ", ".join(f"{count[c]} {c}" for c in CLASSES)
                     + "; assumed: " + (", ".join(f"`{n}` = {d!r}" for n, d, _, c, _ in fs
                                                   if c == "assumed") or "none")
                     + "; stated ranges (fast .. slow end): "
                     + (", ".join(f"`{n}` {a} .. {b}" for n, (a, b) in
                                  (getattr(cls, "RANGES", {}) or {}).items()) or "none"))
    L.append("\nWith `cycle_range: true` every point also gets `cycles_fast` / `cycles_slow`: its "
             "cycles with every ranged parameter it does not set itself at its fast / slow end "
             "(re-timed from a recording where the target can, else run), `cycles_min` / "
             "`cycles_max` over those and the nominal run, and each cycle or time ratio its "
             "`<ratio>_fast` / `<ratio>_slow` with both points at the same corner. A corner is not "
             "a bound: the model is not guaranteed monotone in every parameter.")
    if "cm7" in target_names:
        L.append("\nCalibration of the Cortex-M7 model against measured throughputs: `python "
                 "benchmarks/calibration_cm7.py` (docs/cm7.md \"Calibration\").")
    return "\n".join(L) + "\n"


def ranges(target):
    """{parameter: (fast end, slow end)} of the target's timing parameters that have a stated
    range (the ``RANGES`` of its timing classes, next to the fields they qualify)."""
    out = {}
    for cls in timing_class(target):
        out.update(getattr(cls, "RANGES", {}) or {})
    return out


def corners(target, timing=None):
    """The two corner timing-override dicts of a point: every ranged parameter the point does not
    set itself at its fast end, then at its slow end (the point's own ``timing`` overrides kept).
    (None, None) when no ranged parameter is left free."""
    timing = dict(timing or {})
    free = {k: v for k, v in ranges(target).items() if k not in timing}
    if not free:
        return None, None
    return ({**{k: v[0] for k, v in free.items()}, **timing},
            {**{k: v[1] for k, v in free.items()}, **timing})
