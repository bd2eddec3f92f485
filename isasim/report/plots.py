"""Plots for experiment results (matplotlib object API, PNG and PDF): speedup bars with the
baseline marked, cycle breakdown stacked by stall cause, paper-vs-simulated bars, and MAC/cycle
heatmaps over precision triples when the results have them."""
import os
import re

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from ..errors import IsasimError  # noqa: E402


def _label(row, keys):
    extra = ", ".join(f"{k}={row[k]}" for k in keys if k in row)
    return f"{row.get('label', row['variant'])}" + (f"\n{extra}" if extra else "")


def _save(fig, out, name):
    files = []
    for ext in ("png", "pdf"):
        p = os.path.join(out, f"{name}.{ext}")
        fig.savefig(p, dpi=150, bbox_inches="tight")
        files.append(p)
    plt.close(fig)
    return files


MAX_BARS = 24      # more bars than this: horizontal bars (readable labels), at most MAX_HBARS
MAX_HBARS = 80


def _horizontal_bars(sub, values, labels, title, xlabel, ref=None, fmt="{:.2f}", err=None):
    """Many points: one horizontal bar each (labels stay readable), capped at MAX_HBARS with a
    note of how many were left out (isasim plot --x/--y/--hue draws sweeps as lines)."""
    n = len(sub)
    shown = min(n, MAX_HBARS)
    fig, ax = plt.subplots(figsize=(7.5, 0.8 + 0.24 * shown))
    y = np.arange(shown)
    vals = np.asarray(values, float)[:shown]
    ax.barh(y, vals, color="#3b75af",
            xerr=None if err is None else [np.asarray(e)[:shown] for e in err], ecolor="black",
            capsize=2)
    if ref is not None:
        ax.axvline(ref, color="black", lw=1, ls="--")
    for yi, v in zip(y, vals):
        ax.text(v, yi, " " + fmt.format(v), va="center", fontsize=7)
    ax.set_yticks(y, [str(l).replace("\n", ", ") for l in labels[:shown]], fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel(xlabel)
    ax.set_title(title + (f"\n(first {shown} of {n} points; draw sweeps with isasim plot --x/--y/--hue)"
                          if shown < n else ""), fontsize=9)
    return fig, ax


def _corner_err(sub, ratio):
    """Error bars of a ratio column from its corner ratios (``<ratio>_fast`` / ``_slow``, written
    with cycle_range: true), or None."""
    if f"{ratio}_fast" not in sub.columns:
        return None
    v = sub[ratio].astype(float).values
    c = np.vstack([sub[f"{ratio}_{k}"].astype(float).fillna(sub[ratio]).values
                   for k in ("fast", "slow")] + [v])
    return [v - c.min(axis=0), c.max(axis=0) - v]


def speedup_bars(df, ratio, baseline, metric, sweep, out, compare=None):
    sub = df[df[ratio].notna() & (df["variant"] != baseline)]
    if compare:
        sub = sub[sub["variant"].isin(compare)]
    if sub.empty:
        return []
    if len(sub) > MAX_BARS:
        fig, _ = _horizontal_bars(sub, sub[ratio], [_label(r, sweep) for _, r in sub.iterrows()],
                                  f"{ratio}: {metric} of {baseline} / {metric} of each variant",
                                  f"{metric}(baseline) / {metric}  [x]", ref=1.0, fmt="{:.2f}x",
                                  err=_corner_err(sub, ratio))
        return _save(fig, out, f"{ratio}_vs_{baseline}")
    fig, ax = plt.subplots(figsize=(max(4, 1.2 * len(sub) + 2), 3.6))
    labels = [_label(r, sweep) for _, r in sub.iterrows()]
    err = _corner_err(sub, ratio)
    bars = ax.bar(range(len(sub)), sub[ratio], color="#3b75af", yerr=err, ecolor="black",
                  capsize=3)
    ax.axhline(1.0, color="black", lw=1, ls="--")
    ax.text(len(sub) - 0.5, 1.0, f" baseline: {baseline} = 1.0", va="bottom", ha="right", fontsize=8)
    for b, v in zip(bars, sub[ratio]):
        ax.text(b.get_x() + b.get_width() / 2, v, f"{v:.2f}x", ha="center", va="bottom", fontsize=8)
    ax.set_xticks(range(len(sub)), labels, fontsize=8)
    ax.set_ylabel(f"{metric}(baseline) / {metric}  [x]")
    ax.set_title(f"{ratio}: {metric} of {baseline} / {metric} of each variant")
    return _save(fig, out, f"{ratio}_vs_{baseline}")


def cycle_breakdown(df, sweep, out, per_col=None, labels=None, title="Cycle breakdown by stall cause",
                    ylabel="cycles", name="cycle_breakdown"):
    """Stacked bars: issue cycles (no stall) + stall cycles by cause, per row; divided by
    ``df[per_col]`` if given (e.g. cycles per MAC). A multi-core row is drawn from its
    ``core_cycles`` (summed over cores, like its stalls), a single-core row from ``cycles``."""
    stall = [c for c in df.columns if c.startswith("stall_") and df[c].fillna(0).sum() > 0]
    many = len(df) > MAX_BARS
    if many:                                  # horizontal: one readable row per point
        df = df.iloc[:MAX_HBARS]
        fig, ax = plt.subplots(figsize=(8, 1.0 + 0.24 * len(df)))
    else:
        fig, ax = plt.subplots(figsize=(max(4, 1.1 * len(df) + 2), 3.8))
    x = np.arange(len(df))
    div = df[per_col].astype(float).values if per_col else np.ones(len(df))
    total = df["cycles"].astype(float)
    if "core_cycles" in df.columns:
        total = df["core_cycles"].astype(float).where(df["core_cycles"].notna(), total)
        if df["core_cycles"].notna().any():
            ylabel += " (multi-core rows: summed over cores)"
    cyc = total.values / div
    st = df[stall].fillna(0).astype(float).values / div[:, None] if stall else np.zeros((len(df), 0))
    issue = cyc - st.sum(axis=1)
    bar = ax.barh if many else ax.bar
    base_kw = "left" if many else "bottom"
    bar(x, issue, label="issue (no stall)", color="#9bbbd9")
    bottom = issue.copy()
    colors = plt.cm.tab10.colors
    for j, c in enumerate(stall):
        bar(x, st[:, j], **{base_kw: bottom}, label=c.replace("stall_", "stall: "),
            color=colors[j % 10])
        bottom += st[:, j]
    names = list(labels)[:len(df)] if labels is not None else \
        [_label(r, sweep) for _, r in df.iterrows()]
    if many:
        ax.set_yticks(x, [str(n).replace("\n", ", ") for n in names], fontsize=7)
        ax.invert_yaxis()
        ax.set_xlabel(ylabel)
    else:
        ax.set_xticks(x, names, fontsize=8, rotation=30 if labels is not None else 0,
                      ha="right" if labels is not None else "center")
        ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return _save(fig, out, name)


def paper_vs_simulated(comp, out):
    if comp is None or comp.empty:
        return []
    fig, ax = plt.subplots(figsize=(max(4, 1.3 * len(comp) + 2), 3.6))
    x = np.arange(len(comp))
    ax.bar(x - 0.2, comp["paper"], 0.4, label="paper", color="#cccccc", edgecolor="black")
    ax.bar(x + 0.2, comp["simulated"], 0.4, label="simulated", color="#3b75af")
    for i, r in comp.reset_index().iterrows():
        ax.text(i + 0.2, r["simulated"], f"{r['deviation_pct']:+.0f}%", ha="center", va="bottom",
                fontsize=8)
    ax.set_xticks(x, [f"{r['id']}\n{r['unit']}" for _, r in comp.iterrows()], fontsize=8)
    ax.set_title("Paper (grey) vs simulated (blue); label = deviation")
    ax.legend(fontsize=8)
    return _save(fig, out, "paper_vs_simulated")


def mac_heatmaps(df, out, keys=("in_bits", "w_bits", "out_bits")):
    if not all(k in df.columns for k in keys):
        return []
    files = []
    for ob, sub in df.groupby(keys[2]):
        piv = sub.pivot_table(index=keys[0], columns=keys[1], values="mac_per_cycle", aggfunc="mean")
        fig, ax = plt.subplots(figsize=(4.2, 3.6))
        im = ax.imshow(piv.values, cmap="viridis")
        ax.set_xticks(range(len(piv.columns)), [f"{c}-bit" for c in piv.columns])
        ax.set_yticks(range(len(piv.index)), [f"{c}-bit" for c in piv.index])
        ax.set_xlabel("weights")
        ax.set_ylabel("input activations")
        for i in range(piv.shape[0]):
            for j in range(piv.shape[1]):
                ax.text(j, i, f"{piv.values[i, j]:.2f}", ha="center", va="center", color="white")
        ax.set_title(f"MAC/cycle, {ob}-bit outputs")
        fig.colorbar(im, ax=ax, label="MAC/cycle")
        files += _save(fig, out, f"mac_per_cycle_out{ob}")
    return files


def sweep_plot(df, x, y, out, hue=None, facet=None, kind="line", name=None):
    """A line (or scatter) plot of column ``y`` over column ``x``, one line per value of ``hue``,
    one panel per value of ``facet``; repeated (x, hue) rows are averaged (and said so)."""
    for c in [x, y] + [c for c in (hue, facet) if c]:
        if c not in df.columns:
            raise IsasimError(f"no column '{c}' in the results (columns: {', '.join(df.columns)})")
    for c in (x, y):
        if not np.issubdtype(df[c].dtype, np.number):
            raise IsasimError(f"column '{c}' is not numeric; --x and --y need numbers")
    panels = list(df[facet].dropna().unique()) if facet else [None]
    fig, axes = plt.subplots(1, len(panels), figsize=(4.6 * len(panels) + 1, 3.6), squeeze=False,
                             sharey=True)
    averaged = False
    for ax, pv in zip(axes[0], panels):
        d = df if pv is None else df[df[facet] == pv]
        groups = d.groupby(hue, sort=True) if hue else [(None, d)]
        for hv, g in groups:
            agg = g.groupby(x)[y].mean().sort_index()
            averaged |= len(agg) < len(g)
            lab = None if hv is None else f"{hue}={hv}"
            if kind == "scatter":
                ax.scatter(agg.index, agg.values, label=lab, s=18)
            else:
                ax.plot(agg.index, agg.values, marker="o", ms=4, label=lab)
        ax.set_xlabel(x)
        ax.grid(alpha=0.3)
        if pv is not None:
            ax.set_title(f"{facet} = {pv}", fontsize=9)
        if hue:
            ax.legend(fontsize=7)
    axes[0][0].set_ylabel(y + (" (mean of repeated points)" if averaged else ""))
    name = name or f"{y}_vs_{x}" + (f"_by_{hue}" if hue else "") + (f"_per_{facet}" if facet else "")
    return _save(fig, out, re.sub(r"[^A-Za-z0-9_.-]", "_", name))


def _stacked(d, sweep, out, values, labels, title, name):
    """Stacked bars per row of ``d``: ``values`` (one array per layer) labelled ``labels``."""
    many = len(d) > MAX_BARS
    d = d.iloc[:MAX_HBARS] if many else d
    fig, ax = plt.subplots(figsize=(8, 1.0 + 0.24 * len(d)) if many else (max(4, 1.1 * len(d) + 2), 3.8))
    x = np.arange(len(d))
    bottom = np.zeros(len(d))
    bar = ax.barh if many else ax.bar
    for j, (v, lab) in enumerate(zip(values, labels)):
        v = np.asarray(v, float)[:len(d)]
        bar(x, v, **{"left" if many else "bottom": bottom}, label=lab,
            color=plt.cm.tab10.colors[j % 10])
        bottom += v
    names = [_label(r, sweep) for _, r in d.iterrows()]
    if many:
        ax.set_yticks(x, [n.replace("\n", ", ") for n in names], fontsize=7)
        ax.invert_yaxis()
        ax.set_xlabel("cycles")
    else:
        ax.set_xticks(x, names, fontsize=8)
        ax.set_ylabel("cycles")
    ax.set_title(title)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return _save(fig, out, name)


def phase_breakdown(df, sweep, out, phases):
    """Stacked bars: cycles of every point split into its phases (config ``phases``) and the rest."""
    cols = [f"cycles_phase_{p}" for p in phases] + ["cycles_phase_other"]
    if not all(c in df.columns for c in cols):
        return []
    return _stacked(df, sweep, out, [df[c].values for c in cols],
                    [c.replace("cycles_phase_", "") for c in cols],
                    "Cycles by phase (per-function profile)", "phase_breakdown")


def region_breakdown(df, sweep, out):
    """Stacked bars: cycles of every point split into its marked regions (``cycles_region_*``)
    and the cycles outside them (multi-core rows: of core_cycles, as the profile). Regions that
    overlap (nested markers) cannot be stacked: then no plot (the columns have the figures)."""
    cols = [c for c in df.columns if c.startswith("cycles_region_")]
    if not cols:
        return []
    d = df[df[cols].notna().any(axis=1)]
    base = d["cycles"].astype(float)
    if "core_cycles" in d.columns:
        base = d["core_cycles"].astype(float).where(d["core_cycles"].notna(), base)
    parts = [d[c].astype(float).fillna(0).values for c in cols]
    rest = base.values - sum(parts)
    if (rest < 0).any():
        return []
    return _stacked(d, sweep, out, parts + [rest],
                    [c.replace("cycles_region_", "") for c in cols] + ["outside the regions"],
                    "Cycles by marked region", "region_breakdown")


def _range_bars(df, sweep, out, col, lo_col, hi_col, unit, title, name):
    """Bars of ``col`` per point with error bars from ``lo_col`` .. ``hi_col`` (rows without a
    range: no bar of error); nothing when no row has a range."""
    if lo_col not in df.columns or df[lo_col].isna().all():
        return []
    d = df.iloc[:MAX_HBARS]
    many = len(df) > MAX_BARS
    e = d[col].astype(float).values
    lo = e - d[lo_col].astype(float).fillna(d[col]).values
    hi = d[hi_col].astype(float).fillna(d[col]).values - e
    names = [_label(r, sweep).replace("\n", ", ") for _, r in d.iterrows()]
    if many:
        fig, ax = plt.subplots(figsize=(8, 1.0 + 0.24 * len(d)))
        ax.barh(range(len(d)), e, xerr=[lo, hi], color="#3b75af", ecolor="black", capsize=2)
        ax.set_yticks(range(len(d)), names, fontsize=7)
        ax.invert_yaxis()
        ax.set_xlabel(unit)
    else:
        fig, ax = plt.subplots(figsize=(max(4, 1.1 * len(d) + 2), 3.6))
        ax.bar(range(len(d)), e, yerr=[lo, hi], color="#3b75af", ecolor="black", capsize=3)
        ax.set_xticks(range(len(d)), names, fontsize=8, rotation=30, ha="right")
        ax.set_ylabel(unit)
    ax.set_title(title)
    return _save(fig, out, name)


def energy_bars(df, sweep, out):
    """Energy of every point with the range its energy model states (error bars: energy_uj_min ..
    energy_uj_max). Ratios of two points of one model share most of that uncertainty."""
    return _range_bars(df, sweep, out, "energy_uj", "energy_uj_min", "energy_uj_max", "energy [uJ]",
                       "Energy per point; error bars: the energy model's stated range (typ..max or +-)",
                       "energy")


def cycle_bars(df, sweep, out):
    """Cycles of every point with error bars over the corners of the timing parameters' stated
    ranges (cycles_min .. cycles_max; config ``cycle_range: true``)."""
    return _range_bars(df, sweep, out, "cycles", "cycles_min", "cycles_max", "cycles",
                       "Cycles per point; error bars: the timing parameters' stated ranges "
                       "(fast / slow corner)", "cycles_range")


def op_class_bars(df, sweep, out):
    """Stacked bars: the share of each point's executed instructions per instruction class
    (isasim.report.opclass: MAC, pack/unpack, extract/insert, shift, loads, stores, branches,
    plug-ins, other), where the target reports op counts."""
    from .opclass import CLASSES
    cols = [f"opshare_{c}" for c in CLASSES if f"opshare_{c}" in df.columns]
    if not cols or df[cols].isna().all().all():
        return []
    d = df[df[cols].notna().any(axis=1)].iloc[:MAX_HBARS]
    fig, ax = plt.subplots(figsize=(8, 1.0 + 0.26 * len(d)))
    left = np.zeros(len(d))
    for j, c in enumerate(cols):
        v = 100.0 * d[c].astype(float).fillna(0).values
        ax.barh(range(len(d)), v, left=left, label=c[len("opshare_"):], color=plt.cm.tab10.colors[j % 10])
        left += v
    ax.set_yticks(range(len(d)), [_label(r, sweep).replace("\n", ", ") for _, r in d.iterrows()], fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("% of executed instructions")
    ax.set_title("Executed instructions by class")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return _save(fig, out, "op_classes")


def lane_bars(df, sweep, out):
    """Per point, the share of SIMD lane pairs doing useful work (both lane values non-zero) over
    all SIMD multiplies / dot products it executed (run with ``lanes: true``)."""
    if "lane_useful_pct" not in df.columns or df["lane_useful_pct"].isna().all():
        return []
    d = df[df["lane_useful_pct"].notna()].iloc[:MAX_HBARS]
    fig, ax = plt.subplots(figsize=(8, 1.0 + 0.26 * len(d)))
    v = d["lane_useful_pct"].astype(float).values
    ax.barh(range(len(d)), v, color="#3b75af")
    for i, x in enumerate(v):
        ax.text(x, i, f" {x:.1f}", va="center", fontsize=7)
    ax.set_yticks(range(len(d)), [_label(r, sweep).replace("\n", ", ") for _, r in d.iterrows()], fontsize=7)
    ax.invert_yaxis()
    ax.set_xlim(0, 105)
    ax.set_xlabel("% of SIMD lane pairs with both values non-zero")
    ax.set_title("Useful SIMD lanes")
    return _save(fig, out, "lanes_useful")
def lane_widths(df, sweep, out):
    """Per point with a lane profile, the operand bit-width histograms of its SIMD multiplies /
    dot products (all such instructions together): two heat maps, operand a and operand b, the
    share of lane values needing each bit width (0 = the value 0)."""
    import json
    if "lanes" not in df.columns or df["lanes"].isna().all():
        return []
    d = df[df["lanes"].notna()].iloc[:MAX_HBARS]
    hists = {"a": [], "b": []}
    for _, r in d.iterrows():
        prof = json.loads(r["lanes"])
        for op in ("a", "b"):
            h = {}
            for x in prof.values():
                for bits, n in x["width"][op].items():
                    h[int(bits)] = h.get(int(bits), 0) + n
            hists[op].append(h)
    top = max([max(h) for op in hists for h in hists[op] if h] or [0])
    if not top:
        return []
    fig, axes = plt.subplots(1, 2, figsize=(10, 1.2 + 0.26 * len(d)), sharey=True)
    names = [_label(r, sweep).replace("\n", ", ") for _, r in d.iterrows()]
    for ax, op in zip(axes, ("a", "b")):
        m = np.zeros((len(d), top + 1))
        for i, h in enumerate(hists[op]):
            tot = sum(h.values())
            for bits, n in h.items():
                m[i, bits] = 100.0 * n / tot if tot else 0
        im = ax.imshow(m, aspect="auto", cmap="Blues", vmin=0, vmax=100)
        ax.set_xticks(range(top + 1))
        ax.set_xlabel(f"bits of operand {op}'s lane values")
        ax.set_title(f"operand {op} ({'rs1 / Rn' if op == 'a' else 'rs2 / Rm'})", fontsize=9)
    axes[0].set_yticks(range(len(d)), names, fontsize=7)
    fig.colorbar(im, ax=axes, label="% of lane values")
    fig.suptitle("Operand bit widths of the SIMD multiplies / dot products", fontsize=10)
    return _save(fig, out, "lane_widths")


def experiment_plots(df, comp, cfg, out):
    sweep = list((cfg.get("sweep") or {}).keys())
    files = []
    if cfg.get("phases"):
        files += phase_breakdown(df, sweep, out, cfg["phases"])
    files += region_breakdown(df, sweep, out)
    for b in cfg.get("baselines") or []:
        files += speedup_bars(df, b["name"], b["baseline"], b["metric"], sweep, out,
                              compare=b.get("compare"))
    files += cycle_breakdown(df, sweep, out)
    files += energy_bars(df, sweep, out)
    files += cycle_bars(df, sweep, out)
    files += op_class_bars(df, sweep, out)
    files += lane_bars(df, sweep, out)
    files += lane_widths(df, sweep, out)
    files += paper_vs_simulated(comp, out)
    files += mac_heatmaps(df, out)
    return files


def main(args):
    from .tables import load_results, sweep_columns
    df = load_results(args.results)
    sweep = sweep_columns(df)
    out = args.out or (args.results if os.path.isdir(args.results) else os.path.dirname(args.results))
    os.makedirs(out, exist_ok=True)
    if args.x or args.y:
        if not (args.x and args.y):
            raise IsasimError("--x and --y go together (and optionally --hue, --facet)")
        for f in sweep_plot(df, args.x, args.y, out, hue=args.hue, facet=args.facet, kind=args.kind):
            print(f)
        return 0
    if args.hue or args.facet:
        raise IsasimError("--hue and --facet need --x and --y")
    ratios = [c for c in df.columns if c.startswith(("speedup", "ratio", "energy_ratio", "vs_"))]
    files = []
    for r in ratios:
        # a baseline's own rows have the ratio 1.0 exactly (metric(baseline) / metric(baseline));
        # from a results file alone, a baseline is compared with the other variants of its target
        # (isasim run, which knows the config, plots exactly the configured pairs)
        bases = list(df[df[r] == 1.0]["variant"].unique())
        for base in bases:
            tgt = df[df["variant"] == base]["target"].iloc[0]
            others = [v for v in df[df[r].notna() & (df["target"] == tgt)]["variant"].unique()
                      if v not in bases]
            metric = "energy_uj" if "energy" in r else "cycles"
            files += speedup_bars(df, r, base, metric, sweep, out, compare=others)
    files += cycle_breakdown(df, sweep, out)
    if not files:
        raise IsasimError(f"{args.results}: nothing to plot")
    for f in files:
        print(f)
    return 0
