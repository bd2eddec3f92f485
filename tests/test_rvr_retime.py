"""Record once, re-time many on RI5CY and GAP-8 (issue 18 item 2): retime(record(run(T0, C0)),
T, C) equals a fresh run(T, C) bit for bit (cycles, instructions, every stall cause, counters,
per-core figures, profile, op counts, energy) for RI5CY timing parameters, plug-in cost knobs and
cluster knobs; what a recording cannot re-time is refused in one line."""
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from isasim.errors import IsasimError
from isasim.retime import header, retime
from isasim.simulate import run_elf
from isasim.toolchain.build import build_elf

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INC = os.path.join(ROOT, "kernels_asm", "ri5cy", "include")
SKIP = {"memory", "stdout", "retimed_from", "status"}

# division-heavy loop: signed/unsigned div and rem with divisors -3..4 (0 included), a div whose
# destination is its divisor register, load-use, misaligned word and halfword loads, mulh, a slow
# CSR, jal/c.jr, a hardware loop, branches taken every other iteration
MIX = r"""
  .text
  .globl main
main:
  addi  sp, sp, -16
  sw    ra, 12(sp)
  la    a1, data
  li    s0, 0
  li    s1, ITER
outer:
  lw    t0, 0(a1)
  add   s0, s0, t0
  lw    t1, 1(a1)
  xor   s0, s0, t1
  andi  t2, s1, 7
  addi  t2, t2, -3
  div   t3, s0, t2
  rem   t4, s0, t2
  divu  t5, s1, t2
  div   t2, s1, t2
  add   s0, s0, t3
  add   s0, s0, t4
  add   s0, s0, t5
  add   s0, s0, t2
  mulh  t3, s0, s1
  add   s0, s0, t3
  csrr  t3, mstatus
  jal   ra, leaf
  li    t2, 3
  lp.setup x1, t2, 1f
  addi  s0, s0, 1
  lh    t6, 3(a1)
1: add  s0, s0, t6
  andi  t0, s1, 1
  beqz  t0, skip
  addi  s0, s0, 5
skip:
  addi  s1, s1, -1
  bnez  s1, outer
  lw    ra, 12(sp)
  addi  sp, sp, 16
  li    a0, 0
  ret
leaf:
  slli  t3, s0, 1
  c.jr  ra
  .data
  .align 2
data: .word 0x12345678, 0x9abcdef0, 0x0badf00d
"""

# I-cache heavy: a straight-line body of 1600 32-bit instructions (6.4 KB > the 4 KB I-cache) run
# 3 times by every core between barriers, with TCDM loads to one bank (conflicts) in it
ICACHE = r"""
#include "pulp_cluster.h"
  .text
  .globl main
main:
  PULP_CORE_ID(a6)
  la    a1, buf
  slli  t0, a6, 6               /* 64 bytes apart: every core in bank 0 */
  add   a1, a1, t0
  li    s1, 3
  PULP_BARRIER(t0)
again:
  .rept 400
  addi  t1, t1, 1
  lw    t2, 0(a1)
  add   t3, t3, t2
  xor   t4, t4, t1
  .endr
  addi  s1, s1, -1
  bnez  s1, again
  PULP_BARRIER(t0)
  li    a0, 0
  ret
  .section .tcdm, "aw"
  .align 2
buf: .space 512
"""

# reads the cycle counter: its instruction stream may depend on timing
MCYCLE = r"""
  .text
  .globl main
main:
  csrr  t0, mcycle
  andi  t0, t0, 1
  add   a0, zero, zero
  ret
"""

# core 1 polls a flag that core 0 sets, without a barrier in between: a data race
RACE = r"""
#include "pulp_cluster.h"
  .text
  .globl main
main:
  PULP_CORE_ID(a6)
  la    a1, flag
  bnez  a6, wait
  li    t0, 1
  sw    t0, 0(a1)
  j     done
wait:
  li    t1, 1
  bne   a6, t1, done
1: lw   t0, 0(a1)
  beqz  t0, 1b
done:
  PULP_BARRIER(t0)
  li    a0, 0
  ret
  .section .tcdm, "aw"
  .align 2
flag: .word 0
"""

# core 0 exits at once, the others loop: the run ends with them still running
EARLY = r"""
#include "pulp_cluster.h"
  .text
  .globl main
main:
  PULP_CORE_ID(a6)
  beqz  a6, 2f
  li    t0, 100000
1: addi t0, t0, -1
  bnez  t0, 1b
2: li   a0, 0
  ret
"""

# plug-in kernel: the qnn nibble dot products in a hardware loop with post-increment loads
PLUGIN = r"""
  .text
  .globl main
main:
  la    a1, va
  la    a2, vb
  li    a0, 0
  li    t2, 64
  lp.setup x0, t2, 1f
  p.lw  t0, 4(a1!)
  p.lw  t1, 4(a2!)
  pv.sdotsp.n a0, t0, t1
1: pv.sdotusp.c a0, t0, t1
  li    a0, 0
  ret
  .data
  .align 2
va: .rept 64
  .word 0x7f3a19e5
  .endr
vb: .rept 64
  .word 0x91c4e2d7
  .endr
"""


@pytest.fixture(scope="module")
def elfs(tmp_path_factory):
    d = tmp_path_factory.mktemp("rvr")

    def b(name, text, target="gap8", plugins=(), defines=()):
        src = d / f"{name}.S"
        src.write_text(text)
        out = str(d / f"{name}.elf")
        build_elf(target, [str(src)], out, include_dirs=[INC], plugins=list(plugins),
                  defines=list(defines))
        return out
    return {"mix": b("mix", MIX, "ri5cy", defines=["ITER=150"]),
            "mix8": b("mix8", MIX, "gap8", defines=["ITER=40"]),
            "icache": b("icache", ICACHE), "mcycle": b("mcycle", MCYCLE, "ri5cy"),
            "race": b("race", RACE), "early": b("early", EARLY),
            "plugin": b("plugin", PLUGIN, "ri5cy", ["qnn"]),
            "dir": str(d)}


def same(re, fresh):
    """Every key of the fresh run's result (but memory/stdout) equal in the re-timed one."""
    assert set(fresh) - SKIP <= set(re), set(fresh) - set(re)
    for k in sorted(set(fresh) - SKIP):
        assert re[k] == fresh[k], k


def check(elf, target, rec, T0, C0, points, **run):
    """Record with (T0, C0), re-time to every (T, C) of ``points``, compare with fresh runs."""
    first = run_elf(elf, target, timing=T0, cost=C0, record=rec, **run)
    plain = run_elf(elf, target, timing=T0, cost=C0, **run)
    same(first, plain)                                  # recording does not change the run
    h = header(rec)
    assert h["retimable"] and h["target"] == target and h["instructions"] == first["instructions"]
    out = []
    for T, C in points:
        fresh = run_elf(elf, target, timing=T, cost=C, **run)
        re = retime(rec, timing=T, cost=C, **({"profile": True} if run.get("profile") else {}))
        same(re, fresh)
        out.append(fresh)
    assert len({r["cycles"] for r in out}) > 1          # the knobs change the figures
    return first, out


RI5CY_POINTS = [({}, {}),
                ({"load_use": 3, "branch_taken": 5, "hwloop_backedge": 2, "jump": 4}, {}),
                ({"div_base": 7, "div_zero": 50, "mulh": 9, "misaligned_extra": 3,
                  "csr_slow": 8, "jalr_hazard": 2, "jump_misaligned_extra": 2,
                  "branch_misaligned_extra": 3}, {}),
                ({"load": 2, "store": 3, "alu": 2, "branch": 2, "branch_taken": 4}, {})]


def test_ri5cy_division_loop(elfs, tmp_path):
    first, out = check(elfs["mix"], "ri5cy", str(tmp_path / "m.npz"), {"load_use": 2}, {},
                       RI5CY_POINTS, profile=True)
    assert first["stalls"]["muldiv"] > 0 and first["stalls"]["misaligned"] > 0
    assert out[2]["stalls"]["muldiv"] > out[0]["stalls"]["muldiv"]


def test_ri5cy_plugin_kernel_cost_knobs(elfs, tmp_path):
    pts = [({}, {}), ({}, {"pv.sdotsp.n": {"latency": 3}}),
           ({"load_use": 2}, {"pv.sdotsp.n": {"latency": 2, "energy_pj": 7.5},
                              "pv.sdotusp.c": {"latency": 4}})]
    first, out = check(elfs["plugin"], "ri5cy", str(tmp_path / "p.npz"), {},
                       {"pv.sdotsp.n": {"latency": 5}}, pts, plugins=["qnn"], profile=True)
    assert first["op_counts"]["pv.sdotsp.n"] == 64
    assert out[2]["energy_uj"] > out[0]["energy_uj"]


CLUSTER_POINTS = [({}, {}),
                  ({"load_use": 3, "branch_taken": 5, "l2_latency": 3, "barrier_latency": 30,
                    "icache_refill": 25}, {}),
                  ({"tcdm_banks": 2, "tcdm_interleave": 8, "quantum": 64}, {}),
                  ({"icache_size": 8192, "icache_ways": 2, "icache_line": 32}, {}),
                  ({"icache": 0, "div_base": 6, "mulh": 2}, {})]


def test_gap8_icache_heavy(elfs, tmp_path):
    first, out = check(elfs["icache"], "gap8", str(tmp_path / "i.npz"), {"icache_refill": 4}, {},
                       CLUSTER_POINTS, cores=8, profile=True)
    assert first["counters"]["icache_misses"] > 400          # 6.4 KB of code, 3 passes
    assert out[0]["stalls"]["tcdm_contention"] > 0 and out[0]["barriers"] == 2
    assert out[3]["counters"]["icache_misses"] < out[0]["counters"]["icache_misses"]


def test_gap8_division_loop(elfs, tmp_path):
    check(elfs["mix8"], "gap8", str(tmp_path / "d.npz"), {}, {}, CLUSTER_POINTS[:3], cores=4)


def _pulpnn(isa):
    sys.path.insert(0, os.path.join(ROOT, "experiments", "bruschi2020"))
    import bruschi2020_kernels as K
    from isasim.experiments import runner
    kdir = os.path.join(ROOT, "kernels_asm", "ri5cy", "pulpnn")
    ib, wb, ob = (8, 8, 8) if isa == "xpulpv2" else (4, 4, 4)
    v = {"id": "k", "target": "gap8", "sources": [os.path.join(kdir, "pulp_nn_conv.c"),
                                                  K.kernel_path(ib, wb, ob, isa)],
         "include": [INC, kdir], "plugins": ["qnn"] if isa == "xpulpnn" else [], "cores": 8}
    shape = dict(ih=5, iw=5, ci=16, co=8, k=3, pad=1, stride=1)
    p = {"experiment": "test_rvr", "variant": v, "generator": "bruschi2020_workload:conv_layer",
         "params": dict(act_bits=ib, wgt_bits=wb, out_bits=ob, isa=isa, shape=shape,
                        im2col_skew=0), "sweep": {},
         "config_dir": os.path.join(ROOT, "experiments", "bruschi2020")}
    _, elf, _, run_kw, _ = runner._prepare(p)
    return elf


def test_gap8_pulpnn_8_cores(tmp_path):
    first, out = check(_pulpnn("xpulpv2"), "gap8", str(tmp_path / "n.npz"), {}, {},
                       CLUSTER_POINTS[:3], cores=8, profile=True)
    assert first["barriers"] >= 1 and first["stalls"]["tcdm_contention"] > 0
    assert first["stalls"]["barrier"] > 0


def test_gap8_xpulpnn_plugin_cost(tmp_path):
    pts = [({}, {}), ({"l2_latency": 4}, {"pv.sdotusp.n": {"latency": 3}}),
           ({}, {"pv.sdotusp.n": {"latency": 2, "energy_pj": 3.0}})]
    check(_pulpnn("xpulpnn"), "gap8", str(tmp_path / "x.npz"), {}, {}, pts, cores=8,
          plugins=["qnn"])


def test_record_size_is_compact(elfs, tmp_path):
    rec = str(tmp_path / "s.npz")
    r = run_elf(elfs["icache"], "gap8", cores=8, record=rec)
    with np.load(rec) as z:
        stream = sum(z[k].nbytes for k in ("slot2", "mem", "wr"))
    assert stream == 9 * r["instructions"]              # 9 bytes per retired instruction raw
    assert os.path.getsize(rec) < 2 * r["instructions"]  # compressed, ELF included


def _one_line(fn, *needles):
    with pytest.raises(IsasimError) as e:
        fn()
    msg = str(e.value)
    assert "\n" not in msg and all(n in msg for n in needles), msg


def test_refusals(elfs, tmp_path):
    rec = str(tmp_path / "r.npz")
    run_elf(elfs["mix8"], "gap8", cores=4, record=rec)
    _one_line(lambda: retime(rec, cores=8), "cores", "re-run")
    _one_line(lambda: retime(rec, timing={"tcdm_size": 32768}), "tcdm_size", "memory map")
    _one_line(lambda: retime(rec, timing={"no_such": 1}), "no_such")
    _one_line(lambda: retime(rec, cost={"pv.sdotsp.n": {"latency": 2}}), "plug-in")
    _one_line(lambda: retime(rec, plugins=["qnn"]), "plugins")
    _one_line(lambda: retime(rec, max_instructions=10), "max_instructions")
    _one_line(lambda: retime(rec, trace="t.log"), "trace")
    assert retime(rec, max_instructions=10 ** 9, cores=4)["cycles"] > 0
    # a changed plug-in file is refused
    pl = tmp_path / "myplug.py"
    pl.write_text(open(os.path.join(ROOT, "isasim", "plugins", "builtin", "qnn_rv32.py")).read())
    r2 = str(tmp_path / "p.npz")
    run_elf(elfs["plugin"], "ri5cy", plugins=[str(pl)], record=r2)
    assert retime(r2)["cycles"] > 0
    pl.write_text(pl.read_text() + "\n# edited\n")
    _one_line(lambda: retime(r2), "changed", "myplug.py")


def test_timing_dependent_streams_are_refused(elfs, tmp_path):
    rec = str(tmp_path / "c.npz")
    run_elf(elfs["mcycle"], "ri5cy", record=rec)
    h = header(rec)
    assert not h["retimable"] and "cycle counter" in h["refusal"]
    _one_line(lambda: retime(rec), "cannot be re-timed", "0xb00")
    rec = str(tmp_path / "race.npz")
    r = run_elf(elfs["race"], "gap8", cores=4, record=rec)
    assert r["exit_code"] == 0
    h = header(rec)
    assert not h["retimable"] and "core 1 loads" in h["refusal"], h["refusal"]
    _one_line(lambda: retime(rec), "cannot be re-timed", "between the same barriers")
    rec = str(tmp_path / "early.npz")
    r = run_elf(elfs["early"], "gap8", cores=2, record=rec)
    assert r["per_core"][1]["state"] == "running"
    assert "core 1 had not exited" in header(rec)["refusal"]
    _one_line(lambda: retime(rec), "cannot be re-timed", "depends on timing")


def test_corrupt_stream_is_detected(elfs, tmp_path):
    rec = str(tmp_path / "m.npz")
    run_elf(elfs["mix"], "ri5cy", record=rec)
    with np.load(rec) as z:
        a = {k: z[k] for k in z.files}
    a["lengths"] = a["lengths"] - 5            # a truncated stream: the replay must not "exit"
    a["slot2"], a["mem"], a["wr"] = a["slot2"][:-5], a["mem"][:-5], a["wr"][:-5]
    a["exited"] = np.array([0], np.int8)
    bad = str(tmp_path / "bad.npz")
    np.savez_compressed(bad, **a)
    _one_line(lambda: retime(bad), "corrupt")


def _cli(*args):
    env = dict(os.environ)
    return subprocess.run([sys.executable, "-m", "isasim", *args], capture_output=True, text=True,
                          env=env, cwd=ROOT)


def test_cli_exec_record_then_retime(elfs, tmp_path):
    rec = str(tmp_path / "cli.npz")
    p = _cli("exec", elfs["icache"], "--target", "gap8", "--cores", "4", "--record", rec, "--json")
    assert p.returncode == 0, p.stderr
    p = _cli("retime", rec, "--timing", "l2_latency=4", "--timing", "icache_refill=30", "--json")
    assert p.returncode == 0, p.stderr
    re = json.loads(p.stdout)
    fresh = run_elf(elfs["icache"], "gap8", cores=4, timing={"l2_latency": 4,
                                                               "icache_refill": 30})
    for k in ("cycles", "instructions", "stalls", "per_core", "counters", "energy_uj"):
        assert re[k] == json.loads(json.dumps(fresh[k])), k
    p = _cli("retime", rec, "--timing", "bogus_knob=3")
    assert p.returncode == 2 and "bogus_knob" in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1, p.stderr


def test_runner_retimes_gap8_sweep(elfs, tmp_path, monkeypatch):
    """The runner's re-timing path on gap8 (off by default there: Target.runner_retime, a re-time
    costs about a run) gives rows equal to fresh runs."""
    import dataclasses
    from isasim import targets
    from isasim.experiments import config as C
    from isasim.experiments.runner import run_experiment, run_point
    monkeypatch.setitem(targets.TARGETS, "gap8",
                        dataclasses.replace(targets.TARGETS["gap8"], runner_retime=True))
    src = tmp_path / "ic.S"
    src.write_text(ICACHE)
    cfg = tmp_path / "g.yaml"
    cfg.write_text(textwrap.dedent(f"""\
        name: rvr_runner
        sweep:
          timing.icache_refill: [2, 20]
          timing.barrier_latency: [0, 40]
        variants:
          - {{id: ic, target: gap8, cores: 4, sources: [{src}], include: [{INC}]}}
        """))
    df, _ = run_experiment(str(cfg), out=str(tmp_path / "o"), jobs=1, use_cache=False, quiet=True)
    assert list(df["retimed"]) == [False, True, True, True]
    assert df["cycles"].nunique() > 1
    for p, (_, row) in zip(C.load(str(cfg))["points"], df.iterrows()):
        fresh = run_point(p, use_cache=False)
        for c in ("cycles", "instructions", "energy_uj", "golden") + tuple(
                k for k in fresh if k.startswith("stall_")):
            assert fresh[c] == row[c], (p["knobs"], c)
