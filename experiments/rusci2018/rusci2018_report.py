"""Post-processing of the rusci2018 experiment and generation of its document (README.md here).

    isasim run experiments/rusci2018/rusci2018.yaml --out out/rusci2018
    python experiments/rusci2018/rusci2018_report.py out/rusci2018

Reads results.csv and comparison.csv of a run, derives the quantities the runner's
``metric(baseline) / metric(row)`` ratios cannot express (energy overhead in %, full-layer and
CIFAR-10-network extrapolations of the simulated tiles, which R3 baseline matches the paper),
draws the cycles-per-MAC plot stacked by stall cause (``cycles_per_mac_breakdown.png`` in the run
directory) and writes the markdown document. Nothing in the document is typed by hand except the
fixed explanatory text in this module: every number comes from the run, every paper figure from
the config's ``paper:`` rows.
"""
import argparse
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import rusci2018_workload as rusci  # noqa: E402
from isasim.cores.cm7.memory import STALLS as MEMORY_STALLS  # noqa: E402
from isasim.qnn.golden import out_size  # noqa: E402

ORDER = list(rusci.KERNELS)
PAPER_LAYER = "l16"
CONFIG = os.path.join(HERE, "rusci2018.yaml")
DOC = os.path.join(HERE, "README.md")


def paper_rows(cfg):
    """The config's paper rows by id."""
    return {r["id"]: r for r in cfg.get("paper") or []}


def qnn_r3(cfg):
    """{QNN variant: (its same-precision software baseline, the paper's speedup)} from the paper
    rows that compare a QNN kernel with its software kernel (column speedup_vs_sw) and the
    baselines entries that define that column."""
    base_of = {}
    for b in cfg.get("baselines") or []:
        if b["name"] == "speedup_vs_sw":
            for v in b.get("compare") or []:
                base_of[v] = b["baseline"]
    out = {}
    for r in cfg.get("paper") or []:
        sim = r["simulated"]
        if sim.get("column") == "speedup_vs_sw" and sim.get("variant") in base_of:
            out[sim["variant"]] = (base_of[sim["variant"]], float(r["value"]))
    return out


def r1_paper(cfg):
    """[(Q-bit software variant, the paper's energy overhead in %)] from the R1 rows, whose value
    is the runner's ratio E(q7)/E(row): overhead = 1/value - 1."""
    return [(r["simulated"]["variant"], 100.0 * (1.0 / float(r["value"]) - 1.0))
            for r in cfg.get("paper") or [] if r["id"].startswith("R1") and not r["id"].endswith(TCM[1:])]


def load(out_dir):
    import pandas as pd
    df = pd.read_csv(os.path.join(out_dir, "results.csv"))
    comp = pd.read_csv(os.path.join(out_dir, "comparison.csv"))
    return df, comp


# The experiment's configurations (rusci2018.yaml "Two configurations"): the compiled C kernels and
# the hand-written ones at the default operating point, and the hand-written ones all-TCM
# (variant ids ``*_tcm``). Each has its own 8-bit baseline.
GROUPS = (("compiled", "compiled C (-O3), default operating point (code and weights in flash)", "q7_c"),
          ("hand", "hand-written, default operating point (code and weights in flash)", "q7"),
          ("tcm", "hand-written, all-TCM (480 MHz, 0 wait states)", "q7_tcm"))
GROUP_TITLE = {g: t for g, t, _ in GROUPS}
GROUP_BASE = {g: b for g, _, b in GROUPS}
TCM = "_tcm"


def group_of(variant):
    """Configuration of a variant id: 'tcm' (``*_tcm``), 'compiled' (a compiled C kernel) or 'hand'."""
    if variant.endswith(TCM):
        return "tcm"
    return "compiled" if rusci.KERNELS.get(variant, {}).get("layout") else "hand"


def kernel_of(variant):
    """The KERNELS key a variant id runs (``q7_tcm`` -> ``q7``)."""
    return variant[:-len(TCM)] if variant.endswith(TCM) else variant


def label(variant):
    k = rusci.KERNELS.get(kernel_of(variant))
    text = k["label"] if k else variant
    return text + " (all-TCM)" if variant.endswith(TCM) else text


def variant_order(df):
    """Variant ids of the run, grouped by configuration, each group in KERNELS order."""
    have = set(df["variant"])
    out = []
    for g, _, _ in GROUPS:
        for k in ORDER:
            v = k + TCM if g == "tcm" else k
            if v in have and group_of(v) == g:
                out.append(v)
    return out + sorted(have - set(out))


def derive(df):
    """Add derived columns: group (configuration), energy_overhead_pct (E(row)/E(8-bit) - 1 within
    the row's configuration, the paper's R1 form), cycles_per_mac, the simulated fraction of the
    layer's output rows and full-layer figures (equal to the simulated ones for full layers)."""
    df = df.copy()
    df["group"] = df["variant"].map(group_of)
    base = df.set_index(["variant", "layer"])["energy_uj"]
    df["energy_overhead_pct"] = [
        100.0 * (r.energy_uj / base.get((GROUP_BASE[r.group], r.layer), np.nan) - 1.0)
        for r in df.itertuples()]
    df["cycles_per_mac"] = df["cycles"] / df["macs"]
    oh = {n: out_size(s["ih"], s["k"], s["stride"], s["pad"]) for n, s in rusci.LAYERS.items()}
    df["layer_rows"] = df["layer"].map(oh)
    rows = df["rows"] if "rows" in df.columns else df["layer_rows"]
    df["rows_simulated"] = rows.fillna(df["layer_rows"]).astype(int)
    df["tile_fraction"] = df["rows_simulated"] / df["layer_rows"]
    df["layer_cycles_est"] = df["cycles"] / df["tile_fraction"]
    df["layer_energy_uj_est"] = df["energy_uj"] / df["tile_fraction"]
    df["layer_macs"] = df["layer"].map({n: rusci.layer_macs(s) for n, s in rusci.LAYERS.items()})
    return df


def network_totals(df, layers=("conv1", "conv2", "conv3")):
    """CIFAR-10 conv layers: full-layer cycles and energy summed per variant, ratios within each
    configuration."""
    d = df[df["layer"].isin(layers)]
    g = d.groupby("variant")[["layer_cycles_est", "layer_energy_uj_est"]].sum()
    g = g.reindex([v for v in variant_order(df) if v in g.index])
    base = {v: g.loc[GROUP_BASE[group_of(v)]] for v in g.index}
    g["vs_int8_cycles"] = [base[v]["layer_cycles_est"] / g.loc[v, "layer_cycles_est"] for v in g.index]
    g["energy_overhead_pct"] = [100.0 * (g.loc[v, "layer_energy_uj_est"] / base[v]["layer_energy_uj_est"] - 1)
                                for v in g.index]
    sw = {"int4_sdot4": "int4_sw", "int4_unpk4": "int4_sw", "int2_sdot2": "int2_sw", "bin_xnorpc": "bin_sw"}
    sw.update({k + TCM: b + TCM for k, b in list(sw.items())})
    g["speedup_vs_sw"] = [g.loc[sw[v], "layer_cycles_est"] / g.loc[v, "layer_cycles_est"] if v in sw else np.nan
                          for v in g.index]
    g["macs"] = d.groupby("variant")["layer_macs"].sum().reindex(g.index)
    return g


CANDIDATES = ("layer vs same-precision SW", "layer vs 8-bit CMSIS-NN",
              "kernel vs same-precision SW", "kernel vs 8-bit CMSIS-NN")


def r3_baseline_match(df, cfg, layer=PAPER_LAYER, group="hand"):
    """For Q=4/2/1 with QNN instructions: the simulated speedup for every candidate reading of
    the paper's R3 (whole layer or matmul kernel alone, against the same-precision software kernel
    or against 8-bit CMSIS-NN), the mean |log(simulated / paper)| of each (the smaller, the better
    the match) and whether a reading matches all three figures within 10 %."""
    d = df[df["layer"] == layer].set_index("variant")
    k = "cycles_phase_matmul"
    q7 = GROUP_BASE[group]
    rows, err, within = [], {c: [] for c in CANDIDATES}, {c: True for c in CANDIDATES}
    for v, (sw, paper) in qnn_r3(cfg).items():
        if group_of(v) != group:
            continue
        vals = (d.loc[sw, "cycles"] / d.loc[v, "cycles"], d.loc[q7, "cycles"] / d.loc[v, "cycles"],
                d.loc[sw, k] / d.loc[v, k], d.loc[q7, k] / d.loc[v, k])
        for c, x in zip(CANDIDATES, vals):
            err[c].append(abs(np.log(x / paper)))
            within[c] &= abs(x / paper - 1) <= 0.10
        rows.append((v, paper) + vals)
    score = {c: float(np.mean(e)) for c, e in err.items()}
    best = min(score, key=score.get)
    return rows, score, best, within


def postprocess(df, comp, cfg, out_dir):
    """Experiment hook (``postprocess:`` in rusci2018.yaml): the paper's R1 form (energy overhead in
    %), which R3 baseline matches the paper, and the cycles-per-MAC plot by stall cause."""
    d = derive(df)
    path = cycles_per_mac_plot(d, out_dir)[0]
    rows, score, best, within = r3_baseline_match(d, cfg)
    d = d[d["group"] == "compiled"]
    r1 = ", ".join(f"{p:+.0f} % for {v}" for v, p in r1_paper(cfg))
    md = ["## Derived figures (rusci2018_report.py)", "",
          f"Energy overhead vs 8-bit CMSIS-NN (compiled C, default operating point) on layer "
          f"{PAPER_LAYER} (paper R1: {r1}):", "",
          _table(["variant", "energy overhead %", "cycles per MAC"],
                 [(v, _f(r["energy_overhead_pct"], 1), _f(r["cycles_per_mac"]))
                  for v, r in d[d["layer"] == PAPER_LAYER].set_index("variant").iterrows()]), "",
          "R3 speedups with the QNN instructions for each reading (layer or matmul kernel, against "
          "the same-precision software kernel or 8-bit CMSIS-NN; hand-written kernels, default "
          "operating point):", "",
          _table(["variant", "paper"] + list(CANDIDATES),
                 [(r[0], _f(r[1], 1)) + tuple(_f(x, 2) for x in r[2:]) for r in rows]), "",
          f"Closest reading (mean |log(simulated/paper)|): **{best}** "
          f"({', '.join(f'{k}: {v:.3f}' for k, v in score.items())}).", ""]
    return {"figures": [path], "markdown": "\n".join(md)}


def cycles_per_mac_plot(df, out_dir, layer=PAPER_LAYER):
    """Cycles per MAC of every kernel on ``layer``, stacked: issue cycles + stall causes (drawn by
    the report module's cycle-breakdown plot); returns (png path, rows, stall columns, stall and
    issue cycles per MAC) for the tables of the generated document."""
    from isasim.report.plots import cycle_breakdown
    d = df[df["layer"] == layer].set_index("variant").reindex(variant_order(df))
    stall = [c for c in d.columns if c.startswith("stall_") and d[c].fillna(0).sum() > 0]
    st = d[stall].fillna(0).to_numpy(float) / d["macs"].to_numpy(float)[:, None]
    issue = d["cycles_per_mac"].to_numpy(float) - st.sum(axis=1)
    files = cycle_breakdown(d.reset_index(), [], out_dir, per_col="macs",
                            labels=[label(v) for v in d.index],
                            title=f"Cortex-M7 cycles per MAC by stall cause, layer {layer}",
                            ylabel="cycles per MAC", name="cycles_per_mac_breakdown")
    return files[0], d, stall, st, issue

def _bits(hist):
    """(max, mean) bit width of a lane-width histogram {bits: count} (JSON keys are strings)."""
    n = sum(hist.values())
    if not n:
        return 0, 0.0
    return max(int(b) for b, c in hist.items() if c), sum(int(b) * c for b, c in hist.items()) / n


def lane_section(d16, order):
    """Per kernel (layer l16): every SIMD multiply / dot product it executed with its lane use and
    operand widths (results column ``lanes``, config ``lanes: true``) and its share of
    pack/unpack, extract/insert and shift instructions (``opshare_*``)."""
    if "lanes" not in d16.columns or d16["lanes"].isna().all():
        return []
    L = ["## Lanes and precision (layer l16)\n",
         "Per SIMD multiply / dot-product instruction a kernel executed (lane profile, "
         "docs/explorer.md \"Lanes and instruction classes\"): a lane pair is useful when both "
         "operand values are non-zero; padded channels and zero values are not. Bit widths are the "
         "minimal two's-complement (signed lane) or binary width of each lane value of operand a "
         "(activations) and b (weights), max / mean. The last three columns are the shares of the "
         "kernel's executed instructions that pack/unpack, extract/insert or shift. The binary "
         "kernels have none: an XNOR-popcount lane has no zero value (bit 0 encodes -1), so "
         "\"useful\" does not apply (qnn.xnorpc declares no lanes).\n"]
    rows = []
    for v in order:
        r = d16.loc[v]
        prof = json.loads(r["lanes"]) if isinstance(r["lanes"], str) else {}
        shares = [100.0 * float(r.get(f"opshare_{c}", float("nan")))
                  for c in ("pack_unpack", "extract_insert", "shift")]
        if not prof:
            rows.append([label(v), "none", "", "", "", "", ""] + shares)
        for mn, x in sorted(prof.items()):
            pairs = x["executions"] * x["lanes"]
            (amax, amean), (bmax, bmean) = _bits(x["width"]["a"]), _bits(x["width"]["b"])
            rows.append([label(v), mn, x["executions"], f"{x['lanes']} x {x['lane_bits']}",
                         100.0 * x["useful"] / pairs if pairs else float("nan"),
                         f"{amax} / {amean:.2f}", f"{bmax} / {bmean:.2f}"] + shares)
    L.append(_table(["kernel", "SIMD instruction", "executions", "lanes x bits", "useful lanes %",
                     "a bits max / mean", "b bits max / mean", "pack/unpack %", "extract/insert %",
                     "shift %"], rows))
    L.append("")
    return L


def cycle_range_section(d16, order):
    """Cycles and the R3 speedups at the corners of the timing parameters' stated ranges (config
    ``cycle_range: true``; docs/explorer.md "Uncertainty")."""
    if "cycles_fast" not in d16.columns or d16["cycles_fast"].isna().all():
        return []
    from isasim.report.provenance import ranges
    rg = ", ".join(f"`{k}` {a} .. {b}" for k, (a, b) in ranges("cm7").items())
    L = ["## Cycle range (layer l16)\n",
         f"The Cortex-M7 parameters no measurement fixes have stated ranges ({rg}; fast .. slow "
         "end). `fast` / `slow`: the cycles with all of them at their fast / slow end (re-timed "
         "from each point's recording), and the speedup with both kernels at the same corner.\n"]
    rows = []
    for v in order:
        r = d16.loc[v]
        sp = [r.get(f"speedup_vs_sw{c}", float("nan")) for c in ("", "_fast", "_slow")]
        rows.append([label(v), int(r["cycles"]), int(r["cycles_fast"]), int(r["cycles_slow"]),
                     100.0 * (r["cycles_slow"] - r["cycles_fast"]) / r["cycles"]] + sp)
    L.append(_table(["kernel", "cycles", "fast", "slow", "range % of cycles", "speedup vs SW",
                     "fast", "slow"], rows))
    L.append("")
    return L


def _f(v, nd=3):
    if isinstance(v, (float, np.floating)):
        if np.isnan(v):
            return ""
        return f"{v:,.{nd}f}" if abs(v) < 1e4 else f"{v:,.0f}"
    if isinstance(v, (int, np.integer)):
        return f"{v:,}"
    return str(v)


def _table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(_f(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def report(out_dir, doc=None, config=CONFIG):
    """Build the markdown document from a run directory; write it to ``doc`` (if given)."""
    from isasim.experiments import config as C
    cfg = C.load(config)
    df, comp = load(out_dir)
    df = derive(df)
    order = variant_order(df)
    layers = [l for l in rusci.LAYERS if l in set(df["layer"])]
    net = network_totals(df)
    plot, dpl, stall, st, issue = cycles_per_mac_plot(df, out_dir)
    desc = cfg.get("description", "")
    assert (df["golden"] == "bit-exact").all(), "every point must be bit-exact"
    full = bool((df["tile_fraction"] == 1).all())
    L = []
    L.append("# Reproduction: Rusci et al. 2018, QNN kernels on a Cortex-M7\n")
    L.append("<!-- GENERATED by `python experiments/rusci2018/rusci2018_report.py OUT_DIR` from "
             "the results of `isasim run experiments/rusci2018/rusci2018.yaml`; do not edit by hand. -->\n")
    L.append("Paper: M. Rusci, A. Capotondi, F. Conti, L. Benini, \"Work-in-Progress: Quantized NNs as the "
             "Definitive Solution for Inference on Low-Power ARM MCUs?\", CODES+ISSS 2018. Only its abstract "
             "is available (papers.md §1); the kernels follow the authors' public INT-Q code structure "
             "(papers.md §1.3) and CMSIS-NN (§4.1). The proposed instructions are not published (§1.4): "
             "the QNN instructions used here are the isasim built-in plug-in `qnn` (nibble MAC `qnn.sdot4`, "
             "crumb MAC `qnn.sdot2`, XNOR-popcount-accumulate `qnn.xnorpc`, unpack helper `qnn.unpk4`; "
             "costs declared in isasim/plugins/builtin/qnn_thumb2.py, MAC-unit latency 2 like SMLAD).\n")
    L.append(f"All {len(df)} simulated points ({df['variant'].nunique()} variants x {df['layer'].nunique()} layers"
             f"{', full layers' if full else ''}) are bit-exact against the numpy golden models "
             "(isasim/qnn/golden.py).\n")
    L.append("## Setup\n")
    L.append(desc.strip() + "\n")
    L.append("Energy: DS12110 supply current of the operating point's row (isasim/energy/stm32h7.py, "
             "docs/cm7.md \"Energy\") x supply voltage x run time; typ and max give `energy_uj_min/max`. "
             "The current depends on the operating point, the code location and the caches, not on the "
             "instructions, so within one configuration every energy ratio equals the cycle ratio; the "
             "plug-in instructions declare no extra energy. Configurations:\n")
    for g, title, base in GROUPS:
        d = df[df["group"] == g]
        if d.empty:
            continue
        r = d[d["layer"] == PAPER_LAYER].set_index("variant").loc[base]
        L.append(f"- {title}: {int(r['freq_mhz'])} MHz; {base} on {PAPER_LAYER}: {_f(r['energy_uj'])} uJ "
                 f"(range {_f(r['energy_uj_min'])}-{_f(r['energy_uj_max'])}) in {_f(r['time_us'], 1)} us")
    L.append("")
    L.append("## Paper vs simulation (comparison.csv, layer l16)\n")
    L.append("R1 and R2 compare the compiled C kernels (the paper's CMSIS-NN and INT-Q are C) at the default "
             "operating point; R3 compares the hand-written QNN-instruction kernels with the hand-written "
             "software kernels (no compiled kernel uses the plug-in) at the default operating point; the "
             "`-tcm` rows give the same quantities for the hand-tuned all-TCM configuration.\n")
    L.append(_table(["id", "quantity", "paper", "simulated", "deviation %", "note"],
                    [(r.id, r.quantity, r.paper, r.simulated, r.deviation_pct, r.note)
                     for r in comp.itertuples()]))
    L.append("")
    L.append("### How the configuration moves R1-R3\n")
    L.append("The same rows in each configuration (layer l16; R1 as the runner's ratio E(8-bit)/E(Q), "
             "R2 and R3 as speedups), and the share of cycles the memory system costs "
             "(the memory stall causes of docs/cm7.md: cache misses, uncached accesses, write-backs, "
             "over cycles) of the 8-bit, the 4-bit and the binary software kernel:\n")
    d16 = df[df["layer"] == PAPER_LAYER].set_index("variant")
    sets = [("R1a", "vs_int8_energy", ("int4_c", "int4_sw", "int4_sw_tcm")),
            ("R1b", "vs_int8_energy", ("int2_c", "int2_sw", "int2_sw_tcm")),
            ("R2", "vs_int8_cycles", ("bin_c", "bin_sw", "bin_sw_tcm")),
            ("R3a-sw", "speedup_vs_sw", (None, "int4_sdot4", "int4_sdot4_tcm")),
            ("R3b-sw", "speedup_vs_sw", (None, "int2_sdot2", "int2_sdot2_tcm")),
            ("R3c-sw", "speedup_vs_sw", (None, "bin_xnorpc", "bin_xnorpc_tcm")),
            ("R3a-kernel", "kernel_speedup_vs_sw", (None, "int4_sdot4", "int4_sdot4_tcm")),
            ("R3b-kernel", "kernel_speedup_vs_sw", (None, "int2_sdot2", "int2_sdot2_tcm")),
            ("R3c-kernel", "kernel_speedup_vs_sw", (None, "bin_xnorpc", "bin_xnorpc_tcm"))]
    pv = {r.id: r.paper for r in comp.itertuples()}

    def val(v, col):
        return d16.loc[v, col] if v in d16.index and col in d16.columns else np.nan
    L.append(_table(["row", "paper"] + [t for _, t, _ in GROUPS],
                    [(i, pv.get(i, pv.get(i.replace("R2", "R2a")))) + tuple(val(v, c) if v else np.nan for v in vs)
                     for i, c, vs in sets]))
    L.append("")
    mem = [f"stall_{c}" for c in MEMORY_STALLS if f"stall_{c}" in d16.columns]
    if mem:
        rows = []
        for k in ("q7", "int4_sw", "bin_sw"):
            vs = ({"q7": "q7_c", "int4_sw": "int4_c", "bin_sw": "bin_c"}[k], k, k + TCM)
            rows.append([rusci.KERNELS[k]["label"]] +
                        [100.0 * d16.loc[v, mem].fillna(0).sum() / val(v, "cycles") if v in d16.index else np.nan
                         for v in vs])
        L.append(_table(["kernel", "memory stalls % (compiled C)", "% (hand-written, flash)",
                         "% (hand-written, all-TCM)"], rows))
        L.append("")
    moves = []
    for k in ORDER:
        if rusci.KERNELS[k].get("layout") or k not in d16.index or k + TCM not in d16.index:
            continue
        a, b = d16.loc[k + TCM], d16.loc[k]
        causes = [c for c in d16.columns if c.startswith("stall_")]
        delta = sorted(((b[c] if b[c] == b[c] else 0) - (a[c] if a[c] == a[c] else 0), c) for c in causes)
        big = [(x, c) for x, c in sorted(delta, key=lambda t: -abs(t[0])) if x][:3]
        moves.append((label(k), int(a["cycles"]), int(b["cycles"]), 100.0 * (b["cycles"] / a["cycles"] - 1),
                      int(b["instructions"] - a["instructions"]),
                      ", ".join(f"{c[len('stall_'):]} {int(x):+,}" for x, c in big)))
    if moves:
        L.append("Why the hand-written kernels move between all-TCM and the default operating point (same "
                 "instructions; the stall causes whose cycles changed most, default minus all-TCM):\n")
        L.append(_table(["kernel", "cycles all-TCM", "cycles default", "change %", "instructions change",
                         "largest stall changes"], moves))
        L.append("")
        L.append("`dcache_miss`: the weights stream from flash through the D-cache (8-bit weights are 2-8x "
                 "larger than packed ones); `bank_conflict`: two loads paired in one cycle hit the same DTCM "
                 "bank (address bit 2, cm7_measured.md §1), which only happens when both operands are in "
                 "DTCM, i.e. all-TCM, or when the changed data addresses align them differently; "
                 "`dependency`/`load_use` follow from the changed pairing.\n")
    L.append("R1 in the paper's form (energy overhead of the Q-bit kernel over 8-bit CMSIS-NN, E(Q)/E(8) - 1) "
             "per layer and configuration:\n")
    rows = []
    for v, paper in r1_paper(cfg):
        k = kernel_of(v)
        base = rusci.KERNELS[k].get("layout", k)
        for vv in (v, base, base + TCM):
            if vv not in set(df.variant):
                continue
            rows.append([label(vv), paper] + [df[(df.variant == vv) & (df.layer == l)]["energy_overhead_pct"].iloc[0]
                                              for l in layers] + [net.loc[vv, "energy_overhead_pct"]])
    L.append(_table(["kernel", "paper %"] + [f"{l} %" for l in layers] + ["CIFAR-10 conv1-3 %"], rows))
    L.append("")
    L.append("## Which baseline and granularity do the paper's R3 speedups use?\n")
    L.append("Four readings of \"could improve performance by as much as 7.5x / 13.6x / 6.5x\": the whole "
             "layer or the matmul kernel alone (the phase `matmul` of the per-function profile: "
             "mm_kernel's cycles; im2col, quantisation and control code excluded), against the "
             "same-precision software kernel or against 8-bit CMSIS-NN, in both configurations of the "
             "hand-written kernels:\n")
    for g in ("hand", "tcm"):
        r3rows, score, best, within = r3_baseline_match(df, cfg, group=g)
        if not r3rows:
            continue
        L.append(f"{GROUP_TITLE[g]}:\n")
        L.append(_table(["QNN kernel", "paper"] + list(CANDIDATES), [tuple(r) for r in r3rows]))
        L.append("")
        ok = [c for c in CANDIDATES if within[c]]
        L.append(f"Mean |ln(simulated/paper)| on {PAPER_LAYER}: "
                 + ", ".join(f"{c} {score[c]:.3f}" for c in CANDIDATES)
                 + f". Matched best by **{best}**"
                 + (f"; {', '.join(ok)} match{'es' if len(ok) == 1 else ''} all three within 10 %."
                    if ok else "; no reading matches all three within 10 %.") + "\n")
    L.append("No cost constant was tuned: the plug-in costs are those of qnn_thumb2.py.\n")
    amd = d16[[c for c in d16.columns if c.startswith("amdahl_")]]
    if not amd.empty:
        L.append("Amdahl projection (the layer speedup if a phase cost nothing), layer l16:\n")
        L.append(_table(["kernel"] + [c.replace("amdahl_", "without ") for c in amd.columns],
                        [(label(v),) + tuple(amd.loc[v]) for v in order if v in amd.index]))
        L.append("")
    L.append("## Per-kernel efficiency (layer l16)\n")
    L.append(_table(["kernel", "cycles", "instructions", "MAC/cycle", "instr/MAC", "vs 8-bit (cycles)",
                     "speedup vs SW", "energy uJ"],
                    [(label(v), int(d16.loc[v, "cycles"]), int(d16.loc[v, "instructions"]),
                      d16.loc[v, "mac_per_cycle"], d16.loc[v, "instr_per_mac"], d16.loc[v, "vs_int8_cycles"],
                      d16.loc[v, "speedup_vs_sw"], d16.loc[v, "energy_uj"]) for v in order]))
    L.append("")
    L.append("MAC = one real multiply-accumulate of the layer (binary: one XNOR-popcount bit); padded "
             "channels are not counted, so channel padding shows up as lost efficiency. `vs 8-bit` is "
             "within the kernel's configuration.\n")
    L.append("Cycles per MAC by stall cause (plot `cycles_per_mac_breakdown.png` in the run directory):\n")
    L.append(_table(["kernel", "cycles/MAC", "issue"] + [c.replace("stall_", "") for c in stall],
                    [[label(v), dpl.loc[v, "cycles_per_mac"], issue[i]] + list(st[i])
                     for i, v in enumerate(dpl.index)]))
    L.append("")
    L += lane_section(d16, order)
    L += cycle_range_section(d16, order)
    comp_c = [(v, k["layout"]) for v, k in rusci.KERNELS.items() if k.get("layout") and v in d16.index]
    if comp_c:
        L.append("## Compiled C vs hand-written assembly\n")
        L.append("The `*_c` kernels are the same layers written in C with ACLE intrinsics in the source "
                 "structure of CMSIS-NN / INT-Q (kernels_asm/cm7/nn/, clang -O3 through the `// isasim: -O3` "
                 "build marker): im2col of two pixels, then one matmul call that loops over all output "
                 "channels and quantizes, as in arm_convolve_HWC_q7_fast. Cycles of the compiled kernel "
                 "relative to the assembly one, both at the default operating point (column `asm_vs_c` = "
                 "cycles(C) / cycles(asm); > 1: the assembly is faster):\n")
        rows = []
        for v, base in comp_c:
            rows.append([rusci.KERNELS[v]["label"], base] +
                        [df[(df.variant == base) & (df.layer == l)]["asm_vs_c"].iloc[0] for l in layers])
        L.append(_table(["compiled kernel", "hand-written"] + list(layers), rows))
        L.append("")
        L.append("The hand-written drivers call the assembly matmul once per 2 output channels (a call and "
                 "accumulator round trip through memory each time) while the compiled layer keeps the "
                 "channel loop inside the matmul like CMSIS-NN; the per-layer differences above mix that "
                 "structural difference with the code quality of the two hot loops (not separated here).\n")
    L.append("## All layers\n")
    rows = []
    for l in layers:
        for v in order:
            r = df[(df.variant == v) & (df.layer == l)].iloc[0]
            rows.append((l, label(v), int(r["rows_simulated"]), int(r["layer_rows"]), int(r["cycles"]),
                         r["layer_cycles_est"], r["mac_per_cycle"], r["instr_per_mac"], r["vs_int8_cycles"],
                         r["speedup_vs_sw"]))
    L.append(_table(["layer", "kernel", "rows sim.", "rows", "cycles", "layer cycles",
                     "MAC/cycle", "instr/MAC", "vs 8-bit", "vs SW"], rows))
    L.append("")
    L.append("CIFAR-10 example network, conv1-conv3 (sum of the layers; pooling, FC and softmax not "
             "simulated):\n")
    L.append(_table(["kernel", "cycles", "energy uJ", "MAC/cycle", "vs 8-bit", "energy overhead %",
                     "vs SW"],
                    [(label(v), r.layer_cycles_est, r.layer_energy_uj_est, r.macs / r.layer_cycles_est,
                      r.vs_int8_cycles, r.energy_overhead_pct, r.speedup_vs_sw) for v, r in net.iterrows()]))
    L.append("")
    c1 = df[df.layer == "conv1"].set_index("variant")
    L.append("conv1 (3 input channels) is padded to 4/8/16/32 channels for q7/INT4/INT2/BIN, so the "
             f"sub-byte kernels do up to 10.7x useless work there (INT2 SW {c1.loc['int2_sw', 'mac_per_cycle']:.3f} "
             f"MAC/cycle vs {d16.loc['int2_sw', 'mac_per_cycle']:.3f} on l16); CMSIS-NN itself uses a special "
             "RGB kernel for this layer and QNNs usually keep the first layer at 8 bit. The paper rows use "
             "l16 for that reason.\n")
    L.append("## Assumptions and deviations\n")
    L.append("\n".join([
        "- **Workload.** The paper's network and layer shapes are not known (papers.md §1.4). The CIFAR-10 "
        "example of CMSIS-NN and a 16x16x32->64 3x3 layer are used; weights/inputs are random with a fixed "
        "seed, q7 shifts and sub-byte thresholds are derived from the data (quantiles of the accumulators), "
        "because no trained network is available. Cycle counts of these kernels do not depend on the data "
        "except through the branch-free/branching threshold code (C).",
        "- **Memory.** The default operating point is the set-up of the papers' group (cm7_measured.md §3); "
        "where the paper's own measurement kept code, weights and activations is not published. Flash "
        "wait states, the AXI latency and the cache geometry and replacement are the memory model's "
        "parameters (docs/cm7.md \"Memory hierarchy\", some marked ASSUMPTION there); the memory stall "
        "shares above come from them.",
        "- **Energy.** DS12110 typical current x voltage x time: the current of a run depends on where its "
        "code runs and on the caches, not on its instruction mix or data traffic, so the model cannot "
        "credit packed sub-byte data with less switching energy; the paper's energy figures, measured "
        "or modelled on a board, could.",
        "- **Kernels.** The compiled kernels follow the CMSIS-NN / INT-Q source structure (clang -O3, not "
        "the paper's compiler); the hand-written ones have 2x2 register blocking, in-loop SXTB16/ROR "
        "unpacking, software popcount and threshold trees, with im2col, output quantization and loops in C "
        "(clang -O2) and one matmul call per 2 output channels.",
        "- **QNN instructions.** The plug-in's costs (MAC unit, latency 2, dual-issue like SMLAD; xnorpc an "
        "ALU op) are assumptions of the proposal, not tuned. The QNN kernels use packed activations "
        "(im2col copies words), 2x2 blocking, no unrolling; the INT4 unpack variant re-loads the packed weight "
        "word once per 8 columns because 14 registers are live (see mm_int4_unpk4.S). No threshold/quantize "
        "instruction is modelled, so output quantization stays in software.",
        "- **Channel padding.** Input channels are padded to the kernel's granularity (q7 4, INT4 8, INT2 16, "
        "BIN 32) with neutral values; output channels must be a multiple of 2 (4 for INT2 output packing); "
        "the generator refuses other shapes with a clear error.",
    ]))
    L.append("")
    L.append("## Adding a kernel\n")
    L.append("A kernel with the data layout and output stage of an existing one needs only its matmul "
             "source (the hot loop, `void mm_kernel(const uint32_t *wrow, const uint32_t *col, int32_t "
             "*acc)`, see kernels_asm/cm7/rusci/mm_common.h) and a variant naming its base with `like`:\n")
    L.append("```yaml\n  - id: int2_unpk2\n    target: cm7\n    plugins: [qnn, my_unpack.py]\n"
             "    params: {kernel: int2_unpk2, like: int2_sw}          # + im2col: <scheme> if it differs\n"
             "    tags: {unpk_latency: 1}\n    include: [../../kernels_asm/cm7/rusci]\n"
             "    sources: [../../kernels_asm/cm7/rusci/conv_driver.c, my_mm_int2_unpk2.S]\n```\n")
    L.append("The results carry the new kernel's name (`kernel` column; `like` names its base). im2col "
             f"schemes of conv_driver.c: {', '.join(f'`{k}`' for k in rusci.IM2COL)}. An unknown "
             "kernel name is refused when the config is loaded, with the variant's file:line, the known "
             "kernels and this recipe.\n")
    from isasim.report.provenance import markdown as provenance
    L.append(provenance(["cm7"]))
    L.append("## Regenerate\n")
    L.append("```sh\nisasim run experiments/rusci2018/rusci2018.yaml --out out/rusci2018\n"
             "python experiments/rusci2018/rusci2018_report.py out/rusci2018\n```\n")
    text = "\n".join(L) + "\n"
    if doc:
        with open(doc, "w") as f:
            f.write(text)
    return text


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python experiments/rusci2018/rusci2018_report.py",
                                 description=__doc__.split("\n")[0])
    ap.add_argument("out_dir", help="run directory of experiments/rusci2018/rusci2018.yaml")
    ap.add_argument("--doc", default=DOC, help="where to write the markdown (default: README.md "
                                               "next to this file; '-' prints it)")
    ap.add_argument("--config", default=CONFIG)
    a = ap.parse_args(argv)
    text = report(a.out_dir, None if a.doc == "-" else a.doc, a.config)
    if a.doc == "-":
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
