"""Cold start of the RI5CY engine: the compile lock that makes processes starting cold together
compile once (the others wait and load numba's cache), and the check of numba's cache it relies on."""
import os
import subprocess
import sys
import textwrap
import time

import pytest

from isasim.cores.ri5cy import codegen as cg

fcntl = pytest.importorskip("fcntl")


def test_compile_lock_is_exclusive_between_processes(tmp_path):
    """A second process holding the lock makes this one wait until it lets go."""
    path = str(tmp_path / "engine.py")
    ready = tmp_path / "ready"
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import pathlib, time
        from isasim.cores.ri5cy.codegen import compile_lock
        with compile_lock({path!r}):
            pathlib.Path({str(ready)!r}).write_text("1")
            time.sleep(1.5)
        """)])
    try:
        t_end = time.time() + 60
        while not ready.exists():
            assert holder.poll() is None and time.time() < t_end, "lock holder did not start"
            time.sleep(0.02)
        t0 = time.perf_counter()
        with cg.compile_lock(path):
            waited = time.perf_counter() - t0
    finally:
        holder.wait()
    assert waited > 0.5, f"the lock did not wait for the other process ({waited:.2f} s)"
    t0 = time.perf_counter()
    with cg.compile_lock(path):            # free now: no wait
        pass
    assert time.perf_counter() - t0 < 0.5


def test_cached_follows_numbas_index(tmp_path):
    """_cached() is False before a cached function is compiled and True after, also in a fresh
    process (where nothing is compiled yet but the cache holds it)."""
    mod = tmp_path / "rvs_cached_probe.py"
    mod.write_text("from numba import njit\n\n\n@njit(cache=True)\ndef f(x):\n    return x + 1\n")
    code = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(tmp_path)!r})
        import rvs_cached_probe as m
        from isasim.cores.ri5cy.codegen import _cached
        print(int(_cached(m.f)))
        m.f(1)
        print(int(_cached(m.f)))
        """)
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_DISABLE_JIT"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         check=True).stdout.split()
    assert out == ["0", "1"]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         check=True).stdout.split()
    assert out == ["1", "1"]


def test_runtime_slot_offsets_match_the_layout():
    """runtime.invalidate writes op and fields of a slot at fixed offsets (its numba cache does not
    depend on layout.py): they must be the layout's."""
    from isasim.cores.ri5cy import layout
    assert layout.SLOT_SHIFT == 3 and layout.SLOT_WIDTH == 8
    assert layout.SLOT_NAMES.index("op") == 0 and layout.SLOT_NAMES.index("fields") == 1
