"""Op counts and the per-function profile with stall causes on the Cortex-M7 (issue 18 items 2-3):
block path == trace path, counts against the program's known loop counts and against the
mnemonics of the trace file, the profile's columns add up to the run's totals."""
import collections

from isasim.platforms import stm32h7
from isasim.toolchain.build import build_elf

from test_m7x_retime import CACHE_SRC, HEAD, PLUGIN_SRC, _elf

# known counts: 7 iterations of (ldr, smlad, sxtb16, subs, bne) in main; lu() is called 5 times
# and stalls on its byte loads (latency 2: load-use, attributed to lu)
COUNT_SRC = HEAD + r"""
  push {r4, lr}
  ldr r0, =v
  movs r2, #0
  movs r3, #7
1:
  ldr r1, [r0]
  smlad r2, r1, r1, r2
  sxtb16 r4, r1
  subs r3, r3, #1
  bne 1b
  movs r3, #5
2:
  bl lu
  subs r3, r3, #1
  bne 2b
  movs r0, #0
  pop {r4, pc}
  .type lu, %function
  .thumb_func
lu:
  ldrb r1, [r0]
  adds r1, r1, #1
  ldrb r1, [r0]
  adds r1, r1, #1
  bx lr
  .pool
  .data
v: .word 0x00030004
"""


def _trace_counts(path):
    c = collections.Counter()
    for line in open(path):
        if line.startswith("#"):
            continue
        parts = line.split()
        mn = parts[3] if parts[2] == "+" else parts[2]
        if mn.endswith((".w", ".n")):
            mn = mn[:-2]
        c[mn] += 1
    return dict(c)


def test_op_counts_block_trace_and_known_counts(tmp_path):
    elf = _elf(tmp_path, "count", COUNT_SRC)
    fast = stm32h7.run(elf, profile=True)
    log = str(tmp_path / "t.log")
    slow = stm32h7.run(elf, profile=True, trace=log)
    ops = fast["op_counts"]
    assert ops == slow["op_counts"] == _trace_counts(log)
    assert sum(ops.values()) == fast["instructions"]
    assert ops["smlad"] == 7 and ops["sxtb16"] == 7 and ops["bl"] >= 5
    assert not any(m.endswith((".w", ".n")) for m in ops)
    prof = fast["profile"]
    assert prof["lu"]["instructions"] == 25
    # each ADDS waits one cycle for its LDRB (lat_load_subword 2): 2 per call, 5 calls
    assert prof["lu"]["stalls"]["load_use"] == 10


def test_plugin_op_counts_by_name(tmp_path):
    elf = _elf(tmp_path, "plug", PLUGIN_SRC, ["qnn"])
    fast = stm32h7.run(elf, plugins=["qnn"])
    slow = stm32h7.run(elf, plugins=["qnn"], trace=str(tmp_path / "t.log"))
    assert fast["op_counts"]["qnn.sdot4"] == 96 == fast["plugin_counts"]["qnn.sdot4"]
    assert fast["op_counts"]["smlad"] == 48
    assert fast["op_counts"] == slow["op_counts"]


def test_profile_stalls_add_up_and_match_the_trace_path(tmp_path):
    elf = _elf(tmp_path, "cache", CACHE_SRC)
    for memory in ({}, {"dcache": "off", "icache": "off"}):
        fast = stm32h7.run(elf, profile=True, memory=memory)
        slow = stm32h7.run(elf, profile=True, memory=memory, trace=str(tmp_path / "t.log"))
        assert fast["profile"] == slow["profile"]
        prof = fast["profile"]
        assert sum(p["cycles"] for p in prof.values()) == fast["cycles"]
        assert sum(p["instructions"] for p in prof.values()) == fast["instructions"]
        for cause, n in fast["stalls"].items():
            assert sum(p["stalls"][cause] for p in prof.values()) == n, cause
        mem_kind = "dcache_miss" if not memory else "uncached_load"
        assert prof["main"]["stalls"][mem_kind] > 0 and prof["bump"]["stalls"][mem_kind] == 0
        assert fast["stalls"][mem_kind] > 0
