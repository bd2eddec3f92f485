"""Layout of the arrays the RI5CY engine shares with Python (core.py, the GAP-8 cluster loop).

Every index is derived from a list of names, and the generated engine refers to them by name only
(``P[P_LOAD_USE]``, ``CTR[C_CYCLES]``: module-level constants that numba folds): inserting a
timing parameter, a counter or a stall cause anywhere cannot shift an index the engine or a
consumer uses. The engine's cache key includes ``signature()``, so a changed layout is a new engine.

* ``P``   runtime parameters: the engine's own (``ENGINE_PARAMS``), then every numeric field of
          ``RI5CYTiming`` in its declaration order (timing changes never recompile);
* ``CTR`` counters and per-core state kept between engine calls (stall counters ``st_<cause>``
          follow ``timing.ri5cy.STALL_CAUSES``);
* ``HW``  hardware-loop registers (runtime.py: loop L's start/end/count at L * HW_LOOP + HW_*);
* ``TR``  commit-log rows, ``AL`` access-log rows, ``PMETA`` plug-in rows (columns below).
"""
from ...timing.ri5cy import STALL_CAUSES, engine_parameters
from .runtime import HW_START, HW_END, HW_COUNT, HW_LOOP, HW_SIZE  # noqa: F401 (re-exported)

# parameters the engine reads besides the timing model
ENGINE_PARAMS = ("tohost", "hwloop_csr_base", "core_id", "cluster_id", "trace", "profile",
                 "event_base", "ncores", "cycle_limit", "log_tcdm", "tcdm_base", "tcdm_size",
                 # shared instruction cache (the GAP-8 cluster's, platforms/gap8.py ClusterConfig):
                 # on/off, log2 of the line size, sets, ways, refill cycles
                 "icache", "icache_line_bits", "icache_sets", "icache_ways", "icache_refill")
P_NAMES = ENGINE_PARAMS + tuple(engine_parameters())
P = {n: i for i, n in enumerate(P_NAMES)}

CTR_NAMES = (("cycles", "instructions") + tuple("st_" + c for c in STALL_CAUSES)
             + ("exit_code", "fault_addr", "fault_size", "loads", "stores", "trace_n", "ld_rd",
                "prev_rd", "fault_store", "ev_addr", "ev_rd", "al_n", "l2_accesses",
                "tcdm_accesses",
                # instruction cache: refill stall cycles, hits, misses, 1 + the line fetched last
                "st_icache", "ic_hits", "ic_misses", "ic_line"))
C = {n: i for i, n in enumerate(CTR_NAMES)}

# decoded slot record (core.Decoded.SLOT, one row of SLOT_WIDTH int64 per halfword of code): op id,
# rd | rs1 << 5 | rs2 << 10 | rs3 << 15 | length << 20, the immediates, the registers read (bit r),
# AG[op] (codegen.dispatch_arrays) and the static cycles TC[op]: one cache line per instruction
SLOT_NAMES = ("op", "fields", "i0", "i1", "i2", "rmask", "ag", "tc")
SLOT_WIDTH = 8
SLOT_SHIFT = 3
assert len(SLOT_NAMES) == SLOT_WIDTH == 1 << SLOT_SHIFT

# commit-log row: cycle at issue, pc, register written, its value, memory address (-1: none),
# slot, rs1, value of rs1, the values of the rs1 and rs2 columns BEFORE the instruction
# executed (the lane profile's operands a and b: rd may be rs1 or rs2; b is also the divisor a
# recording keeps), and 1 if the instruction redirected the pc (taken branch, jump, mret; not a
# hardware-loop back edge: what a recording needs, isasim/cores/ri5cy/replay.py)
TR_NAMES = ("cycle", "pc", "wr", "value", "mem", "slot", "r1", "r1_value", "a", "b", "jumped")
# access-log row: issue cycle, address, cycles of the instruction (the access is placed at the
# instruction's last cycle, issue + cost - 1). An instruction-cache refill of line L is logged as
# (fetch cycle, -1 - L, 0), i.e. in the cycle before the fetching instruction issues; the cluster
# arbitrates the refill port (isasim/platforms/gap8_loop.py).
# The slot of the instruction that made the access is written only when profiling (profile rows
# below: the cluster charges its contention and latency stalls to it).
AL_NAMES = ("cycle", "addr", "cost", "slot")
# plug-in row (codegen.plugin_meta): load size, post-increment, number of outputs, column of the
# second output (1/2/3 = rs1/rs2/rs3), runs on the Python path
PMETA_NAMES = ("load_size", "post_increment", "n_out", "out2_col", "python")

# profile row (P[profile] = 1): one row of PR_NAMES per slot of code in PROF (flat,
# PROF[s * PR_W + PR_<name>]), then one tail row at nslots * PR_W holding the slot that executed
# last (column "cycles") and the stall counters as last seen (st_* columns). Cycles, instructions
# and engine stall cycles by cause of the instructions at that slot; the cluster adds the
# arbitration's tcdm_contention, l2_contention, l2_latency and icache_port (waits for the refill
# port) of the slot's accesses (platforms/gap8_arb.py) and barrier waits (to the barrier load).
PR_NAMES = (("cycles", "instructions") + tuple("st_" + c for c in STALL_CAUSES)
            + ("st_icache", "l2_contention", "l2_latency", "icache_port"))
PR = {n: i for i, n in enumerate(PR_NAMES)}
# stall counters the engine adds to while an instruction executes (charged to that instruction;
# barrier: p.elw), and the ones the cluster adds to between engine calls (charged, with as many
# cycles, to the slot that ran last: the barrier load)
PR_ENGINE_STALLS = tuple("st_" + c for c in STALL_CAUSES if c != "tcdm_contention") + ("st_icache",)
PR_CLUSTER_STALLS = ("st_barrier",)

NREGS = 40
HIDDEN = {"vf": 32}         # hidden per-core state registers (R[32+])

STATUS_NAMES = ("LIMIT", "EXIT", "ILLEGAL", "MEM", "EBREAK", "ECALL", "PC", "EVENT", "LOG_FULL",
                "PYCALL", "REDECODE", "PLUGIN", "CSR", "HWLOOP")
(ST_LIMIT, ST_EXIT, ST_ILLEGAL, ST_MEM, ST_EBREAK, ST_ECALL, ST_PC, ST_EVENT, ST_LOG_FULL, ST_PYCALL,
 ST_REDECODE, ST_PLUGIN, ST_CSR, ST_HWLOOP) = range(len(STATUS_NAMES))
# ST_REDECODE: the slot at pc was written by a store (OP = OP_STALE): decode it again, then resume.
# ST_PLUGIN: a plug-in's compiled semantics raised (the dispatcher returned PF_ERR).
# ST_CSR: a CSR the RTL implements and isasim does not model. ST_HWLOOP: a branch or jump is the
# last instruction of an active hardware loop (not allowed, RI5CY manual rev 3.0).
OP_ILLEGAL, OP_STALE = -1, -2
PF_ERR = -0x8000000000000000     # the plug-in dispatcher's "semantics raised" result (int64 min)
AG_BRANCH = -2                   # AG[op] of a conditional branch (hardware-loop end check)
AG_MEM = -100                    # AG[op] of a load/store: AG_MEM - (signed << 2 | log2(size))

# CSR numbers
CSR_MCYCLE, CSR_MINSTRET, CSR_MCYCLEH, CSR_MINSTRETH = 0xB00, 0xB02, 0xB80, 0xB82
CSR_CYCLE, CSR_INSTRET, CSR_CYCLEH, CSR_INSTRETH = 0xC00, 0xC02, 0xC80, 0xC82
CSR_MHARTID, CSR_UHARTID, CSR_MEPC = 0xF14, 0x014, 0x341


def _const(prefix, name):
    return f"{prefix}_{name.upper()}"


def constants():
    """(name, value) of every layout constant the generated engine uses, in a fixed order."""
    out = [(_const("P", n), i) for i, n in enumerate(P_NAMES)]
    out += [(_const("C", n), i) for i, n in enumerate(CTR_NAMES)]
    out += [(_const("TR", n), i) for i, n in enumerate(TR_NAMES)]
    out += [(_const("AL", n), i) for i, n in enumerate(AL_NAMES)]
    out += [(_const("PM", n), i) for i, n in enumerate(PMETA_NAMES)]
    out += [(_const("PR", n), i) for i, n in enumerate(PR_NAMES)] + [("PR_W", len(PR_NAMES))]
    out += [(_const("SL", n), i) for i, n in enumerate(SLOT_NAMES)] + [("SL_SHIFT", SLOT_SHIFT)]
    out += [("HW_START", HW_START), ("HW_END", HW_END), ("HW_COUNT", HW_COUNT),
            ("HW_LOOP", HW_LOOP)]
    out += [(f"ST_{n}", i) for i, n in enumerate(STATUS_NAMES)]
    out += [("OP_ILLEGAL", OP_ILLEGAL), ("OP_STALE", OP_STALE), ("PF_ERR", PF_ERR),
            ("AG_BRANCH", AG_BRANCH), ("AG_MEM", AG_MEM), ("CSR_MEPC", CSR_MEPC)]
    return out


def signature():
    """Text that changes whenever any index changes (part of the engine's cache key)."""
    return repr(constants()) + repr(sorted(HIDDEN.items())) + repr(NREGS)


def p(name):
    """Name of the generated constant holding parameter ``name``'s index (IsasimError if none)."""
    if name not in P:
        from ...errors import IsasimError
        raise IsasimError(f"engine parameter '{name}' is not in the layout (P_NAMES)")
    return _const("P", name)


def ctr(name):
    """Name of the generated constant holding counter ``name``'s index."""
    if name not in C:
        from ...errors import IsasimError
        raise IsasimError(f"engine counter '{name}' is not in the layout (CTR_NAMES)")
    return _const("C", name)
