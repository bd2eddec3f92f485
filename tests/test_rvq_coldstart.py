"""Cold start, round 2: the GAP-8 window loop takes the engine as a first-class function argument,
so it compiles without the engine (a cold start compiles it in the helper process, in parallel with
the engine), and it is called with the engine's compiled run() through codegen.engine_pointer."""
import os
import subprocess
import sys
import textwrap

import pytest


def test_window_loop_compiles_without_the_engine(tmp_path):
    """In a fresh process and an empty cache, loop_module() compiles run_windows for
    loop_signature() without generating or compiling any RI5CY engine; a second process loads it
    from the cache under $ISASIM_CACHE_DIR."""
    cache = tmp_path / "cache"
    code = textwrap.dedent("""
        import os
        from isasim.platforms import gap8
        from isasim.cores.ri5cy import codegen as cg
        m = gap8.loop_module()
        d = os.path.dirname(m.__file__)
        m.run_windows.compile(gap8.loop_signature())      # compiled above, or loaded
        print(int(m.run_windows.signatures == [gap8.loop_signature()]),
              int(any(f.startswith("ri5cy_engine_") for f in os.listdir(d))),
              int(m.run_windows.stats.cache_hits.total() > 0),
              int(d.startswith(os.environ["ISASIM_CACHE_DIR"])))
        """)
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_DISABLE_JIT"}
    env["ISASIM_CACHE_DIR"] = str(cache)
    first = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert first.returncode == 0, first.stderr[-2000:]
    assert first.stdout.split() == ["1", "0", "0", "1"]
    second = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert second.returncode == 0, second.stderr[-2000:]
    assert second.stdout.split() == ["1", "0", "1", "1"]


def test_engine_pointer_has_the_loops_function_type():
    """The value Cluster passes as ``eng`` has engine_function_type(): the loop compiled for
    loop_signature() is the one called (no other version), and run() is not recompiled."""
    import numba
    from isasim.cores.ri5cy import codegen as cg
    from isasim.isa.registry import load_table
    if numba.config.DISABLE_JIT:
        pytest.skip("numba disabled")
    mod = cg.engine(load_table("rv32"))
    p = cg.engine_pointer(mod)
    assert numba.typeof(p) == cg.engine_function_type()
    assert cg.engine_function_type().signature.args[0] == cg.engine_signature()[0]
    assert mod.run.signatures == [cg.engine_signature()]


@pytest.mark.slow
def test_helper_compiles_the_alu_groups_run_calls(tmp_path):
    """A cold engine() compiles each alu_<g> for ALU_SIG only, i.e. the signature the helper
    process compiles is the one run() calls (with (int32, int64 * 8) run() needed an all-int64
    version of every group and compiled it itself: the helper's work was wasted)."""
    code = textwrap.dedent("""
        import numba
        from isasim.cores.ri5cy import codegen as cg
        from isasim.isa.registry import load_table
        m = cg.engine(load_table("rv32"))
        cg.wait_background()
        sig = numba.core.sigutils.normalize_signature(eval(cg.ALU_SIG, {"numba": numba}))[0]
        gs = [g for g in dir(m) if g.startswith("alu_")]
        bad = [g for g in gs if getattr(m, g).signatures not in ([], [sig])]
        print(len(gs), len(bad))
        """)
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_DISABLE_JIT"}
    env["ISASIM_CACHE_DIR"] = str(tmp_path / "cache")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr[-2000:]
    n, bad = map(int, r.stdout.split())
    assert n > 0 and bad == 0, r.stdout
