"""Post-processing of the peluso2019 experiments and generation of their document (README.md here).

    isasim run experiments/peluso2019/peluso2019.yaml --out out/peluso2019
    python experiments/peluso2019/peluso2019_report.py out/peluso2019 [--intq out/peluso2019_intq]

From results.csv (one row per layer and weight precision) it derives the per-network figures
(cycles, energy, latency at the operating point, model size, peak RAM, whether the network fits the
target's memories, with the planner's one-line reason when not), writes ``per_layer.csv`` and
``networks.csv`` next to the results, draws the Pareto plot (model size vs latency, one curve per
network) and the per-layer cycle breakdown, and returns the R8.<network>.<n> comparison rows
(simulated values; the paper's are not public, so ``paper`` is NaN). Every number in the document
comes from the run or from the network planner (isasim/networks); nothing is typed by hand.
"""
import argparse
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
CONFIG = os.path.join(HERE, "peluso2019.yaml")
DOC = os.path.join(HERE, "README.md")

RUSCI = os.path.join(os.path.dirname(HERE), "rusci2018")
if RUSCI not in sys.path:
    sys.path.insert(0, RUSCI)

from isasim.networks import cm7, golden, spec, workload, zoo  # noqa: E402
from rusci2018_report import _table  # noqa: E402  (the markdown table helper of the Rusci report)


def load(out_dir):
    import pandas as pd
    return pd.read_csv(os.path.join(out_dir, "results.csv"))


def _mhz(df):
    ops = {json.loads(o)["freq_mhz"] for o in df["operating_point"]}
    if len(ops) != 1:
        raise ValueError(f"results mix operating points {sorted(ops)}")
    return ops.pop()


def per_layer(df):
    """One row per (network, layer, wbits) with the layer's op, MACs, weight bytes and kernel."""
    import pandas as pd
    rows = []
    for r in df.itertuples():
        if "/" not in r.layer:
            continue                    # a whole-network point (see whole())
        net_name, lname = r.layer.split("/", 1)
        net = spec.parse(zoo.get(net_name))
        l = spec.layer(net, lname)
        n = golden.layer_bits(l, int(r.wbits))
        k = cm7.layer_kernel(l, n, net_name)
        rows.append({"network": net_name, "layer": lname, "index": l["index"], "op": l["op"],
                     "wbits": int(r.wbits), "kernel": k["kernel"], "macs": int(l["macs"]),
                     "cycles": int(r.cycles), "instructions": int(r.instructions),
                     "energy_uj": float(r.energy_uj), "weight_bytes": k["weight_bytes"],
                     "scratch_bytes": k["scratch_bytes"],
                     "mac_per_cycle": l["macs"] / r.cycles if l["macs"] else np.nan,
                     "golden": r.golden,
                     # cycles at the corners of the stated parameter ranges (cycle_range: true)
                     "cycles_fast": getattr(r, "cycles_fast", np.nan),
                     "cycles_slow": getattr(r, "cycles_slow", np.nan)})
    return pd.DataFrame(rows).sort_values(["network", "wbits", "index"]).reset_index(drop=True)


def whole(df):
    """{(network, wbits): cycles} of the whole-network points (layer = a network name)."""
    d = df[~df["layer"].str.contains("/")]
    return {(r.layer, int(r.wbits)): int(r.cycles) for r in d.itertuples()}


def networks(pl, mhz, e2e=None):
    """One row per (network, wbits): totals, model size, peak RAM, fit verdict, and the cycles of
    the whole network in one program where that point ran (``e2e``: {(network, wbits): cycles})."""
    import pandas as pd
    e2e = e2e or {}
    rows = []
    for (name, n), d in pl.groupby(["network", "wbits"]):
        net = spec.parse(zoo.get(name))
        if len(d) != len(net["layers"]):
            continue                           # a partial network (config lists some layers only)
        errs = []
        place = workload.auto_placement(net, n, errors=errs)
        plan, _ = workload.network_plan(net, n, place, check=False)
        try:
            workload.network_plan(net, n, place)
            fits, reason = True, ""
        except spec.NetworkError:
            fits, reason = False, " / ".join(errs)          # activations: auto tried every region
        cyc = int(d["cycles"].sum())
        rows.append({"network": name, "wbits": n, "layers": len(d), "macs": int(d["macs"].sum()),
                     "cycles": cyc, "cycles_fast": d["cycles_fast"].sum(min_count=len(d)),
                     "cycles_slow": d["cycles_slow"].sum(min_count=len(d)), "latency_ms": cyc / (mhz * 1e3), "energy_uj": float(d["energy_uj"].sum()),
                     "mac_per_cycle": d["macs"].sum() / cyc, "model_bytes": plan["weight_bytes"],
                     "peak_activation_bytes": plan["peak_activation_bytes"],
                     "peak_scratch_bytes": plan["peak_scratch_bytes"],
                     "peak_ram_bytes": plan["peak_activation_bytes"] + plan["peak_scratch_bytes"],
                     "activations_in": plan["roles"]["activations"] if fits else "-",
                     "weights_in": plan["roles"]["weights"],
                     "fits": fits, "reason": reason, "bit_exact": bool((d["golden"] == "bit-exact").all()),
                     "program_cycles": e2e.get((name, n), np.nan),
                     "program_vs_layers": e2e[(name, n)] / cyc - 1 if (name, n) in e2e else np.nan})
    t = pd.DataFrame(rows)
    if len(t):
        base = t[t.wbits == 8].set_index("network")
        t["speedup_vs_int8"] = [base.loc[r.network, "cycles"] / r.cycles if r.network in base.index else np.nan
                                for r in t.itertuples()]
        for c in ("fast", "slow"):            # both networks at the same corner
            t[f"speedup_vs_int8_{c}"] = [base.loc[r.network, f"cycles_{c}"] / getattr(r, f"cycles_{c}")
                                         if r.network in base.index else np.nan
                                         for r in t.itertuples()]
        t["size_vs_int8"] = [r.model_bytes / base.loc[r.network, "model_bytes"] if r.network in base.index else np.nan
                             for r in t.itertuples()]
    return t


def pareto_plot(nt, out_dir):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7.5, 5))
    for name, d in nt.groupby("network"):
        d = d.sort_values("wbits")
        line, = ax.plot(d["model_bytes"] / 1024, d["latency_ms"], marker="o", label=name)
        for r in d.itertuples():
            ax.annotate(f"{r.wbits}" + ("" if r.fits else "*"), (r.model_bytes / 1024, r.latency_ms),
                        textcoords="offset points", xytext=(3, 3), fontsize=7, color=line.get_color())
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("model size (KiB, weights + biases as stored)")
    ax.set_ylabel("latency (ms) at the operating point")
    ax.set_title("Virtual Quantization on the Cortex-M7: memory vs latency\n"
                 "(labels: weight bits n; * = does not fit the target's SRAM)", fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    return _save(fig, out_dir, "pareto_memory_latency", 130)


def layer_plot(pl, out_dir):
    """Per-layer cycles stacked per n, one panel per network."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    nets = list(dict.fromkeys(pl["network"]))
    fig, axes = plt.subplots(1, len(nets), figsize=(4.2 * len(nets), 4.5), squeeze=False)
    for ax, name in zip(axes[0], nets):
        d = pl[pl.network == name]
        piv = d.pivot_table(index="wbits", columns="index", values="cycles", aggfunc="sum").sort_index()
        names = d.drop_duplicates("index").set_index("index")["layer"]
        bottom = np.zeros(len(piv))
        cmap = plt.get_cmap("tab20")
        for j, col in enumerate(piv.columns):
            v = piv[col].to_numpy(float) / 1e6
            ax.bar(piv.index.astype(str), v, bottom=bottom, color=cmap(j % 20),
                   label=names[col] if len(piv.columns) <= 12 else None)
            bottom += v
        ax.set_title(name + ("" if len(piv.columns) <= 12 else f" ({len(piv.columns)} layers, see per_layer.csv)"),
                     fontsize=9)
        ax.set_xlabel("weight bits n")
        ax.set_ylabel("Mcycles (stacked by layer)")
        if len(piv.columns) <= 12:
            ax.legend(fontsize=6, ncol=2)
    return _save(fig, out_dir, "per_layer_cycles", 120)


def _save(fig, out_dir, name, dpi):
    """PNG and PDF of a figure in out_dir; returns the PNG path."""
    import matplotlib.pyplot as plt
    fig.tight_layout()
    path = os.path.join(out_dir, name + ".png")
    fig.savefig(path, dpi=dpi)
    fig.savefig(path[:-4] + ".pdf")
    plt.close(fig)
    return path


def comparison_rows(nt):
    rows = []
    for r in nt.itertuples():
        rows.append({"id": f"R8.{r.network}.{r.wbits}",
                     "quantity": f"latency of {r.network} with {r.wbits}-bit weights (ms, simulated)",
                     "paper": float("nan"), "simulated": r.latency_ms, "unit": "ms",
                     "note": "The paper's per-network figures are not public (papers.md §3.3, R8 [NF]); "
                             "simulated value only." + ("" if r.fits else " Network does not fit: " + r.reason)})
    return rows


def postprocess(df, comp, cfg, out_dir):
    """Experiment hook (``postprocess:`` in peluso2019*.yaml)."""
    mhz = _mhz(df)
    pl = per_layer(df)
    nt = networks(pl, mhz, whole(df))
    pl.to_csv(os.path.join(out_dir, "per_layer.csv"), index=False)
    nt.to_csv(os.path.join(out_dir, "networks.csv"), index=False)
    figs = [os.path.join(out_dir, "per_layer.csv"), os.path.join(out_dir, "networks.csv")]
    if len(nt):
        figs.append(pareto_plot(nt, out_dir))
    figs.append(layer_plot(pl, out_dir))
    md = ["## Networks (peluso2019_report.py)", "", _table(
        ["network", "n", "cycles", "latency ms", "energy uJ", "MAC/cycle", "model B", "peak RAM B", "fits"],
        [(r.network, r.wbits, r.cycles, r.latency_ms, r.energy_uj, r.mac_per_cycle, r.model_bytes,
          r.peak_ram_bytes, "yes" if r.fits else "no") for r in nt.itertuples()]), ""]
    return {"figures": figs, "markdown": "\n".join(md), "comparison": comparison_rows(nt)}


def intq_table(pl, intq_dir):
    """Per layer: cycles of the native INT-Q kernels (peluso2019_intq.yaml run) next to the VQ
    kernel of the same weight precision and the two 8-bit kernels."""
    import pandas as pd
    sys.path.insert(0, HERE)
    import peluso2019_intq as intq
    d = pd.read_csv(os.path.join(intq_dir, "results.csv"))
    if not (d["golden"] == "bit-exact").all():
        raise ValueError(f"{intq_dir}: every point must be bit-exact")
    vqc = pl.set_index(["network", "layer", "wbits"])["cycles"]
    rows = []
    for lname in dict.fromkeys(d["layer"]):
        net, ln = lname.split("/", 1)
        l = spec.layer(spec.parse(zoo.get(net)), ln)
        s = intq.shape_of(l)
        r = [lname, l["macs"]]
        for kern, n in (("int4_c", 4), ("int2_c", 2), ("bin_c", 1), ("q7_c", 8)):
            c = d[(d.layer == lname) & (d.variant == kern)]["cycles"]
            cp = -(-s["ci"] // intq.rusci.KERNELS[kern]["cgran"]) * intq.rusci.KERNELS[kern]["cgran"]
            wb = s["co"] * s["k"] * s["k"] * cp * intq.rusci.KERNELS[kern]["bits"] // 8
            r += [int(c.iloc[0]) if len(c) else np.nan, vqc.get((net, ln, n), np.nan), wb]
        rows.append(r)
    return rows


def report(out_dir, doc=None, config=CONFIG, wall=None, intq_dir=None):
    """The markdown document from a run directory (written to ``doc`` if given, with the two plots
    copied into figures/ next to it); ``intq_dir``: a run of peluso2019_intq.yaml for the native
    sub-byte comparison."""
    import pandas as pd
    from isasim.experiments import config as C
    cfg = C.load(config)
    df = load(out_dir)
    mhz = _mhz(df)
    pl = per_layer(df)
    nt = networks(pl, mhz, whole(df))
    comp = pd.read_csv(os.path.join(out_dir, "comparison.csv"))
    if not (df["golden"] == "bit-exact").all():
        raise ValueError("every point must be bit-exact")
    L = ["# Reproduction: Peluso et al. 2019, Virtual Quantization on a Cortex-M7\n",
         "<!-- GENERATED by `python experiments/peluso2019/peluso2019_report.py OUT_DIR` from the results of "
         f"`isasim run experiments/peluso2019/{os.path.basename(config)}`; do not edit by hand. -->\n",
         "Paper: A. Peluso, M. Grimaldi, A. Calimera, \"Arbitrary-Precision Convolutional Neural Networks on "
         "Low-Power IoT Processors\", IFIP/IEEE VLSI-SoC 2019 (papers.md §3). Only the abstract is available: "
         "VQ lets n-ary CNNs run on general-purpose ISAs (ARM Cortex-M) without custom components or special "
         "memory allocation, tested on image classification, keyword spotting and facial expression "
         "recognition. Its mechanism, networks, accuracy, memory and latency figures are not public "
         "(papers.md §3.3): everything below is isasim's reconstruction, and comparison.csv carries the "
         "simulated values only (rows R8.<network>.<n>, `paper` empty).\n",
         f"All {len(df)} simulated points ({df['layer'].nunique()} layers x {df['wbits'].nunique()} weight "
         "precisions) are bit-exact against the numpy golden model of the whole network "
         "(isasim/networks/golden.py): every layer ran on the golden model's input tensor and produced the "
         "golden model's output tensor, so each network is bit-exact end to end at every n.\n",
         "## Setup\n", cfg.get("description", "").strip() + "\n",
         f"Latency = cycles / {mhz:g} MHz (the cm7 operating point of the results). Energy: "
         "isasim/energy/stm32h7.py, the DS12110 supply current of the operating point's row x voltage x "
         f"time ({df['energy_source'].iloc[0]}); the current depends on the operating point, code "
         "location and caches, not on the instructions, so within these runs energy ratios equal cycle "
         "ratios. Model size = the weights and "
         "biases exactly as stored (VQ bitstream rows padded to whole units, int8 biases). Peak RAM = the "
         "largest sum of live activation tensors at any layer plus the largest scratch buffer "
         "(isasim/networks/memory.py).\n"]
    if wall:
        L.append(f"Wall time of this run from an empty cache: {wall}.\n")
    L.append("## Memory / latency / energy per network and n\n")
    L.append(_table(["network", "n", "model B", "vs 8-bit size", "peak RAM B", "activations in", "fits",
                     "cycles", "latency ms", "energy uJ", "MAC/cycle", "speedup vs 8-bit"],
                    [(r.network, r.wbits, r.model_bytes, r.size_vs_int8, r.peak_ram_bytes, r.activations_in,
                      "yes" if r.fits else "no", r.cycles, r.latency_ms, r.energy_uj, r.mac_per_cycle, r.speedup_vs_int8)
                     for r in nt.itertuples()]))
    L.append("")
    nf = nt[~nt.fits]
    if len(nf):
        L.append("Networks that do not fit the target's memories (the planner's refusal for each memory "
                 "`activations: auto` tried, verbatim; their layers were simulated one at a time with "
                 "`fit: layer`, so the cycles are those of each layer alone, not of a deployable program):\n")
        for r in nf.itertuples():
            L.append(f"- {r.network}, n = {r.wbits}: `{r.reason}`")
        L.append("")
    L.append("Memory vs latency (one curve per network, labels = n; `pareto_memory_latency.png` of the run):\n")
    L.append("![Pareto: model size vs latency](figures/pareto_memory_latency.png)\n")
    L.append("Cycles per layer, stacked, per n (`per_layer_cycles.png`; values in per_layer.csv):\n")
    L.append("![Per-layer cycles](figures/per_layer_cycles.png)\n")
    L.append("Trade-off by n over the networks (ratios to the same network with the 8-bit CMSIS-NN "
             "kernels; energy ratio = cycle ratio: one supply current for every run):\n")
    rows = []
    for n, d in nt.groupby("wbits"):
        rows.append((n, f"{d.size_vs_int8.min():.3f} .. {d.size_vs_int8.max():.3f}",
                     f"{d.speedup_vs_int8.min():.3f} .. {d.speedup_vs_int8.max():.3f}",
                     f"{(1 / d.speedup_vs_int8).min():.3f} .. {(1 / d.speedup_vs_int8).max():.3f}"))
    L.append(_table(["n", "model size vs 8-bit", "speed vs 8-bit (cycles(8) / cycles(n))", "energy vs 8-bit"], rows))
    L.append("")
    L.append("n = 1, 2, 4 use the byte-lane layout (LSL/AND/SXTB16 unpacking, close to the 8-bit kernel's "
             "SXTB16); n = 3, 5, 6, 7 the dense bitstream (SBFX/PKHBT per pair, extra work for fields that "
             "straddle words), hence the zig-zag over n. Rows padded to whole units cost most in the first "
             "layers with 1 or 3 input channels (e.g. a 3x3 kernel on 1 channel is 9 weights per row, "
             "padded to 32 at n = 1).\n")
    e2e = nt.dropna(subset=["program_cycles"])
    if len(e2e):
        L.append("## End to end in one program\n")
        L.append("Points whose `layer` is a network name ran the whole network in one ELF (layer table, "
                 "activation arena with greedy offsets, final output checked against the golden model); "
                 "their cycles against the sum of the per-layer points:\n")
        L.append(_table(["network", "n", "one program cycles", "sum of layers", "difference %"],
                        [(r.network, r.wbits, int(r.program_cycles), r.cycles, 100 * r.program_vs_layers)
                         for r in e2e.itertuples()]))
        L.append("")
        worst = e2e.loc[e2e["program_vs_layers"].abs().idxmax()]
        w = df[(df["layer"] == worst.network) & (df["wbits"] == worst.wbits)].iloc[0]
        lay = df[df["layer"].str.startswith(worst.network + "/") & (df["wbits"] == worst.wbits)]

        def delta(col):
            return (w.get(col, 0) or 0) - lay[col].fillna(0).sum() if col in df.columns else 0
        L.append(f"The kernels are the same; the one program executes "
                 f"{int(w['instructions'] - lay['instructions'].sum()):,} more instructions at "
                 f"{worst.network} n = {int(worst.wbits)} (the layer-table control) and differs in "
                 "the memory system: the caches stay warm from layer to layer, and the tensors sit at "
                 "other addresses (activation arena offsets), which changes cache sets and DTCM bank "
                 f"pairings. The largest difference, {100 * worst.program_vs_layers:+.2f} % "
                 f"({int(worst.program_cycles - worst.cycles):+,} cycles at {worst.network} n = "
                 f"{int(worst.wbits)}), has {int(delta('stall_bank_conflict')):+,} cycles of DTCM "
                 f"bank-conflict stalls and {int(delta('stall_dcache_miss')):+,} of D-cache misses.\n")
        L.append("")

    rng = nt.dropna(subset=["cycles_fast", "cycles_slow"])
    if len(rng):
        from isasim.report.provenance import ranges
        L.append("## Cycle range\n")
        L.append("Network cycles with every Cortex-M7 parameter that has a stated range ("
                 + ", ".join(f"`{k}` {a} .. {b}" for k, (a, b) in ranges("cm7").items())
                 + "; fast .. slow end) at its fast / slow end, summed over the layers (each layer "
                 "re-timed from its recording, config `cycle_range: true`), and the speed vs 8-bit "
                 "with both networks at the same corner:\n")
        L.append(_table(["network", "n", "cycles", "fast", "slow", "range % of cycles",
                         "vs 8-bit", "fast", "slow"],
                        [(r.network, r.wbits, r.cycles, int(r.cycles_fast), int(r.cycles_slow),
                          100 * (r.cycles_slow - r.cycles_fast) / r.cycles, r.speedup_vs_int8,
                          r.speedup_vs_int8_fast, r.speedup_vs_int8_slow)
                         for r in rng.itertuples()]))
        L.append("")
    L.append("## Per-layer MAC/cycle\n")
    piv = pl[pl.macs > 0].pivot_table(index=["network", "index", "layer", "op"], columns="wbits",
                                      values="mac_per_cycle")
    L.append(_table(["network", "layer", "op"] + [f"n={c}" for c in piv.columns],
                    [(k[0], k[2], k[3]) + tuple(v) for k, v in zip(piv.index, piv.to_numpy())]))
    L.append("")
    L.append("Pooling layers have no MACs (their cycles are in per_layer.csv and the per-layer plot).\n")
    if intq_dir:
        rows = intq_table(pl, intq_dir)
        L.append("## Native sub-byte kernels (INT-Q) where they exist\n")
        L.append("Run of `experiments/peluso2019/peluso2019_intq.yaml`: the conv / pointwise layers the INT-Q "
                 "kernels can run (square kernel, symmetric padding, even pixel count), whole layers, with the "
                 "compiled INT-Q kernels (kernels_asm/cm7/nn/nn_conv_intq.c; Q-bit activations *and* weights, "
                 "threshold-tree outputs, input channels padded to 8/16/32) and the 8-bit CMSIS-NN kernel on "
                 "the Rusci data layout (q7_c), next to the VQ kernel of the same weight precision from this run "
                 "(8-bit activations, requantised outputs). Cycles per layer; weight bytes as stored (INT-Q "
                 "packed rows, without thresholds):\n")
        L.append(_table(["layer", "MACs", "INT4 cycles", "VQ n=4 cycles", "INT4 weight B", "INT2 cycles",
                         "VQ n=2 cycles", "INT2 weight B", "BIN cycles", "VQ n=1 cycles", "BIN weight B",
                         "q7 (Rusci layout) cycles", "VQ n=8 (CMSIS-NN) cycles", "q7 weight B"], rows))
        L.append("")
        L.append("INT-Q also shrinks the activations (Q bits) and replaces requantisation by thresholds, so it is "
                 "a different network than the VQ one (8-bit activations on the 8-bit datapath); channel padding "
                 "to the INT-Q granularity inflates the first layers (1 or 3 input channels).\n")
    L.append("## VQ design choices (not public in the paper; isasim's, see isasim/qnn/vq.py)\n")
    L.append("\n".join([
        "- **Value grid.** n-bit two's-complement codes q (n >= 2) stand for the 8-bit value q * 2^(8-n) "
        "(MSB-aligned): an n-bit network is an 8-bit network whose weights take 2^n values, so the 8-bit "
        "requantisation, biases and shifts are unchanged and the accumulator range is the same for every n. "
        "n = 1 is the symmetric binary weight {-64, +64} (2b - 1 scaled), because the two's-complement "
        "1-bit code {-1, 0} is not a binary network. n = 8 is int8 itself.",
        "- **Storage.** Each output channel's weights are its n-bit codes in the kernel's im2col element order, "
        "padded to a whole number of 32/gcd(n, 32)-code units (n words), in an ordinary uint32 array: no special "
        "memory allocation, rows start on words, n bits per weight. n = 3, 5, 6, 7: a dense little-endian "
        "bitstream (codes cross word boundaries); n = 1, 2, 4: byte lanes (8/n codes per byte, ordered so that "
        "one mask leaves a code at the top of every byte). Depthwise weights: one dense bitstream per layer.",
        "- **Expansion.** In the inner loop, with CMSIS-NN's 2 output channels x 2 pixels blocking and the q15 "
        "im2col column: dense n extracts each code with SBFX (LSR + ORR(LSL) + SBFX when it straddles two words) "
        "and packs two into one register's 16-bit lanes (PKHBT), ~3 instructions per 2 weights, then scales the "
        "dot product by 2^(8-n); byte-lane n needs LSL + AND + SXTB16 / SXTB16 ROR #8 per 4 weights, already on "
        "the 8-bit grid (the 8-bit kernel needs 2 SXTB16 per 4 weights), n = 1 corrects with the column sum. "
        "This is why n = 1, 2, 4 run near the 8-bit speed and the dense n are slower.",
        "- **Per-layer n.** The network's n applies to every conv-like layer; a layer may set its own "
        "`wbits` (spec field), e.g. an 8-bit first layer (not used in these runs).",
        "- **Depthwise weights** (9 per channel, reused at every pixel) are expanded once per layer into an "
        "int8 scratch buffer and the 8-bit depthwise kernel runs on them; their scratch is counted in peak RAM.",
    ]))
    L.append("")
    L.append("## Assumptions and deviations\n")
    L.append("\n".join([
        "- **Networks.** cifar10 and dscnn follow their public sources (isasim/networks/zoo.py); fer is our own "
        "small CNN (no small published Fer2013 network with checked shapes was available); mobilenet_v1_025 "
        "follows the MobileNet paper's Table 1 with width 0.25 at 160x160 (FC to 1000 classes). Softmax is "
        "not simulated.",
        "- **No data set.** Weights and inputs are random (seeded), shifts data-driven; accuracy is out of scope. "
        "Cycles depend on the shapes, not on the values (except data-dependent branches of pooling/ReLU).",
        "- **Kernels.** Compiled C (clang -O3) with the CMSIS-NN legacy q7 structure; the depthwise kernel "
        "processes 4 channels per step with SMLABB/SMLATT (3x3 interior pixels with the taps unrolled); max "
        "pooling compares 4 channels per word (SSUB8/SEL), average pooling sums 4 channels per word load. First layers with 1 or 3 input "
        "channels use the natural-order (_basic) im2col instead of channel padding.",
        "- **Memory.** Placement by role section at the operating point (docs/cm7.md \"Placement\"): code "
        "and weights in flash (2 wait states, through the I- and D-cache), activations in DTCM, else AXI "
        "SRAM when they do not fit, scratch in DTCM. The planner reads the regions from the target's "
        "linker script; the memory stall causes (cache misses, uncached accesses) are in results.csv.",
        "- **INT-Q native kernels.** They run per layer (peluso2019_intq.yaml, table above when that run is "
        "given), not as whole networks: INT-Q has no depthwise, pooling or fully connected kernels and needs "
        "sub-byte activations end to end, so no zoo network runs on INT-Q kernels alone.",
    ]))
    L.append("")
    L.append("## Paper vs simulation (comparison.csv)\n")
    L.append(f"{len(comp)} rows R8.<network>.<n> with the simulated latency in ms; the paper column is empty "
             "because the paper's figures are not public.\n")
    from isasim.report.provenance import markdown as provenance
    L.append(provenance(["cm7"]))
    L.append("## Regenerate\n")
    L.append(f"```sh\nisasim run experiments/peluso2019/{os.path.basename(config)} --out out/peluso2019\n"
             "isasim run experiments/peluso2019/peluso2019_intq.yaml --out out/peluso2019_intq\n"
             "python experiments/peluso2019/peluso2019_report.py out/peluso2019 --intq out/peluso2019_intq\n```\n")
    text = "\n".join(L) + "\n"
    if doc:
        import shutil
        fig_dir = os.path.join(os.path.dirname(os.path.abspath(doc)), "figures")
        os.makedirs(fig_dir, exist_ok=True)
        for name in ("pareto_memory_latency.png", "per_layer_cycles.png"):
            shutil.copyfile(os.path.join(out_dir, name), os.path.join(fig_dir, name))
        with open(doc, "w") as f:
            f.write(text)
    return text


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python experiments/peluso2019/peluso2019_report.py",
                                 description=__doc__.split("\n")[0])
    ap.add_argument("out_dir", help="run directory of experiments/peluso2019/peluso2019.yaml")
    ap.add_argument("--doc", default=DOC, help="where to write the markdown (default: README.md here; '-' prints)")
    ap.add_argument("--config", default=CONFIG)
    ap.add_argument("--wall", default=None, help="wall time of the cold-cache run, quoted in the document")
    ap.add_argument("--intq", default=None, help="run directory of peluso2019_intq.yaml (native INT-Q table)")
    a = ap.parse_args(argv)
    text = report(a.out_dir, None if a.doc == "-" else a.doc, a.config, a.wall, a.intq)
    if a.doc == "-":
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
