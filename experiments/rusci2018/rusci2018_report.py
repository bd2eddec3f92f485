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
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import rusci2018_workload as rusci  # noqa: E402
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
            for r in cfg.get("paper") or [] if r["id"].startswith("R1")]


def load(out_dir):
    import pandas as pd
    df = pd.read_csv(os.path.join(out_dir, "results.csv"))
    comp = pd.read_csv(os.path.join(out_dir, "comparison.csv"))
    return df, comp


def derive(df):
    """Add derived columns: energy_overhead_pct (E(row)/E(q7) - 1, the paper's R1 form),
    cycles_per_mac, issue cycles, tile fraction and full-layer extrapolations."""
    df = df.copy()
    q7 = df[df["variant"] == "q7"].set_index("layer")
    df["energy_overhead_pct"] = [100.0 * (r.energy_uj / q7.loc[r.layer, "energy_uj"] - 1.0)
                                 for r in df.itertuples()]
    df["cycles_per_mac"] = df["cycles"] / df["macs"]
    oh = {n: out_size(s["ih"], s["k"], s["stride"], s["pad"]) for n, s in rusci.LAYERS.items()}
    df["layer_rows"] = df["layer"].map(oh)
    df["tile_fraction"] = df["rows"] / df["layer_rows"]
    df["layer_cycles_est"] = df["cycles"] / df["tile_fraction"]
    df["layer_energy_uj_est"] = df["energy_uj"] / df["tile_fraction"]
    df["layer_macs"] = df["layer"].map({n: rusci.layer_macs(s) for n, s in rusci.LAYERS.items()})
    return df


def network_totals(df, layers=("conv1", "conv2", "conv3")):
    """CIFAR-10 conv layers: extrapolated full-layer cycles and energy summed per variant."""
    d = df[df["layer"].isin(layers)]
    g = d.groupby("variant")[["layer_cycles_est", "layer_energy_uj_est"]].sum()
    g = g.reindex([v for v in ORDER if v in g.index])
    base = g.loc["q7"]
    g["vs_int8_cycles"] = base["layer_cycles_est"] / g["layer_cycles_est"]
    g["energy_overhead_pct"] = 100.0 * (g["layer_energy_uj_est"] / base["layer_energy_uj_est"] - 1)
    sw = {"int4_sdot4": "int4_sw", "int4_unpk4": "int4_sw", "int2_sdot2": "int2_sw", "bin_xnorpc": "bin_sw"}
    g["speedup_vs_sw"] = [g.loc[sw[v], "layer_cycles_est"] / g.loc[v, "layer_cycles_est"] if v in sw else np.nan
                          for v in g.index]
    g["macs"] = d.groupby("variant")["layer_macs"].sum().reindex(g.index)
    return g


CANDIDATES = ("layer vs same-precision SW", "layer vs 8-bit CMSIS-NN",
              "kernel vs same-precision SW", "kernel vs 8-bit CMSIS-NN")


def r3_baseline_match(df, cfg, layer=PAPER_LAYER):
    """For Q=4/2/1 with QNN instructions: the simulated speedup for every candidate reading of
    the paper's R3 (whole layer or matmul kernel alone, against the same-precision software kernel
    or against 8-bit CMSIS-NN), the mean |log(simulated / paper)| of each (the smaller, the better
    the match) and whether a reading matches all three figures within 10 %."""
    d = df[df["layer"] == layer].set_index("variant")
    k = "cycles_phase_matmul"
    rows, err, within = [], {c: [] for c in CANDIDATES}, {c: True for c in CANDIDATES}
    for v, (sw, paper) in qnn_r3(cfg).items():
        vals = (d.loc[sw, "cycles"] / d.loc[v, "cycles"], d.loc["q7", "cycles"] / d.loc[v, "cycles"],
                d.loc[sw, k] / d.loc[v, k], d.loc["q7", k] / d.loc[v, k])
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
    r1 = ", ".join(f"{p:+.0f} % for {v}" for v, p in r1_paper(cfg))
    md = ["## Derived figures (rusci2018_report.py)", "",
          f"Energy overhead vs 8-bit CMSIS-NN on layer {PAPER_LAYER} (paper R1: {r1}):", "",
          _table(["variant", "energy overhead %", "cycles per MAC"],
                 [(v, _f(r["energy_overhead_pct"], 1), _f(r["cycles_per_mac"]))
                  for v, r in d[d["layer"] == PAPER_LAYER].set_index("variant").iterrows()]), "",
          "R3 speedups with the QNN instructions for each reading (layer or matmul kernel, against "
          "the same-precision software kernel or 8-bit CMSIS-NN):", "",
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
    d = df[df["layer"] == layer].set_index("variant").reindex(ORDER)
    stall = [c for c in d.columns if c.startswith("stall_") and d[c].fillna(0).sum() > 0]
    st = d[stall].fillna(0).to_numpy(float) / d["macs"].to_numpy(float)[:, None]
    issue = d["cycles_per_mac"].to_numpy(float) - st.sum(axis=1)
    files = cycle_breakdown(d.reset_index(), [], out_dir, per_col="macs",
                            labels=[rusci.KERNELS[v]["label"] for v in d.index],
                            title=f"Cortex-M7 cycles per MAC by stall cause, layer {layer} (tile)",
                            ylabel="cycles per MAC", name="cycles_per_mac_breakdown")
    return files[0], d, stall, st, issue

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
    net = network_totals(df)
    r3rows, score, best, within = r3_baseline_match(df, cfg)
    plot, dpl, stall, st, issue = cycles_per_mac_plot(df, out_dir)
    desc = cfg.get("description", "")
    assert (df["golden"] == "bit-exact").all(), "every point must be bit-exact"
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
    L.append(f"All {len(df)} simulated points ({df['variant'].nunique()} kernels x {df['layer'].nunique()} layers) are bit-exact "
             "against the numpy golden models (isasim/qnn/golden.py).\n")
    L.append("## Setup\n")
    L.append(desc.strip() + "\n")
    L.append("Energy model: isasim/energy/stm32h7.py (constant run-mode power per MHz, an ASSUMPTION, "
             "UNCONFIRMED datasheet figure); the plug-in instructions declare no extra energy. Energy is "
             "therefore proportional to cycles and all energy ratios below equal cycle ratios.\n")
    L.append("## Paper vs simulation (comparison.csv, layer l16)\n")
    L.append(_table(["id", "quantity", "paper", "simulated", "deviation %", "note"],
                    [(r.id, r.quantity, r.paper, r.simulated, r.deviation_pct, r.note)
                     for r in comp.itertuples()]))
    L.append("")
    d16 = df[df["layer"] == PAPER_LAYER].set_index("variant")
    L.append("R1 in the paper's form (energy overhead of the Q-bit software kernel over 8-bit CMSIS-NN, "
             "E(Q)/E(8) - 1), per layer:\n")
    rows = []
    for v, paper in r1_paper(cfg):
        rr = [v, paper] + [df[(df.variant == v) & (df.layer == l)]["energy_overhead_pct"].iloc[0]
                           for l in rusci.LAYERS] + [net.loc[v, "energy_overhead_pct"]]
        rows.append(rr)
    L.append(_table(["kernel", "paper %"] + [f"{l} %" for l in rusci.LAYERS] + ["CIFAR-10 conv1-3 %"], rows))
    L.append("")
    L.append("## Which baseline and granularity do the paper's R3 speedups use?\n")
    L.append("Four readings of \"could improve performance by as much as 7.5x / 13.6x / 6.5x\": the whole "
             "layer or the matmul kernel alone (the phase `matmul` of the per-function profile: "
             "mm_kernel's cycles; im2col, quantisation and control code excluded), against the "
             "same-precision software kernel or against 8-bit CMSIS-NN:\n")
    L.append(_table(["QNN kernel", "paper"] + list(CANDIDATES), [tuple(r) for r in r3rows]))
    L.append("")
    ok = [c for c in CANDIDATES if within[c]]
    L.append(f"Mean |ln(simulated/paper)| on {PAPER_LAYER}: "
             + ", ".join(f"{c} {score[c]:.3f}" for c in CANDIDATES)
             + f". The paper's figures are matched best by **{best}**"
             + (f"; {', '.join(ok)} match{'es' if len(ok) == 1 else ''} all three within 10 %."
                if ok else "; no reading matches all three within 10 %.")
             + " No cost constant was tuned: the plug-in costs are those of qnn_thumb2.py.\n")
    amd = d16[[c for c in d16.columns if c.startswith("amdahl_")]]
    if not amd.empty:
        L.append("Amdahl projection (the layer speedup if a phase cost nothing), layer l16:\n")
        L.append(_table(["kernel"] + [c.replace("amdahl_", "without ") for c in amd.columns],
                        [(rusci.KERNELS[v]["label"],) + tuple(amd.loc[v]) for v in ORDER if v in amd.index]))
        L.append("")
    L.append("## Per-kernel efficiency (layer l16 tile)\n")
    L.append(_table(["kernel", "cycles", "instructions", "MAC/cycle", "instr/MAC", "vs 8-bit (cycles)",
                     "speedup vs SW", "energy uJ"],
                    [(rusci.KERNELS[v]["label"], int(d16.loc[v, "cycles"]), int(d16.loc[v, "instructions"]),
                      d16.loc[v, "mac_per_cycle"], d16.loc[v, "instr_per_mac"], d16.loc[v, "vs_int8_cycles"],
                      d16.loc[v, "speedup_vs_sw"], d16.loc[v, "energy_uj"]) for v in ORDER]))
    L.append("")
    L.append("MAC = one real multiply-accumulate of the layer (binary: one XNOR-popcount bit); padded "
             "channels are not counted, so channel padding shows up as lost efficiency.\n")
    L.append("Cycles per MAC by stall cause (plot `cycles_per_mac_breakdown.png` in the run directory):\n")
    L.append(_table(["kernel", "cycles/MAC", "issue"] + [c.replace("stall_", "") for c in stall],
                    [[rusci.KERNELS[v]["label"], dpl.loc[v, "cycles_per_mac"], issue[i]] + list(st[i])
                     for i, v in enumerate(dpl.index)]))
    L.append("")
    comp_c = [(v, k["layout"]) for v, k in rusci.KERNELS.items() if k.get("layout") and v in d16.index]
    if comp_c:
        L.append("## Compiled C vs hand-written assembly\n")
        L.append("The `*_c` kernels are the same layers written in C with ACLE intrinsics in the source "
                 "structure of CMSIS-NN / INT-Q (kernels_asm/cm7/nn/, clang -O3 through the `// isasim: -O3` "
                 "build marker): im2col of two pixels, then one matmul call that loops over all output "
                 "channels and quantizes, as in arm_convolve_HWC_q7_fast. Cycles of the compiled kernel "
                 "relative to the assembly one (column `asm_vs_c` = cycles(C) / cycles(asm); > 1: the "
                 "assembly is faster):\n")
        rows = []
        for v, base in comp_c:
            rows.append([rusci.KERNELS[v]["label"], base] +
                        [df[(df.variant == base) & (df.layer == l)]["asm_vs_c"].iloc[0] for l in rusci.LAYERS])
        L.append(_table(["compiled kernel", "hand-written"] + list(rusci.LAYERS), rows))
        L.append("")
        L.append("The hand-written drivers call the assembly matmul once per 2 output channels (a call and "
                 "accumulator round trip through memory each time) while the compiled layer keeps the "
                 "channel loop inside the matmul like CMSIS-NN; the per-layer differences above mix that "
                 "structural difference with the code quality of the two hot loops (not separated here).\n")
    L.append("## All layers (simulated tile and full-layer extrapolation)\n")
    rows = []
    for l in rusci.LAYERS:
        for v in ORDER:
            r = df[(df.variant == v) & (df.layer == l)].iloc[0]
            rows.append((l, v, int(r["rows"]), int(r["layer_rows"]), int(r["cycles"]), r["layer_cycles_est"],
                         r["mac_per_cycle"], r["instr_per_mac"], r["vs_int8_cycles"], r["speedup_vs_sw"]))
    L.append(_table(["layer", "kernel", "rows sim.", "rows", "tile cycles", "layer cycles (est.)",
                     "MAC/cycle", "instr/MAC", "vs 8-bit", "vs SW"], rows))
    L.append("")
    L.append("CIFAR-10 example network, conv1-conv3 (sum of the extrapolated layers; pooling, FC and "
             "softmax not simulated):\n")
    L.append(_table(["kernel", "cycles (est.)", "energy uJ (est.)", "MAC/cycle", "vs 8-bit", "energy overhead %",
                     "vs SW"],
                    [(v, r.layer_cycles_est, r.layer_energy_uj_est, r.macs / r.layer_cycles_est, r.vs_int8_cycles,
                      r.energy_overhead_pct, r.speedup_vs_sw) for v, r in net.iterrows()]))
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
        "except through the branch-free/branching threshold code (C, clang -O2).",
        "- **Tiling.** Only 4 output rows per layer are simulated (plug-in instructions are trapped by the "
        "Unicorn-based model, ~30 us each), identical for all kernels; full-layer numbers are scaled by OH/rows.",
        "- **Memory.** Everything is in 0-wait-state TCM. A real STM32H7 with weights in flash or AXI SRAM "
        "(8-bit weights are 2-8x larger than packed sub-byte weights) would penalise the 8-bit kernel; this is "
        "one candidate reason why the simulated R1 overhead is higher and the R2 gain lower than the paper's.",
        "- **Energy.** Constant power x cycles (see above): the paper's energy figures, measured or modelled "
        "on a board, can differ from its latency figures; here they cannot.",
        "- **Kernels.** Hot loops are hand-written assembly with the INT-Q / CMSIS-NN structure (2x2 "
        "register blocking, in-loop SXTB16/ROR unpacking, software popcount, threshold trees); the paper used "
        "compiled C. im2col, output quantization and loops over pixels/channels are C (clang -O2), and the "
        "matmul is called once per 2 output channels (a call overhead CMSIS-NN does not have).",
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
