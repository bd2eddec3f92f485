"""Tables for results DataFrames: Markdown / CSV / LaTeX, the summary table and report.md."""
import json
import math
import os

import pandas as pd

from ..errors import IsasimError

BASE_COLS = ["variant", "target", "plugins"]
NUM_COLS = ["cycles", "instructions", "mac_per_cycle", "instr_per_mac", "energy_uj"]


def _fmt(v):
    if isinstance(v, float):
        if math.isnan(v):
            return ""
        if abs(v) >= 1000:
            return f"{v:,.0f}"
        return f"{v:.3g}" if abs(v) < 10 else f"{v:.2f}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


def md_table(df, cols=None):
    cols = [c for c in (cols or list(df.columns)) if c in df.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    for _, r in df[cols].iterrows():
        lines.append("| " + " | ".join(_fmt(r[c]) for c in cols) + " |")
    return "\n".join(lines)


def latex_table(df, cols=None):
    cols = [c for c in (cols or list(df.columns)) if c in df.columns]
    esc = lambda s: str(s).replace("_", r"\_").replace("%", r"\%").replace("&", r"\&")  # noqa: E731
    lines = [r"\begin{tabular}{" + "l" * 3 + "r" * (len(cols) - 3) + "}", r"\hline",
             " & ".join(esc(c) for c in cols) + r" \\", r"\hline"]
    for _, r in df[cols].iterrows():
        lines.append(" & ".join(esc(_fmt(r[c])) for c in cols) + r" \\")
    lines += [r"\hline", r"\end{tabular}"]
    return "\n".join(lines)


KNOWN = set(BASE_COLS + NUM_COLS) | {"experiment", "label", "cores", "exit_code", "macs", "golden",
                                     "operating_point", "energy_source", "sim_seconds",
                                     "point_key", "cached", "retimed", "core_cycles", "per_core", "freq_mhz",
                                     "op_counts", "lanes", "lane_useful_pct",
                                     "time_us", "energy_uj_min", "energy_uj_max",
                                     "cycles_fast", "cycles_slow", "cycles_min", "cycles_max"}


def sweep_columns(df):
    """From a results table alone: the parameters that vary within a variant (the sweep axes)."""
    out = []
    for c in df.columns:
        if c in KNOWN or c.startswith(("stall_", "cycles_fn_", "instructions_fn_", "fnstall_",
                                       "cycles_phase_", "instructions_phase_", "phasestall_",
                                       "amdahl_", "cycles_region_", "instructions_region_",
                                       "regionstall_")) or \
                df[c].dtype.kind == "f":
            continue
        if df.groupby("variant")[c].nunique().max() > 1:
            out.append(c)
    return out


def result_columns(df, cfg):
    sweep = list((cfg.get("sweep") or {}).keys())
    ratios = list(dict.fromkeys(b["name"] for b in (cfg.get("baselines") or [])))
    return BASE_COLS + sweep + NUM_COLS + [r for r in ratios if r in df.columns]


def summary_table(df, cfg):
    return md_table(df, result_columns(df, cfg))


def report(df, comp, cfg, figs):
    out = [f"# {cfg['name']}", ""]
    if cfg.get("description"):
        out += [cfg["description"].strip(), ""]
    out += [f"Config: `{os.path.relpath(cfg['_path'])}`. Every point's output was checked "
            f"bit-exactly against its golden model (column `golden`).", ""]
    out += ["## Results", "", summary_table(df, cfg), ""]
    stall_cols = [c for c in df.columns if c.startswith("stall_") and df[c].fillna(0).sum() > 0]
    if stall_cols:
        out += ["## Stall cycles by cause", "", md_table(df, ["variant"] + [
            k for k in (cfg.get("sweep") or {})] + ["cycles"] + stall_cols), ""]
    if "cycles_min" in df.columns and df["cycles_min"].notna().any():
        rc = [c for c in df.columns if c.endswith(("_fast", "_slow")) and c[:-5] in df.columns
              and not c.startswith("cycles_")]
        out += ["## Cycle range", "",
                "Cycles at the corners of the timing parameters' stated ranges (section \"Where the "
                "parameters come from\"); ratios taken with both points at the same corner.", "",
                md_table(df, ["variant"] + [k for k in (cfg.get("sweep") or {})] +
                         ["cycles", "cycles_fast", "cycles_slow"] + rc), ""]
    if len(comp):
        out += ["## Paper vs simulated", "",
                "`deviation_pct` = (simulated - paper) / paper. No cost constant is tuned to a paper "
                "figure; deviations are reported as they come out.", "", md_table(comp), ""]
        big = comp[comp["deviation_pct"].abs() > 10]
        if len(big):
            out += ["Deviations above 10 % and why (see each row's note):", ""]
            out += [f"- **{r['id']}** ({r['quantity']}): {r['deviation_pct']:+.1f} %. "
                    f"{r['note'] or 'No explanation recorded in the config.'}" for _, r in big.iterrows()]
            out.append("")
    out += ["## Models and operating points", ""]
    for t in sorted(df["target"].unique()):
        sub = df[df["target"] == t].iloc[0]
        opp = sub.get("operating_point", "")
        try:
            opp = json.loads(opp)
        except (TypeError, ValueError):
            pass
        out.append(f"- **{t}**: operating point {opp}; energy model: {sub.get('energy_source', '')}")
    out.append("")
    from .provenance import markdown as provenance
    out += [provenance(sorted(df["target"].unique())), ""]
    if figs:
        out += ["## Plots", ""] + [f"![{os.path.basename(f)}]({os.path.basename(f)})" for f in figs
                                   if f.endswith(".png")] + [""]
    return "\n".join(out)


REQUIRED = ("experiment", "variant", "target", "cycles", "instructions")


def load_results(path):
    """A results.csv written by ``isasim run``, checked: it must have the results columns and be
    complete (a truncated file's broken last row is refused, never printed as data)."""
    import csv
    if os.path.isdir(path):
        path = os.path.join(path, "results.csv")
    if not os.path.isfile(path):
        raise IsasimError(f"{path}: no such results file")
    try:
        with open(path, newline="") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as e:
        raise IsasimError(f"{path}: cannot read the results file ({e})")
    rows = list(csv.reader(text.splitlines()))
    if not rows:
        raise IsasimError(f"{path}: empty file, not a results file of isasim run")
    missing = [c for c in REQUIRED if c not in rows[0]]
    if missing:
        raise IsasimError(f"{path}: not a results file of isasim run (no column "
                          f"{', '.join(missing)})")
    if not text.endswith("\n"):
        raise IsasimError(f"{path}: the file is truncated (its last line is incomplete)")
    for i, r in enumerate(rows[1:], start=2):
        if len(r) != len(rows[0]):
            raise IsasimError(f"{path}:{i}: {len(r)} fields where the header has {len(rows[0])}: "
                              f"the file is damaged or truncated")
    try:
        return pd.read_csv(path)
    except (ValueError, pd.errors.ParserError) as e:
        raise IsasimError(f"{path}: cannot parse the results file: {e}")


def main(args):
    df = load_results(args.results)
    cols = BASE_COLS + [c for c in df.columns if c not in BASE_COLS and c not in (
        "experiment", "label", "exit_code", "golden", "operating_point", "energy_source",
        "sim_seconds", "retimed", "point_key", "per_core", "op_counts", "lanes") and not c.startswith(("stall_", "cycles_fn_", "instructions_fn_", "fnstall_",
                                    "phasestall_", "instructions_phase_", "opshare_",
                                    "regionstall_", "instructions_region_"))]
    if args.format == "csv":
        print(df[cols].to_csv(index=False), end="")
    elif args.format == "latex":
        print(latex_table(df, cols))
    else:
        print(md_table(df, cols))
    return 0
