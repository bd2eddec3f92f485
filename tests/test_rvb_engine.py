"""The RI5CY engine generator (issue 14 item 3): emitters per kind, timing rules owned by
isasim/timing/ri5cy.py, a layout derived from names, the table passed in, printing the source and
running it as plain Python (NUMBA_DISABLE_JIT=1) with the same counts as the compiled engine."""
import json
import os
import re
import subprocess
import sys

import pytest

from isasim.cores.ri5cy import codegen as cg, layout
from isasim.isa.registry import load_table
from isasim.isa.spec import KINDS, AddressForm, address_form
from isasim.simulate import run_elf
from isasim.timing.ri5cy import RULES, RI5CYTiming
from isasim.toolchain.build import build_elf

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# every dynamic rule once: load-use, misaligned access, div (|divisor|, divisor 0), mulh, a slow
# CSR, a hardware loop with post-increment and register-offset loads/stores, branches taken and
# not, jal, jalr right after its base register is written (hazard)
PROGRAM = r"""
  .text
  .globl main
main:
  mv    s6, ra
  la    a1, buf
  li    t0, 0x12345678
  sw    t0, 0(a1)
  lw    t1, 0(a1)
  add   t2, t1, t1
  lw    t3, 2(a1)
  li    t4, 7
  div   t5, t0, t4
  rem   t6, t0, zero
  li    a2, -3
  div   a3, t0, a2
  divu  a3, a3, a2
  mulh  a4, t0, t0
  mulhu a5, t0, t0
  csrr  a6, mcycle
  li    s0, 5
  lp.setup x0, s0, 1f
  p.lw  s1, 4(a1!)
  p.sw  s1, 4(a1!)
1: addi s2, s2, 1
  li    s3, 8
  p.lw  s4, s3(a1)
  p.sw  s4, s3(a1!)
  p.lh  s7, s3(a1!)
  li    s5, 3
2: addi s5, s5, -1
  bnez  s5, 2b
  jal   ra, leaf
  la    t0, leaf
  jalr  ra, 0(t0)
  mv    ra, s6
  li    a0, 0
  ret
leaf:
  ret
  .data
  .balign 4
buf: .space 256
"""

KEYS = ("exit_code", "cycles", "instructions", "stalls", "op_counts", "loads", "stores",
        "tcdm_accesses", "l2_accesses")

CHILD = r"""
import json, sys
args = json.loads(sys.argv[1])
import isasim.timing.ri5cy as tr
if args.get("insert"):
    # a timing parameter in the middle of RI5CYTiming and a stall cause in the middle of
    # STALL_CAUSES: every P and CTR index after them moves
    import dataclasses
    fs = dataclasses.fields(tr.RI5CYTiming)
    spec = [(f.name, f.type, dataclasses.field(default=f.default) if f.default_factory is
             dataclasses.MISSING else dataclasses.field(default_factory=f.default_factory))
            for f in fs]
    spec.insert(3, ("zz_inserted", int, dataclasses.field(default=7)))
    ns = {k: v for k, v in vars(tr.RI5CYTiming).items()
          if k in ("base_cycles", "override", "as_dict", "PENALTIES")}
    tr.RI5CYTiming = dataclasses.make_dataclass("RI5CYTiming", spec, namespace=ns)
    c = list(tr.STALL_CAUSES)
    c.insert(2, "zz_inserted")
    tr.STALL_CAUSES = tuple(c)
if args.get("rule"):
    tr.RULES[args["rule"][0]] = tr.Rule(*args["rule"][1:])
from isasim.cores.ri5cy import layout
from isasim.simulate import run_elf
r = run_elf(args["elf"], args["target"], **args.get("kw", {}))
r["stalls"].pop("zz_inserted", None)
out = {k: r[k] for k in args["keys"]}
out["P"], out["C"] = layout.P, layout.C
if "per_core" in r:
    out["per_core"] = [(p["cycles"], p["instructions"], p["stalls"]) for p in r["per_core"]]
    for p in out["per_core"]:
        p[2].pop("zz_inserted", None)
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def elf(tmp_path_factory):
    d = tmp_path_factory.mktemp("rvb")
    src = d / "p.S"
    src.write_text(PROGRAM)
    return build_elf("ri5cy", [str(src)], str(d / "p.elf"))


@pytest.fixture(scope="module")
def cluster_elf(tmp_path_factory):
    d = tmp_path_factory.mktemp("rvbc")
    return build_elf("gap8", [os.path.join(ROOT, "kernels_asm", "ri5cy", "examples",
                                           "parallel_dot.S")], str(d / "pd.elf"))


def _python_mode(tmp_path, elf, target, **args):
    """Run ``elf`` in a child process with NUMBA_DISABLE_JIT=1 (the generated engine as plain
    Python) and a cache of its own; returns its counters."""
    env = dict(os.environ, NUMBA_DISABLE_JIT="1", ISASIM_CACHE_DIR=str(tmp_path / "cache"))
    a = {"elf": elf, "target": target, "keys": KEYS, **args}
    p = subprocess.run([sys.executable, "-c", CHILD, json.dumps(a)], env=env, capture_output=True,
                       text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-3000:]
    return json.loads(p.stdout)


def _compiled(elf, target, **kw):
    r = run_elf(elf, target, **kw)
    out = {k: r[k] for k in KEYS}
    if "per_core" in r:
        out["per_core"] = [[p["cycles"], p["instructions"], p["stalls"]] for p in r["per_core"]]
    return json.loads(json.dumps(out))


def test_program_exercises_every_rule(elf):
    r = _compiled(elf, "ri5cy")
    assert r["exit_code"] == 0
    for cause in ("load_use", "branch", "jump", "muldiv", "misaligned", "csr"):
        assert r["stalls"][cause] > 0, cause


def test_python_mode_gives_the_compiled_engines_counts(tmp_path, elf, cluster_elf):
    for e, target, kw in ((elf, "ri5cy", {}), (cluster_elf, "gap8", {"cores": 2})):
        ref = _compiled(e, target, **kw)
        got = _python_mode(tmp_path, e, target, kw=kw)
        assert {k: got[k] for k in ref} == ref, target


# distinct values, so that reading a parameter at a shifted index would change some count
DISTINCT = {"mulh": 6, "div_base": 4, "div_zero": 40, "load_use": 2, "misaligned_extra": 3,
            "elw": 5, "jump": 3, "jump_misaligned_extra": 2, "jalr_hazard": 4, "branch_taken": 5,
            "branch_misaligned_extra": 3, "hwloop_backedge": 1, "csr_slow": 7, "csr_fast": 2}


def test_inserting_a_parameter_in_the_middle_changes_no_count(tmp_path, elf, cluster_elf):
    for e, target, kw in ((elf, "ri5cy", {"timing": DISTINCT}),
                          (cluster_elf, "gap8", {"cores": 2, "timing": DISTINCT})):
        ref = _compiled(e, target, **kw)
        got = _python_mode(tmp_path, e, target, kw=kw, insert=True)
        # the insertion did move the indices after it
        assert got["P"]["load_use"] != layout.P["load_use"]
        assert got["C"]["st_muldiv"] != layout.C["st_muldiv"]
        assert got["C"]["exit_code"] != layout.C["exit_code"]
        assert {k: got[k] for k in ref} == ref, target


def test_a_rule_edited_in_the_timing_module_changes_the_engine(tmp_path, elf):
    """RULES is what the engine runs: doubling the load-use rule doubles the load-use stalls."""
    ref = _compiled(elf, "ri5cy")
    got = _python_mode(tmp_path, elf, "ri5cy", rule=["load_use", "2 * load_use", "load_use"])
    n = ref["stalls"]["load_use"]
    assert got["stalls"]["load_use"] == 2 * n and got["cycles"] == ref["cycles"] + n


def test_rules_evaluate_like_the_documented_model():
    t = RI5CYTiming()
    assert RULES["div"].evaluate(t, static=t.div_base, divisor=0) == (t.div_zero - t.div_base,
                                                                      t.div_zero - 1)
    assert RULES["div"].evaluate(t, static=t.div_base, divisor=1) == (31, 33)     # 3 + clz(1)
    assert RULES["div"].evaluate(t, static=t.div_base, divisor=0x80000000) == (0, 2)
    assert RULES["branch_taken"].evaluate(t, mis_target=1) == (3, 3)
    assert RULES["jump"].evaluate(t, static=t.jump, mis_target=0) == (0, 1)
    assert RULES["mulh"].evaluate(t, static=t.mulh) == (0, 4)
    assert RULES["hwloop_backedge"].cause is None


def test_generated_source_names_every_index_and_receives_its_table():
    src = cg.generate(load_table("rv32"))
    compile(src, "engine", "exec")
    lit = re.findall(r"\b(?:P|CTR|HW|TR|AL|PMETA|CSR)\[(?:[^\]]*,\s*)?-?\d+\s*\]", src)
    assert lit == []
    assert "load_table" not in src and "_T.builtin_fingerprint() != FINGERPRINT" in src
    for name, value in layout.constants():
        assert f"\n{name} = {value}\n" in src


def test_every_kind_has_an_emitter():
    assert set(cg.EMITTERS) == KINDS


def test_address_forms_come_from_the_parsed_syntax():
    assert address_form("rd, imm(rs1)") == AddressForm("imm", "rs1", False)
    assert address_form("rd, imm(rs1!)") == AddressForm("imm", "rs1", True)
    assert address_form("rd, rs2(rs1!)") == AddressForm("rs2", "rs1", True)
    assert address_form("rs2, rs3(rs1)") == AddressForm("rs3", "rs1", False)
    assert address_form("rd, rs1, rs2") is None
    T = load_table("rv32")
    ctx = cg._GenContext()
    (sw_rr,) = [i for i in T.by_name["p.sw"] if i.syntax == "rs2, rs3(rs1!)"]
    body = "\n".join(cg.emit_case(sw_rr, ctx))
    assert "a = R[r1] & 0xFFFFFFFF" in body and "R[r1] = (R[r1] + R[r3])" in body
    assert "MEM[b >> 2] = R[r2] & 0xFFFFFFFF" in body
    (lh_rr,) = [i for i in T.by_name["p.lh"] if i.syntax == "rd, rs2(rs1)"]
    body = "\n".join(cg.emit_case(lh_rr, ctx))
    assert "a = (R[r1] + R[r2]) & 0xFFFFFFFF" in body and "R[r1] =" not in body


def test_print_and_write_the_engine(tmp_path, capsys):
    assert cg.main(["--print"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# Generated by isasim.cores.ri5cy.codegen") and "def run(" in out
    f = tmp_path / "engine.py"
    assert cg.main(["--write", str(f)]) == 0
    assert f.read_text() == out
    assert cg.main(["--print", "--plugin", "qnn"]) == 0
    assert "def dispatch(" in capsys.readouterr().out


def test_an_event_is_not_lost_when_the_access_log_fills():
    """Regression: a load from the event unit that also filled the access log returned
    ST_LOG_FULL instead of ST_EVENT, so the cluster grew the log and ran on past the barrier.
    The engine now reports the event and asks for a bigger log on its next call."""
    import numpy as np
    from isasim.cores.ri5cy.core import RI5CY, L2_BASE
    from isasim.elf import Program
    from rvcode import enc, li, EXIT
    ev = 0x10204000
    core = RI5CY(Program.from_code(li(5, ev) + enc("lw", rd=6, rs1=5, imm=0) + EXIT, L2_BASE))
    P, C = layout.P, layout.C
    core.P[P["log_tcdm"]] = 1
    core.P[P["tcdm_base"]] = 0x10000000
    core.P[P["tcdm_size"]] = 0x00300000         # logs the event-unit load too, as the cluster does
    core.P[P["event_base"]] = ev
    core.AL = np.zeros((2, len(layout.AL_NAMES)), np.int64)
    core.CTR[C["al_n"]] = 1                      # one entry left from earlier
    for _ in range(10):
        st, _ = core._engine_step(100)
        if st != layout.ST_LOG_FULL:
            break
        grown = np.zeros((2 * core.AL.shape[0], core.AL.shape[1]), np.int64)
        grown[:core.AL.shape[0]] = core.AL
        core.AL = grown
    assert st == layout.ST_EVENT and core.CTR[C["ev_addr"]] == ev


def test_a_run_compiles_only_the_declared_signatures(elf, cluster_elf):
    """engine() and loop_module() compile run/run_windows ahead for the argument types declared in
    engine_signature/loop_signature (so that a cold start compiles once, under the lock): the
    calls must not need another version."""
    from isasim.cores.ri5cy.core import RI5CY
    from isasim.platforms.gap8 import Cluster, loop_signature
    core = RI5CY(elf)
    core.run()
    assert core.eng.run.signatures == [cg.engine_signature()]
    cl = Cluster(cluster_elf, cores=2)
    assert cl.run() == 0
    assert cl.loop.run_windows.signatures == [loop_signature()]
