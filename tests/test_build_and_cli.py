"""Foundation: build for both targets, ELFs readable by pyelftools, build cache, CLI errors."""
import json
import os
import subprocess
import sys
import time

import pytest
from elftools.elf.elffile import ELFFile

from isasim.cli import main

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RV_EX = os.path.join(ROOT, "kernels_asm", "ri5cy", "examples", "dotp_hwloop.S")
CM7_EX = os.path.join(ROOT, "kernels_asm", "cm7", "examples", "q7_dot_smlad.S")


def cli(args, capsys):
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def elf_info(path):
    with open(path, "rb") as f:
        e = ELFFile(f)
        secs = {s.name: s["sh_addr"] for s in e.iter_sections()}
        syms = {s.name: s["st_value"] for s in e.get_section_by_name(".symtab").iter_symbols()}
        return e["e_machine"], secs, syms


def test_build_cm7_cmsis_style(tmp_path, capsys):
    out = tmp_path / "q7.elf"
    code, _, err = cli(["build", "--target", "cm7", CM7_EX, "-o", str(out), "-q"], capsys)
    assert code == 0, err
    machine, secs, syms = elf_info(out)
    assert machine == "EM_ARM"
    # flash / DTCM: the placement of the default operating point (code and weights in flash)
    assert secs[".text"] == 0x08000000 and secs[".data"] >= 0x20000000
    assert {"main", "_start", "vec_a"} <= set(syms)


def test_build_gap8_hwloop_postinc(tmp_path, capsys):
    out = tmp_path / "d.elf"
    code, _, err = cli(["build", "--target", "gap8", RV_EX, "-o", str(out), "-q"], capsys)
    assert code == 0, err
    machine, secs, syms = elf_info(out)
    assert machine == "EM_RISCV"
    assert secs[".text"] == 0x1C000000
    assert {"main", "_start", "vec_a", "vec_b"} <= set(syms)


def test_exec_json_and_exit_status(tmp_path, capsys):
    out = tmp_path / "d.elf"
    assert cli(["build", "--target", "ri5cy", RV_EX, "-o", str(out), "-q"], capsys)[0] == 0
    code, stdout, _ = cli(["exec", str(out), "--target", "ri5cy", "--json"], capsys)
    res = json.loads(stdout)
    assert code == 0 and res["exit_code"] == 0
    for k in ("exit_code", "instructions", "cycles", "energy_uj"):
        assert k in res
    assert res["cycles"] >= res["instructions"] > 16


@pytest.mark.parametrize("ret,code", [(42, 42), (256, 256), (-1, -1), (0, 0)])
def test_exec_exit_status_convention(tmp_path, capsys, ret, code):
    """Exit status 0 only for a program exit code of 0 (256 used to become 0: code mod 256); 1
    for any non-zero code, whose full value is printed and is exit_code in --json; simulator
    failures use other statuses (2, 3, 70, 130)."""
    src = tmp_path / "ret.S"
    src.write_text(f"  .text\n  .globl main\nmain:\n  li a0, {ret}\n  ret\n")
    out = tmp_path / "ret.elf"
    assert cli(["build", "--target", "ri5cy", str(src), "-o", str(out), "-q"], capsys)[0] == 0
    status, _, err = cli(["exec", str(out), "--target", "ri5cy"], capsys)
    assert status == (0 if code == 0 else 1) and f"exit code {code}:" in err
    status, stdout, _ = cli(["exec", str(out), "--target", "ri5cy", "--json"], capsys)
    res = json.loads(stdout)
    assert res["exit_code"] == code and res["status"] == "exit"


def test_exec_simulator_failure_is_not_an_exit_code(tmp_path, capsys):
    src = tmp_path / "bad.S"
    src.write_text("  .text\n  .globl main\nmain:\n  li a0, 3\n  .4byte 0xffffffff\n  ret\n")
    out = tmp_path / "bad.elf"
    assert cli(["build", "--target", "ri5cy", str(src), "-o", str(out), "-q"], capsys)[0] == 0
    status, stdout, err = cli(["exec", str(out), "--target", "ri5cy", "--json"], capsys)
    assert status == 3 and "illegal instruction" in err
    res = json.loads(stdout)
    assert res["status"] == "error" and "cycles" not in res and "exit_code" not in res


def test_c_source_with_inline_xpulp(tmp_path, capsys):
    src = tmp_path / "m.c"
    src.write_text("""
int main(void) {
    int acc = 0, a = 0x01020304, b = 0x01010101;
    asm volatile ("pv.sdotsp.b %0, %1, %2" : "+r"(acc) : "r"(a), "r"(b));
    return acc;   /* 1+2+3+4 */
}
""")
    out = tmp_path / "m.elf"
    assert cli(["build", "--target", "ri5cy", str(src), "-o", str(out), "-q"], capsys)[0] == 0
    assert "exit code 10:" in cli(["exec", str(out), "--target", "ri5cy"], capsys)[2]


def test_build_cache_is_used(tmp_path):
    from isasim.toolchain.build import build_elf
    src = tmp_path / "c.S"
    src.write_text("  .text\n  .globl main\nmain:\n  li a0, %d\n  ret\n" % (time.time_ns() % 1000))
    t0 = time.perf_counter()
    build_elf("ri5cy", [str(src)], str(tmp_path / "a.elf"))
    cold = time.perf_counter() - t0
    t0 = time.perf_counter()
    build_elf("ri5cy", [str(src)], str(tmp_path / "b.elf"))
    warm = time.perf_counter() - t0
    assert (tmp_path / "a.elf").read_bytes() == (tmp_path / "b.elf").read_bytes()
    assert warm < cold      # the link step is skipped on a hit


@pytest.mark.parametrize("text,needle", [
    ("  .text\nmain:\n  p.lw x5, 4(x6!)\n  bogus.op a0\n", ":4:"),                  # unknown mnemonic
    ("  .text\nmain:\n  nop\n  p.clip a0, a0, 99\n", ":4: 'p.clip': operand Is2 = 99"),  # range
    ("  .text\nmain:\n  lp.setup x2, a0, 1f\n1: nop\n", ":3: bad operands for 'lp.setup'"),
    ("  .text\nmain:\n  pv.sdotsp.b a0, a1\n", ":3: bad operands for 'pv.sdotsp.b'"),
    ("  .text\nmain:\n  p.lw a0, 4(a1)!\n", ":3: bad operands for 'p.lw'"),
])
def test_bad_assembly_one_line_error(tmp_path, capsys, text, needle):
    src = tmp_path / "bad.S"
    src.write_text(text)
    code, _, err = cli(["build", "--target", "gap8", str(src), "-o", str(tmp_path / "x.elf")], capsys)
    assert code != 0
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "bad.S" in lines[0] and needle in lines[0], lines[0]


def test_missing_file_and_link_error(tmp_path, capsys):
    code, _, err = cli(["build", "--target", "cm7", str(tmp_path / "nope.S"), "-o", "x.elf"], capsys)
    assert code != 0 and "nope.S: no such file" in err and len(err.strip().splitlines()) == 1
    src = tmp_path / "u.S"
    src.write_text("  .text\n  .globl main\nmain:\n  call undefined_kernel\n  ret\n")
    code, _, err = cli(["build", "--target", "ri5cy", str(src), "-o", str(tmp_path / "u.elf")], capsys)
    assert code != 0 and "undefined_kernel" in err and len(err.strip().splitlines()) == 1


def test_exec_errors_are_one_line(tmp_path, capsys):
    code, _, err = cli(["exec", str(tmp_path / "none.elf"), "--target", "ri5cy"], capsys)
    assert code != 0 and len(err.strip().splitlines()) == 1
    src = tmp_path / "spin.S"
    src.write_text("  .text\n  .globl main\nmain:\n1: j 1b\n")
    out = tmp_path / "spin.elf"
    assert cli(["build", "--target", "ri5cy", str(src), "-o", str(out), "-q"], capsys)[0] == 0
    code, _, err = cli(["exec", str(out), "--target", "ri5cy", "--max-instructions", "1000"], capsys)
    assert code != 0 and "--max-instructions" in err and len(err.strip().splitlines()) == 1


def test_cli_subprocess_no_traceback(tmp_path):
    """The installed entry point prints one line, never a traceback, for a bad target."""
    p = subprocess.run([sys.executable, "-m", "isasim", "exec", "x.elf", "--target", "ri5cy"],
                       capture_output=True, text=True, cwd=tmp_path)
    assert p.returncode != 0 and "Traceback" not in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1


def test_tohost_store_exits_riscv_tests_style(tmp_path, capsys):
    """riscv-tests convention: storing (code << 1) | 1 to the 'tohost' symbol ends the run."""
    src = tmp_path / "th.S"
    src.write_text("  .text\n  .globl _start\n_start:\n  la t0, tohost\n  li t1, (5 << 1) | 1\n"
                   "  sw t1, 0(t0)\n1: j 1b\n  .data\n  .balign 8\n  .globl tohost\ntohost: .dword 0\n")
    out = tmp_path / "th.elf"
    assert cli(["build", "--target", "ri5cy", str(src), "-o", str(out), "-q"], capsys)[0] == 0
    status, _, err = cli(["exec", str(out), "--target", "ri5cy", "--max-instructions", "100"], capsys)
    assert status == 1 and "exit code 5:" in err
