"""Issue 18 item 3 on RI5CY / GAP-8: the per-function profile {function: {"cycles",
"instructions", "stalls": {cause: n}}} adds up to the run's cycles (gap8: core_cycles, summed over
the cores), instructions and every stall cause, the cluster's (TCDM contention, L2, I-cache refill
port, barrier) charged to the function of the instruction that waited; a hand-counted program; the
runner's per-phase instructions and stalls on a gap8 experiment."""
import json
import os
import sys
import textwrap

import numpy as np
import pytest

from isasim.simulate import run_elf
from isasim.toolchain.build import build_elf

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INC = os.path.join(ROOT, "kernels_asm", "ri5cy", "include")
KDIR = os.path.join(ROOT, "kernels_asm", "ri5cy", "pulpnn")
EXP = os.path.join(ROOT, "experiments", "bruschi2020")


def check_sums(r):
    """The profile adds up to the run's totals, cause by cause."""
    prof = r["profile"]
    total = r.get("core_cycles", r["cycles"])
    assert sum(v["cycles"] for v in prof.values()) == total
    assert sum(v["instructions"] for v in prof.values()) == r["instructions"]
    for v in prof.values():
        assert set(v["stalls"]) == set(r["stalls"])
    for cause, n in r["stalls"].items():
        assert sum(v["stalls"][cause] for v in prof.values()) == n, cause


# ---- a program counted by hand (one core) -------------------------------------------------------
HAND = r"""
  .option norvc                 /* 32-bit instructions only: every target is word aligned */
  .text
  .align 2
  .globl main
main:                           /* exits with ecall: no return into crt0 */
  jal   ra, f
  jal   ra, g
  li    a0, 0
  li    a7, 93
  ecall
f:
  li    t0, 4
1:
  addi  t0, t0, -1
  bnez  t0, 1b                  /* taken 3 times */
  la    t1, word
  lw    t2, 0(t1)
  addi  t2, t2, 1               /* uses the load's result: load-use stall */
  ret
g:
  li    t3, 100
  li    t4, 7
  divu  t5, t3, t4              /* divisor 7: clz = 29 */
  ret
  .data
  .align 2
word: .word 41
"""


@pytest.fixture(scope="module")
def hand(tmp_path_factory):
    d = tmp_path_factory.mktemp("hand")
    (d / "h.S").write_text(HAND)
    return build_elf("ri5cy", [str(d / "h.S")], str(d / "h.elf"))


def test_hand_counted_program(hand):
    """Per function, from isasim/timing/ri5cy.py (isa_timing.md §1.7): taken branch 3 cycles
    (2 stall), jal/jalr 2 (1 stall), load-use 1, divu = div_base + clz(7) = 3 + 29 = 32 cycles
    (31 stall)."""
    from isasim.timing.ri5cy import RI5CYTiming
    t = RI5CYTiming()
    r = run_elf(hand, "ri5cy", profile=True)
    p = r["profile"]
    z = dict.fromkeys(r["stalls"], 0)
    br, jp, lu = t.branch_taken - t.branch, t.jump - 1, t.load_use
    dv = t.div_base + 29
    # f: li, 4 x (addi, bnez), la (auipc + addi), lw, addi, ret
    assert p["f"] == {"instructions": 14,
                      "cycles": 1 + 4 + 3 * t.branch_taken + t.branch + 2 + 1 + 1 + lu + t.jump,
                      "stalls": {**z, "branch": 3 * br, "load_use": lu, "jump": jp}}
    assert p["g"] == {"instructions": 4, "cycles": 1 + 1 + dv + t.jump,
                      "stalls": {**z, "muldiv": dv - 1, "jump": jp}}
    # main: jal, jal, li, li, ecall (exit)
    assert p["main"] == {"instructions": 5, "cycles": 2 * t.jump + 1 + 1 + t.system,
                         "stalls": {**z, "jump": 2 * jp}}
    check_sums(r)
    fast = run_elf(hand, "ri5cy")
    assert (fast["cycles"], fast["stalls"]) == (r["cycles"], r["stalls"])
    # on one cluster core the load from L2 adds l2_latency, charged to f
    g = run_elf(hand, "gap8", cores=1, profile=True)
    check_sums(g)
    assert g["profile"]["f"]["stalls"]["l2_latency"] == 10 == g["stalls"]["l2_latency"] - sum(
        v["stalls"]["l2_latency"] for k, v in g["profile"].items() if k != "f")


# ---- a kernel with a division and plug-ins (compiled and Python path) ----------------------------
PLUG = """
from isasim.plugins import Instr
INSTRUCTIONS = [Instr("p.pyadd", "rd, rs1, rs2", "0000000 rs2 rs1 011 rd 0001011",
                      sem=lambda rs1, rs2: (rs1 + 3 * rs2) & 0xFFFFFFFF, timing="alu",
                      cost={"latency": 2}, params={"python": True})]
"""
KERNEL = r"""
  .text
  .globl main
main:
  addi  sp, sp, -16
  sw    ra, 12(sp)
  li    s2, 50
  la    s3, data
1:
  lw    a2, 0(s3)
  p.pyadd a3, a2, s2            /* Python path, right after the load: load-use stall */
  lw    a4, 4(s3)
  pv.sdotsp.n a3, a4, a2        /* the qnn plug-in (compiled) */
  call  divide
  addi  s2, s2, -1
  bnez  s2, 1b
  lw    ra, 12(sp)
  addi  sp, sp, 16
  li    a0, 0
  ret
divide:
  div   a0, a3, s2
  rem   a1, a3, s2
  ret
  .data
  .align 2
data: .word 0x12345678, 0x0f0f0f0f
"""


def test_kernel_with_division_and_plugins_adds_up(tmp_path):
    (tmp_path / "k.S").write_text(KERNEL)
    plug = tmp_path / "pyadd.py"
    plug.write_text(PLUG)
    plugins = ["qnn", str(plug)]
    elf = build_elf("ri5cy", [str(tmp_path / "k.S")], str(tmp_path / "k.elf"), plugins=plugins)
    r = run_elf(elf, "ri5cy", plugins=plugins, profile=True)
    check_sums(r)
    p = r["profile"]
    assert p["divide"]["instructions"] == 150 and p["divide"]["stalls"]["muldiv"] == \
        r["stalls"]["muldiv"] > 0
    assert p["main"]["stalls"]["load_use"] == r["stalls"]["load_use"] >= 50
    fast = run_elf(elf, "ri5cy", plugins=plugins)
    traced = run_elf(elf, "ri5cy", plugins=plugins, profile=True, trace=str(tmp_path / "t.log"))
    assert fast["cycles"] == r["cycles"] == traced["cycles"] and fast["stalls"] == r["stalls"]
    assert traced["profile"] == p
    # the same program on a 4-core cluster (every core runs it)
    c = run_elf(elf, "gap8", cores=4, plugins=plugins, profile=True)
    check_sums(c)


# ---- the cluster's stalls go to the function that waited ---------------------------------------
CLUSTER = r"""
#include "pulp_cluster.h"
  .text
  .globl main
main:
  mv    s1, ra
  jal   ra, hammer
  jal   ra, sync
  mv    ra, s1
  li    a0, 0
  ret
hammer:                         /* every core loads the same word: bank conflicts */
  la    a1, buf
  li    t2, 200
  lp.setup x0, t2, 1f
  lw    t0, 0(a1)
1: lw    t1, 0(a1)
  ret
sync:                           /* core i waits 40 * i cycles, then the barrier */
  PULP_CORE_ID(a6)
  slli  a6, a6, 3
  addi  a6, a6, 1
  lp.setup x0, a6, 2f
  nop
  nop
  nop
  nop
2: nop
  PULP_BARRIER(t0)
  ret
  .section .tcdm, "aw"
  .align 2
buf: .space 64
"""


def test_cluster_stalls_charged_to_the_function_that_waited(tmp_path):
    (tmp_path / "c.S").write_text(CLUSTER)
    elf = build_elf("gap8", [str(tmp_path / "c.S")], str(tmp_path / "c.elf"), include_dirs=[INC])
    r = run_elf(elf, "gap8", cores=8, profile=True)
    fast = run_elf(elf, "gap8", cores=8)
    assert (r["cycles"], r["core_cycles"], r["stalls"]) == \
        (fast["cycles"], fast["core_cycles"], fast["stalls"])
    check_sums(r)
    p, st = r["profile"], r["stalls"]
    assert st["tcdm_contention"] > 8 * 100 and st["barrier"] > 8 * 40 and st["icache"] > 0
    assert p["hammer"]["stalls"]["tcdm_contention"] == st["tcdm_contention"]
    # the barrier waits beyond p.elw's own cycles: all at the barrier load, in sync
    assert p["sync"]["stalls"]["barrier"] == st["barrier"]
    assert p["main"]["stalls"]["barrier"] == p["hammer"]["stalls"]["barrier"] == 0


def test_arbitration_charges_add_up_to_its_delays():
    """_resolve and _precheck, on random windows, charge every delay cycle to the slot of a logged
    access: per core, the charges by cause add up to the delay and the statistics they add."""
    from isasim.cores.ri5cy.layout import PR, PR_NAMES
    from isasim.platforms import gap8_loop as L
    sys.path.insert(0, os.path.dirname(__file__))
    from test_gap8_cluster import _random_window
    rng = np.random.default_rng(7)
    W = len(PR_NAMES)
    resolved = prechecked = 0
    for trial in range(300):
        n = int(rng.integers(1, 9))
        AL3, cnt = _random_window(rng, n, dense=trial % 2 == 0)
        AL = np.zeros(AL3.shape[:2] + (4,), np.int64)
        AL[:, :, :3] = AL3
        AL[:, :, 3] = rng.integers(0, 5, AL.shape[:2])         # the slots of the accesses
        nb, H = 16, 256
        ring = np.full((nb + 2, H), L.NONE, np.int64)
        rr = np.zeros(nb + 2, np.int64)
        st = np.zeros((9, n), np.int64)         # D cont l2c l2l ntc nl2 nev ev icc
        common = (n, int(rng.integers(50, 250)), 0x10000000, 0x10000, nb, -3, 10,
                  int(rng.integers(1, 12)), 0x10204000)
        PROF = np.zeros((n, 6 * W), np.int64)
        T = np.zeros((6, n), np.int64)
        UNDO = np.zeros((3, n * 64 * 12), np.int64)
        LAST = np.zeros((2, nb + 2), np.int64)
        if L._precheck(AL, cnt, *common, ring, rr, st[0], st[4], st[5], st[3], st[6], st[7], T,
                       UNDO, LAST, PROF):
            prechecked += 1
        else:
            resolved += 1
            L._resolve(AL, cnt, *common, ring, rr, st[0], st[1], st[2], st[8], st[3], st[4],
                       st[5], st[6], st[7], PROF)
        rows = PROF.reshape(n, 6, W).sum(axis=1)
        for i in range(n):
            got = {k: int(rows[i, PR[c]]) for k, c in (
                ("cont", "st_tcdm_contention"), ("l2c", "l2_contention"), ("l2l", "l2_latency"),
                ("icc", "icache_port"), ("D", "cycles"))}
            assert got == {"cont": st[1, i], "l2c": st[2, i], "l2l": st[3, i], "icc": st[8, i],
                           "D": st[0, i]}, trial
    assert resolved > 50 and prechecked > 30


# ---- PULP-NN on 8 cores, and the runner's phases -------------------------------------------------
def _pulpnn_point(**kw):
    sys.path.insert(0, EXP)
    import bruschi2020_kernels as K
    shape = dict(ih=5, iw=5, ci=16, co=8, k=3, pad=1, stride=1)
    return {"experiment": "rvp_profile", "sweep": {}, "config_dir": EXP,
            "params": dict(act_bits=8, wgt_bits=4, out_bits=8, isa="xpulpv2", shape=shape,
                           im2col_skew=0),
            "variant": {"id": "u8_i4", "target": "gap8", "cores": 8, "plugins": [],
                        "sources": [os.path.join(KDIR, "pulp_nn_conv.c"),
                                    K.kernel_path(8, 4, 8, "xpulpv2")],
                        "include": [INC, KDIR]},
            "generator": "bruschi2020_workload:conv_layer", **kw}


def test_pulpnn_8_cores_adds_up(tmp_path):
    from isasim.experiments import runner
    row = runner.run_point(_pulpnn_point(profile=True), use_cache=False)
    fast = runner.run_point(_pulpnn_point(), use_cache=False)
    assert row["golden"] == "bit-exact" and row["cycles"] == fast["cycles"]
    assert sum(v for k, v in row.items() if k.startswith("cycles_fn_")) == row["core_cycles"]
    assert sum(v for k, v in row.items() if k.startswith("instructions_fn_")) == row["instructions"]
    causes = {k[len("stall_"):] for k in row if k.startswith("stall_")}
    for c in causes:
        fn = sum(v for k, v in row.items() if k.startswith("fnstall_") and k.endswith("__" + c))
        assert fn == row["stall_" + c], c
    for c in ("tcdm_contention", "barrier", "icache"):
        assert row["stall_" + c] > 0, c
    assert row["cycles_fn_pn_matmul2"] > 0 and row["instructions_fn_pn_im2col"] > 0


def test_runner_phases_on_a_gap8_config(tmp_path):
    """A gap8 experiment with phases: cycles, instructions and stalls per phase; the phases and
    'other' add up to core_cycles and instructions."""
    from isasim.experiments.runner import run_experiment
    cfg = tmp_path / "ph.yaml"
    cfg.write_text(textwrap.dedent(f"""\
        name: rvp_phases
        phases: {{matmul: ["pn_matmul*"], im2col: [pn_im2col, pn_zero, fill]}}
        workload:
          generator: bruschi2020_workload:conv_layer
          params: {{act_bits: 8, wgt_bits: 8, out_bits: 8, isa: xpulpv2, im2col_skew: 0,
                    shape: {{ih: 5, iw: 5, ci: 16, co: 8, k: 3, pad: 1, stride: 1}}}}
        variants:
          - {{id: c8, target: gap8, cores: 8, include: [{INC}, {KDIR}],
              sources: [{KDIR}/pulp_nn_conv.c, {KDIR}/pulp_nn_conv_u8_u8_i8.S]}}
          - {{id: c2, target: gap8, cores: 2, include: [{INC}, {KDIR}],
              sources: [{KDIR}/pulp_nn_conv.c, {KDIR}/pulp_nn_conv_u8_u8_i8.S]}}
        """))
    sys.path.insert(0, EXP)
    df, _ = run_experiment(str(cfg), out=str(tmp_path / "out"), jobs=1, use_cache=False,
                           quiet=True)
    assert (df["golden"] == "bit-exact").all()
    for _, row in df.iterrows():
        ph = ("matmul", "im2col", "other")
        assert sum(row[f"cycles_phase_{p}"] for p in ph) == row["core_cycles"]
        assert sum(row[f"instructions_phase_{p}"] for p in ph) == row["instructions"]
        assert row["cycles_phase_matmul"] > row["cycles_phase_im2col"] > 0
        # a phase's stalls by cause are its functions' (bank conflicts in the MatMul and im2col)
        for c in ("tcdm_contention", "icache"):
            fns = [k for k in df.columns if k.startswith("fnstall_pn_matmul") and
                   k.endswith("__" + c)]
            assert row[f"phasestall_matmul__{c}"] == sum(row[k] for k in fns) > 0
        assert row["phasestall_im2col__tcdm_contention"] > 0
        st = [c for c in df.columns if c.startswith("phasestall_matmul__")]
        assert sum(row[c] for c in st) < row["cycles_phase_matmul"]
    assert (tmp_path / "out" / "phase_breakdown.png").is_file()
