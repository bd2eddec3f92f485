"""Cores: execute a program and report what was executed (the timing and energy layers turn
that into cycles and joules). ``run_elf`` is the one entry point used by the CLI and experiments."""
import os

from ..errors import IsasimError


def run_elf(elf, target, max_instructions=None, trace=None, plugins=(), profile=False,
            timing=None, cores=None, operating_point=None, timeline=None, read_symbols=None,
            cost=None, hwloop_csr_base=None):
    """Run ``elf`` on ``target``; return a result dict (exit_code, status, instructions, cycles,
    energy_uj, stalls by cause, ...). ``read_symbols`` {name: nbytes}: memory read back after the
    run into ``result["memory"]`` (bytes; used by golden-model checks).

    Options are checked against the target first (isasim.targets.validate_run_options): an option
    that does not apply is refused; ``max_instructions`` None means the documented default limit.
    ``cost`` {mnemonic: {knob: value}} overrides cost knobs of loaded plug-in instructions.
    ``hwloop_csr_base`` (ri5cy, gap8): CSR number or core revision name, see
    isasim.cores.ri5cy.core.hwloop_csr_base.
    ``exit_code`` is the program's full exit code as a signed 32-bit integer; a run that fails
    raises instead of returning a result. Output files (trace, timeline) are written under a
    temporary name and renamed when the run ends; a trace of a failed run is kept, with a last
    line saying it is incomplete."""
    from .. import targets
    opts = targets.validate_run_options(
        target, cores=cores, timeline=timeline, profile=profile, trace=trace,
        operating_point=operating_point, timing=timing, max_instructions=max_instructions,
        hwloop_csr_base=hwloop_csr_base)
    if cost and not plugins:
        raise IsasimError("cost overrides apply to plug-in instructions, and no --plugin is loaded")
    tr = _Output(trace, "trace") if trace else None
    tl = _Output(timeline, "timeline") if timeline else None
    try:
        if target == "cm7":
            res = run_m7(elf, opts["max_instructions"], tr and tr.tmp, plugins, profile,
                         opts["operating_point"], read_symbols, timing=timing, cost=cost)
        elif target == "gap8":            # the cluster (event unit, TCDM banks) also for --cores 1
            from ..platforms.gap8 import run_cluster
            res = run_cluster(elf, cores=opts["cores"], max_instructions=opts["max_instructions"],
                              trace=tr and tr.tmp, plugins=plugins, profile=profile, timing=timing,
                              operating_point=opts["operating_point"], timeline=tl and tl.tmp,
                              read_symbols=read_symbols, hwloop_csr_base=hwloop_csr_base,
                              cost=cost)
        else:
            res = run_single(elf, target, opts["max_instructions"], tr and tr.tmp, plugins, profile,
                             timing, opts["operating_point"], read_symbols, hwloop_csr_base,
                             cost=cost)
    except BaseException as e:
        if tr:
            tr.abandon(e)
        if tl:
            tl.discard()
        raise
    if tr:
        res["trace"] = tr.commit()
    if tl:
        res["timeline"] = tl.commit()
    code = int(res["exit_code"]) & 0xFFFFFFFF
    res["exit_code"] = code - (1 << 32) if code & 0x80000000 else code
    res["status"] = "exit"
    return res


class _Output:
    """An output file written by a run: checked before the run, written under a temporary name in
    the same directory, renamed into place at the end."""

    def __init__(self, path, what):
        self.path, self.what = path, what
        d = os.path.dirname(os.path.abspath(path)) or "."
        if os.path.isdir(path):
            raise IsasimError(f"--{what} {path}: is a directory")
        if not os.path.isdir(d):
            raise IsasimError(f"--{what} {path}: directory {d} does not exist")
        if not os.access(d, os.W_OK) or (os.path.exists(path) and not os.access(path, os.W_OK)):
            raise IsasimError(f"--{what} {path}: not writable")
        self.tmp = os.path.join(d, f".{os.path.basename(path)}.{os.getpid()}.partial")

    def commit(self):
        if not os.path.exists(self.tmp):
            raise IsasimError(f"--{self.what} {self.path}: the run wrote no {self.what}")
        os.replace(self.tmp, self.path)
        return self.path

    def abandon(self, exc):
        """Keep what a failed run traced, marked as incomplete."""
        if not os.path.exists(self.tmp):
            return
        why = "interrupted" if isinstance(exc, KeyboardInterrupt) else " ".join(str(exc).split())
        try:
            with open(self.tmp, "a") as f:
                f.write(f"# isasim: INCOMPLETE: the run stopped before the program exited ({why})\n")
            os.replace(self.tmp, self.path)
        except OSError:
            pass

    def discard(self):
        if os.path.exists(self.tmp):
            os.remove(self.tmp)


def run_single(elf, target, max_instructions, trace, plugins, profile, timing, operating_point,
               read_symbols=None, hwloop_csr_base=None, cost=None):
    from .ri5cy.core import RI5CY
    from ..timing.ri5cy import RI5CYTiming
    from ..energy import gap8 as energy
    t = RI5CYTiming()
    if timing:
        t.override(**timing)
    core = RI5CY(elf, plugins=plugins, timing=t, hwloop_csr_base=hwloop_csr_base, cost=cost)
    code = core.run(max_instructions=max_instructions, trace=trace, profile=profile)
    cnt = core.counters()
    op = operating_point or energy.DEFAULT_OP
    if op not in energy.OPERATING_POINTS:
        raise IsasimError(f"unknown operating point '{op}' for {target} "
                          f"(allowed: {', '.join(energy.OPERATING_POINTS)})")
    e = energy.energy(cnt["cycles"], 0, cnt["tcdm_accesses"], cnt["l2_accesses"], op)
    e += sum(int(n) * float(core.table.instrs[i].cost.get("energy_pj", 0.0))
             for i, n in enumerate(core.OPCNT) if n) * 1e-6      # plug-in energy per execution
    res = {"target": target, "cores": 1, "exit_code": code, **cnt,
           "macs": core.macs(), "energy_uj": e,
           "energy_model": energy.describe(op), "timing": t.as_dict(),
           "op_counts": core.op_counts()}
    if profile:
        res["profile"] = core.profile()
    if read_symbols:
        res["memory"] = {k: core.read_symbol(k, n) for k, n in read_symbols.items()}
    return res


def run_m7(elf, max_instructions, trace, plugins, profile, operating_point, read_symbols=None,
           timing=None, cost=None):
    from .cm7 import run as run_cm7
    return run_cm7(elf, max_instructions=max_instructions, trace=trace, plugins=plugins,
                   timing=timing, operating_point=operating_point, profile=profile,
                   read_symbols=read_symbols, cost=cost)
