"""Cortex-M7 cycle model: microbenchmarks (exact cycles/iteration), architectural results,
trace path == fast path, wait states, predictor parameter, per-symbol profile."""
import os
import re

import pytest

from isasim.cores import cm7
from isasim.platforms import stm32h7
from isasim.toolchain.build import build_elf

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MICRO = os.path.join(ROOT, "kernels_asm", "cm7", "micro")
KERNELS = sorted(f[:-2] for f in os.listdir(MICRO) if f.endswith(".S"))
N1, N2 = 8, 24
M32 = 0xFFFFFFFF
W0, W1 = 0x80FF7F01, 0x12345678


def s16(x):
    x &= 0xFFFF
    return x - 0x10000 if x & 0x8000 else x


def s8(x):
    x &= 0xFF
    return x - 0x100 if x & 0x80 else x


def smlad_sxtb16(w):
    """SMLAD(SXTB16(w), SXTB16(w ROR 8)) per the Arm ARM pseudocode, in Python."""
    lo, hi = s8(w), s8(w >> 16)                 # SXTB16 w: bytes 0 and 2
    rlo, rhi = s8(w >> 8), s8(w >> 24)          # SXTB16 w, ROR #8: bytes 1 and 3
    return lo * rlo + hi * rhi


CHECKSUM = {   # Python model of each kernel's architectural result (independent of the simulator)
    "alu_pairs": lambda n, elf: 16 * n,
    "smlad_chain": lambda n, elf: 92 * n,
    "sxtb16_smlad": lambda n, elf: (n * smlad_sxtb16(W0)) & M32,
    "ldr_chase": lambda n, elf: elf.symbols["chase"],
    "ldr_use": lambda n, elf: (n * (W0 + W1)) & M32,
    "ldrd": lambda n, elf: (n * (W0 + W1)) & M32,
    "ldrb_use": lambda n, elf: n * (1 + 127),
    "branch_fwd_not_taken": lambda n, elf: n,
    "branch_fwd_taken": lambda n, elf: n,
    "mul_chain": lambda n, elf: pow(3, 2 * n, 1 << 32),
    "unpack_and_lsr_orr": lambda n, elf: (n * 0x7F0001) & M32,
}


def expected_cpi(name):
    with open(os.path.join(MICRO, name + ".S")) as f:
        m = re.search(r"EXPECT_CYCLES_PER_ITER:\s*(\d+)", f.read())
    assert m, f"{name}.S states no EXPECT_CYCLES_PER_ITER"
    return int(m.group(1))


_built = {}


def elf_for(name, n, tmp_path_factory):
    key = (name, n)
    if key not in _built:
        d = tmp_path_factory.mktemp("cm7micro")
        out = str(d / f"{name}_{n}.elf")
        build_elf("cm7", [os.path.join(MICRO, name + ".S")], out, defines=[f"N={n}"])
        _built[key] = out
    return _built[key]


def run_core(elf, **kw):
    trace = kw.pop("trace", None)
    core = cm7.Cm7Core(elf, **kw)
    core.run(max_instructions=10_000_000, trace=trace)
    return core


def test_every_kernel_has_a_checksum_model():
    assert set(KERNELS) == set(CHECKSUM)


@pytest.mark.parametrize("name", KERNELS)
def test_micro_cycles_per_iteration(name, tmp_path_factory):
    c1 = run_core(elf_for(name, N1, tmp_path_factory))
    c2 = run_core(elf_for(name, N2, tmp_path_factory))
    per_iter = (c2.cycles - c1.cycles) / (N2 - N1)
    assert per_iter == expected_cpi(name), f"{name}: model gives {per_iter} cycles/iteration"


@pytest.mark.parametrize("name", KERNELS)
def test_micro_architectural_result(name, tmp_path_factory):
    for n in (N1, N2):
        core = run_core(elf_for(name, n, tmp_path_factory))
        assert core.exit_code == 0
        assert core.read_symbol_u32("result") == CHECKSUM[name](n, core) & M32


@pytest.mark.parametrize("name", KERNELS)
def test_trace_path_equals_block_path(name, tmp_path_factory, tmp_path):
    elf = elf_for(name, N1, tmp_path_factory)
    fast = run_core(elf)
    tr = str(tmp_path / "t.trace")
    slow = run_core(elf, trace=tr)
    for attr in ("cycles", "instructions", "dual_issued", "stalls", "mispredicts", "profile"):
        assert getattr(fast, attr) == getattr(slow, attr), attr
    assert slow.read_symbol_u32("result") == fast.read_symbol_u32("result")
    lines = [l for l in open(tr) if not l.startswith("#")]
    assert len(lines) == slow.instructions
    cyc, pc = lines[-1].split()[:2]
    assert int(cyc) == slow.cycles - 1 and int(pc, 16) > 0


def test_stall_counters_match_derivations(tmp_path_factory):
    def per_iter(name, key):
        a = run_core(elf_for(name, N1, tmp_path_factory))
        b = run_core(elf_for(name, N2, tmp_path_factory))
        return (b.stalls[key] - a.stalls[key]) / (N2 - N1)
    assert per_iter("ldr_chase", "load_use") == 6
    assert per_iter("ldrb_use", "load_use") == 3
    assert per_iter("branch_fwd_taken", "branch_mispredict") == 4
    assert per_iter("branch_fwd_not_taken", "branch_mispredict") == 0
    assert per_iter("smlad_chain", "mac_resource") == 3


def test_dual_issue_counter(tmp_path_factory):
    a = run_core(elf_for("alu_pairs", N1, tmp_path_factory))
    b = run_core(elf_for("alu_pairs", N2, tmp_path_factory))
    assert (b.dual_issued - a.dual_issued) / (N2 - N1) == 3


def test_predictor_parameter_not_taken(tmp_path_factory):
    # with static not-taken prediction, the loop back-edge mispredicts every iteration: +4
    e1, e2 = elf_for("alu_pairs", N1, tmp_path_factory), elf_for("alu_pairs", N2, tmp_path_factory)
    a = run_core(e1, predictor="not_taken")
    b = run_core(e2, predictor="not_taken")
    assert (b.cycles - a.cycles) / (N2 - N1) == 3 + 4


AXI_SRC = r"""
  .syntax unified
  .thumb
  .text
  .globl main
  .thumb_func
main:
  ldr r0, =buf
  movs r1, #0
  ldr r12, =10
1:
  ldr r2, [r0]
  add r1, r1, r2
  subs r12, r12, #1
  bne 1b
  str r1, [r0, #4]
  mov r0, #0
  bx lr
  .pool
  .section .axisram, "aw"
buf: .word 7, 0
"""


def test_axi_sram_wait_states(tmp_path):
    src = tmp_path / "axi.S"
    src.write_text(AXI_SRC)
    elf = str(tmp_path / "axi.elf")
    build_elf("cm7", [str(src)], elf)
    base = stm32h7.run(elf)
    ws = stm32h7.run(elf, wait_states={"axisram": 3})
    # 10 loads + 1 store to AXI SRAM, 3 wait states each
    assert ws["stalls"]["memory_wait"] == 11 * 3
    assert ws["cycles"] == base["cycles"] + 33
    assert base["stalls"]["memory_wait"] == 0
    tr = stm32h7.run(elf, wait_states={"axisram": 3}, trace=str(tmp_path / "t.txt"))
    assert tr["cycles"] == ws["cycles"]


def test_profile_per_symbol(tmp_path_factory):
    r = stm32h7.run(elf_for("alu_pairs", N1, tmp_path_factory), profile=True)
    prof = r["profile"]
    assert set(prof) >= {"main", "_start"}
    assert sum(p["cycles"] for p in prof.values()) == r["cycles"]
    assert sum(p["instructions"] for p in prof.values()) == r["instructions"]
    assert prof["main"]["instructions"] > prof["_start"]["instructions"]


IT_SRC = r"""
  .syntax unified
  .thumb
  .text
  .globl main
  .thumb_func
main:
  movs r1, #0
  movs r2, #0
  ldr r12, =50
1:
  tst r12, #1
  ite eq
  addeq r1, r1, #1
  addne r2, r2, #2
  subs r12, r12, #1
  bne 1b
  add r0, r1, r2
  bx lr
  .pool
"""


def test_it_block_trace_equals_block_path(tmp_path):
    # Unicorn skips the code hook of a condition-failed IT instruction; the trace path must
    # still issue it so that both paths agree.
    src = tmp_path / "it.S"
    src.write_text(IT_SRC)
    elf = str(tmp_path / "it.elf")
    build_elf("cm7", [str(src)], elf)
    fast = run_core(elf)
    slow = run_core(elf, trace=str(tmp_path / "it.trace"))
    assert fast.exit_code == slow.exit_code == 25 * 1 + 25 * 2
    for attr in ("cycles", "instructions", "dual_issued", "stalls", "profile"):
        assert getattr(fast, attr) == getattr(slow, attr), attr
