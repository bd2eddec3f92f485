"""Cortex-M7 cycle model: microbenchmarks (exact cycles/iteration derived here from the rules and
their CM7Timing parameters), architectural results, trace path == fast path, wait states,
predictor parameter, per-symbol profile."""
import math
import os
import re

import pytest

from isasim.cores import cm7
from isasim.platforms import stm32h7
from isasim.report.calibration import cycles_per_iteration
from isasim.timing.cm7 import CM7Timing
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
    "early_alu_pair": lambda n, elf: 4 * n + 6,
    "mac_after_ldr": lambda n, elf: 7 * n + (3 * 2) * n,
    "mac_store": lambda n, elf: 2 * (3 * 2) * n,
    "dsp_address": lambda n, elf: 22 * n,
    "ldr_bank": lambda n, elf: (1 + 2 + 3) * n,
    "ldr_unaligned": lambda n, elf: 0x05040302 + 0x09080706 + n,
    "sb_strb_one_bank": lambda n, elf: 0xFF | (1 << 8),
    "sb_strb_two_banks": lambda n, elf: 0xFF + 1,
    "sb_strh_stride": lambda n, elf: 4 * 0x00010001,
    "sb_strb_stride": lambda n, elf: 0x04030201 + 0x08070605,
    "sb_str_unaligned": lambda n, elf: 0x12345678,
    "sb_str_burst": lambda n, elf: 0x12345678,
    "ldm_stm": lambda n, elf: 1 + 2 + 3 + 4,
    "branch_flags_early": lambda n, elf: 5 * n,
    "it_pair": lambda n, elf: 3 * n,
    "movw_movt": lambda n, elf: 0x12345678 + 0x01020304,
    "ldr_early_op": lambda n, elf: 5 + 2 * 3,
    "op2_shifter": lambda n, elf: 8 * n + 8 + 16,
}


def _mp(t, distance):
    """Misprediction penalty of a branch whose flags were set ``distance`` cycles before it (JN)."""
    return t.mispredict_penalty_early_flags if distance >= t.flags_early_cycles \
        else t.mispredict_penalty


# Cycles per iteration of every microbenchmark, derived from the rules (isasim/timing/cm7.py,
# docs/cm7.md) with the parameters of ``t``; each .S file shows the cycle-by-cycle schedule.
# "c0" is the cycle of the loop's back-edge, which pairs with the first instruction of the loop
# (a correctly predicted taken branch pairs with its target: taken_branch_pairs).
EXPECT = {
    # c0 bne|add, c1 add|add, c2 add|subs (2 ALUs); without branch pairing bne alone
    "alu_pairs": lambda t: 3 + (0 if t.taken_branch_pairs else 1),
    # the accumulator chain issues every lat_mac - acc_late_read cycles, one MAC unit
    "smlad_chain": lambda t: 4 * max(1, t.lat_mac - t.acc_late_read),
    # ldr c0, sxtb16 at c0+lat_load_word, sxtb16 +1 (one DSP op per cycle), smlad | subs after
    # lat_simd1, bne next
    "sxtb16_smlad": lambda t: t.lat_load_word + 1 + t.lat_simd1 + 1,
    # a load address depends on the previous load: lat_load_word + early_read each
    "ldr_chase": lambda t: 4 * (t.lat_load_word + t.early_read),
    # c0 ldr, add | ldr at c0+L, add | subs at +L again
    "ldr_use": lambda t: 1 + 2 * t.lat_load_word,
    # ldrd single-issue, adds after lat_load_dual, subs, bne (a branch is never the younger)
    "ldrd": lambda t: 1 + t.lat_load_dual + 2,
    "ldrb_use": lambda t: 1 + 2 * t.lat_load_subword,
    # c0 bne|add, c1 cmp, c2 beq|subs (not-taken branch pairs with the next instruction)
    "branch_fwd_not_taken": lambda t: 3 + (0 if t.not_taken_branch_pairs else 1),
    # beq at c2 mispredicted, flags from c1 (distance 1): subs at c2 + penalty, bne next
    "branch_fwd_taken": lambda t: 2 + _mp(t, 1) + 1,
    "mul_chain": lambda t: 2 * t.lat_mul,
    # ldr, and|lsr at +L, and +1, orr (shifted operand read early) +lat_alu+early_read,
    # add|subs +lat_alu, bne next
    "unpack_and_lsr_orr": lambda t: t.lat_load_word + 1 + t.lat_alu + t.early_read + t.lat_alu + 1,
    # c1 add|add (early ALU forwards in lat_early_alu = 0 cycles), c2 add, c3 add|subs
    "early_alu_pair": lambda t: 4 if t.lat_early_alu == 0 else 5,
    # c1 ldr, c2 add|ldr, smlad|subs at c2 + lat_load_word + mac_load_extra, bne next
    "mac_after_ldr": lambda t: 2 + t.lat_load_word + t.mac_load_extra + 1,
    # smlad, str, smlad, str|subs, bne: MAC and store never pair (else smlad|str twice, subs)
    "mac_store": lambda t: 4 if t.mac_store_pair else 5,
    # mov c1 (early ALU: readable by the AGU at c1 + early_read), ldr [r1] there, uxtb the
    # cycle after (older only), ldr [r3] after lat_simd1 + early_read | subs, bne next
    "dsp_address": lambda t: 1 + t.early_read + 1 + t.lat_simd1 + t.early_read + 1,
    # ldr (bank 0), ldr (bank 0: next cycle) | ldr (bank 1), subs, bne
    "ldr_bank": lambda t: 4 if t.load_bank_conflict else 3,
    # nop, unaligned older (+o), aligned | unaligned younger other bank (+y), aligned | unaligned
    # younger same first bank (+y - relief), subs, bne
    "ldr_unaligned": lambda t: 1 + (1 + t.unaligned_load_older) + (1 + t.unaligned_load_younger)
    + (1 + t.unaligned_load_younger - t.unaligned_load_relief) + 1,
    # 8 STRB to one bank: one read-modify-write per sb_rmw_cycles on that bank
    "sb_strb_one_bank": lambda t: 8 * t.sb_rmw_cycles,
    "sb_strb_two_banks": lambda t: 4 * t.sb_rmw_cycles,      # 4 per bank, banks in parallel
    "sb_strh_stride": lambda t: 4 * t.sb_rmw_cycles,         # 2 halfwords per word, 4 per bank
    "sb_strb_stride": lambda t: 4 * t.sb_rmw_cycles,         # 4 bytes per word, 4 per bank
    "sb_str_unaligned": lambda t: 8 * t.sb_rmw_cycles,       # each unaligned STR: both banks
    # 6 stores c0..c5, 40 nops two per cycle from c5 (younger) to c25 (| subs): the buffer never
    # fills (derivation in the .S; with sb_entries 3 the 4th, 5th, 6th stores wait for entries
    # done at c4, c8, c12, so the nops start at c12: 33)
    "sb_str_burst": lambda t: {5: 26, 3: 33}[t.sb_entries],
    # nop, ldm (ceil(4/p)), stm aligned (ceil(4/p)), stm 4 bytes off 8 (ceil(4/p) + extra), subs
    "ldm_stm": lambda t: 1 + 3 * math.ceil(4 / t.ldm_regs_per_cycle) + t.stm_unaligned_extra + 1,
    # cmp at c1, beq at c4 (distance 3), mispredicted: subs at c4 + penalty, bne next
    "branch_flags_early": lambda t: 4 + _mp(t, 3) + 1,
    # c1 cmp|add, c2 it|addne (IT pairs like a not-taken branch), c3 add|subs
    "it_pair": lambda t: 4 + (0 if t.not_taken_branch_pairs else 1),
    # c1 movw|movt, c2 movw|movt (MOVW in the early ALU forwards in 0 cycles), c3 add|subs
    "movw_movt": lambda t: 4 if t.lat_early_alu == 0 else 5,
    # ldr c1, add with an early operand at c1 + lat_load_word + early_op_load_extra | subs
    "ldr_early_op": lambda t: 1 + t.lat_load_word + t.early_op_load_extra + 1,
    # add lsl, add lsl | lsl, lsl, add lsl | subs; two shifters: add|add, lsl|lsl, add|subs
    "op2_shifter": lambda t: 5 if t.shift_units == 1 else 4,
}
# one parameter change per kernel whose effect the derivation above predicts
VARIANTS = {
    "alu_pairs": [{"taken_branch_pairs": 0}], "smlad_chain": [{"acc_late_read": 0}],
    "sxtb16_smlad": [{"lat_simd1": 2}], "ldr_chase": [{"early_read": 2}],
    "ldr_use": [{"lat_load_word": 2}], "ldrd": [{"lat_load_dual": 2}],
    "ldrb_use": [{"lat_load_subword": 3}], "branch_fwd_not_taken": [{"not_taken_branch_pairs": 0}],
    "branch_fwd_taken": [{"mispredict_penalty": 10}], "mul_chain": [{"lat_mul": 3}],
    "unpack_and_lsr_orr": [{"early_read": 0}], "early_alu_pair": [{"lat_early_alu": 1}],
    "mac_after_ldr": [{"mac_load_extra": 0}], "mac_store": [{"mac_store_pair": 1}],
    "dsp_address": [{"early_read": 0}], "ldr_bank": [{"load_bank_conflict": 0}],
    "ldr_unaligned": [{"unaligned_load_relief": 0}, {"unaligned_load_older": 5}],
    "sb_strb_one_bank": [{"sb_rmw_cycles": 2}], "sb_strb_two_banks": [{"sb_rmw_cycles": 6}],
    "sb_strh_stride": [{"sb_rmw_cycles": 6}], "sb_strb_stride": [{"sb_rmw_cycles": 5}],
    "sb_str_unaligned": [{"sb_rmw_cycles": 3}],
    "sb_str_burst": [{"sb_entries": 3}],
    "ldm_stm": [{"stm_unaligned_extra": 0}, {"ldm_regs_per_cycle": 1}],
    "branch_flags_early": [{"flags_early_cycles": 4}, {"mispredict_penalty_early_flags": 7}],
    "it_pair": [{"not_taken_branch_pairs": 0}], "movw_movt": [{"lat_early_alu": 1}],
    "ldr_early_op": [{"early_op_load_extra": 0}], "op2_shifter": [{"shift_units": 2}],
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


def test_every_kernel_has_a_checksum_model_and_a_derivation():
    assert set(KERNELS) == set(CHECKSUM) == set(EXPECT) == set(VARIANTS)


def _cpi(name, tmp_path_factory, **timing):
    return cycles_per_iteration(name, timing)


@pytest.mark.parametrize("name", KERNELS)
def test_micro_cycles_per_iteration(name, tmp_path_factory):
    # the rule's derivation with the default parameters = the .S header = the model
    want = EXPECT[name](CM7Timing())
    assert want == expected_cpi(name), f"{name}: derivation {want} vs .S header"
    per_iter = _cpi(name, tmp_path_factory)
    assert per_iter == want, f"{name}: model gives {per_iter} cycles/iteration, rule {want}"


@pytest.mark.parametrize("name,kw", [(n, kw) for n in KERNELS for kw in VARIANTS[n]])
def test_micro_cycles_follow_the_rule_parameter(name, kw, tmp_path_factory):
    want = EXPECT[name](CM7Timing().override(**kw))
    assert want != EXPECT[name](CM7Timing()), f"{name}: {kw} does not change the derivation"
    assert _cpi(name, tmp_path_factory, **kw) == want


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
    # the cycle column includes the memory stall cycles so far (the last instruction makes none)
    assert int(cyc) == slow.cycles - 1 and int(pc, 16) > 0
    assert fast.counters == slow.counters


def test_stall_counters_match_derivations(tmp_path_factory):
    def per_iter(name, key):
        a = run_core(elf_for(name, N1, tmp_path_factory))
        b = run_core(elf_for(name, N2, tmp_path_factory))
        return (b.stalls[key] - a.stalls[key]) / (N2 - N1)
    # 3 dependent loads x 2 (pairing slot + 1 cycle) + the first load 1 cycle after the bne slot
    assert per_iter("ldr_chase", "load_use") == 7
    # each add waits one cycle beyond its pairing slot for a byte load (latency 2)
    assert per_iter("ldrb_use", "load_use") == 2
    # the next instruction issues mispredict_penalty cycles after the beq instead of beside it
    assert per_iter("branch_fwd_taken", "branch_mispredict") == 8
    assert per_iter("branch_flags_early", "branch_mispredict") == 6
    assert per_iter("branch_fwd_not_taken", "branch_mispredict") == 0
    # smlad 3 and 4 wait one cycle for the accumulator (their operands are not ready for the
    # pairing slot, so the MAC unit is not what refuses them)
    assert per_iter("smlad_chain", "dependency") == 2
    assert per_iter("smlad_chain", "mac_resource") == 0
    # the second smlad may not pair with the str before it (MAC unit rule), the strs not with
    # the smlads before them (store side of the same rule)
    assert per_iter("mac_store", "mac_resource") == 1
    assert per_iter("mac_store", "resource") == 2
    assert per_iter("ldr_bank", "bank_conflict") == 1
    assert per_iter("ldr_unaligned", "unaligned") == 3 + 4 + 3
    assert per_iter("ldm_stm", "unaligned") == 1
    # one bank, 8 STRB: 32 cycles for 8 stores that issue 1/cycle; the loop's other
    # instructions pair: the waits sum to 32 - 8 = 24
    assert per_iter("sb_strb_one_bank", "store_buffer") == 24


def test_dual_issue_counter(tmp_path_factory):
    a = run_core(elf_for("alu_pairs", N1, tmp_path_factory))
    b = run_core(elf_for("alu_pairs", N2, tmp_path_factory))
    assert (b.dual_issued - a.dual_issued) / (N2 - N1) == 3


def test_predictor_parameter_not_taken(tmp_path_factory):
    # with static not-taken prediction, the loop back-edge mispredicts every iteration; its flags
    # come from the subs in the cycle before (distance 1): bne at c3, the first add at c3 + 8
    # instead of beside it, then 3 cycles to the next bne: 3 + mispredict_penalty
    e1, e2 = elf_for("alu_pairs", N1, tmp_path_factory), elf_for("alu_pairs", N2, tmp_path_factory)
    a = run_core(e1, predictor="not_taken")
    b = run_core(e2, predictor="not_taken")
    assert (b.cycles - a.cycles) / (N2 - N1) == 3 + CM7Timing().mispredict_penalty


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


@pytest.mark.parametrize("name,kw", [("mac_after_ldr", {"mac_load_extra": 3}),
                                     ("ldr_early_op", {"early_op_load_extra": 2}),
                                     ("sb_strh_stride", {"sb_rmw_cycles": 7, "sb_entries": 2}),
                                     ("branch_flags_early", {"flags_early_cycles": 5})])
def test_trace_path_equals_block_path_with_other_parameters(name, kw, tmp_path_factory, tmp_path):
    # the state carried across blocks must hold what these values make relevant
    t = CM7Timing().override(**kw)
    elf = elf_for(name, N1, tmp_path_factory)
    fast = run_core(elf, timing=t)
    slow = run_core(elf, timing=t, trace=str(tmp_path / "t.trace"))
    for attr in ("cycles", "instructions", "dual_issued", "stalls", "profile"):
        assert getattr(fast, attr) == getattr(slow, attr), attr


WLOAD_ACROSS = r"""
  .syntax unified
  .thumb
  .text
  .globl main
  .thumb_func
main:
  ldr r0, =buf
  movs r3, #2
  movs r6, #0
  ldr r12, =20
1:
  ldr r2, [r0]              @ a word load ...
  mul r4, r3, r3            @ ... two cycles of other work (one MAC unit: one MUL per cycle)
  mul r5, r3, r3
  b 2f                      @ ... and a block boundary before its MAC consumer
2:
  smlad r6, r2, r3, r6
  subs r12, r12, #1
  bne 1b
  mov r0, #0
  bx lr
  .pool
  .data
buf: .word 5
"""


def test_word_load_consumer_in_the_next_block(tmp_path):
    # with mac_load_extra 3 the SMLAD may wait for the load longer than any ALU consumer would:
    # the state at the block boundary must keep the loaded register
    src = tmp_path / "w.S"
    src.write_text(WLOAD_ACROSS)
    elf = str(tmp_path / "w.elf")
    build_elf("cm7", [str(src)], elf)
    for kw in ({}, {"mac_load_extra": 3}, {"mac_load_extra": 5, "early_op_load_extra": 4}):
        t = CM7Timing().override(**kw)
        fast = run_core(elf, timing=t)
        slow = run_core(elf, timing=t, trace=str(tmp_path / "t.trace"))
        assert (fast.cycles, fast.stalls) == (slow.cycles, slow.stalls), kw
