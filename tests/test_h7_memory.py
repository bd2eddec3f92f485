"""STM32H743 memories on the Cortex-M7 target (issue 15 item 2): placement through the generated
linker script, L1 I/D-cache hits and misses against an independent reference cache model, bus
latencies derived from their parameters, trace path == block path with caches, refusals, and the
counters reaching --json and results.csv."""
import json
import os

import pytest

from isasim.cores.cm7 import Cm7Core
from isasim.cores.cm7 import memory as MEM
from isasim.errors import IsasimError, SimError
from isasim.platforms import stm32h7
from isasim.timing.cm7 import CM7Timing
from isasim.toolchain.build import build_elf
from isasim.errors import BuildError
from m7code import HEAD


def _build(tmp_path, body, name="k", memory=None, defines=()):
    src = tmp_path / f"{name}.S"
    src.write_text(HEAD + body + "\n")
    out = str(tmp_path / f"{name}.elf")
    build_elf("cm7", [str(src)], out, memory=memory, defines=list(defines))
    return out


# ---------------------------------------------------------------------------------------------
# placement
# ---------------------------------------------------------------------------------------------
PLACED = r"""
  ldr r0, =w
  ldr r1, [r0]
  ldr r0, =a
  str r1, [r0]
  ldr r0, =s
  str r1, [r0]
  ldr r0, =d
  str r1, [r0]
  movs r0, #0
  bx lr
  .pool
  .section .weights, "a"
w: .word 5
  .section .activations, "aw"
a: .word 0
  .section .scratch, "aw"
s: .word 0
  .data
d: .word 0
"""


@pytest.mark.parametrize("memory", [
    {},                                               # the default operating point's placement
    {"code": "itcm", "weights": "axisram"},           # the all-TCM map
    {"code": "axisram", "weights": "sram1", "activations": "sram2", "scratch": "sram4",
     "data": "dtcm", "stack": "sram3"},
])
def test_placement_puts_every_role_where_asked(tmp_path, memory):
    elf = _build(tmp_path, PLACED, memory=memory)
    want = MEM.placement(MEM.check(memory))
    core = Cm7Core(elf)
    where = {"code": core.symbols["main"], "weights": core.symbols["w"],
             "activations": core.symbols["a"], "scratch": core.symbols["s"],
             "data": core.symbols["d"], "stack": core.symbols["__stack_top"] - 4}
    for role, addr in where.items():
        assert MEM.region_of(addr).name == want[role], role
    r = stm32h7.run(elf, memory={k: v for k, v in memory.items() if k in MEM.ROLES},
                    read_symbols={"a": 4, "d": 4})
    assert r["exit_code"] == 0 and r["memory"]["a"] == r["memory"]["d"] == (5).to_bytes(4, "little")
    assert r["memory_system"]["placement"]["code"] == want["code"]


def test_a_buffer_that_does_not_fit_is_a_one_line_error(tmp_path):
    body = "  movs r0, #0\n  bx lr\n  .section .activations, \"aw\"\nbig: .space 200000\n"
    with pytest.raises(BuildError) as e:
        _build(tmp_path, body)
    msg = str(e.value)
    assert "\n" not in msg and ".activations" in msg and "DTCM" in msg, msg
    _build(tmp_path, body, name="ok", memory={"activations": "axisram"})     # fits there


@pytest.mark.parametrize("memory,words", [
    ({"code": "dtcm"}, ["code=dtcm", "data-only"]),
    ({"activations": "flash"}, ["activations=flash", "read-only"]),
    ({"weights": "sdram"}, ["unknown memory", "sdram"]),
    ({"icache": "maybe"}, ["icache=maybe", "on or off"]),
    ({"dcache_size": 1000}, ["power of two"]),
    ({"dcache_size": 64}, ["smaller than one set"]),
    ({"codes": "itcm"}, ["unknown key", "codes"]),
])
def test_bad_memory_options_are_refused(tmp_path, memory, words):
    with pytest.raises(IsasimError) as e:
        MEM.check(memory)
    msg = str(e.value)
    assert "\n" not in msg and all(w in msg for w in words), msg
    from isasim.simulate import run_elf
    elf = _build(tmp_path, "  movs r0, #0\n  bx lr")
    with pytest.raises(IsasimError):
        run_elf(elf, "cm7", memory=memory)


def test_memory_option_is_checked_against_the_elf_and_the_target(tmp_path):
    from isasim.simulate import run_elf
    elf = _build(tmp_path, "  movs r0, #0\n  bx lr")         # code in flash
    with pytest.raises(IsasimError) as e:
        run_elf(elf, "cm7", memory={"code": "itcm"})
    assert "code in flash" in str(e.value) and "--memory" in str(e.value)
    assert run_elf(elf, "cm7", memory={"code": "flash", "icache": "off"})["exit_code"] == 0
    with pytest.raises(IsasimError) as e:
        run_elf(elf, "ri5cy", memory={"code": "flash"})
    assert "--memory does not apply to target ri5cy" in str(e.value)


def test_stores_to_flash_are_refused(tmp_path):
    elf = _build(tmp_path, "  ldr r0, =w\n  str r0, [r0]\n  bx lr\n  .pool\n"
                 "  .section .weights, \"a\"\nw: .word 1\n")
    with pytest.raises(SimError) as e:
        stm32h7.run(elf)
    msg = str(e.value)
    assert "\n" not in msg and "flash" in msg and "read-only" in msg and "pc 0x" in msg


def test_checked_in_cm7_ld_is_the_generated_default():
    from isasim.toolchain.build import DATA
    with open(os.path.join(DATA, "cm7.ld")) as f:
        assert f.read() == stm32h7.linker_script()


# ---------------------------------------------------------------------------------------------
# caches against an independent reference model
# ---------------------------------------------------------------------------------------------
class RefCache:
    """A set-associative cache written from the textbook definition (not from the simulator):
    32-byte lines, LRU or round robin per set, write-back write-allocate (dirty lines written back
    on eviction) or write-through without write allocation."""

    def __init__(self, size, ways, policy="lru", line=32):
        self.sets = size // (line * ways)
        self.ways, self.policy, self.line = ways, policy, line
        self.data = [[] for _ in range(self.sets)]       # per set: [tag, dirty] in LRU order
        self.rr = [0] * self.sets
        self.slots = [[None] * ways for _ in range(self.sets)]
        self.hits = self.misses = self.writebacks = 0

    def access(self, addr, write=False, allocate_on_write=True):
        ln = addr // self.line
        s = ln % self.sets
        if self.policy == "lru":
            lines = self.data[s]
            for e in lines:
                if e[0] == ln:
                    lines.remove(e)
                    lines.append(e)
                    e[1] |= write
                    self.hits += 1
                    return
            self.misses += 1
            if write and not allocate_on_write:
                return
            if len(lines) == self.ways:
                old = lines.pop(0)
                self.writebacks += old[1]
            lines.append([ln, write])
        else:
            slots = self.slots[s]
            for e in slots:
                if e is not None and e[0] == ln:
                    e[1] |= write
                    self.hits += 1
                    return
            self.misses += 1
            if write and not allocate_on_write:
                return
            if None in slots:
                slots[slots.index(None)] = [ln, write]
                return
            w = self.rr[s]
            self.rr[s] = (w + 1) % self.ways
            self.writebacks += slots[w][1]
            slots[w] = [ln, write]


# loads and a store per 32-byte line over 24 KB of AXI SRAM (more than the 16 KB D-cache), from
# flash code
CACHE_SRC = r"""
  push {r4-r6, lr}
  ldr r4, =N
1:
  ldr r0, =buf
  ldr r1, =buf + 24576
  movs r2, #0
2:
  ldr r3, [r0]
  add r2, r2, r3
  ldr r3, [r0, #4]
  add r2, r2, r3
  str r2, [r0, #8]
  add r0, r0, #32
  cmp r0, r1
  blo 2b
  subs r4, r4, #1
  bne 1b
  movs r0, #0
  pop {r4-r6, pc}
  .pool
  .section .axisram, "aw"
buf: .space 24640
"""


def _reference_counts(elf, policy, memory):
    """Hits/misses of both caches from a raw Unicorn run with Python hooks (no isasim model)."""
    from unicorn import unicorn_const as UC
    core = Cm7Core(elf)
    uc = core.uc
    d = RefCache(16384, 4, policy)
    i = RefCache(16384, 2, policy)
    state = {"line": None, "next": None}

    def cached(a):
        r = MEM.region_of(a)
        return r is not None and r.kind != "tcm"

    def on_mem(uc, access, addr, size, value, ud):
        if cached(addr):
            d.access(addr, access == UC.UC_MEM_WRITE)

    def on_code(uc, pc, size, ud):
        first = True
        for ln in range(pc // 32, (pc + size - 1) // 32 + 1):
            if not (first and pc == state["next"] and ln == state["line"]) and cached(pc):
                i.access(ln * 32)
            first = False
            state["line"] = ln
        state["next"] = pc + size

    uc.hook_add(UC.UC_HOOK_MEM_READ | UC.UC_HOOK_MEM_WRITE, on_mem)
    uc.hook_add(UC.UC_HOOK_CODE, on_code)
    uc.hook_add(UC.UC_HOOK_INTR, lambda uc, intno, ud: uc.emu_stop())
    uc.emu_start(core.symbols["_start"] | 1, 0xFFFFFFFE)
    return {"dcache_hits": d.hits, "dcache_misses": d.misses, "dcache_writebacks": d.writebacks,
            "icache_hits": i.hits, "icache_misses": i.misses}


@pytest.mark.parametrize("policy", ["lru", "round_robin"])
def test_cache_counts_match_a_reference_model(tmp_path, policy):
    elf = _build(tmp_path, CACHE_SRC, defines=["N=3"])
    mem = {"replacement": policy}
    want = _reference_counts(elf, policy, mem)
    assert want["dcache_misses"] > 700 and want["dcache_writebacks"] > 0     # capacity misses
    for trace in (None, str(tmp_path / "t.log")):
        got = stm32h7.run(elf, memory=mem, trace=trace)["counters"]
        assert {k: got[k] for k in want} == want


def test_trace_path_equals_block_path_with_caches(tmp_path):
    import sys
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(__file__)), "benchmarks"))
    import bench_cm7
    for name, src, memory in (("cache", HEAD + CACHE_SRC, {}),
                              ("cache_off", HEAD + CACHE_SRC, {"dcache": "off", "icache": "off"}),
                              ("matmul", bench_cm7.FLASH_KERNEL, {}),
                              ("matmul_rr", bench_cm7.FLASH_KERNEL, {"replacement": "round_robin"})):
        p = tmp_path / f"{name}.S"
        p.write_text(src)
        elf = build_elf("cm7", [str(p)], str(tmp_path / f"{name}.elf"), defines=["N=2", "ITER=3"])
        fast = stm32h7.run(elf, memory=memory, profile=True)
        slow = stm32h7.run(elf, memory=memory, profile=True, trace=str(tmp_path / f"{name}.log"))
        for k in ("cycles", "instructions", "stalls", "counters", "dual_issued", "profile",
                  "energy_uj"):
            assert fast[k] == slow[k], (name, k)
        assert fast["memory_stall_cycles"] > 0
        assert sum(v["cycles"] for v in fast["profile"].values()) == fast["cycles"]


# ---------------------------------------------------------------------------------------------
# bus latencies from their parameters
# ---------------------------------------------------------------------------------------------
AXI_SRC = r"""
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


@pytest.mark.parametrize("timing", [{}, {"axi_latency": 4, "axisram_access": 2},
                                    {"axi_clock_div": 1}])
def test_axi_sram_load_latency_follows_its_parameters(tmp_path, timing):
    # code in ITCM (no fetch costs); 10 loads and 1 store to one AXI SRAM line
    elf = _build(tmp_path, AXI_SRC, memory={"code": "itcm"})
    t = CM7Timing().override(**timing)
    first = t.axi_clock_div * (t.axi_latency + t.axisram_access)       # critical word first
    on = stm32h7.run(elf, timing=timing)
    off = stm32h7.run(elf, timing=timing, memory={"dcache": "off"})
    # D-cache on: one read miss (line fill), then 9 load hits and a store hit
    assert (on["counters"]["dcache_misses"], on["counters"]["dcache_hits"]) == (1, 10)
    assert on["stalls"]["dcache_miss"] == first
    # D-cache off: every load waits for its AXI read, the store is posted (uncached_store 0)
    assert off["counters"]["uncached_loads"] == 10 and off["counters"]["uncached_stores"] == 1
    assert off["stalls"]["uncached_load"] == 10 * first and off["stalls"]["uncached_store"] == 0
    assert off["cycles"] - on["cycles"] == 9 * first
    tcm = stm32h7.run(_build(tmp_path, AXI_SRC.replace(".section .axisram", ".data").replace(
        ', "aw"', ""), name="tcm", memory={"code": "itcm"}), timing=timing)
    assert tcm["memory_stall_cycles"] == 0 and tcm["counters"]["dcache_hits"] == 0


@pytest.mark.parametrize("ws", [0, 2, 5])
def test_flash_fetch_latency_follows_the_wait_states(tmp_path, ws):
    # a straight-line program in flash: every 32-byte line it enters is one I-cache miss
    body = "  movs r0, #0\n" + "  adds r0, r0, #1\n" * 64 + "  movs r0, #0\n  bx lr\n"
    elf = _build(tmp_path, body)
    t = CM7Timing().override(flash_wait_states=ws)
    r = stm32h7.run(elf, timing={"flash_wait_states": ws})
    main = Cm7Core(elf).symbols["main"] & ~1
    start = Cm7Core(elf).symbols["_start"] & ~1
    # crt0 (its lines up to the bl) and main's 64 x 2 + 6 bytes are fetched once each
    assert r["counters"]["icache_misses"] >= (64 * 2) // 32
    assert r["stalls"]["icache_miss"] == r["counters"]["icache_misses"] * \
        t.axi_clock_div * (t.axi_latency + ws + 1)
    off = stm32h7.run(elf, timing={"flash_wait_states": ws}, memory={"icache": "off"})
    line = t.axi_clock_div * (t.axi_latency + ws + 1) + t.axi_clock_div * 3
    assert off["stalls"]["uncached_fetch"] == off["counters"]["uncached_fetches"] * line
    assert off["counters"]["uncached_fetches"] == r["counters"]["icache_misses"] + \
        r["counters"]["icache_hits"]
    assert main > start


# ---------------------------------------------------------------------------------------------
# counters reach --json and results.csv
# ---------------------------------------------------------------------------------------------
def test_exec_json_reports_operating_point_memory_and_caches(tmp_path, capsys):
    from isasim.cli import main
    elf = _build(tmp_path, CACHE_SRC, defines=["N=1"])
    assert main(["exec", elf, "--target", "cm7", "--json", "--memory", "dcache=off"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["operating_point"]["name"] == "400MHz-flash"
    # flash code with the I-cache on and the D-cache off: no DS12110 table covers it
    assert r["energy_model"]["covered"] is False and r["energy_uj"] is None
    assert "icache=on, dcache=off" in r["energy_model"]["reason"]
    assert r["counters"]["uncached_loads"] > 0 and r["stalls"]["uncached_load"] > 0
    assert r["memory_stall_cycles"] == sum(r["stalls"][k] for k in MEM.STALLS)
    assert main(["exec", elf, "--target", "cm7", "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["energy_model"]["table"] == 31 and r["energy_model"]["row"].startswith("VOS1, 400 MHz")
    assert r["counters"]["dcache_misses"] > 0


def test_experiment_memory_field_and_counter_columns(tmp_path):
    import pandas as pd
    from isasim.experiments.runner import run_experiment
    src = tmp_path / "k.S"
    src.write_text(HEAD + CACHE_SRC)
    cfg = tmp_path / "m.yaml"
    cfg.write_text(f"""name: memtest
variants:
  - {{id: flash, target: cm7, sources: [{src}], defines: {{N: 1}}}}
  - {{id: tcm, target: cm7, sources: [{src}], defines: {{N: 1}}, operating_point: 400MHz}}
  - {{id: nodcache, target: cm7, sources: [{src}], defines: {{N: 1}}, memory: {{dcache: "off"}}}}
""")
    df, out = run_experiment(str(cfg), out=str(tmp_path / "out"), jobs=1, quiet=True)
    rows = pd.read_csv(os.path.join(out, "results.csv")).set_index("variant")
    for col in ("dcache_misses", "icache_misses", "stall_dcache_miss", "stall_icache_miss"):
        assert col in rows.columns
    assert rows.loc["tcm", "stall_icache_miss"] == 0 and rows.loc["flash", "stall_icache_miss"] > 0
    assert rows.loc["nodcache", "uncached_loads"] > 0 == rows.loc["flash", "uncached_loads"]
    bad = tmp_path / "bad.yaml"
    bad.write_text(cfg.read_text().replace('dcache: "off"', 'dcache: "sometimes"'))
    with pytest.raises(IsasimError) as e:
        run_experiment(str(bad), out=str(tmp_path / "out2"), quiet=True)
    assert "bad.yaml:5" in str(e.value) and "memory" in str(e.value)


def test_programs_without_other_memories_run_hook_free_and_exact(tmp_path):
    # all of this ELF is in the TCMs: no memory hooks; a pointer into AXI SRAM then makes the
    # platform run it again with them, and the result is the one of a run with hooks throughout
    body = ("  ldr r0, =0x24000100\n  movs r1, #7\n  str r1, [r0]\n  ldr r2, [r0]\n"
            "  ldr r0, =res\n  str r2, [r0]\n  movs r0, #0\n  bx lr\n  .pool\n"
            "  .data\n  .globl res\nres: .word 0\n")
    elf = _build(tmp_path, body, memory={"code": "itcm"})
    core = Cm7Core(elf)
    assert core.lazy_memory
    r = stm32h7.run(elf, read_symbols={"res": 4})
    assert r["memory"]["res"] == (7).to_bytes(4, "little")
    full = Cm7Core(elf, memory_hooks="always").run()
    assert (r["cycles"], r["counters"]) == (full.cycles, full.counters)
    assert r["counters"]["dcache_misses"] == 1 and r["counters"]["dcache_hits"] == 1
    plain = _build(tmp_path, "  movs r0, #0\n  bx lr", name="plain", memory={"code": "itcm"})
    assert Cm7Core(plain).lazy_memory and stm32h7.run(plain)["memory_stall_cycles"] == 0
