"""Every number is right or absent (RISC-V cores): plug-in semantics that raise at run time,
Ctrl-C, instruction limits, timing-parameter validation, the result schema (cycles vs stalls),
and hardware-loop bodies the core does not support."""
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from isasim.cli import main
from isasim.simulate import run_elf
from isasim.cores.ri5cy.core import RI5CY, L2_BASE
from isasim.elf import Program
from isasim.errors import IsasimError, SimError
from isasim.platforms.gap8 import ClusterConfig, validate_timing, STALL_KEYS, run_cluster
from isasim.timing.ri5cy import RI5CYTiming, STALL_CAUSES
from isasim.toolchain.build import build_elf

from rvcode import T, enc, li, EXIT

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PDOT = os.path.join(ROOT, "kernels_asm", "ri5cy", "examples", "parallel_dot.S")
INC = os.path.join(ROOT, "kernels_asm", "ri5cy", "include")


# ---- (a) a plug-in whose compiled semantics raise for some operands only ------------------------
RAISING = '''
from isasim.plugins import Instr
INSTRUCTIONS = [Instr("p.div3", "rd, rs1, rs2", "0000000 rs2 rs1 011 rd 0001011",
                      sem=lambda rs1, rs2: rs1 // (rs2 - 3))]      # fine for the load-time samples
'''
RAISING_SRC = "  .text\n  .globl main\nmain:\n  li a1, 10\n  li a2, 4\n  p.div3 a0, a1, a2\n" \
              "  li a2, 3\n  p.div3 a0, a1, a2\n  ret\n"


@pytest.fixture(scope="module")
def raising(tmp_path_factory):
    d = tmp_path_factory.mktemp("raise")
    plug = d / "div3_plugin.py"
    plug.write_text(RAISING)
    (d / "r.S").write_text(RAISING_SRC)
    elfs = {t: build_elf(t, [str(d / "r.S")], str(d / f"r_{t}.elf"), plugins=[str(plug)])
            for t in ("ri5cy", "gap8")}
    return str(plug), elfs


@pytest.mark.parametrize("target,cores", [("ri5cy", None), ("gap8", 1), ("gap8", 4)])
def test_plugin_runtime_exception_is_a_one_line_error(raising, target, cores):
    plug, elfs = raising
    with pytest.raises(SimError) as e:
        run_elf(elfs[target], target, plugins=[plug], cores=cores)
    msg = str(e.value)
    assert plug in msg and "p.div3" in msg and "ZeroDivisionError" in msg, msg
    assert "pc 0x1c" in msg and "\n" not in msg


def test_plugin_runtime_exception_cli_exit_status(raising):
    plug, elfs = raising
    p = subprocess.run([sys.executable, "-m", "isasim", "exec", elfs["ri5cy"], "--target", "ri5cy",
                        "--plugin", plug], capture_output=True, text=True, timeout=300)
    assert p.returncode != 0 and p.stdout == ""
    err = p.stderr.strip().splitlines()
    assert len(err) == 1 and "ZeroDivisionError" in err[0] and "Exception ignored" not in p.stderr


def test_plugin_that_does_not_raise_still_runs(raising, tmp_path):
    plug, _ = raising
    (tmp_path / "ok.S").write_text(RAISING_SRC.replace("li a2, 3", "li a2, 5"))
    elf = build_elf("ri5cy", [str(tmp_path / "ok.S")], str(tmp_path / "ok.elf"), plugins=[plug])
    assert run_elf(elf, "ri5cy", plugins=[plug])["exit_code"] == 5     # 10 // 2


# ---- (b) Ctrl-C: the compiled engine returns to Python now and then -----------------------------
ENDLESS = "  .text\n  .globl main\nmain:\n  li a0, 0\n1:\n  addi a0, a0, 1\n  j 1b\n"
WRAPPER = """
import sys
from isasim.cli import main
from isasim.elf import Program
target, elf = sys.argv[1], sys.argv[2]
if target == "gap8":
    from isasim.platforms.gap8 import Cluster
    Cluster(Program(elf), cores=2)          # engine and cluster loop loaded (compiled) here
else:
    from isasim.cores.ri5cy.core import RI5CY
    RI5CY(Program(elf))
sys.stderr.write("ready\\n")
sys.stderr.flush()
sys.exit(main(["exec", elf, "--target", target, "--max-instructions", str(10 ** 15)]
              + (["--cores", "2"] if target == "gap8" else [])))
"""


@pytest.mark.parametrize("target", ["ri5cy", "gap8"])
def test_sigint_stops_an_endless_program(tmp_path, sigint_default, target):
    (tmp_path / "e.S").write_text(ENDLESS)
    elf = build_elf(target, [str(tmp_path / "e.S")], str(tmp_path / "e.elf"))
    p = subprocess.Popen([sys.executable, "-c", WRAPPER, target, elf], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    try:
        assert p.stderr.readline().strip() == "ready"
        time.sleep(1.5)                      # main() is in the engine by now
        t0 = time.monotonic()
        p.send_signal(signal.SIGINT)
        rc = p.wait(timeout=8)
        waited = time.monotonic() - t0
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    out, err = p.stdout.read(), p.stderr.read()
    assert rc == 130 and waited < 5, (rc, waited, err)
    assert out == "" and "exit code" not in err and "interrupted" in err


def test_chunked_run_gives_the_same_cycles_as_one_call():
    """Chunk boundaries (every CHUNK instructions) do not change any count."""
    import isasim.cores.ri5cy.core as core_mod
    code = li(5, 3000) + enc("lp.setup", L=0, rs1=5, loff=8) + enc("lw", rd=6, rs1=2, imm=-4) \
        + enc("add", rd=7, rs1=6, rs2=7) + EXIT
    ref = RI5CY(Program.from_code(code, L2_BASE))
    ref.R[2] = 0x10000100
    ref.run()
    old = core_mod.CHUNK
    try:
        core_mod.CHUNK = 7
        c = RI5CY(Program.from_code(code, L2_BASE))
        c.R[2] = 0x10000100
        c.run()
    finally:
        core_mod.CHUNK = old
    assert c.counters() == ref.counters() and c.counters()["stalls"]["load_use"] > 0


# ---- (c) max_instructions ------------------------------------------------------------------------
@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "10"])
def test_max_instructions_must_be_positive_int(bad):
    core = RI5CY(Program.from_code(EXIT, L2_BASE))
    with pytest.raises(SimError) as e:
        core.run(max_instructions=bad)
    assert "max_instructions" in str(e.value)


def test_max_instructions_none_is_no_limit_and_limit_is_exact():
    code = li(5, 1) + li(6, 2) + EXIT            # 6 instructions
    assert RI5CY(Program.from_code(code, L2_BASE)).run(max_instructions=None) is not None
    assert RI5CY(Program.from_code(code, L2_BASE)).run(max_instructions=6) is not None
    with pytest.raises(SimError) as e:
        RI5CY(Program.from_code(code, L2_BASE)).run(max_instructions=5)
    assert "stopped after 5 instructions" in str(e.value) and "\n" not in str(e.value)


def test_cluster_limit_counts_all_cores(tmp_path):
    elf = build_elf("gap8", [PDOT], str(tmp_path / "p.elf"), include_dirs=[INC])
    total = run_cluster(elf, cores=4)["instructions"]
    assert run_cluster(elf, cores=4, max_instructions=total)["exit_code"] == 0
    with pytest.raises(SimError) as e:
        run_cluster(elf, cores=4, max_instructions=total - 1)
    assert f"stopped after {total - 1} instructions" in str(e.value)
    for bad in (0, -5, 2.0):
        with pytest.raises(SimError):
            run_cluster(elf, cores=4, max_instructions=bad)


# ---- (d) timing parameters: names, types, ranges -------------------------------------------------
@pytest.mark.parametrize("kw,needle", [({"alu": "fast"}, "'alu'"), ({"alu": -1}, ">= 1"),
                                       ({"alu": 0}, ">= 1"), ({"load_use": -1}, ">= 0"),
                                       ({"mulh": 2.5}, "not an integer"), ({"jump": True}, "not an"),
                                       ({"branch_taken": 0}, ">= 1"), ({"bogus": 1}, "allowed"),
                                       ({"branch": 4}, "branch_taken"), ({"csr_fast": 9}, "csr_slow")])
def test_ri5cy_timing_refuses(kw, needle):
    t = RI5CYTiming()
    before = t.as_dict()
    with pytest.raises(IsasimError) as e:
        t.override(**kw)
    assert needle in str(e.value), str(e.value)
    assert t.as_dict() == before                    # nothing half-applied


def test_ri5cy_timing_accepts_ints_and_integer_strings():
    t = RI5CYTiming().override(alu="2", load_use=0, div_base="0x4")
    assert (t.alu, t.load_use, t.div_base) == (2, 0, 4)


@pytest.mark.parametrize("kw,needle", [({"quantum": 0}, ">= 1"), ({"ring": 0}, ">= 1"),
                                       ({"tcdm_banks": -2}, ">= 1"), ({"l2_latency": -1}, ">= 0"),
                                       ({"quantum": "big"}, "not an integer"),
                                       ({"tcdm_size": 4 << 20}, "event unit"), ({"x": 1}, "allowed")])
def test_cluster_config_refuses(kw, needle):
    with pytest.raises(IsasimError) as e:
        ClusterConfig().override(**kw)
    assert needle in str(e.value), str(e.value)


def test_validate_timing_splits_both_sets():
    t, cfg = validate_timing({"alu": "2", "quantum": 128, "l2_latency": "0"})
    assert (t.alu, cfg.quantum, cfg.l2_latency) == (2, 128, 0)
    t, cfg = validate_timing(None)
    assert t.as_dict() == RI5CYTiming().as_dict() and cfg == ClusterConfig()
    with pytest.raises(IsasimError) as e:
        validate_timing({"quantom": 3})
    assert "quantom" in str(e.value) and "quantum" in str(e.value) and "load_use" in str(e.value)


@pytest.mark.parametrize("target,item", [("ri5cy", "alu=fast"), ("ri5cy", "load_use=-3"),
                                         ("gap8", "l2_latency=-5"), ("gap8", "quantum=x")])
def test_cli_bad_timing_is_a_user_error(tmp_path, capsys, target, item):
    (tmp_path / "k.S").write_text("  .text\n  .globl main\nmain:\n  li a0, 0\n  ret\n")
    elf = build_elf(target, [str(tmp_path / "k.S")], str(tmp_path / "k.elf"))
    assert main(["exec", elf, "--target", target, "--timing", item]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("isasim: error:") and item.split("=")[0] in err and "\n" not in err


# ---- (e) results schema: cycles, core_cycles, every stall cause ------------------------------------
def issue_cycles(op_counts, timing=RI5CYTiming()):
    """Static issue cost of the executed instructions (classes whose extra cycles are stalls
    count 1): independent of the engine's counters."""
    tot = 0
    for name, n in op_counts.items():
        cls = T.by_name[name][0].timing
        tot += n * (1 if cls in ("jump", "mulh", "div", "elw") else timing.base_cycles(cls))
    return tot


def test_gap8_core_cycles_minus_stalls_are_the_issue_cycles(tmp_path):
    elf = build_elf("gap8", [PDOT], str(tmp_path / "p.elf"), include_dirs=[INC])
    res = run_cluster(elf, cores=8, timing={"l2_latency": 7})
    assert res["stall_causes"] == list(STALL_KEYS) and list(res["stalls"]) == list(STALL_KEYS)
    assert res["stalls"]["barrier"] > 0
    rest = res["core_cycles"] - sum(res["stalls"].values())
    assert rest >= 0 and rest == issue_cycles(res["op_counts"])
    assert res["core_cycles"] == sum(p["cycles"] for p in res["per_core"])
    assert res["cycles"] == res["per_core"][0]["end_cycle"]          # wall cycles unchanged
    for p in res["per_core"]:
        assert list(p["stalls"]) == list(STALL_KEYS)


def test_ri5cy_stalls_have_every_cause(tmp_path):
    (tmp_path / "k.S").write_text("  .text\n  .globl main\nmain:\n  li a0, 0\n  ret\n")
    res = run_elf(build_elf("ri5cy", [str(tmp_path / "k.S")], str(tmp_path / "k.elf")), "ri5cy")
    assert res["stall_causes"] == list(STALL_CAUSES) and list(res["stalls"]) == list(STALL_CAUSES)
    assert res["cycles"] - sum(res["stalls"].values()) == issue_cycles(res["op_counts"])


# ---- (f) hardware-loop bodies the core does not support ------------------------------------------
def hwloop_run(body, count=4):
    """lp.setupi x0, count, <last>: body = list of encoded instructions, the last one ends the loop."""
    last = 4 + sum(len(b) for b in body[:-1])           # lpend: the address of the last one
    code = li(10, 0) + enc("lp.setupi", L=0, uimm=count, loff=last) + b"".join(body) + EXIT
    core = RI5CY(Program.from_code(code, L2_BASE))
    core.run(max_instructions=1000)
    return core


@pytest.mark.parametrize("last,name", [
    (enc("beq", rs1=0, rs2=0, off=4), "beq"),          # taken
    (enc("bne", rs1=0, rs2=0, off=8), "bne"),          # not taken: still refused (UM)
    (enc("jal", rd=0, off=4), "jal"),
    (enc("c.j", off=2), "c.j"),
    (enc("p.beqimm", rs1=0, imm5=0, off=4), "p.beqimm"),
])
def test_branch_or_jump_ending_a_hwloop_is_refused(last, name):
    with pytest.raises(SimError) as e:
        hwloop_run([enc("addi", rd=10, rs1=10, imm=1), last])
    msg = str(e.value)
    pc = L2_BASE + 8 + 4 + 4
    assert f"pc 0x{pc:08x}" in msg and "hardware loop 0" in msg and "\n" not in msg, msg
    assert name.split(".")[-1] in msg or name in msg


def test_branch_inside_a_hwloop_body_is_fine():
    core = hwloop_run([enc("bne", rs1=0, rs2=0, off=4), enc("addi", rd=10, rs1=10, imm=1)])
    assert int(core.R[10]) == 4


def test_hwloop_count_zero_runs_the_body_once():
    """riscv_hwloop_controller.sv: with lpcount = 0 the end-address comparator never fires, so the
    body is straight-line code executed once (as lpcount = 1); GVSoC does the same."""
    for count in (0, 1):
        core = hwloop_run([enc("addi", rd=10, rs1=10, imm=1), enc("addi", rd=10, rs1=10, imm=2)],
                          count=count)
        assert int(core.R[10]) == 3
