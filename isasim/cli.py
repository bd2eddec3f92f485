"""The ``isasim`` command line. Subcommands mirror the Python API:
build, exec, disasm, run, table, plot, plugins, cache. Errors are one line and a non-zero exit.

Exit status (README "Exit status"): 0 the program exited with code 0 (``run``: every point passed);
1 the program exited with a non-zero code (the full code is printed and is ``exit_code`` in
``--json``); 2 bad input (usage, files, configs, builds, plug-ins); 3 the simulation failed
(illegal instruction, bad memory access, instruction limit, plug-in fault); 4 a result differs
from its golden model (``run``); 70 internal error; 130 interrupted (SIGINT or SIGTERM).
A simulator failure therefore never looks like a program's exit code, and no program exit code
(256 included) becomes 0 unless it is 0.
"""
import argparse
import json
import os
import signal
import sys

from .version import __version__
from .errors import IsasimError

EXIT_PROGRAM_NONZERO = 1
EXIT_INTERNAL = 70
EXIT_INTERRUPTED = 130


def _kv(items, option="--timing", form="KEY=VALUE"):
    out = {}
    for it in items or ():
        if "=" not in it:
            raise IsasimError(f"{option} expects {form}, got '{it}'")
        k, v = it.split("=", 1)
        out[k.strip()] = v.strip()
    return out


def _memory(a):
    if not getattr(a, "memory", None):
        return None
    from .cores.cm7.memory import parse
    return parse(a.memory)


def cmd_build(a):
    from .toolchain.build import build_elf
    out = build_elf(a.target, a.sources, a.output, include_dirs=a.include, defines=a.define,
                    plugins=a.plugin, ld_script=a.ld_script, memory=_memory(a),
                    operating_point=a.operating_point)
    if not a.quiet:
        print(out)
    return 0


def _cost(items):
    """--cost MNEMONIC.KNOB=VALUE (repeatable) -> {mnemonic: {knob: number}}."""
    from .experiments.config import split_cost_key
    out = {}
    for k, v in _kv(items, "--cost", "MNEMONIC.KNOB=VALUE").items():
        mn, knob = split_cost_key("cost." + k)
        if mn is None:
            raise IsasimError(f"--cost expects MNEMONIC.KNOB=VALUE, got '{k}={v}'")
        try:
            val = int(v)
        except ValueError:
            try:
                val = float(v)
            except ValueError:
                raise IsasimError(f"--cost {k}: '{v}' is not a number") from None
        out.setdefault(mn, {})[knob] = val
    return out


def _guarded(a, fn):
    """Run ``fn``; with --json an error is an object too (a status and the error, never a number)."""
    try:
        return fn()
    except IsasimError as e:
        if a.json:
            print(json.dumps({"status": "error", "error": str(e), "exit_status": e.exit_code},
                             indent=None if a.compact else 2))
        raise


def cmd_exec(a):
    from .simulate import run_elf
    if not os.path.isfile(a.elf):
        raise IsasimError(f"{a.elf}: no such file")
    extra = {}
    if a.record:
        extra["record"] = a.record
    if a.lanes:
        extra["lanes"] = True
    cost = _cost(a.cost)
    if cost:
        extra["cost"] = cost
    res = _guarded(a, lambda: run_elf(
        a.elf, a.target, max_instructions=a.max_instructions, trace=a.trace,
        plugins=a.plugin, profile=a.profile, timing=_kv(a.timing), cores=a.cores,
        operating_point=a.operating_point, timeline=a.timeline,
        hwloop_csr_base=a.hwloop_csr_base or a.core_revision, memory=_memory(a), **extra))
    return _report(a, res)


def cmd_retime(a):
    from .retime import retime
    res = _guarded(a, lambda: retime(a.record, timing=_kv(a.timing), cost=_cost(a.cost),
                                     **({"profile": True} if a.profile else {})))
    return _report(a, res)


def _report(a, res):
    """Print a run's (or a re-timed run's) result: --json the whole dict, else one line."""
    if a.json:
        print(json.dumps(res, indent=None if a.compact else 2, default=str))
    else:
        if res.get("stdout"):
            sys.stdout.write(res["stdout"])
        e = res.get("energy_uj")
        energy = f"{e:.3f} uJ" if e is not None else \
            f"energy n/a ({(res.get('energy_model') or {}).get('reason', 'not covered')})"
        print(f"exit code {res['exit_code']}: {res['instructions']} instructions, "
              f"{res['cycles']} cycles, {energy}", file=sys.stderr)
    return 0 if res["exit_code"] == 0 else EXIT_PROGRAM_NONZERO


def cmd_disasm(a):
    from .disasm import disassemble
    for line in disassemble(a.elf, plugins=a.plugin):
        print(line)
    return 0


def cmd_run(a):
    from .experiments.runner import main as run_main
    return run_main(a)


def cmd_plugins(a):
    from .report.plugin_listing import list_instructions
    for line in list_instructions(a.plugin, isa=a.isa):
        print(line)
    return 0


def cmd_plugins_test(a):
    from .experiments.plugintest import main as test_main
    if a.samples < 1:
        raise IsasimError(f"--samples must be >= 1, got {a.samples}")
    return test_main(a)


def cmd_table(a):
    from .report.tables import main as table_main
    return table_main(a)


def cmd_plot(a):
    from .report.plots import main as plot_main
    return plot_main(a)


def cmd_show(a):
    from .experiments.show import main as show_main
    return show_main(a)


def cmd_cache(a):
    from . import cache
    return cache.main(a)


def parser():
    from .targets import NAMES
    p = argparse.ArgumentParser(prog="isasim", description="ISA-extension explorer for QNN kernels "
                                "on Cortex-M7 and RI5CY/GAP-8")
    p.add_argument("--version", action="version", version=f"isasim {__version__}")
    sub = p.add_subparsers(dest="cmd", required=True)

    b = sub.add_parser("build", help="assemble/compile and link sources into an ELF")
    b.add_argument("--target", required=True, choices=NAMES)
    b.add_argument("-I", dest="include", action="append", default=[], metavar="DIR")
    b.add_argument("-D", dest="define", action="append", default=[], metavar="NAME[=VAL]")
    b.add_argument("--plugin", action="append", default=[], metavar="FILE")
    b.add_argument("--ld-script", metavar="FILE")
    b.add_argument("--memory", metavar="KEY=VALUE,...",
                   help="cm7: placement of code/weights/activations/scratch/data/stack "
                        "(itcm, flash, dtcm, axisram, sram1-4); docs/cm7.md")
    b.add_argument("--operating-point", metavar="NAME",
                   help="cm7: build with the placement this operating point implies")
    b.add_argument("-o", dest="output", required=True, metavar="OUT.elf")
    b.add_argument("-q", "--quiet", action="store_true")
    b.add_argument("sources", nargs="+", metavar="SRC")
    b.set_defaults(fn=cmd_build)

    e = sub.add_parser("exec", help="run an ELF and report cycles/energy")
    e.add_argument("elf")
    e.add_argument("--target", required=True, choices=NAMES)
    e.add_argument("--json", action="store_true", help="print one JSON object")
    e.add_argument("--compact", action="store_true", help="JSON on one line")
    e.add_argument("--max-instructions", type=int, metavar="N",
                   help="stop with an error after N retired instructions (all cores); "
                        "default 1000000000")
    e.add_argument("--trace", metavar="FILE", help="write a commit log (one line per instruction)")
    e.add_argument("--timeline", metavar="FILE", help="gap8: Chrome/Perfetto timeline JSON")
    e.add_argument("--plugin", action="append", default=[], metavar="FILE")
    e.add_argument("--profile", action="store_true", help="per-symbol cycle profile")
    e.add_argument("--timing", action="append", metavar="KEY=VALUE",
                   help="override a timing-model parameter (see docs)")
    e.add_argument("--cores", type=int, help="gap8: number of cluster cores (1..16, default 8)")
    e.add_argument("--operating-point", metavar="NAME", help="energy operating point")
    e.add_argument("--memory", metavar="KEY=VALUE,...",
                   help="cm7: caches (icache=on|off, dcache=on|off, sizes, ways, replacement, "
                        "write_policy) and the placement the ELF must have; docs/cm7.md")
    hw = e.add_mutually_exclusive_group()
    hw.add_argument("--hwloop-csr-base", metavar="CSR", help="ri5cy/gap8: CSR number of lpstart0 "
                    "(default 0x7B0, GAP-8; docs/ri5cy.md)")
    hw.add_argument("--core-revision", choices=["ri5cy-2018", "ri5cy-2019", "cv32e40p-v1",
                                                "cv32e40p-v2"],
                    help="ri5cy/gap8: hardware-loop CSR base of that core (0x7B0/0x7C0/0x800/0xCC0)")
    e.add_argument("--cost", action="append", metavar="MNEMONIC.KNOB=VALUE",
                   help="override a plug-in instruction's cost knob (latency, occupancy, "
                        "resource, dual_issue, energy), e.g. qnn.sdot4.latency=4")
    e.add_argument("--record", metavar="FILE",
                   help="write a recording of the run that `isasim retime` re-times for other "
                        "--timing/--cost values without re-executing (targets with a re-timer)")
    e.add_argument("--lanes", action="store_true",
                   help="lane and precision profile of the SIMD multiplies (slower path, same "
                        "cycles; targets that support it)")
    e.set_defaults(fn=cmd_exec)

    rt = sub.add_parser("retime", help="re-time a recorded run for other timing/cost knobs",
                        description="Recompute the cycles, stalls, counters and energy of a run "
                                    "recorded with `isasim exec --record FILE` for other timing "
                                    "parameters and plug-in cost knobs, without executing the "
                                    "program again; the result equals a fresh `exec` with the "
                                    "same --timing/--cost (tested bit for bit). --timing and "
                                    "--cost are the full overrides of the new run, not changes "
                                    "relative to the recorded one. Options that change what "
                                    "executes or where (memory placement, cores, plug-in "
                                    "semantics, operating point) cannot be re-timed: re-run.")
    rt.add_argument("record", help="a recording written by `isasim exec --record`")
    rt.add_argument("--timing", action="append", metavar="KEY=VALUE",
                    help="a timing-model parameter of the recorded target (repeatable)")
    rt.add_argument("--cost", action="append", metavar="MNEMONIC.KNOB=VALUE",
                    help="a plug-in cost knob, e.g. qnn.sdot4.latency=4 (repeatable)")
    rt.add_argument("--profile", action="store_true", help="per-function profile (if recorded)")
    rt.add_argument("--json", action="store_true", help="print one JSON object")
    rt.add_argument("--compact", action="store_true", help="JSON on one line")
    rt.set_defaults(fn=cmd_retime)

    d = sub.add_parser("disasm", help="disassemble an ELF (capstone for Thumb-2, the tables for RV)")
    d.add_argument("elf")
    d.add_argument("--plugin", action="append", default=[], metavar="FILE")
    d.set_defaults(fn=cmd_disasm)

    r = sub.add_parser("run", help="run an experiment config (YAML)")
    r.add_argument("config")
    r.add_argument("--out", metavar="DIR")
    r.add_argument("--jobs", type=int, default=None)
    r.add_argument("--dask", metavar="ADDRESS")
    r.add_argument("--no-cache", action="store_true")
    r.add_argument("--profile", action="store_true",
                   help="add per-function cycles (cycles_fn_<function>) to results.csv")
    r.set_defaults(fn=cmd_run)

    t = sub.add_parser("table", help="print a results table")
    t.add_argument("results")
    t.add_argument("--format", choices=["md", "csv", "latex"], default="md")
    t.set_defaults(fn=cmd_table)

    pl = sub.add_parser("plot", help="plot results")
    pl.add_argument("results")
    pl.add_argument("--out", metavar="DIR")
    pl.add_argument("--x", metavar="COL", help="line plot: x axis column (with --y)")
    pl.add_argument("--y", metavar="COL", help="line plot: y axis column")
    pl.add_argument("--hue", metavar="COL", help="one line per value of this column")
    pl.add_argument("--facet", metavar="COL", help="one panel per value of this column")
    pl.add_argument("--kind", choices=["line", "scatter"], default="line")

    sh = sub.add_parser("show", help="the ELF, run options, trace and profile of one results row")
    sh.add_argument("results", help="a run directory or its results.csv")
    sh.add_argument("row", help="row number (0 = first data row) or col=value,... selecting one row")
    sh.add_argument("--trace", metavar="FILE", help="re-run the point and write its commit log")
    sh.add_argument("--profile", action="store_true", help="re-run the point with the profile")
    sh.add_argument("--json", action="store_true")
    sh.set_defaults(fn=cmd_show)
    pl.set_defaults(fn=cmd_plot)

    g = sub.add_parser("plugins", help="instruction plug-ins")
    gs = g.add_subparsers(dest="plugins_cmd", required=True)
    gl = gs.add_parser("list", help="list built-in and loaded instructions")
    gl.add_argument("--plugin", action="append", default=[], metavar="FILE")
    gl.add_argument("--isa", choices=["rv32", "thumb2", "all"], default="all")
    gl.set_defaults(fn=cmd_plugins)
    gt = gs.add_parser("test", help="execute each instruction of a plug-in on its core(s) over edge "
                                    "and random operands and compare with a reference")
    gt.add_argument("file", help="plug-in file (or built-in name)")
    gt.add_argument("--ref", metavar="MODULE:FUNCTION",
                    help="reference function(name, **operands) for every instruction (default: "
                         "the plug-in's REFERENCES dict, else each instruction's own sem)")
    gt.add_argument("--samples", type=int, default=200, metavar="N",
                    help="random operand samples per instruction, besides the edge values")
    gt.add_argument("--seed", type=int, default=0)
    gt.add_argument("--instr", action="append", metavar="MNEMONIC", help="only these instructions")
    gt.set_defaults(fn=cmd_plugins_test)

    c = sub.add_parser("cache", help="the cache of builds, engines and results")
    cs = c.add_subparsers(dest="cache_cmd", required=True)
    ci = cs.add_parser("info", help="where the cache is, what it holds, and check every entry")
    ci.set_defaults(fn=cmd_cache)
    cc = cs.add_parser("clear", help="remove cached builds, engines and results")
    cc.add_argument("what", nargs="?", choices=["all", "build", "engine", "results"], default="all")
    cc.set_defaults(fn=cmd_cache)
    return p


def _on_sigterm(signum, frame):
    raise KeyboardInterrupt


def main(argv=None):
    args = parser().parse_args(argv)
    old = None
    try:
        old = signal.signal(signal.SIGTERM, _on_sigterm)   # SIGTERM stops a run like Ctrl-C
    except ValueError:          # not the main thread (an embedding application): leave it alone
        pass
    try:
        return args.fn(args)
    except IsasimError as e:
        print(f"isasim: error: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("isasim: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:     # `isasim disasm x.elf | head`: the reader has gone, not an error
        try:
            sys.stdout = open(os.devnull, "w")
        except OSError:
            pass
        return 0
    except Exception as e:  # never a traceback from the CLI unless asked for
        if os.environ.get("ISASIM_DEBUG"):
            raise
        msg = " ".join(str(e).split())
        print(f"isasim: internal error: {type(e).__name__}: {msg} "
              f"(set ISASIM_DEBUG=1 for a traceback)", file=sys.stderr)
        return EXIT_INTERNAL
    finally:
        if old is not None:
            signal.signal(signal.SIGTERM, old)


if __name__ == "__main__":
    sys.exit(main())
