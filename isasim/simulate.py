"""``run_elf``: the one entry point that runs a program on a target (used by the CLI, the
experiment runner and the Python API ``isasim.run``, which calls it). It checks the options against the target
(isasim.targets), calls the target's platform (isasim.platforms.*: core + memory map + energy),
writes the output files safely and normalises the result. It sits above cores/ and platforms/:
nothing below it imports it.""" 
import os

from .errors import IsasimError


def run_elf(elf, target, max_instructions=None, trace=None, plugins=(), profile=False,
            timing=None, cores=None, operating_point=None, timeline=None, read_symbols=None,
            cost=None, hwloop_csr_base=None, memory=None, record=None, lanes=False):
    """Run ``elf`` on ``target``; return a result dict (exit_code, status, instructions, cycles,
    energy_uj, stalls by cause, ...). ``read_symbols`` {name: nbytes}: memory read back after the
    run into ``result["memory"]`` (bytes; used by golden-model checks).

    Options are checked against the target first (isasim.targets.validate_run_options): an option
    that does not apply is refused; ``max_instructions`` None means the documented default limit.
    ``cost`` {mnemonic: {knob: value}} overrides cost knobs of loaded plug-in instructions.
    ``hwloop_csr_base`` (ri5cy, gap8): CSR number or core revision name, see
    isasim.cores.ri5cy.core.hwloop_csr_base. ``memory`` (cm7): placement and cache keys, see
    isasim.cores.cm7.memory (placement keys are checked against the ELF). ``record`` (targets
    with a retimer): file written after the run that the target's retimer re-times for other
    timing/cost overrides. ``lanes``: add ``result["lanes"]``, the lane and precision profile of
    the SIMD multiplies.
    ``exit_code`` is the program's full exit code as a signed 32-bit integer; a run that fails
    raises instead of returning a result. Output files (trace, timeline) are written under a
    temporary name and renamed when the run ends; a trace of a failed run is kept, with a last
    line saying it is incomplete."""
    from . import targets
    opts = targets.validate_run_options(
        target, cores=cores, timeline=timeline, profile=profile, trace=trace,
        operating_point=operating_point, timing=timing, max_instructions=max_instructions,
        hwloop_csr_base=hwloop_csr_base, memory=memory, record=record, lanes=lanes)
    if cost and not plugins:
        raise IsasimError("cost overrides apply to plug-in instructions, and no --plugin is loaded")
    tr = _Output(trace, "trace") if trace else None
    tl = _Output(timeline, "timeline") if timeline else None
    kw = dict(max_instructions=opts["max_instructions"], trace=tr and tr.tmp, plugins=plugins,
              profile=profile, timing=timing, operating_point=opts["operating_point"],
              read_symbols=read_symbols, cost=cost)
    t = targets.get(target)
    if t.cores is not None:
        kw["cores"] = opts["cores"]
    if "timeline" in t.options:
        kw["timeline"] = tl and tl.tmp
    if "hwloop_csr_base" in t.options:
        kw["hwloop_csr_base"] = hwloop_csr_base
    if "memory" in t.options:
        kw["memory"] = opts["memory"]
    if record is not None:
        kw["record"] = record
    if lanes:
        kw["lanes"] = True
    try:
        res = t.runner_fn()(elf, **kw)
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


