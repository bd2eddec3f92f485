"""Record once, re-time many on the Cortex-M7 (issue 18 item 1): retime(record(run(T0, C0)), T, C)
equals a fresh run(T, C) on every figure, for several programs (a plug-in kernel, an I/D-cache
heavy one, caches off, write-through), several timing and cost knobs; recording does not change
the run; what a recording cannot re-time is refused with a one-line error."""
import os
import sys

import numpy as np
import pytest

from isasim.errors import IsasimError
from isasim.platforms import stm32h7
from isasim.toolchain.build import build_elf
from m7code import HEAD


# D-cache heavy: 2 passes over 24 KB of AXI SRAM with a 32-byte stride (read-modify-write: misses,
# dirty write-backs), byte stores (store buffer), a call per element (I-cache in flash)
CACHE_SRC = HEAD + r"""
  push {r4-r6, lr}
  movs r6, #2
2:
  ldr r0, =buf
  ldr r1, =768
1:
  ldr r2, [r0]
  bl bump
  str r2, [r0], #32
  strb r2, [r0, #-31]
  subs r1, r1, #1
  bne 1b
  subs r6, r6, #1
  bne 2b
  movs r0, #0
  pop {r4-r6, pc}
  .type bump, %function
  .thumb_func
bump:
  adds r2, r2, #3
  lsls r3, r2, #1
  add r2, r2, r3, lsr #2
  bx lr
  .pool
  .section .axisram, "aw"
  .balign 32
buf: .space 24576
"""

PLUGIN_SRC = HEAD + r"""
  push {r4-r7, lr}
  ldr r0, =va
  ldr r1, =vb
  movs r2, #48
  movs r6, #0
  movs r7, #0
1:
  ldr r4, [r0], #4
  ldr r5, [r1], #4
  qnn.sdot4 r6, r4, r5
  smlad r7, r4, r5, r7
  qnn.sdot4 r6, r5, r4
  subs r2, r2, #1
  bne 1b
  ldr r3, =out
  str r6, [r3]
  str r7, [r3, #4]
  movs r0, #0
  pop {r4-r7, pc}
  .pool
  .data
  .balign 4
va: .fill 48, 4, 0x12F3A705
vb: .fill 48, 4, 0x7E0381C9
  .globl out
out: .word 0, 0
"""

TIMINGS = ({}, {"lat_mac": 3, "mispredict_penalty": 5, "predictor": "not_taken"},
           {"axi_latency": 4, "flash_wait_states": 5, "uncached_store": 2, "dcache_writeback": 3,
            "axisram_access": 2},
           {"sb_rmw_cycles": 2, "load_bank_conflict": 0, "ldm_regs_per_cycle": 1,
            "lat_load_word": 2, "early_read": 0})
COSTS = ({}, {"qnn.sdot4": {"latency": 3, "dual_issue": False, "energy_pj": 7.5}},
         {"qnn.sdot4": {"resource": "alu", "occupancy": 2, "begin_group": True}})


def _elf(tmp_path, name, src, plugins=()):
    p = tmp_path / f"{name}.S"
    p.write_text(src)
    return build_elf("cm7", [str(p)], str(tmp_path / f"{name}.elf"), plugins=list(plugins))


def _recording(tmp_path, name, src, plugins=()):
    """Build ``src``, run it once with a recording, and load the recording."""
    from isasim.cores.cm7 import replay
    elf = _elf(tmp_path, name, src, plugins)
    rec = str(tmp_path / f"{name}.npz")
    stm32h7.run(elf, plugins=plugins, record=rec)
    return replay.load(rec)


def _same(fresh, re):
    bad = [k for k in fresh if k not in ("stdout", "memory") and fresh[k] != re.get(k)]
    assert not bad, {k: (fresh[k], re.get(k)) for k in bad}


def _programs(tmp_path):
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(__file__)), "benchmarks"))
    import bench_cm7
    yield "cache", _elf(tmp_path, "cache", CACHE_SRC), {}, ()
    yield "cache_off", tmp_path / "cache.elf", {"dcache": "off", "icache": "off"}, ()
    yield "write_through", tmp_path / "cache.elf", {"write_policy": "write_through"}, ()
    mm = tmp_path / "mm.S"
    mm.write_text(bench_cm7.FLASH_KERNEL)
    yield "matmul", build_elf("cm7", [str(mm)], str(tmp_path / "mm.elf"),
                              defines=["N=2", "ITER=3"]), {"replacement": "round_robin"}, ()
    yield "plugin", _elf(tmp_path, "plug", PLUGIN_SRC, ["qnn"]), {}, ("qnn",)
    # all in TCM: the run has no memory hooks (isasim.cores.cm7.core lazy memory), no events
    tcm = tmp_path / "tcm.S"
    tcm.write_text(bench_cm7.KERNEL)
    yield "tcm", build_elf("cm7", [str(tcm)], str(tmp_path / "tcm.elf"), defines=["ITER=3"],
                           memory={"code": "itcm"}), {"code": "itcm"}, ()
    # all of the ELF in TCM, a pointer into AXI SRAM: the platform reruns it with memory hooks
    # (NeedMemoryHooks), the recording is the rerun's
    late = tmp_path / "late.S"
    late.write_text(HEAD + "  ldr r0, =0x24000100\n  movs r1, #7\n  movs r3, #20\n1:\n"
                    "  str r1, [r0], #32\n  ldr r2, [r0, #-32]\n  subs r3, r3, #1\n  bne 1b\n"
                    "  movs r0, #0\n  bx lr\n  .pool\n")
    yield "late_hooks", build_elf("cm7", [str(late)], str(tmp_path / "late.elf"),
                                  memory={"code": "itcm"}), {"code": "itcm"}, ()


def test_retime_equals_fresh_runs(tmp_path):
    seen = set()
    for name, elf, memory, plugins in _programs(tmp_path):
        elf = str(elf)
        rec = str(tmp_path / f"{name}.npz")
        t0 = {"lat_alu_si": 2}
        c0 = {"qnn.sdot4": {"latency": 1}} if plugins else None
        base = stm32h7.run(elf, memory=memory, plugins=plugins, timing=t0, cost=c0, profile=True)
        recorded = stm32h7.run(elf, memory=memory, plugins=plugins, timing=t0, cost=c0,
                               profile=True, record=rec)
        _same(base, recorded)                      # recording does not change the run
        for t in TIMINGS:
            for c in (COSTS if plugins else (None,)):
                fresh = stm32h7.run(elf, memory=memory, plugins=plugins, timing=t, cost=c,
                                    profile=True)
                re = stm32h7.retime(rec, timing=t, cost=c)
                _same(fresh, re)
                assert re["status"] == "exit" and re["exit_code"] == 0
                seen.add((name, fresh["cycles"]))
        if name == "cache":
            assert base["stalls"]["dcache_writeback"] == 0 and base["counters"]["dcache_writebacks"] > 0
        if name == "late_hooks":
            assert base["counters"]["dcache_misses"] == 20
        if name == "cache_off":
            assert base["counters"]["uncached_stores"] > 0
    # the knobs change the figures (the comparison is not between equal runs)
    assert len(seen) >= 3 * 7


def test_record_file_and_header(tmp_path):
    elf = _elf(tmp_path, "plug", PLUGIN_SRC, ["qnn"])
    rec = str(tmp_path / "r.npz")
    from isasim.simulate import run_elf
    from isasim import targets
    r = run_elf(elf, "cm7", plugins=["qnn"], record=rec, timing={"lat_mac": 3},
                cost={"qnn.sdot4": {"latency": 2}})
    z = np.load(rec)
    import json
    h = json.loads(str(z["header"][0]))
    assert h["isasim_record"] == 1 and h["target"] == "cm7"
    assert h["timing"] == {"lat_mac": 3} and h["cost"] == {"qnn.sdot4": {"latency": 2}}
    assert all(os.path.isabs(p) for p in h["plugins"]) and set(h["plugin_sha256"]) == set(h["plugins"])
    assert h["run"]["operating_point"] and "max_instructions" in h["run"]
    assert not [f for f in os.listdir(tmp_path) if f.endswith(".partial")]
    again = targets.get("cm7").retimer_fn()(rec, timing={"lat_mac": 3},
                                            cost={"qnn.sdot4": {"latency": 2}})
    assert again["cycles"] == r["cycles"] and again["energy_uj"] == r["energy_uj"]
    assert "profile" not in again            # the run had none


def test_what_a_recording_cannot_retime_is_refused(tmp_path):
    elf = _elf(tmp_path, "cache", CACHE_SRC)
    rec = str(tmp_path / "r.npz")
    stm32h7.run(elf, record=rec)
    for kw, word in (({"memory": {"dcache": "off"}}, "memory"),
                     ({"memory": {"dcache_size": 8192}}, "memory"),
                     ({"max_instructions": 10}, "max_instructions"),
                     ({"plugins": ["qnn"]}, "plugins"),
                     ({"cores": 2}, "cores")):
        with pytest.raises(IsasimError, match=word) as e:
            stm32h7.retime(rec, **kw)
        assert "\n" not in str(e.value)
    assert stm32h7.retime(rec, memory={}, operating_point=None, max_instructions=None,
                          plugins=[])["cycles"] > 0          # the recorded run's own options
    with pytest.raises(IsasimError, match="operating_point"):
        stm32h7.retime(rec, operating_point="480MHz-flash")
    with pytest.raises(Exception, match="nosuch"):
        stm32h7.retime(rec, timing={"nosuch": 1})
    with pytest.raises(IsasimError, match="plug-in"):
        stm32h7.retime(rec, cost={"qnn.sdot4": {"latency": 2}})
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a recording")
    with pytest.raises(IsasimError, match="not an isasim recording"):
        stm32h7.retime(str(bad))
    with pytest.raises(IsasimError, match="trace"):
        stm32h7.run(elf, record=str(tmp_path / "x.npz"), trace=str(tmp_path / "t.log"))


def test_a_changed_plugin_file_is_refused(tmp_path):
    from isasim.plugins import BUILTIN_DIR
    plug = tmp_path / "myqnn.py"
    plug.write_text(open(os.path.join(BUILTIN_DIR, "qnn_thumb2.py")).read())
    elf = _elf(tmp_path, "plug", PLUGIN_SRC, [str(plug)])
    rec = str(tmp_path / "r.npz")
    stm32h7.run(elf, plugins=[str(plug)], record=rec)
    stm32h7.retime(rec, cost={"qnn.sdot4": {"latency": 4}})
    plug.write_text(plug.read_text().replace("rd + dot(rn, rm, 4, True, True)",
                                             "rd - dot(rn, rm, 4, True, True)"))
    with pytest.raises(IsasimError, match="changed"):
        stm32h7.retime(rec)


def _rusci_l16(tmp_path, kernel):
    """The ELF of the Rusci 2018 l16 layer (4 rows) for ``kernel``, built as the runner builds it."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    exp = os.path.join(root, "experiments", "rusci2018")
    sys.path.insert(0, exp)
    import rusci2018_workload as rusci
    from isasim.experiments import runner
    kd = rusci.KERNELS[kernel]
    v = {"id": kernel, "target": "cm7", "sources": rusci.kernel_sources(kernel, root),
         "plugins": ["qnn"] if kd["qnn"] else [], "include": rusci.include_dirs(kernel, root)}
    point = {"experiment": "l16", "variant": v, "generator": "rusci2018_workload:conv_layer",
             "params": dict(kernel=kernel, seed=2018, rows=4, layer="l16"), "config_dir": exp,
             "sweep": {"layer": "l16"}}
    w = runner.workload(point)
    data = tmp_path / f"{kernel}_data.S"
    data.write_text(runner._data_asm(w, "l16"))
    elf = str(tmp_path / f"{kernel}.elf")
    build_elf("cm7", v["sources"] + [str(data)], elf, include_dirs=v["include"],
              defines=[f"{k}={x}" for k, x in w["defines"].items()], plugins=v["plugins"])
    return elf, v["plugins"]


@pytest.mark.slow
@pytest.mark.parametrize("kernel", ["q7", "int4_sdot4"])
def test_rusci_l16_sweep_record_size_and_speed(tmp_path, kernel):
    """A 10-point latency sweep of the Rusci l16 layer: retime == rerun; prints the record size
    per instruction and the rerun / retime time ratio (python -m pytest -m slow -s -k l16)."""
    import time
    elf, plugins = _rusci_l16(tmp_path, kernel)
    rec = str(tmp_path / "l16.npz")
    first = stm32h7.run(elf, plugins=plugins, record=rec)
    sweep = [{"lat_mac": 1 + i % 3, "mispredict_penalty": 4 + i, "axi_latency": 1 + i % 4}
             for i in range(10)]
    t0 = time.perf_counter()
    fresh = [stm32h7.run(elf, plugins=plugins, timing=t) for t in sweep]
    t1 = time.perf_counter()
    re = [stm32h7.retime(rec, timing=t) for t in sweep]
    t2 = time.perf_counter()
    re2 = [stm32h7.retime(rec, timing=t) for t in sweep]
    t3 = time.perf_counter()
    for a, b, c in zip(fresh, re, re2):
        _same(a, b)
        _same(a, c)
    size = os.path.getsize(rec)
    print(f"\n{kernel} l16: {first['instructions']} instructions, record {size} B = "
          f"{size / first['instructions']:.4f} B/instruction; 10 points: rerun {t1 - t0:.2f} s, "
          f"retime {t2 - t1:.3f} s ({(t1 - t0) / (t2 - t1):.1f}x), again {t3 - t2:.3f} s "
          f"({(t1 - t0) / (t3 - t2):.1f}x)")
    assert size / first["instructions"] < 0.5


def test_canonical_address_bits_schedule_identically(tmp_path):
    """Re-timing merges address-bit variants that differ only in bits no rule reads
    (timing.cm7.canonical_bits): every variant of every recorded block, scheduled from several
    entry states with its own bits and with the canonical ones, gives the same transition."""
    from isasim.cores.cm7 import decoder
    from isasim.cores.cm7.core import Cm7Core
    from isasim.timing import cm7 as T
    # every access width and alignment: byte/half/word loads and stores at a sliding offset
    src = HEAD + r"""
  push {r4-r7, lr}
  ldr r0, =buf
  movs r3, #24
1:
  ldrb r1, [r0]
  ldrh r2, [r0, #1]
  ldr r4, [r0, #2]
  strh r1, [r0, #3]
  strb r2, [r0, #5]
  str r4, [r0, #6]
  ldr r5, [r0, #9]
  ldrh r6, [r0, #10]
  adds r0, r0, #1
  subs r3, r3, #1
  bne 1b
  movs r0, #0
  pop {r4-r7, pc}
  .pool
  .data
  .balign 8
buf: .space 64
"""
    checked = 0
    for name, s, plugins in (("widths", src, ()), ("cache", CACHE_SRC, ()),
                             ("plug", PLUGIN_SRC, ("qnn",))):
        r = _recording(tmp_path, name, s, plugins)
        h = r.header
        for timing in ({}, {"unaligned_load_relief": 0, "sb_rmw_cycles": 2, "sb_entries": 1},
                       {"stm_unaligned_extra": 3, "load_bank_conflict": 0}):
            t = T.CM7Timing().override(**timing)
            core = decoder.decoder(Cm7Core, r.segments, {"_start": h["start"]}, [], [], t, {})
            bc = T.BlockCache(t)
            descs = [core._block(a, n) for a, n in r.blocks]
            # entry states: the reset state and the states the recorded blocks leave behind
            bc.sched.reset()
            sids = [bc.sid(bc.sched.state())]
            for tbid, ab in r.tokens:
                sids.append(bc.transition(r.blocks[tbid][0], descs[tbid], sids[0], ab)[0])
            for tbid, ab in r.tokens:
                can = tuple(T.canonical_bits(d, a) for d, a in zip(descs[tbid], ab))
                for sid in sorted(set(sids))[:12]:
                    n1, t1 = bc.transition(0, descs[tbid], sid, ab)
                    n2, t2 = bc.transition(0, descs[tbid], sid, can)
                    assert n1 == n2 and bc.trans_info[t1] == bc.trans_info[t2], (name, tbid, ab)
                    checked += 1
    assert checked > 200


def test_code_ranges_cover_blocks_and_look_ahead():
    from isasim.cores.cm7.replay import CODE_SLACK, code_ranges
    segs = [(0, b"a" * 0x20, True), (0x20, b"b" * 0x40, True)]
    # a block near a segment end: its look-ahead continues in the next segment, as one range
    assert code_ranges([(0x10, 8), (0x14, 2)], segs) == [(0x10, b"a" * 16 + b"b" * (8 + CODE_SLACK - 16))]
    assert code_ranges([(0x50, 8)], segs) == [(0x50, b"b" * 0x10)]        # clipped at the end
    assert code_ranges([(0x100, 4)], segs) == []
