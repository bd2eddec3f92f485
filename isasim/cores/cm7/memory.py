"""STM32H743 memories for the Cortex-M7 core: the memory map, where a program's parts go (placement
-> linker script), and the L1 caches and bus latencies of the run (isasim.cores.cm7.native_hooks
simulates them per access).

Sources: DS12110 Rev 10 §3.1 (64-bit AXI, 64-bit ITCM, 2x32-bit DTCM interfaces; 16 KB I-cache,
16 KB D-cache), §3.3.1 (2 MB flash in two banks, read as 256-bit flash words), §3.3.2 (AXI SRAM
512 KB in D1; SRAM1 128 KB, SRAM2 128 KB, SRAM3 32 KB in D2; SRAM4 64 KB in D3; ITCM 64 KB and DTCM
128 KB at 0 wait states); the base addresses of the CMSIS device header stm32h743xx.h (STM32CubeH7:
D1_AXIFLASH_BASE 0x08000000, D1_AXISRAM_BASE 0x24000000, D2_AHBSRAM_BASE 0x30000000 "over AXI->AHB
Bridge", D3_SRAM_BASE 0x38000000); cache geometry isa_timing.md §2.5 (I 2-way, D 4-way, 32-byte
lines) and the Cortex-M7 TRM DDI 0489F §5.9 (read-allocate, write-allocate where the memory is
marked so, critical word first); default memory attributes Armv7-M ARM (DDI 0403) B3.1 Table B3-1
(0x00000000-0x1FFFFFFF Code: Normal write-through, 0x20000000-0x3FFFFFFF SRAM: Normal write-back
write-allocate; no MPU is programmed). Bus cycle counts are not published (cm7_measured.md §4):
they are CM7Timing parameters, each an ASSUMPTION with a range (docs/cm7.md).
"""
import math
from dataclasses import dataclass

from ...errors import IsasimError


@dataclass(frozen=True)
class Region:
    name: str
    base: int
    size: int
    kind: str          # "tcm", "flash" (AXI), "axi" (AXI SRAM), "ahb" (D2/D3 SRAM via AXI->AHB)
    exec: bool
    write: bool
    attr: str          # default memory attributes: "tcm" (not cached), "wt", "wb"


REGIONS = (
    Region("itcm", 0x00000000, 64 * 1024, "tcm", True, True, "tcm"),
    Region("flash", 0x08000000, 2 * 1024 * 1024, "flash", True, False, "wt"),
    Region("dtcm", 0x20000000, 128 * 1024, "tcm", False, True, "tcm"),
    Region("axisram", 0x24000000, 512 * 1024, "axi", True, True, "wb"),
    Region("sram1", 0x30000000, 128 * 1024, "ahb", True, True, "wb"),
    Region("sram2", 0x30020000, 128 * 1024, "ahb", True, True, "wb"),
    Region("sram3", 0x30040000, 32 * 1024, "ahb", True, True, "wb"),
    Region("sram4", 0x38000000, 64 * 1024, "ahb", True, True, "wb"),
)
BY_NAME = {r.name: r for r in REGIONS}

# roles of a program's parts: output section, input sections, writable
ROLES = {
    "code": (("text", "KEEP(*(.text.start)) *(.text .text.*)"),
             ("rodata", "*(.rodata .rodata.*)")),
    "weights": (("weights", "*(.weights .weights.*)"),),
    "activations": (("activations", "*(.activations .activations.*)"),),
    "scratch": (("scratch", "*(.scratch .scratch.*)"),),
    "data": (("data", "*(.data .data.*) *(.sdata .sdata.*)"),
             ("bss", "__bss_start = .; *(.bss .bss.*) *(.sbss .sbss.*) *(COMMON) __bss_end = .;")),
    "stack": (("stack", ". = ALIGN(8); __stack_limit = .; . += __stack_size; __stack_top = .;"),),
}
WRITABLE_ROLES = ("activations", "scratch", "data", "stack")
STACK_SIZE = 0x2000
# the all-TCM placement (the map before placements existed) and the STM32H7 set-up of the papers'
# group (cm7_measured.md §3: code and weights in flash, activations in DTCM)
TCM_PLACEMENT = {"code": "itcm", "weights": "axisram", "activations": "dtcm", "scratch": "dtcm",
                 "data": "dtcm", "stack": "dtcm"}
FLASH_PLACEMENT = dict(TCM_PLACEMENT, code="flash", weights="flash")

CACHE_DEFAULTS = {"icache": "on", "dcache": "on", "icache_size": 16384, "icache_ways": 2,
                  "dcache_size": 16384, "dcache_ways": 4, "line": 32, "replacement": "lru",
                  "write_policy": "default"}
REPLACEMENTS = ("lru", "round_robin")
WRITE_POLICIES = ("default", "write_back", "write_through")
KEYS = tuple(ROLES) + tuple(CACHE_DEFAULTS)


def _err(msg):
    return IsasimError(f"--memory: {msg}")


def parse(text):
    """'code=flash,weights=flash,icache=off' -> dict (the CLI form)."""
    out = {}
    for item in (text or "").split(","):
        item = item.strip()
        if not item:
            continue
        if "=" not in item:
            raise _err(f"expected KEY=VALUE, got '{item}' (keys: {', '.join(KEYS)})")
        k, v = item.split("=", 1)
        out[k.strip()] = v.strip()
    return out


def check(memory):
    """The memory option checked and normalised (a dict of the keys given). Placement keys name a
    region; the code must be executable (not DTCM), writable roles not in flash; caches on/off,
    sizes powers of two that hold at least one set."""
    if memory is None:
        return {}
    if isinstance(memory, str):
        memory = parse(memory)
    if not isinstance(memory, dict):
        raise _err(f"expected a mapping of {', '.join(KEYS)}, got {type(memory).__name__}")
    out = {}
    for k, v in memory.items():
        if k not in KEYS:
            raise _err(f"unknown key '{k}' (allowed: {', '.join(KEYS)})")
        if k in ROLES:
            v = str(v).lower()
            if v not in BY_NAME:
                raise _err(f"{k}={v}: unknown memory (allowed: {', '.join(BY_NAME)})")
            r = BY_NAME[v]
            if k == "code" and not r.exec:
                raise _err(f"code={v}: the Cortex-M7 cannot fetch instructions from {v} (DTCM is "
                           "data-only; allowed: itcm, flash, axisram, sram1-4)")
            if k in WRITABLE_ROLES and not r.write:
                raise _err(f"{k}={v}: {v} is read-only for programs (flash is written through "
                           f"the flash interface); place {k} in RAM")
        elif k in ("icache", "dcache"):
            v = {True: "on", False: "off"}.get(v, str(v).lower())
            if v not in ("on", "off"):
                raise _err(f"{k}={v}: expected on or off")
        elif k in ("replacement", "write_policy"):
            allowed = REPLACEMENTS if k == "replacement" else WRITE_POLICIES
            v = str(v).lower()
            if v not in allowed:
                raise _err(f"{k}={v}: expected one of {', '.join(allowed)}")
        else:
            try:
                v = int(v)
            except (TypeError, ValueError):
                raise _err(f"{k}={v}: expected an integer")
            if v <= 0 or v & (v - 1):
                raise _err(f"{k}={v}: expected a power of two")
        out[k] = v
    line = out.get("line", CACHE_DEFAULTS["line"])
    if line < 4:
        raise _err(f"line={line}: a cache line holds at least one word")
    for c in ("icache", "dcache"):
        size = out.get(f"{c}_size", CACHE_DEFAULTS[f"{c}_size"])
        ways = out.get(f"{c}_ways", CACHE_DEFAULTS[f"{c}_ways"])
        if size < line * ways:
            raise _err(f"{c}_size={size}: smaller than one set ({ways} ways x {line} bytes)")
    return out


def placement(memory):
    """Placement {role: region} of a (checked) memory option over the defaults given there."""
    return {r: memory.get(r, FLASH_PLACEMENT[r]) for r in ROLES}


def linker_script(memory):
    """The cm7 linker script for placement ``memory`` (roles not given: FLASH_PLACEMENT). An output
    section that does not fit its memory is a link error naming the section and the memory."""
    pl = placement(check(memory))
    used = sorted({v for v in pl.values()} | {"axisram"}, key=lambda n: BY_NAME[n].base)
    lines = ["/* isasim cm7 linker script generated from the placement",
             " *   " + ", ".join(f"{k}={v}" for k, v in pl.items()),
             " * (isasim.cores.cm7.memory; STM32H743 memories: DS12110 §3.3) */",
             "ENTRY(_start)", "MEMORY {"]
    for n in used:
        r = BY_NAME[n]
        mode = ("r" + ("w" if r.write else "") + ("x" if r.exec else ""))
        lines.append(f"  {n.upper()} ({mode}) : ORIGIN = {r.base:#010x}, LENGTH = {r.size // 1024}K")
    lines += ["}", f"__stack_size = {STACK_SIZE:#x};", "SECTIONS {"]
    for role, secs in ROLES.items():
        for name, body in secs:
            noload = " (NOLOAD)" if name in ("bss", "stack") else ""
            lines.append(f"  .{name}{noload} : {{ {body} }} > {pl[role].upper()}")
    lines.append("  .axisram : { *(.axisram .axisram.*) } > AXISRAM")
    lines.append("  /DISCARD/ : { *(.ARM.exidx*) *(.ARM.attributes) *(.comment) }")
    lines.append("}")
    return "\n".join(lines) + "\n"


def region_of(addr):
    for r in REGIONS:
        if r.base <= addr < r.base + r.size:
            return r
    return None


def placement_of(sections):
    """{role: region name} of an ELF's sections ({name: (address, size)}): where the program's
    code and data actually are (the output sections of the generated scripts are named by role;
    other scripts: the code by the section that holds _start's '.text')."""
    out = {}
    for role, secs in ROLES.items():
        for name, _ in secs:
            s = sections.get("." + name)
            if s and s[1] > 0:
                r = region_of(s[0])
                if r is not None:
                    out.setdefault(role, r.name)
    return out


# ---------------------------------------------------------------------------------------------
# bus and cache timing (CM7Timing parameters; formulas documented in docs/cm7.md)
# ---------------------------------------------------------------------------------------------
def first_access(t, r):
    """Core cycles until the first (critical) word of an AXI read of region ``r`` arrives: the
    AXI bus-matrix latency plus the memory's access time, in AXI clocks, times the core/AXI
    clock ratio (ASSUMPTIONS, CM7Timing fields)."""
    if r.kind == "tcm":
        return 0
    mem = {"flash": t.flash_wait_states + 1, "axi": t.axisram_access,
           "ahb": t.axisram_access + t.ahb_bridge_latency}[r.kind]
    return t.axi_clock_div * (t.axi_latency + mem)


def line_transfer(t, r, line=32):
    """Core cycles of a whole line read (uncached fetch of a line): the first beat and the rest
    of the line in 64-bit AXI beats (DS12110 §3.1: 64-bit AXI)."""
    if r.kind == "tcm":
        return 0
    return first_access(t, r) + t.axi_clock_div * (max(1, line // 8) - 1)


def cache_geometry(cfg):
    line = cfg["line"]
    out = {}
    for c in ("icache", "dcache"):
        ways = cfg[f"{c}_ways"]
        out[c] = (cfg[f"{c}_size"] // (line * ways), ways)
    return out, int(math.log2(line))


COUNTERS = ("dcache_hits", "dcache_misses", "dcache_writebacks", "icache_hits", "icache_misses",
            "uncached_fetches", "uncached_loads", "uncached_stores")
STALLS = ("dcache_miss", "icache_miss", "uncached_fetch", "uncached_load", "uncached_store",
          "dcache_writeback")


class MemoryModel:
    """The memory state of one run (the arrays the native hooks update): caches, counters, stall
    cycles. ``cfg``: checked cache keys over CACHE_DEFAULTS; ``timing``: a CM7Timing."""

    def __init__(self, cfg, timing, hooks):
        import numpy as np
        self.h = h = hooks
        c = dict(CACHE_DEFAULTS, **{k: v for k, v in cfg.items() if k in CACHE_DEFAULTS})
        self.cfg = c
        geo, lshift = cache_geometry(c)
        self.isets, self.iways = geo["icache"]
        self.dsets, self.dways = geo["dcache"]
        m = self.m = np.zeros(h.MLEN, np.int64)
        m[h.M_DON] = c["dcache"] == "on"
        m[h.M_ION] = c["icache"] == "on"
        m[h.M_DSETS], m[h.M_DWAYS] = self.dsets, self.dways
        m[h.M_ISETS], m[h.M_IWAYS] = self.isets, self.iways
        m[h.M_REPL] = REPLACEMENTS.index(c["replacement"])
        m[h.M_LSHIFT] = lshift
        m[h.M_FLINE] = -1
        m[h.M_FNEXT] = -1
        m[h.M_WBCYC] = timing.dcache_writeback
        self.arrays = {}
        for slot, n, fill in ((h.M_DTAG, self.dsets * self.dways, -1),
                              (h.M_DAGE, self.dsets * self.dways, 0),
                              (h.M_DDIRTY, self.dsets * self.dways, 0),
                              (h.M_ITAG, self.isets * self.iways, -1),
                              (h.M_IAGE, self.isets * self.iways, 0),
                              (h.M_DRR, self.dsets, 0), (h.M_IRR, self.isets, 0)):
            a = np.full(n, fill, np.int64)
            self.arrays[slot] = a
            m[slot] = a.ctypes.data
        m[h.M_NREG] = len(REGIONS)
        wp = c["write_policy"]
        self.latency = {}
        for i, r in enumerate(REGIONS):
            b = h.M_REG + h.RW * i
            wb = r.attr == "wb" if wp == "default" else wp == "write_back"
            fa, lx = first_access(timing, r), line_transfer(timing, r, c["line"])
            m[b:b + 7] = [r.base, r.base + r.size, r.kind != "tcm", wb, fa, lx,
                          timing.uncached_store if r.kind != "tcm" else 0]
            if r.kind != "tcm":
                self.latency[r.name] = {"first_access": fa, "line": lx}

    def install(self, uc):
        """The native data-access hook on every non-TCM region (TCM accesses run hook-free)."""
        import ctypes
        from unicorn import unicorn_const as UC
        from unicorn.unicorn_py3.unicorn import uclib
        for r in REGIONS:
            if r.kind == "tcm":
                continue
            hd = ctypes.c_size_t()
            err = uclib.uc_hook_add(uc._uch, ctypes.byref(hd),
                                    UC.UC_HOOK_MEM_READ | UC.UC_HOOK_MEM_WRITE,
                                    ctypes.c_void_p(self.h.mem.address),
                                    ctypes.c_void_p(self.m.ctypes.data),
                                    ctypes.c_uint64(r.base), ctypes.c_uint64(r.base + r.size - 1))
            if err != 0:  # pragma: no cover
                raise IsasimError(f"cannot install the memory hook on {r.name} (unicorn error {err})")

    def fetch(self, pc, size):
        """Trace path: the instruction fetch of one instruction."""
        self.h.ifetch_array(self.m, pc, size)

    def stall_total(self):
        return int(self.m[self.h.M_STL:self.h.M_STL + len(STALLS)].sum())

    def counters(self):
        return {k: int(self.m[self.h.M_CNT + i]) for i, k in enumerate(COUNTERS)}

    def stalls(self):
        return {k: int(self.m[self.h.M_STL + i]) for i, k in enumerate(STALLS)}

    def event_latency(self):
        """Stall cycles of one memory event, int64[regions, stall kinds] (order of REGIONS and
        STALLS; the native hooks count events per block in this layout, native_hooks.NEV)."""
        import numpy as np
        h, m = self.h, self.m
        out = np.zeros((len(REGIONS), len(STALLS)), np.int64)
        for i in range(len(REGIONS)):
            b = h.M_REG + h.RW * i
            out[i, h.S_DMISS] = out[i, h.S_IMISS] = out[i, h.S_ULOAD] = m[b + 4]
            out[i, h.S_UFETCH] = m[b + 5]
            out[i, h.S_USTORE] = m[b + 6]
            out[i, h.S_DWB] = m[h.M_WBCYC]
        return out

    def block_stalls(self, events):
        """Memory stall cycles per stall kind of each block, int64[blocks, STALLS], from its
        events int64[blocks, regions * stall kinds]."""
        ev = events.reshape(len(events), len(REGIONS), len(STALLS))
        return (ev * self.event_latency()[None]).sum(axis=1)

    def replay(self, counters, events):
        """Re-timing: set the counters of a recorded run and the stall cycles of its memory
        events (int64[blocks, regions * stall kinds]) with this model's latencies."""
        h = self.h
        for i, k in enumerate(COUNTERS):
            self.m[h.M_CNT + i] = int(counters[k])
        tot = self.block_stalls(events).sum(axis=0) if len(events) else [0] * len(STALLS)
        for i in range(len(STALLS)):
            self.m[h.M_STL + i] = int(tot[i])

    def describe(self):
        c = self.cfg
        return {"icache": c["icache"], "dcache": c["dcache"],
                "icache_geometry": f"{c['icache_size'] // 1024} KB, {self.iways}-way, {c['line']}-byte lines",
                "dcache_geometry": f"{c['dcache_size'] // 1024} KB, {self.dways}-way, {c['line']}-byte lines",
                "replacement": c["replacement"], "write_policy": c["write_policy"],
                "latency_cycles": self.latency}
