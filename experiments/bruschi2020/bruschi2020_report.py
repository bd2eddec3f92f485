"""Post-processing of experiments/bruschi2020/bruschi2020.yaml and generation of its page (README.md next to this file).

    isasim run experiments/bruschi2020/bruschi2020.yaml --out out/bruschi2020
    python experiments/bruschi2020/bruschi2020_report.py out/bruschi2020

``postprocess`` (the config's hook, run by ``isasim run``) adds what the runner's
``metric(baseline) / metric(row)`` columns cannot express: the R4 row of comparison.csv (number of
kernels present and bit-exact), the 3x9 MAC/cycle heatmaps (input precision x (weight, output)
precision) for 1 core, 8 cores and 8 cores with skewed buffers, the 8-core / 1-core scaling, and the
per-core stall breakdown of every 8-core run (``per_core_stalls.csv``: the cached ELF of each point is
run again to get the per-core counters, which results.csv does not keep; its totals must equal the
results row, or the hook fails). ``report`` writes the markdown page from a run directory; every
number in it comes from the run, the fixed text below explains the setup, assumptions and deviations.
"""
import argparse
import json
import os
import sys

import numpy as np

from isasim.energy.gap8 import DEFAULT_OP as GAP8_OP
import pandas as pd

P = (8, 4, 2)
COLS = [(w, o) for w in P for o in P]               # heatmap columns: (weight bits, output bits)
STALLS = ("load_use", "branch", "jump", "muldiv", "tcdm_contention", "barrier", "icache")
LAYOUTS = {0: "PULP-NN layout (private im2col buffers back to back)",
           1: "per-core im2col buffers one word apart"}


def kernel_id(r):
    return f"u{int(r['act_bits'])}_u{int(r['out_bits'])}_i{int(r['wgt_bits'])}"


def sw_rows(df, cores=None, shape=None, skew=None):
    """The XpulpV2 kernels at GAP-8's default operating point (the R6 point at 90 MHz and the
    Cortex-M7 baseline are not part of the 27-kernel grids)."""
    d = df[(df["isa"] == "xpulpv2") & (df["target"] == "gap8") & (df["operating_point"] == GAP8_OP)]
    if cores is not None:
        d = d[d["cores"] == cores]
    if shape is not None:
        d = d[d["shape"] == shape]
    if skew is not None:
        d = d[d["im2col_skew"] == skew]
    return d


def grid(df, value="mac_per_cycle"):
    """3x9 array: rows input precision 8/4/2, columns (weights, outputs) as COLS."""
    g = np.full((3, 9), np.nan)
    for _, r in df.iterrows():
        i = P.index(int(r["act_bits"]))
        j = COLS.index((int(r["wgt_bits"]), int(r["out_bits"])))
        if not np.isnan(g[i, j]):
            raise ValueError(f"two results for kernel {kernel_id(r)}")
        g[i, j] = r[value]
    return g


def kernels_bit_exact(df):
    """Distinct XpulpV2 precision triples whose every point (both layers, 1 and 8 cores) was
    checked bit-exactly."""
    d = df[df["isa"] == "xpulpv2"]
    ok = d.groupby(["act_bits", "wgt_bits", "out_bits"])["golden"].apply(lambda g: (g == "bit-exact").all())
    need = {(1, 0), (8, 0)}
    have = d.groupby(["act_bits", "wgt_bits", "out_bits"]).apply(
        lambda g: need <= set(zip(g["cores"], g["im2col_skew"])) and g["shape"].nunique() >= 2,
        include_groups=False)
    return int((ok & have).sum())


def heatmaps(df, out_dir, shape="l16"):
    """3x9 MAC/cycle heatmaps; returns the PNG paths."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    panels = [(f"1 core", sw_rows(df, 1, shape, 0)), (f"8 cores, {LAYOUTS[0]}", sw_rows(df, 8, shape, 0)),
              (f"8 cores, {LAYOUTS[1]}", sw_rows(df, 8, shape, 1))]
    files = []
    for name, (title, d) in zip(("mac_heatmap_1core", "mac_heatmap_8cores", "mac_heatmap_8cores_skew"), panels):
        if d.empty:
            continue
        g = grid(d)
        fig, ax = plt.subplots(figsize=(9.5, 3.2))
        im = ax.imshow(g, cmap="viridis", aspect="auto")
        ax.set_xticks(range(9), [f"i{w}\nu{o}" for w, o in COLS])
        ax.set_yticks(range(3), [f"u{b}" for b in P])
        ax.set_xlabel("weights (i) / outputs (u)")
        ax.set_ylabel("input activations")
        lo, hi = np.nanmin(g), np.nanmax(g)
        for i in range(3):
            for j in range(9):             # white text on the dark half of the colour map
                dark = hi == lo or (g[i, j] - lo) / (hi - lo) < 0.5
                ax.text(j, i, f"{g[i, j]:.2f}", ha="center", va="center",
                        color="white" if dark else "black", fontsize=9)
        ax.set_title(f"MAC/cycle of the 27 kernels, layer {shape}, {title}", fontsize=10)
        fig.colorbar(im, ax=ax, label="MAC/cycle")
        for ext in ("png", "pdf"):
            fig.savefig(os.path.join(out_dir, f"{name}.{ext}"), dpi=150, bbox_inches="tight")
        plt.close(fig)
        files.append(os.path.join(out_dir, f"{name}.png"))
    return files


def scaling(df):
    """8-core / 1-core cycle ratio per kernel, layer and layout."""
    rows = []
    one = sw_rows(df, 1, None, 0).set_index(["act_bits", "wgt_bits", "out_bits", "shape"])
    for _, r in sw_rows(df, 8).iterrows():
        b = one.loc[(r["act_bits"], r["wgt_bits"], r["out_bits"], r["shape"])]
        rows.append(dict(kernel=kernel_id(r), shape=r["shape"], im2col_skew=int(r["im2col_skew"]),
                         cycles_1c=int(b["cycles"]), cycles_8c=int(r["cycles"]),
                         speedup_8c=b["cycles"] / r["cycles"]))
    return pd.DataFrame(rows)


R6_BASE = "h7_q7_c"


def _op_name(x):
    """Operating-point name of a results row (gap8 writes the name, cm7 a JSON object)."""
    import json
    try:
        v = json.loads(x)
    except (TypeError, ValueError):
        return str(x)
    return v.get("name", str(x)) if isinstance(v, dict) else str(v)


def r6_section(df):
    """R6: the 8-bit layer on 8 GAP-8 cores (both operating points) against the compiled 8-bit
    CMSIS-NN-style kernel on the STM32H7 model, as cycle, wall-clock and energy ratios with the
    energy models' ranges."""
    if R6_BASE not in set(df["variant"]):
        return ["R6 is not in this run (no STM32H7 variant).\n"]
    df = df.copy()
    df["operating_point_name"] = [_op_name(x) for x in df["operating_point"]]
    h7 = df[df["variant"] == R6_BASE].iloc[0]
    d = df[(df["shape"] == h7["shape"]) & df["vs_stm32h7_cycles"].notna()
           & (df["variant"] != R6_BASE)]
    rows = [(h7["label"], h7["operating_point_name"], int(h7["cycles"]), h7["time_us"], h7["energy_uj"],
             f"{h7['energy_uj_min']:,.1f}-{h7['energy_uj_max']:,.1f}", "", "", "", "")]
    for _, r in d.iterrows():
        lo, hi = h7["energy_uj_min"] / r["energy_uj_max"], h7["energy_uj_max"] / r["energy_uj_min"]
        rows.append((r["label"], r["operating_point_name"], int(r["cycles"]), r["time_us"], r["energy_uj"],
                     f"{r['energy_uj_min']:,.1f}-{r['energy_uj_max']:,.1f}", r["vs_stm32h7_cycles"],
                     r["vs_stm32h7_time"], r["vs_stm32h7_energy"], f"{lo:.1f}-{hi:.1f}"))
    return [f"## R6: GAP-8 vs STM32H7 (layer {h7['shape']})\n",
            "The paper: \"21x to 25x faster than an STM32H7 with 15x to 21x better energy efficiency\"; "
            "its kernels, clocks and STM32 software are not published. Here the 8-bit layer on 8 GAP-8 "
            "cores (PULP-NN layout, and with the im2col buffers one word apart) against the compiled "
            "8-bit CMSIS-NN-style kernel of the Rusci reproduction (kernels_asm/cm7/nn/nn_conv_q7.c, "
            "clang -O3) on the Cortex-M7 model at the papers' group's STM32H7 set-up (400 MHz, VOS1, "
            "caches on, code and weights in flash), the same layer shape and MACs (its own random data "
            "and golden model). Ratios = STM32H7 / GAP-8: in cycles (clock-independent), in wall-clock "
            "time at the stated clocks, and in energy (efficiency); the energy range pairs the models' "
            "extremes (STM32H7 DS12110 typ..max current, GAP-8 model range):\n",
            table(["variant", "operating point", "cycles", "time us", "energy uJ", "energy range uJ",
                    "cycles ratio", "time ratio", "energy ratio", "energy ratio range"], rows), ""]


def per_core(df):
    """One row per (8-core point, core) with cycles, instructions and stall cycles by cause, from
    the results' per_core column. Fails if the per-core instructions do not add up to the row's."""
    import json
    from isasim.errors import IsasimError
    rows = []
    for _, r in df[(df["target"] == "gap8") & (df["cores"] == 8)].iterrows():
        cores = json.loads(r["per_core"])
        if sum(c["instructions"] for c in cores) != r["instructions"]:
            raise IsasimError(f"{r['variant']} {r['shape']}: per-core instructions do not add up to "
                              f"the row's {r['instructions']}")
        for i, c in enumerate(cores):
            row = dict(variant=r["variant"], kernel=kernel_id(r), isa=r["isa"], shape=r["shape"],
                       im2col_skew=int(r["im2col_skew"]), core=i, cycles=c["end_cycle"],
                       instructions=c["instructions"], active_cycles=c["active_cycles"])
            for k in STALLS:
                row[k] = c["stalls"].get(k, 0)
            rows.append(row)
    return pd.DataFrame(rows)


def main_shape(cfg):
    """The layer the paper rows use: the first value of the config's shape sweep."""
    return (cfg.get("sweep") or {}).get("shape", ["l16"])[0]


def kernel_count_row(df):
    n = kernels_bit_exact(df)
    return {"id": "R4", "quantity": "mixed-precision conv kernels present and bit-exact "
            "(both layers, 1 and 8 cores)", "paper": 27, "simulated": float(n), "unit": "kernels",
            "note": "Counted by bruschi2020_report.postprocess from results.csv."}


def postprocess(df, comp, cfg, out_dir):
    """Experiment hook: R4 row, heatmaps, scaling and per-core stall tables (files in out_dir)."""
    shape = main_shape(cfg)
    figs = heatmaps(df, out_dir, shape)
    sc = scaling(df)
    sc.to_csv(os.path.join(out_dir, "scaling.csv"), index=False)
    pc = per_core(df)
    pc.to_csv(os.path.join(out_dir, "per_core_stalls.csv"), index=False)
    md = ["## Derived figures (bruschi2020_report)", "",
          f"R4: {kernels_bit_exact(df)} of 27 kernels present and bit-exact on both layers, 1 and 8 cores.", "",
          f"MAC/cycle on layer {shape} (rows: input precision; columns: weights/outputs):", ""]
    for title, d in (("1 core", sw_rows(df, 1, shape, 0)), ("8 cores, " + LAYOUTS[0], sw_rows(df, 8, shape, 0)),
                     ("8 cores, " + LAYOUTS[1], sw_rows(df, 8, shape, 1))):
        if not d.empty:
            md += [f"{title}:", "", grid_table(grid(d)), ""]
    md += ["Per-core cycles and stalls of the 8-core runs: per_core_stalls.csv; 8-core / 1-core "
           "speed-ups: scaling.csv.", ""]
    return {"figures": figs, "markdown": "\n".join(md), "comparison": [kernel_count_row(df)]}


# ------------------------------------------------------------------------------------------------
def _f(v, nd=2):
    if isinstance(v, (float, np.floating)):
        return "" if np.isnan(v) else (f"{v:,.{nd}f}" if abs(v) < 1e4 else f"{v:,.0f}")
    if isinstance(v, (int, np.integer)):
        return f"{v:,}"
    return str(v)


def table(header, rows, nd=2):
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(_f(c, nd) for c in r) + " |" for r in rows]
    return "\n".join(out)


def grid_table(g):
    return table(["input \\ w, out"] + [f"i{w} u{o}" for w, o in COLS],
                 [[f"u{b}"] + list(g[i]) for i, b in enumerate(P)])


def load(out_dir):
    rd = lambda n: pd.read_csv(os.path.join(out_dir, n))  # noqa: E731
    return rd("results.csv"), rd("comparison.csv"), rd("per_core_stalls.csv"), rd("scaling.csv")


def inner_loop_counts(kernel_file):
    """Instructions in the inner hardware loop of pn_matmul2 of a generated kernel file (the lines
    between the ``lp.setup x0`` of pn_matmul2 and the instruction after its end label)."""
    lines = open(kernel_file).read().split("pn_matmul2:")[1].splitlines()
    start = next(i for i, l in enumerate(lines) if l.strip().startswith("lp.setup x0"))
    end = next(i for i, l in enumerate(lines) if l.startswith(".Lpn_matmul2_inner_end:"))
    body = [l.split("/*")[0].strip() for l in lines[start + 1:end + 2]]
    body = [l for l in body if l and not l.endswith(":") and not l.startswith("#")]
    kinds = {"loads": sum(l.startswith(("p.lw", "lw")) for l in body),
             "unpack": sum(l.startswith(("p.extract", "pv.pack")) for l in body),
             "sdot": sum(l.startswith("pv.sdot") for l in body)}
    kinds["total"] = len(body)
    return kinds


def _rows(d, keys):
    return [[r[k] for k in keys] for _, r in d.iterrows()]


def report(out_dir, doc=None, config="experiments/bruschi2020/bruschi2020.yaml", shape=None,
           wall=None):
    """Build the markdown page from a run directory; write it to ``doc`` (if given) and copy the
    heatmap PNGs into figures/ next to it."""
    import shutil
    from isasim.experiments import config as C
    import bruschi2020_kernels as KG
    import bruschi2020_workload as W
    df, comp, pc, sc = load(out_dir)
    cfg = C.load(config)
    shape = shape or main_shape(cfg)
    if not (df["golden"] == "bit-exact").all():
        raise ValueError("every point must be bit-exact")
    notes = {r["id"]: r.get("note", "") for r in cfg.get("paper") or []}
    L = ["# Reproduction: Bruschi et al. 2020, mixed-precision PULP-NN kernels on the GAP-8 cluster\n",
         "<!-- GENERATED by `python experiments/bruschi2020/bruschi2020_report.py OUT_DIR` "
         "from the results of `isasim run experiments/bruschi2020/bruschi2020.yaml`; "
         "do not edit by hand. -->\n",
         "Paper: N. Bruschi, A. Garofalo, F. Conti, G. Tagliavini, D. Rossi, \"Enabling mixed-precision "
         "quantized neural networks in extreme-edge devices\", ACM Computing Frontiers 2020 "
         "(arXiv:2007.07759). Only its abstract is available (papers.md §2.2): 27 convolution kernels, one "
         "per (input, weight, output) precision in {8, 4, 2}^3, RV32IMCXpulpV2, \"peak performance of "
         "16 MACs/cycle on 8 cores\" on GAP-8, 21-25x faster and 15-21x more energy efficient than an "
         "STM32H7. The kernels here follow the authors' public code (pulp-platform/pulp-nn `mixed/` at "
         "39048ae, papers.md §2.4); the 8-bit figures of PULP-NN (papers.md §4.2, 15.5 MAC/cycle, 63x over "
         "one RV32IMC core) and XpulpNN's sub-byte dot products (§5) are the other anchors.\n",
         f"All {len(df)} simulated points ({df['variant'].nunique()} variants x "
         f"{df['shape'].nunique()} layers) are bit-exact against the numpy golden model "
         "(isasim/qnn/quant.py).\n",
         "## Setup\n", cfg.get("description", "").strip() + "\n"]
    s = W.layer_shape(shape)
    _, _, numcol, _ = W.check_layer(s, 8, 8, 8, "xpulpv2")
    sizes = [("act_in (uint8 HWC)", s["ih"] * s["iw"] * s["ci"]), ("wgt (int8, CO rows of K*K*CI)", s["co"] * numcol),
             ("kappa, lambd (int32 per channel)", 8 * s["co"]), ("act_out (uint8 HWC)", s["ih"] * s["iw"] * s["co"]),
             (f"im2col (8 cores x 2 columns x {numcol} B)", W.IM2COL_CORES * 2 * numcol)]
    L += [f"TCDM use of the 8-bit {shape} layer (the largest): " + ", ".join(f"{n} {b:,} B" for n, b in sizes) +
          f"; total {sum(b for _, b in sizes):,} of the {W.TCDM_BYTES:,} B below the 16 core stacks "
          "(64 KB TCDM, 16 x 1 KB stacks at its top, isasim/toolchain/data/gap8.ld). Everything is in L1; "
          "no DMA, no L2 data traffic during the kernel. Code runs from L2 through the shared I-cache "
          "(docs/gap8.md: 4 KB, 16-byte lines, direct mapped, as GVSoC's GAP-8 configuration; 10-cycle "
          "refills one at a time, an assumption); the kernels fit in it, so only their first fetches "
          "miss (stall cause `icache`).\n"]
    L += ["## Paper vs simulation (comparison.csv)\n",
          table(["id", "quantity", "paper", "simulated", "unit", "deviation %"],
                _rows(comp, ["id", "quantity", "paper", "simulated", "unit", "deviation_pct"])), "",
          "Why the deviations above 10 % occur (the `note` of each row in the config):\n"]
    for _, r in comp.iterrows():
        if abs(r["deviation_pct"]) > 10:
            L.append(f"- **{r['id']}** ({r['deviation_pct']:+.1f} %): {notes.get(r['id'], r['note'])}")
    L.append("")
    L += r6_section(df)
    L.append(f"## The 27 kernels: MAC/cycle (R4, R5), layer {shape}\n")
    L.append(f"R4: **{kernels_bit_exact(df)} of 27** kernels present and bit-exact on both layers, on 1 and 8 "
             "cores (XpulpV2 variants; counted from results.csv). Heatmaps (rows: input precision, columns: "
             "weight / output precision):\n")
    stem = os.path.join(os.path.dirname(os.path.abspath(doc)), "figures") if doc else None
    for title, d, png in (("1 core", sw_rows(df, 1, shape, 0), "mac_heatmap_1core"),
                          ("8 cores, " + LAYOUTS[0], sw_rows(df, 8, shape, 0), "mac_heatmap_8cores"),
                          ("8 cores, " + LAYOUTS[1], sw_rows(df, 8, shape, 1), "mac_heatmap_8cores_skew")):
        if d.empty:
            continue
        L += [f"**{title}**\n", grid_table(grid(d)), ""]
        src = os.path.join(out_dir, png + ".png")
        if stem and os.path.isfile(src):
            os.makedirs(stem, exist_ok=True)
            shutil.copyfile(src, os.path.join(stem, png + ".png"))
            L.append(f"![{title}]({os.path.basename(stem)}/{png}.png)\n")
    best = {t: sw_rows(df, 8, shape, k).sort_values("mac_per_cycle").iloc[-1] for t, k in (("c8", 0), ("c8s", 1))}
    L.append(f"Peak on 8 cores: {best['c8']['mac_per_cycle']:.2f} MAC/cycle ({kernel_id(best['c8'])}) with "
             f"PULP-NN's layout, {best['c8s']['mac_per_cycle']:.2f} ({kernel_id(best['c8s'])}) with the skewed "
             "buffers. The sub-byte weight kernels are limited by the in-loop expansion of the weights "
             "(p.extract + pv.pack per 4 weights, every time a weight word is used for a pixel pair); the "
             "input precision changes only the im2col cost, the output precision only the requantisation "
             "and packing.\n")
    # static counts
    rows = []
    for wb in P:
        if not _has(df, f"u8_u8_i{wb}_c1", shape):
            continue
        kc = inner_loop_counts(KG.kernel_path(8, wb, 8))
        r = _run(df, f"u8_u8_i{wb}_c1", shape)
        macs = (32 // wb) * 4 * 2                 # columns x 4 channels x 2 pixels
        rows.append([f"u8 x i{wb}", 32 // wb, kc["loads"], kc["unpack"], kc["sdot"], kc["total"], macs,
                     macs / kc["total"], r["mac_per_cycle"], 1.0 / r["instr_per_mac"]])
    L += ["Inner loop of the generated MatMul (pn_matmul2) against the static count of papers.md §2.5 "
          "(14 / 72 / 140 instructions per iteration for 8 / 4 / 2-bit weights, derived from the C code) and "
          "the measured whole-layer figures on 1 core:\n",
          table(["kernel", "columns/iter", "loads", "extract+pack", "sdotusp", "instructions", "MACs",
                 "MAC/instr (loop)", "MAC/cycle (layer, 1 core)", "MAC/instr (layer)"], rows), "",
          "The loop has no stall (loads are scheduled at least one instruction before their use, hardware "
          "loops have no back-edge cost); the layer figure is lower by the im2col, the requantisation, the "
          "C control code and the calls.\n"]
    # scaling
    s16 = sc[sc["shape"] == shape]
    L += ["## Scaling from 1 to 8 cores\n",
          table(["kernel", "1 core cycles", "8 cores cycles", "speed-up", "8 cores skewed cycles", "speed-up (skewed)"],
                [[k, g0["cycles_1c"].iloc[0], g0["cycles_8c"].iloc[0], g0["speedup_8c"].iloc[0],
                  g1["cycles_8c"].iloc[0] if len(g1) else np.nan, g1["speedup_8c"].iloc[0] if len(g1) else np.nan]
                 for k, g in s16.groupby("kernel", sort=False)
                 for g0, g1 in [(g[g.im2col_skew == 0], g[g.im2col_skew == 1])]]), ""]
    L += bank_section(df, pc, shape)
    L += per_core_section(pc, shape)
    L += xpulpnn_section(df, shape)
    L += l11_section(df)
    L += assumptions(df)
    from isasim.report.provenance import markdown as provenance
    L.append(provenance(["gap8", "ri5cy", "cm7"]))
    L += ["## Regenerate\n",
          "```sh\nisasim run experiments/bruschi2020/bruschi2020.yaml --out out/bruschi2020\n"
          "python experiments/bruschi2020/bruschi2020_report.py out/bruschi2020\n"
          "python experiments/bruschi2020/bruschi2020_kernels.py   # only after changing the generator\n```\n"]
    if wall:
        L.append(f"Measured run time: {wall}\n")
    text = "\n".join(L) + "\n"
    if doc:
        with open(doc, "w") as f:
            f.write(text)
    return text


def _has(df, variant, shape):
    return ((df["variant"] == variant) & (df["shape"] == shape)).any()


def _run(df, variant, shape):
    return df[(df["variant"] == variant) & (df["shape"] == shape)].iloc[0]


def bank_section(df, pc, shape):
    import bruschi2020_workload as W
    s = W.layer_shape(shape)
    numcol = s["k"] * s["k"] * s["ci"]
    rowb, colstride = numcol, 2 * numcol            # 8-bit weights / 8-bit im2col, bytes
    a, b = _run(df, "u8_u8_i8_c8", shape), _run(df, "u8_u8_i8_c8s", shape)
    bank = lambda words: "b" if words % 16 == 0 else f"b+{words % 16}"  # noqa: E731
    share = lambda r: 100.0 * r["stall_tcdm_contention"] / (8 * r["cycles"])  # noqa: E731
    return ["## TCDM bank alignment: why the layout matters on 8 cores\n",
            f"The 16 TCDM banks are word-interleaved (bank = word address mod 16). In the 8-bit {shape} layer "
            f"a weight row is {rowb} B = {rowb // 4} words, so the four rows read in one MatMul iteration lie in "
            f"banks {', '.join(bank(r * rowb // 4) for r in range(4))} (mod 16), and every core "
            f"reads the same weight words. PULP-NN places the private im2col buffers back to back, "
            f"{colstride} B = {colstride // 4} words = {colstride // 4 / 16:g} x 16 words apart: every core's "
            "column starts in the same bank, and its two columns are as far apart as two weight rows. The cores "
            "start in step and, in this model, stay in a convoy: each core's loads of an iteration go to the "
            "same few banks as its neighbours'. Round-robin arbitration (docs/gap8.md) then serialises them.\n",
            f"Measured, u8 x i8 -> u8 on 8 cores: {int(a['cycles']):,} cycles, "
            f"{int(a['stall_tcdm_contention']):,} contention stall cycles summed over the cores "
            f"({share(a):.0f} % of all core-cycles) with PULP-NN's layout; {int(b['cycles']):,} cycles and "
            f"{int(b['stall_tcdm_contention']):,} ({share(b):.1f} %) when the buffers are one word apart "
            "(im2col_skew = 1, 32 bytes more TCDM). The kernels, instruction counts and the arbitration model "
            "are the same; only the placement differs. The I-cache's cold misses already stall the cores "
            "by slightly different amounts, which loosens the convoy; on silicon, effects the model does not "
            "have (start-up skew between the cores, the DMA) may break it further; whether PULP-NN's "
            "measured layer had it is not known. The skewed layout shows the kernels "
            "without it. Both layouts are reported and neither is "
            "tuned: a skew of one word was the first value tried (2, 4 and 9 words, tried while writing the "
            "kernels and not part of this run, gave 16.1-16.3 MAC/cycle as well).\n"]


def per_core_section(pc, shape):
    L = ["## Per-core cycles and stalls, 8-core runs\n",
         "Stall cycles by cause summed over the 8 cores, as a share of all core-cycles (8 x run cycles), for "
         f"every 8-core run on {shape} (all per-core numbers: per_core_stalls.csv in the run directory):\n"]
    rows = []
    for (v, sk), g in pc[pc["shape"] == shape].groupby(["variant", "im2col_skew"], sort=False):
        tot = 8 * g[g["core"] == 0]["cycles"].iloc[0]
        rows.append([v, int(g[g["core"] == 0]["cycles"].iloc[0])] +
                    [100.0 * g[k].sum() / tot for k in STALLS] +
                    [int(g["tcdm_contention"].min()), int(g["tcdm_contention"].max())])
    L += [table(["variant", "cycles"] + [f"{k} %" for k in STALLS] + ["contention min/core", "max/core"], rows, 1), ""]
    for v, sh in (("u8_u8_i8_c8", shape), ("u8_u8_i8_c8s", shape), ("u8_u8_i2_c8", shape), ("u8_u8_i8_c8", "l11")):
        g = pc[(pc["variant"] == v) & (pc["shape"] == sh)]
        if g.empty:
            continue
        L += [f"Per core, {v} on {sh}:\n",
              table(["core", "cycles", "instructions"] + list(STALLS), _rows(g, ["core", "cycles", "instructions"] + list(STALLS))), ""]
    L.append("`barrier` is the wait at the final barrier (load imbalance: on l11 the 11 rows are split into "
             "chunks of 3, 3, 3 and 2 rows for 4 pairs of cores, each core of a pair taking 5 or 6 pixels of "
             "every row); `branch`/`jump` come from the C control code and the calls; `load_use` is small "
             "because the generated loops schedule every load ahead of its use.\n")
    return L


def xpulpnn_section(df, shape):
    rows = []
    anchor = {(4, 1): 5.3, (2, 1): 8.9, (4, 8): 6.0, (2, 8): 8.0}
    for suf, cores, skew in (("c1", 1, 0), ("c8", 8, 0), ("c8s", 8, 1)):
        for b in (4, 2):
            for o in P:
                if not _has(df, f"xnn_u{b}_u{o}_i{b}_{suf}", shape):
                    continue
                sw, x = _run(df, f"u{b}_u{o}_i{b}_{suf}", shape), _run(df, f"xnn_u{b}_u{o}_i{b}_{suf}", shape)
                rows.append([f"u{b} x i{b} -> u{o}", cores, LAYOUTS[skew].split(" (")[0] if cores > 1 else "",
                             int(sw["cycles"]), int(x["cycles"]), sw["cycles"] / x["cycles"],
                             x["mac_per_cycle"], anchor.get((b, cores), np.nan)])
    return ["## Nibble and crumb dot products (XpulpNN-style plug-in) vs software unpacking\n",
            "Same layer, same C control; the XpulpNN variants keep activations and im2col packed (word copy) "
            "and issue pv.sdotusp.n (8 MACs) / pv.sdotusp.c (16 MACs) of the built-in qnn plug-in "
            "(isasim/plugins/builtin/qnn_rv32.py; binutils XpulpNN encodings, isa_timing.md §1.3; 1 cycle like "
            "pv.sdotusp.b, an assumption: XpulpNN's hardware cost is not published, §1.5). XpulpNN's own "
            "figures (DATE 2020 one core 5.3x / 8.9x, journal version 8 cores 6x / 8x, papers.md §5) are "
            "measured on its RTL against an 8-bit-SIMD baseline and are an external sanity anchor only: "
            "their kernels and layers are not these.\n",
            table(["kernel", "cores", "layout", "XpulpV2 cycles", "XpulpNN cycles", "speed-up",
                   "XpulpNN MAC/cycle", "XpulpNN paper"], rows), ""] + _xpulpnn_summary(rows)


def _xpulpnn_summary(rows):
    if not rows:
        return []
    one = [r for r in rows if r[1] == 1]
    eight = [r for r in rows if r[1] == 8]
    out = []
    if one:
        dev = [100.0 * (r[5] / r[7] - 1) for r in one]
        out.append(f"On one core the simulated gains deviate by {min(dev):+.0f} % to {max(dev):+.0f} % from "
                   "XpulpNN's figures. The MatMul loop shrinks by 72/14 (nibble) and 140/14 (crumb) instructions, but "
                   "im2col, requantisation and the control code are the same in both kernels and limit the "
                   "layer's gain (Amdahl).")
    if eight:
        out.append(f"On 8 cores the gains are {min(r[5] for r in eight):.2f}x to {max(r[5] for r in eight):.2f}x: "
                   "the packed and the unpacking kernels scale alike, so the cluster ratio stays close to the "
                   "one-core ratio; XpulpNN reports a larger gain on its cluster than on one core for 4 bits "
                   "(6x vs 5.3x), which these kernels (no fused MAC&load) do not reproduce.")
    return [" ".join(out) + "\n"] if out else []


def l11_section(df):
    if not _has(df, "u8_u8_i8_c8", "l11"):
        return []
    L = ["## Layer l11 (uneven split over 8 cores)\n",
         "11 output rows: pairs of cores share each row chunk (chunks of 3, 3, 3, 2 rows), the left core of "
         "a pair takes 5 pixels per row (odd: the last one goes through pn_matmul1), the right one 6.\n"]
    for title, d in (("1 core", sw_rows(df, 1, "l11", 0)), ("8 cores, " + LAYOUTS[0], sw_rows(df, 8, "l11", 0)),
                     ("8 cores, " + LAYOUTS[1], sw_rows(df, 8, "l11", 1))):
        if not d.empty:
            L += [f"**MAC/cycle, {title}**\n", grid_table(grid(d)), ""]
    sc = scaling(df)
    s11 = sc[sc["shape"] == "l11"]
    c8 = sw_rows(df, 8, "l11", 0)
    share = 100.0 * c8["stall_tcdm_contention"] / (8 * c8["cycles"])
    L.append(f"8-core speed-ups on l11: {s11['speedup_8c'].min():.2f}x to {s11['speedup_8c'].max():.2f}x. The "
             "busiest cores (right halves of the 3-row chunks) compute 18 of the 121 pixels, the cores of "
             "the last pair 10 and 12, so the final barrier absorbs the imbalance (per-core table above). "
             f"Bank contention stays at {share.min():.1f}-{share.max():.1f} % of the core-cycles even with "
             "PULP-NN's layout: the cores of a pair work on different row halves, with different padding, and "
             "probably never fall into the convoy of l16.\n")
    return L


def assumptions(df):
    return ["## Assumptions and deviations\n", "\n".join([
        "- **Instruction fetch.** The shared cluster I-cache is modelled with GVSoC's GAP-8 geometry (4 KB, "
        "16-byte lines, direct mapped; the gap_sdk docs say 16 KB, a conflict) and an assumed 10-cycle refill "
        "from L2, one refill at a time (docs/gap8.md). Each kernel fits, so the I-cache costs only cold misses "
        "(column `icache` above). PULP-NN attributes most of its 8-core overhead to I-cache conflicts "
        "(gap8_measured.md, secondary): a kernel whose code fits in the 4 KB has no conflict misses in this "
        "model (a larger code footprint would).",
        "- **Hot loops in assembly.** clang (RV32IMC) emits neither hardware loops nor post-increment "
        "loads; PULP GCC does. The im2col, zero padding and MatMul loops are generated assembly "
        "(experiments/bruschi2020/bruschi2020_kernels.py) with the instruction choice and 4x2 structure of "
        "PULP-NN's C code; the per-pixel control is C compiled by clang -O2, i.e. without hardware loops (a "
        "few % of the cycles).",
        "- **Kernel details that differ from PULP-NN.** The four weight rows are addressed with immediate "
        "offsets from one pointer (PULP-NN: four pointers), pixel 1 with an offset from pixel 0's pointer; "
        "the odd leftover pixel uses a 4x1 MatMul (PULP-NN: a 1x1 loop); the shift d is an immediate "
        "(PULP-NN: a run-time argument); output channels must be a multiple of 4 and an input pixel a whole "
        "number of 32-bit words (other shapes are refused with a one-line error); PULP-NN's channel "
        "leftover loops are not implemented. Weights rows and im2col columns must fit 12-bit offsets.",
        "- **Requantisation.** clip((k * phi + lambda) >> d, 0, 2^Q - 1) with int32 k, lambda per output "
        "channel and one d per layer, arithmetic shift, no separate rounding term (it can be folded into "
        "lambda), p.clipu; the golden model refuses layers whose k*phi + lambda would leave int32. k, "
        "lambda, d are derived from the accumulator statistics of random data (no trained network).",
        "- **Layers.** The paper's benchmark layer is not published (papers.md §2.3); l16 is PULP-NN's "
        "test layer, l11 our choice to exercise uneven row splits and odd pixels. MAC counts are the "
        "layer's real MACs.",
        "- **Memory layout.** All data in the TCDM; the im2col buffers back to back as in PULP-NN, and a "
        "second layout with one word between them (see the bank-alignment section). The first symbol of "
        "the TCDM is the im2col buffer, then input, weights, k, lambda, output, all word aligned.",
        "- **Baseline for R7b.** A straightforward C loop nest (kernels_asm/ri5cy/pulpnn/plain_conv.c), "
        "clang -O2 for RV32IMC, one RI5CY core with single-cycle memory (--target ri5cy). PULP-NN's 63x "
        "baseline is \"a sequential implementation on a single RISC-V core\" whose code is not published: a "
        "better-optimised scalar baseline would lower the simulated ratio.",
        "- **XpulpNN instructions.** 1-cycle nibble/crumb sdotusp (same timing class as pv.sdotusp.b); "
        "not a GAP-8 instruction; no fused MAC&load, no pv.qnt.",
        "- **Energy.** The GAP-8 energy model is used as it is (docs/gap8.md: derived from the ASAP 2018 "
        "efficiency figure, with its stated range); the STM32H7's from the DS12110 current of its "
        "operating point (docs/cm7.md). R6 compares them as they are.",
        "- **No cost constant is tuned** to a paper figure: every latency is the RI5CY / GAP-8 model's "
        "(docs/ri5cy.md, docs/gap8.md).",
    ]), ""]


def main(argv=None):
    ap = argparse.ArgumentParser(prog="bruschi2020_report.py", description=__doc__.split("\n")[0])
    ap.add_argument("out_dir", help="run directory of experiments/bruschi2020/bruschi2020.yaml")
    ap.add_argument("--doc", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "README.md"),
                    help="where to write the page (default: README.md next to this file; '-' prints it)")
    ap.add_argument("--config", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "bruschi2020.yaml"))
    ap.add_argument("--wall", default=None, help="measured run time to state in the page (text)")
    a = ap.parse_args(argv)
    text = report(a.out_dir, None if a.doc == "-" else a.doc, a.config, wall=a.wall)
    if a.doc == "-":
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    sys.exit(main())
