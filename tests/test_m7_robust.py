"""Cortex-M7: every number is right or absent. Interrupts and hook failures stop the run, bad
parameters and inputs are one-line errors, timing overrides take effect, faults that silicon
raises (unaligned LDRD/LDM/LDREX..., SVC) are reported at the faulting instruction."""
import os
import re
import signal
import struct
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from isasim.cores import cm7
from isasim.platforms import stm32h7
from isasim.simulate import run_elf
from isasim.cores.cm7 import Cm7Core
from isasim.cores.cm7.traps import Cost, register_cde, register_udf
from isasim.errors import IsasimError, SimError
from isasim.timing.cm7 import CM7Timing
from isasim.toolchain.build import build_elf
from m7code import HEAD

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MICRO = os.path.join(ROOT, "kernels_asm", "cm7", "micro")


def _build(tmp_path, body, name="k", defines=(), plugins=()):
    src = tmp_path / f"{name}.S"
    src.write_text(HEAD + body + "\n")
    out = str(tmp_path / f"{name}.elf")
    build_elf("cm7", [str(src)], out, defines=list(defines), plugins=list(plugins))
    return out


def _micro(tmp_path, name, n):
    out = str(tmp_path / f"{name}_{n}.elf")
    build_elf("cm7", [os.path.join(MICRO, name + ".S")], out, defines=[f"N={n}"])
    return out


def _one_line(excinfo):
    msg = str(excinfo.value)
    assert "\n" not in msg and msg
    return msg


# ---------------------------------------------------------------------------------------------
# A.1 Ctrl-C and exceptions in hooks stop the emulation and propagate
# ---------------------------------------------------------------------------------------------
# Long straight-line blocks: most of the time is spent inside Unicorn, so a SIGINT is handled at
# the entry of the next Python callback -- the place where it used to be swallowed by ctypes.
LONG_BLOCK = "  movs r0, #0\n  ldr r1, =N\n1:\n" + "  adds r0, r0, #1\n" * 400 + \
    "  subs r1, r1, #1\n  bne 1b\n  movs r0, #0\n  bx lr\n  .pool"


def _interrupt_after(seconds):
    """Send SIGINT to this process after ``seconds`` unless cancelled (returns cancel())."""
    state = {"armed": True}
    lock = threading.Lock()

    def fire():
        with lock:
            if state["armed"]:
                state["armed"] = False
                os.kill(os.getpid(), signal.SIGINT)
    t = threading.Timer(seconds, fire)
    t.start()

    def cancel():
        with lock:
            state["armed"] = False
        t.join()
    return cancel


@pytest.mark.parametrize("path,n", [("block", 1_000_000), ("trace", 3000)])
def test_sigint_stops_the_run(tmp_path, sigint_default, path, n):
    # unstopped, each run takes several seconds (block: ~400 M instructions; trace: ~1.2 M lines)
    elf = _build(tmp_path, LONG_BLOCK, defines=[f"N={n}"])
    trace = str(tmp_path / "t.log") if path == "trace" else None
    cancel = _interrupt_after(0.3)
    t0 = time.monotonic()
    try:
        with pytest.raises(KeyboardInterrupt):
            stm32h7.run(elf, trace=trace)
    finally:
        cancel()
    assert time.monotonic() - t0 < 3.0
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler   # handler restored


LOOP = "  movs r0, #0\n1:\n  adds r0, r0, #1\n  b 1b"


@pytest.mark.parametrize("path", ["block", "trace"])
def test_sigint_exec_cli_exits_130(tmp_path, sigint_default, path):
    elf = _build(tmp_path, LOOP)
    log = tmp_path / "t.log"
    cmd = [sys.executable, "-m", "isasim", "exec", elf, "--target", "cm7"]
    if path == "trace":
        cmd += ["--trace", str(log)]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:      # until the endless loop is surely running
            time.sleep(0.2)
            if path == "block" and time.monotonic() > deadline - 17:
                break
            if path == "trace" and log.exists() and log.stat().st_size > 10000:
                break
        p.send_signal(signal.SIGINT)
        t0 = time.monotonic()
        out, err = p.communicate(timeout=10)
    finally:
        if p.poll() is None:
            p.kill()
            p.communicate()
    assert p.returncode == 130, err
    assert time.monotonic() - t0 < 5
    assert out == "" and "exit code" not in err and "Traceback" not in err
    assert err.strip() == "isasim: interrupted"


def test_hook_exception_is_one_line_simerror(tmp_path, monkeypatch):
    elf = _build(tmp_path, "  movs r0, #0\n  bx lr")

    def broken(self, *a):
        raise ZeroDivisionError("model bug")
    monkeypatch.setattr(Cm7Core, "_block", broken)
    with pytest.raises(SimError) as e:
        stm32h7.run(elf)
    msg = _one_line(e)
    assert "block hook" in msg and "pc 0x" in msg and "word 0x" in msg and "ZeroDivisionError" in msg
    monkeypatch.setattr(Cm7Core, "_decode_at", broken)
    with pytest.raises(SimError) as e:
        stm32h7.run(elf, trace=str(tmp_path / "t.log"))
    msg = _one_line(e)
    assert "trace hook" in msg and "pc 0x" in msg and "word 0x" in msg and "ZeroDivisionError" in msg


def test_semihosting_hook_exception_is_one_line_simerror(tmp_path, monkeypatch):
    elf = _build(tmp_path, "  movs r0, #0\n  bx lr")

    def broken(self, pc):
        raise RuntimeError("semihosting bug")
    monkeypatch.setattr(Cm7Core, "_semihost", broken)
    for trace in (None, str(tmp_path / "t.log")):
        with pytest.raises(SimError) as e:
            stm32h7.run(elf, trace=trace)
        msg = _one_line(e)
        assert "interrupt hook" in msg and "word 0xbeab" in msg and "RuntimeError" in msg


def _interrupting_handler(ctx):
    raise KeyboardInterrupt


@pytest.mark.parametrize("trace", [False, True])
def test_keyboard_interrupt_in_trap_handlers_propagates(tmp_path, trace):
    tr = str(tmp_path / "t.log") if trace else None
    udf = _build(tmp_path, "  movs r0, #1\n  udf #42\n  bx lr", name="u")
    with pytest.raises(KeyboardInterrupt):
        stm32h7.run(udf, traps=[register_udf(_interrupting_handler, Cost(), imm=42)], trace=tr)
    cde = _build(tmp_path, "  movs r0, #1\n  .inst.w 0xEE801092\n  bx lr", name="c")
    with pytest.raises(KeyboardInterrupt):
        stm32h7.run(cde, traps=[register_cde(0, _interrupting_handler, Cost())], trace=tr)


# ---------------------------------------------------------------------------------------------
# A.2 max_instructions: None = no limit, a positive int = limit, anything else an error
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "100", 10 ** 3 + 0.0])
def test_max_instructions_must_be_a_positive_int(tmp_path, bad):
    elf = _build(tmp_path, "  movs r0, #0\n  bx lr")
    for fn in (lambda: stm32h7.run(elf, max_instructions=bad),
               lambda: run_elf(elf, "cm7", max_instructions=bad),
               lambda: Cm7Core(elf).run(max_instructions=bad)):
        with pytest.raises(IsasimError) as e:      # SimError from the core, bad input from run_elf
            fn()
        assert re.search("max.instructions must be a positive integer", _one_line(e))


def test_max_instructions_none_and_positive(tmp_path):
    elf = _build(tmp_path, "  ldr r1, =5000\n1:\n  subs r1, r1, #1\n  bne 1b\n  movs r0, #0\n"
                 "  bx lr\n  .pool")
    full = stm32h7.run(elf, max_instructions=None)
    assert full["exit_code"] == 0 and full["instructions"] > 10000
    assert stm32h7.run(elf, max_instructions=np.int64(full["instructions"]))["cycles"] == full["cycles"]
    with pytest.raises(SimError) as e:
        stm32h7.run(elf, max_instructions=full["instructions"] // 2)
    assert "runaway" in _one_line(e)


# ---------------------------------------------------------------------------------------------
# A.3 timing parameters: validated, applied, reported
# ---------------------------------------------------------------------------------------------
def test_cm7timing_override_validation():
    t = CM7Timing()
    assert t.override(mispredict_penalty="6", predictor="taken") is t
    assert t.as_dict()["mispredict_penalty"] == 6 and t.predictor == "taken"
    for kw, words in [({"mispredict": 3}, ["mispredict_penalty", "lat_mac", "flash_wait_states"]),
                      ({"lat_mac": -1}, [">= 0"]), ({"alu_units": 0}, [">= 1"]),
                      ({"predictor": "gshare"}, ["btfn", "not_taken"]),
                      ({"lat_load_word": 1.5}, ["integer"]), ({"lat_load_word": "two"}, ["integer"]),
                      ({"axi_latency": True}, ["integer"])]:
        before = CM7Timing().as_dict()
        t = CM7Timing()
        with pytest.raises(SimError) as e:
            t.override(lat_alu=3, **kw)      # all-or-nothing: lat_alu is not applied either
        msg = _one_line(e)
        assert all(w in msg for w in words), msg
        assert t.as_dict() == before


def _cpi(tmp_path, name, **kw):
    a = run_elf(_micro(tmp_path, name, 8), "cm7", **kw)
    b = run_elf(_micro(tmp_path, name, 24), "cm7", **kw)
    return (b["cycles"] - a["cycles"]) / 16, b


def test_timing_overrides_reach_the_model(tmp_path):
    # branch_fwd_taken.S: c0 bne | add, c1 cmp, c2 beq (mispredicted, flags from c1), subs at
    # c2 + penalty, bne next: 3 + mispredict_penalty cycles/iteration
    cpi, res = _cpi(tmp_path, "branch_fwd_taken")
    assert cpi == 3 + 8 and res["timing"] == CM7Timing().as_dict()
    cpi, res = _cpi(tmp_path, "branch_fwd_taken", timing={"mispredict_penalty": 10})
    assert cpi == 3 + 10 and res["timing"]["mispredict_penalty"] == 10
    # alu_pairs.S: 3 cycles; the back-edge mispredicts when predicted not taken (flags from the
    # cycle before it): + mispredict_penalty
    cpi, res = _cpi(tmp_path, "alu_pairs", timing={"predictor": "not_taken"})
    assert cpi == 3 + 8 and res["timing"]["predictor"] == "not_taken"
    with pytest.raises(IsasimError) as e:      # a bad option: bad input (exit 2)
        run_elf(_micro(tmp_path, "alu_pairs", 8), "cm7", timing={"mispredict_penalty": -2})
    assert "mispredict_penalty" in _one_line(e)


def test_timing_override_from_the_cli(tmp_path, capsys):
    import json
    from isasim.cli import main
    elf = _micro(tmp_path, "branch_fwd_taken", 8)
    assert main(["exec", elf, "--target", "cm7", "--json"]) == 0
    base = json.loads(capsys.readouterr().out)
    assert main(["exec", elf, "--target", "cm7", "--json", "--timing", "mispredict_penalty=10"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["timing"]["mispredict_penalty"] == 10
    # every misprediction of this program has its flags set in the cycle before the branch or is
    # an indirect return: each costs mispredict_penalty (8 -> 10)
    assert res["cycles"] - base["cycles"] == (10 - 8) * base["mispredicts"] > 0
    assert main(["exec", elf, "--target", "cm7", "--timing", "lat_bogus=1"]) != 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "lat_bogus" in err and "mispredict_penalty" in err


# One kernel that exercises every class the model distinguishes; every knob must change its cycles.
KNOBS_SRC = r"""
  push {r4-r11, lr}
  ldr r0, =buf
  ldr r4, =axi
  ldr r12, =N
  mov lr, #3                @ a constant for the segments below
1:
  ldr r1, [r0]              @ load word -> ALU use
  add r2, r1, r1
  ldrb r3, [r0, #1]         @ sub-word load -> use
  add r2, r2, r3
  ldrd r6, r7, [r0]         @ load dual -> use
  add r2, r2, r6
  ldm r0, {r5-r8}           @ load multiple (occupancy, latency) -> use
  add r2, r2, r8
  ldr r5, [r0, r2, lsl #2]  @ address read early: depends on r2 just computed ...
  mov r5, #0
  ldr r1, [r0], #4          @ post-indexed: base update latency -> immediate reuse of r0
  ldr r1, [r0, #-4]!
  add r3, r2, r2, lsl #1    @ shifted operand (shifter, early read, latency)
  add r3, r3, r3
  cmp r3, r2, lsl #1        @ compare with shift -> flags used by an IT block
  it ne
  addne r3, r3, #1
  mul r5, r3, r3            @ multiply -> dependent MAC (accumulator read late)
  mla r5, r5, r3, r5
  mla r5, r3, r3, r5
  sdiv r6, r5, r12          @ divide -> use
  add r5, r6, r5
  sxtb16 r6, r5             @ SIMD latency 1, BeginGroup, one SIMD unit per cycle
  sxtb16 r7, r6
  qadd16 r7, r7, r6         @ SIMD latency 2
  add r7, r7, r7
  rev r8, r7                @ SIMD latency 0
  clz r8, r8                @ slot-0 only, latency 1
  add r8, r8, r8
  add r9, r8, #1            @ two ALU ops in one cycle (ALU units)
  add r10, r8, #2
  add r11, r7, #3
  str r9, [r0, #16]         @ store data read late; two stores (store units)
  str r10, [r0, #20]
  nop                       @ (single-issue: the next two instructions may pair, and a pair
  @                           refused by a resource limit costs a cycle the next nop cannot hide)
  ldr r9, [r0, #8]          @ two independent loads (load units)
  ldr r10, [r0, #12]
  nop
  add r9, r8, r8, lsl #2    @ two independent shifted operands (shifter units)
  add r10, r7, r7, lsl #3
  nop
  ldrb r9, [r0, #2]         @ load (latency 2) feeding a MAC accumulator (read late)
  mla r9, r3, r3, r9
  nop
  sxtb16 r6, r5             @ SIMD op + trapped SIMD-resource instruction (SIMD units)
  .inst.w 0xEE00B100        @ cx1 p1, r11, #0 (trap cost: simd, dual issue)
  nop
  .inst.w 0xEE00B200        @ cx1 p2, r11, #0 (trap cost: branch, dual issue) + branch (units)
  b 5f
5:
  nop
  ldr r9, [r4]              @ AXI SRAM access (wait states)
  mrs r9, apsr              @ system class
  add r9, r9, r9
  mul r10, r9, r9           @ two independent multiplies (MAC units)
  mul r11, r3, r3
  cmp r12, #0               @ forward conditional branch, not taken (predictor)
  beq 4f
  add r9, r9, #1
4:
  and r10, r9, #3
  tbb [pc, r10]             @ table branch (issue cycles), indirect (mispredict penalty)
2: .byte (3f - 2b) / 2, (3f - 2b) / 2, (3f - 2b) / 2, (3f - 2b) / 2
3:
  @ Segments for the measured rules (cm7_measured.md §1); each ends with a single-issue LDRD so
  @ that one cycle more or less is not hidden by the pairing of what follows.
  cmp lr, #3                @ Z = 1: flags set 3 cycles before the mispredicted beq (penalty 6)
  nop
  nop
  nop
  nop
  beq 6f                    @ forward, taken: mispredicted (BTFN)
  nop
6:
  cmp lr, #0                @ Z = 0: the forward beq is not taken and pairs with the add
  beq 7f
  add r5, lr, #1
7:
  ldrd r6, r7, [r0]
  mul r5, lr, lr            @ two independent MULs (MAC units)
  mul r6, lr, lr
  ldrd r6, r7, [r0]
  mul r5, lr, lr            @ MUL + store (no pairing)
  str lr, [r0, #24]
  ldrd r6, r7, [r0]
  add r5, lr, lr, lsl #2    @ two inline-shifted operands (shifter units)
  add r6, lr, lr, lsl #3
  ldrd r6, r7, [r0]
  b 8f                      @ a branch + a branch-resource trap at its target (branch units)
8:
  .inst.w 0xEE00B200
  ldrd r6, r7, [r0]
  ldrb r5, [r0, #2]         @ byte load -> MAC accumulator (read late)
  mla r5, lr, lr, r5
  ldrd r6, r7, [r0]
  ldr r5, [r0]              @ word load -> multiplicand (one cycle more than an ALU)
  mul r6, r5, lr
  ldrd r6, r7, [r0]
  ldr r5, [r0]              @ word load -> instruction with an early operand
  add r6, r5, lr, lsl #1
  ldrd r6, r7, [r0]
  ldr r5, [r0]              @ two loads to the same bank
  ldr r6, [r0, #8]
  ldrd r6, r7, [r0]
  ldr r5, [r0, #1]          @ unaligned load, older op
  ldrd r6, r7, [r0]
  ldr r5, [r0]              @ unaligned load, younger op (other bank)
  ldr r6, [r0, #5]
  ldrd r6, r7, [r0]
  ldr r5, [r0, #4]          @ unaligned load, younger op, same first bank as the older
  ldr r6, [r0, #5]
  ldrd r6, r7, [r0]
  strb lr, [r0, #28]        @ byte stores to one bank: the store buffer fills
  strb lr, [r0, #28]
  strb lr, [r0, #28]
  strb lr, [r0, #28]
  strb lr, [r0, #28]
  strb lr, [r0, #28]
  strb lr, [r0, #28]
  ldrd r6, r7, [r0]
  ldr r5, =buf2 + 4         @ STM of 2 registers to an address that is not 8-byte aligned
  stm r5, {r6, r7}
  ldrd r6, r7, [r0]
  ldr r5, =0x30000000       @ SRAM1 (behind the AXI->AHB bridge): a D-cache miss the first time
  ldr r5, [r5]
  str lr, [r4, #4]          @ a store to AXI SRAM (uncached with the D-cache off)
  add r5, r4, #4096         @ five dirty lines of one D-cache set (4 ways): write-backs
  str lr, [r4]
  str lr, [r5]
  add r5, r5, #4096
  str lr, [r5]
  add r5, r5, #4096
  str lr, [r5]
  add r5, r5, #4096
  str lr, [r5]
  subs r12, r12, #1
  bne 1b
  movs r0, #0
  pop {r4-r11, pc}
  .pool
  .data
  .balign 8
buf: .word 1, 2, 3, 4, 5, 6, 7, 8, 9, 10
buf2: .word 0, 0, 0, 0
  .section .axisram, "aw"
axi: .word 7
  .space 20480
"""


def _set_r11(ctx):
    ctx.write(ctx.rd, 5)


def test_every_timing_knob_changes_the_cycles(tmp_path):
    elf = _build(tmp_path, KNOBS_SRC, defines=["N=20"])
    traps = [register_cde(1, _set_r11, Cost(resource="simd", dual_issue=True)),
             register_cde(2, _set_r11, Cost(resource="branch", dual_issue=True))]
    base = stm32h7.run(elf, traps=traps)
    assert base["exit_code"] == 0
    uncached = stm32h7.run(elf, traps=traps, memory={"dcache": "off"})   # for uncached_store
    traced = stm32h7.run(elf, traps=traps, trace=str(tmp_path / "t.log"))   # TBB: trace path = block path
    assert (traced["cycles"], traced["instructions"]) == (base["cycles"], base["instructions"])
    dead = []
    for k, v in CM7Timing().as_dict().items():
        if k == "predictor":
            new = {"predictor": "taken"}
        elif k.endswith("_units"):
            new = {k: 3} if v == 1 else {k: 1}
        elif k == "ldm_regs_per_cycle":
            new = {k: 1}
        elif k in CM7Timing._MAX:               # 0/1 switches
            new = {k: 1 - v}
        elif k == "occ_table_branch":           # the TBB mispredicts: beyond its penalty
            new = {k: v + 10}
        else:
            new = {k: v + 5}
        if k == "uncached_store":
            if stm32h7.run(elf, timing=new, traps=traps,
                           memory={"dcache": "off"})["cycles"] == uncached["cycles"]:
                dead.append(k)
        elif stm32h7.run(elf, timing=new, traps=traps)["cycles"] == base["cycles"]:
            dead.append(k)
    assert dead == []


# ---------------------------------------------------------------------------------------------
# A.4 truncated or corrupt ELF: one-line errors
# ---------------------------------------------------------------------------------------------
def test_truncated_and_corrupt_elf_are_one_line_errors(tmp_path):
    elf = _build(tmp_path, "  movs r0, #0\n  bx lr")
    data = open(elf, "rb").read()
    bad = tmp_path / "bad.elf"
    cases = [data[:n] for n in (4, 20, 40, 52, 60, 100, 200, len(data) // 2, len(data) - 30)]
    # program header table moved past the end of the file; section header table likewise
    for off, fmt, val in ((28, "<I", len(data) + 64), (32, "<I", len(data) - 8),
                          (46, "<H", 1), (44, "<H", 5000), (48, "<H", 0xFFFF)):
        b = bytearray(data)
        struct.pack_into(fmt, b, off, val)
        cases.append(bytes(b))
    for case in cases:
        bad.write_bytes(case)
        with pytest.raises(IsasimError) as e:     # bad input (isasim.elf), exit status 2
            stm32h7.run(str(bad))
        assert "bad.elf" in _one_line(e)


def test_segment_data_past_end_of_file(tmp_path):
    # a PT_LOAD segment whose file data extends past the end of the file must not be loaded short
    elf = _build(tmp_path, "  movs r0, #0\n  bx lr")
    b = bytearray(open(elf, "rb").read())
    phoff, = struct.unpack_from("<I", b, 28)
    phentsize, phnum = struct.unpack_from("<HH", b, 42)
    for i in range(phnum):
        p = phoff + i * phentsize
        ptype, poff, _, _, filesz = struct.unpack_from("<IIIII", b, p)
        if ptype == 1 and filesz:
            struct.pack_into("<I", b, p + 16, len(b) - poff + 4096)     # p_filesz
            struct.pack_into("<I", b, p + 20, len(b) - poff + 4096)     # p_memsz
            break
    bad = tmp_path / "short.elf"
    bad.write_bytes(bytes(b))
    with pytest.raises(IsasimError) as e:
        stm32h7.run(str(bad))
    assert "past the end of the file" in _one_line(e)


# ---------------------------------------------------------------------------------------------
# A.5 accesses that fault on silicon with the default CCR (UsageFault UNALIGNED)
# ---------------------------------------------------------------------------------------------
# Cortex-M7 Devices Generic User Guide (Arm DUI 0646C) §3.3.5 "Address alignment": unaligned
# accesses are supported only by LDR, LDRT, LDRH, LDRHT, LDRSH, LDRSHT, STR, STRT, STRH, STRHT;
# every other load/store faults on an unaligned address. Word-sized ones need 4-byte alignment
# (LDRD/STRD included), LDREXH/STREXH 2-byte.
FAULTING = {
    "ldrd": ("  ldr r2, =buf+2\n  ldrd r0, r1, [r2]", "ldrd"),
    "strd": ("  ldr r2, =buf+1\n  strd r0, r1, [r2, #8]", "strd"),
    "ldrd_post": ("  ldr r2, =buf+2\n  ldrd r0, r1, [r2], #8", "ldrd"),
    "ldm": ("  ldr r2, =buf+2\n  ldm r2, {r0, r1}", "ldm"),
    "stm": ("  ldr r2, =buf+2\n  stmia r2!, {r0, r1}", "stm"),
    "stmdb": ("  ldr r2, =buf+10\n  stmdb r2, {r0, r1}", "stmdb"),
    "ldrex": ("  ldr r2, =buf+2\n  ldrex r0, [r2]", "ldrex"),
    "strex": ("  ldr r2, =buf+1\n  strex r0, r1, [r2]", "strex"),
    "ldrexh": ("  ldr r2, =buf+1\n  ldrexh r0, [r2]", "ldrexh"),
    "vldr": ("  .fpu fpv5-d16\n  ldr r2, =buf+2\n  vldr s0, [r2]", "vldr"),
    "vstr": ("  .fpu fpv5-d16\n  ldr r2, =buf+2\n  vstr d0, [r2, #8]", "vstr"),
    "vldm": ("  .fpu fpv5-d16\n  ldr r2, =buf+1\n  vldmia r2, {s0-s1}", "vldmia"),
}
DATA = "\n  movs r0, #0\n  bx lr\n  .pool\n  .data\n  .balign 8\nbuf: .space 64\n"


@pytest.mark.parametrize("name", sorted(FAULTING))
@pytest.mark.parametrize("trace", [False, True])
def test_unaligned_access_faults(tmp_path, name, trace):
    body, mnemonic = FAULTING[name]
    elf = _build(tmp_path, body + DATA, name=name)
    with pytest.raises(SimError) as e:
        stm32h7.run(elf, trace=str(tmp_path / "t.log") if trace else None)
    msg = _one_line(e)
    assert "unaligned" in msg and "UsageFault" in msg and mnemonic in msg, msg
    core = Cm7Core(elf)
    base = core.symbols["_start"] & ~1                    # the start of the code (flash or ITCM)
    insn = next(i for i in core.cs.disasm(bytes(core.uc.mem_read(base, 0x400)), base)
                if i.mnemonic.split(".")[0] == mnemonic)
    assert f"pc {insn.address:#010x}" in msg and f"{int.from_bytes(insn.bytes[:2], 'little'):04x}" in msg


ALLOWED = r"""
  push {r4-r7, lr}
  sub sp, sp, #12
  strd r0, r1, [sp, #4]
  add sp, sp, #12
  ldr r2, =buf
  ldr r0, =0x04030201
  str r0, [r2, #1]            @ unaligned STR/LDR/LDRH are allowed (DUI 0646C §3.3.5)
  ldr r1, [r2, #1]
  ldrh r3, [r2, #3]
  add r1, r1, r3
  ldrd r4, r5, [r2, #4]       @ word-aligned (not 8-byte aligned) LDRD/LDM are fine
  add r3, r2, #4
  ldm r3, {r4, r5}
  add r3, r2, #1
  ldrexb r4, [r3]             @ byte exclusives are always aligned
  ldr r0, =res
  str r1, [r0]
  movs r0, #0
  pop {r4-r7, pc}
  .pool
  .data
  .balign 8
buf: .space 64
  .globl res
res: .word 0
"""


@pytest.mark.parametrize("trace", [False, True])
def test_allowed_unaligned_accesses_run(tmp_path, trace):
    # also: push/pop/ldm on SP and word-multiple SP arithmetic need no check (SP stays aligned)
    elf = _build(tmp_path, ALLOWED)
    core = Cm7Core(elf)
    core.run(trace=str(tmp_path / "t.log") if trace else None)
    assert core.exit_code == 0
    assert core.read_symbol_u32("res") == 0x04030201 + 0x0403


def test_alignment_checks_keep_cycles(tmp_path):
    # the hooks of the checks do not change the cycle model: same cycles in both paths
    elf = _build(tmp_path, ALLOWED)
    a = stm32h7.run(elf)
    b = stm32h7.run(elf, trace=str(tmp_path / "t.log"))
    assert (a["cycles"], a["instructions"], a["stalls"]) == (b["cycles"], b["instructions"], b["stalls"])


@pytest.mark.parametrize("body,writer", [
    ("  sub sp, sp, #2\n  push {r0, r1}", "sp, #2"),          # SP arithmetic breaking alignment
    ("  mov r3, sp\n  adds r3, #1\n  mov sp, r3\n  nop", "mov sp, r3"),
    ("  ldr r3, =0x2000fff3\n  mov sp, r3\n  b 1f\n1:\n  nop\n  .pool", "mov sp, r3")])
@pytest.mark.parametrize("trace", [False, True])
def test_misaligned_stack_pointer_is_refused(tmp_path, body, writer, trace):
    # Armv7-M forces SP[1:0] to 0 (writing them is UNPREDICTABLE); Unicorn keeps them
    elf = _build(tmp_path, body + "\n  movs r0, #0\n  bx lr")
    with pytest.raises(SimError) as e:
        stm32h7.run(elf, trace=str(tmp_path / "t.log") if trace else None)
    msg = _one_line(e)
    assert "stack pointer" in msg and "UNPREDICTABLE" in msg and "SP = 0x" in msg, msg
    assert writer in msg, msg


# ---------------------------------------------------------------------------------------------
# A.6 SVC names its own pc and word
# ---------------------------------------------------------------------------------------------
def test_svc_error_names_the_svc(tmp_path):
    elf = _build(tmp_path, "  nop\n  svc #3\n  movs r0, #0\n  bx lr")
    core = Cm7Core(elf)
    svc = (core.symbols["main"] & ~1) + 2
    for trace in (None, str(tmp_path / "t.log")):
        with pytest.raises(SimError) as e:
            stm32h7.run(elf, trace=trace)
        msg = _one_line(e)
        assert f"pc {svc:#010x}" in msg and "0xdf03" in msg and "svc" in msg.lower(), msg


# ---------------------------------------------------------------------------------------------
# A.7 MACs of plug-in instructions are reported
# ---------------------------------------------------------------------------------------------
def test_results_report_plugin_macs(tmp_path):
    elf = _build(tmp_path, "  movs r0, #0\n  movs r1, #1\n  movs r2, #1\n  ldr r3, =10\n"
                 "1:\n  qnn.sdot4 r0, r1, r2\n  qnn.xnorpc r0, r1, r2\n  subs r3, r3, #1\n"
                 "  bne 1b\n  movs r0, #0\n  bx lr\n  .pool", plugins=["qnn"])
    res = run_elf(elf, "cm7", plugins=["qnn"])
    assert res["plugin_counts"] == {"qnn.sdot4": 10, "qnn.xnorpc": 10}
    assert res["macs"] == 10 * 8 + 10 * 32                   # params={"macs": 8} and {"macs": 32}
    plain = _build(tmp_path, "  movs r0, #0\n  bx lr", name="plain")
    assert run_elf(plain, "cm7")["macs"] == 0
