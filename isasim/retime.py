"""Re-timing a recorded run (issue 18 item 2; docs/explorer.md "Record once, re-time many").

``run_elf(..., record=PATH)`` writes a recording of a run on a target that has a re-timer
(``Target.retimer`` in isasim/targets.py); :func:`retime` recomputes the run's cycles, stalls,
counters and energy for other timing parameters and plug-in cost knobs without executing the
program again, equal to a fresh run with them. Knobs that change what executes or where (memory
placement, core count, plug-in semantics, ...) are refused by the target's re-timer with one line.
"""
import json
import os

from .errors import IsasimError


def check_record_path(path):
    """IsasimError if a recording cannot be written at ``path`` (checked before the run)."""
    d = os.path.dirname(os.path.abspath(path)) or "."
    if os.path.isdir(path):
        raise IsasimError(f"--record {path}: is a directory")
    if not os.path.isdir(d):
        raise IsasimError(f"--record {path}: directory {d} does not exist")
    if not os.access(d, os.W_OK):
        raise IsasimError(f"--record {path}: not writable")


def header(path):
    """The JSON header of a recording (``{"isasim_record": 1, "target": ..., ...}``); an
    IsasimError naming the file if it is not one."""
    import zipfile
    import numpy as np
    if not os.path.isfile(path):
        raise IsasimError(f"{path}: no such file")
    try:
        with np.load(path, allow_pickle=False) as z:
            h = json.loads(str(z["header"][0]))
    except (OSError, ValueError, KeyError, IndexError, zipfile.BadZipFile) as e:
        raise IsasimError(f"{path}: not an isasim recording ({type(e).__name__})") from None
    if not isinstance(h, dict) or h.get("isasim_record") != 1 or "target" not in h:
        raise IsasimError(f"{path}: not an isasim recording (no isasim_record header)")
    return h


def retime(path, timing=None, cost=None, **run):
    """The recorded run of ``path`` with ``timing`` / ``cost`` (full override dicts, as a run
    takes them) and otherwise the recording's run options; ``run`` may repeat those options (they
    must equal the recording's). Returns the run's result dict (without ``memory``/``stdout``)."""
    from . import targets
    h = header(path)
    t = targets.get(h["target"])
    targets.check_timing(h["target"], timing or {})      # bad input: exit 2, as for a run
    res = t.retimer_fn()(path, timing=timing or {}, cost=cost or {}, **run)
    code = int(res["exit_code"]) & 0xFFFFFFFF
    res["exit_code"] = code - (1 << 32) if code & 0x80000000 else code
    res.setdefault("status", "exit")
    res["target"] = h["target"]
    res["retimed_from"] = os.path.abspath(path)
    return res
