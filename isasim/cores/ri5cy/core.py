"""RI5CY core: loads an ELF, pre-decodes it once, and runs the compiled engine.

Decode happens once per program (every halfword of the executable segments is decoded with the
instruction table into flat arrays: op id, registers, immediates, registers read). The compiled
engine (codegen.py) then runs without any Python per instruction. Tracing uses the same engine with
a trace buffer switched on, so the trace path gives the same cycles as the fast path by construction.
A store into the decoded code marks the slots it overwrites stale; the engine stops when it reaches
one, the slot is decoded again from memory here, and the run resumes (self-modifying code runs
what memory holds; programs that never write their code pay one range check per store).
"""
import sys

import numpy as np

from ...elf import Program
from ...errors import IsasimError, SimError
from ...isa import semantics
from ...isa.disasm import format_instr, reg_name
from ...isa.registry import load_table
from ...timing.ri5cy import RI5CYTiming, STALL_CAUSES, RULES, engine_parameters
from . import codegen as cg
from .runtime import (CSR_SLOW_FLAGS, CSR_IMPL, CSR_WMASK, CSR_SIZE, HW_END, HW_COUNT, HW_LOOP,
                      HW_SIZE, IC_ROWS)

# GAP-8-like memory map (isasim/toolchain/data/gap8.ld)
L2_BASE, L2_SIZE = 0x1C000000, 512 * 1024
TCDM_BASE, TCDM_SIZE = 0x10000000, 64 * 1024

# Hardware-loop CSR base by core revision (docs/ri5cy.md): lpstart0/lpend0/lpcount0 at base+0..2,
# loop 1 at base+4..6. GAP-8 = RI5CY as in its manual rev 3.0 and the RTL until Dec 2018.
HWLOOP_CSR_BASES = {"ri5cy-2018": 0x7B0, "ri5cy-2019": 0x7C0, "cv32e40p-v1": 0x800,
                    "cv32e40p-v2": 0xCC0}
HWLOOP_CSR_BASE = HWLOOP_CSR_BASES["ri5cy-2018"]

# CSRs with storage, as riscv_cs_registers.sv (RI5CY, GAP-8 era) with PULP_SECURE = 0 (the PULP
# cluster configuration): number -> (reset value, writable bits). Reads of a CSR that is neither
# here nor one of the views in runtime.csr_access (cycle/instret counters, mhartid/uhartid,
# hardware-loop registers) return 0 and writes are ignored (the RTL read mux defaults to '0).
# mtvec reads the boot address (mtvec_q = boot_addr_i): isasim uses the ELF entry's 256-byte page.
CSR_FILE = {0x300: (0x1800, 0x88),           # mstatus: mie, mpie writable; mpp reads M (11)
            0x341: (0, 0xFFFFFFFF),          # mepc
            0x342: (0, 0x8000001F),          # mcause {irq, code[4:0]} (runtime.csr_access)
            0xC10: (3, 0)}                   # current privilege level (M), read-only
CSR_MTVEC = 0x305


def hwloop_csr_base(value=None):
    """The hardware-loop CSR base for ``value``: None (GAP-8, 0x7B0), a CSR number (int or a
    string such as "0x7C0") or a core revision name (HWLOOP_CSR_BASES). IsasimError otherwise."""
    if value is None:
        return HWLOOP_CSR_BASE
    names = ", ".join(f"{k} (0x{v:03X})" for k, v in HWLOOP_CSR_BASES.items())
    v = value
    if isinstance(v, str):
        key = v.strip().lower()
        if key in HWLOOP_CSR_BASES:
            return HWLOOP_CSR_BASES[key]
        try:
            v = int(key, 0)
        except ValueError:
            raise IsasimError(f"hwloop_csr_base '{value}' is neither a CSR number nor a core "
                              f"revision ({names})") from None
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
        raise IsasimError(f"hwloop_csr_base must be a CSR number or a core revision ({names}), "
                          f"not {type(value).__name__} {value!r}")
    v = int(v)
    taken = sorted(set(CSR_FILE) | {CSR_MTVEC, 0xF14, 0x014, 0xB00, 0xB02, 0xB80, 0xB82, 0xC00,
                                    0xC02, 0xC80, 0xC82} | set(range(0x780, 0x7A2)))
    clash = [n for n in taken if v <= n <= v + 6]
    if not 0 <= v <= 0xFFF - 6 or clash:
        why = f"overlaps CSR 0x{clash[0]:03X}" if clash else "is outside 0x000..0xFF9"
        raise IsasimError(f"hwloop_csr_base 0x{v:X}: the window base..base+6 {why} (core "
                          f"revisions: {names})")
    return v


_hwloop_base = hwloop_csr_base      # RI5CY.__init__'s parameter of the same name shadows it


def instruction_limit(max_instructions):
    """The engine's instruction budget: None means no limit; otherwise a positive int."""
    if max_instructions is None:
        return 1 << 62
    if (isinstance(max_instructions, bool) or not isinstance(max_instructions, (int, np.integer))
            or max_instructions <= 0):
        raise SimError(f"max_instructions must be a positive integer, or None for no limit "
                       f"(got {max_instructions!r})")
    return int(max_instructions)


# Instructions per engine call on the fast path: the engine returns to Python this often so that
# Ctrl-C (KeyboardInterrupt) is seen within ~50 ms; resuming is exact (all state is in the arrays).
CHUNK = 1 << 22


class Decoded:
    """Pre-decoded program: numpy arrays indexed by (pc - base) / 2."""

    def __init__(self, prog, table):
        execs = [(a, d) for a, d, x in prog.segments if x]
        if not execs:
            raise SimError(f"{prog.path}: no executable segment")
        lo = min(a for a, _ in execs)
        hi = max(a + len(d) for a, d in execs)
        self.base, self.nslots = lo, (hi - lo + 1) // 2
        code = bytearray(hi - lo + 4)
        for a, d in execs:
            code[a - lo:a - lo + len(d)] = d
        n = self.nslots
        self.table = table
        # what the engine reads: one record per slot (layout.SLOT_NAMES); OP, FIELDS, I0..I2,
        # RMASK are column views of it
        self.REC = np.zeros((n, len(cg.layout.SLOT_NAMES)), np.int64)
        self.SLOT = self.REC.reshape(-1)
        col = {k: i for i, k in enumerate(cg.layout.SLOT_NAMES)}
        self.OP = self.REC[:, col["op"]]
        self.OP[:] = cg.OP_ILLEGAL
        self.FIELDS = self.REC[:, col["fields"]]  # rd | rs1 << 5 | rs2 << 10 | rs3 << 15 | len << 20
        self.I0, self.I1, self.I2 = (self.REC[:, col[k]] for k in ("i0", "i1", "i2"))
        self.RMASK = self.REC[:, col["rmask"]]    # bit r set: the instruction reads register r
        self._AG, self._TC = self.REC[:, col["ag"]], self.REC[:, col["tc"]]
        self.ag_of = self.tc_of = None            # per op: set_dispatch
        self.CID = np.full(n, -1, np.int32)       # the instruction as written (c.* for 16-bit)
        self.WORD = np.zeros(n, np.int64)
        self.LEN = np.zeros(n, np.int8)
        self.RD, self.RS1, self.RS2, self.RS3 = (np.zeros(n, np.int64) for _ in range(4))
        self.vals = {}
        self.base_of = {}
        for ins in table.instrs:
            if not ins.alias and not ins.expands:
                self.base_of.setdefault(ins.name, ins)
        self.slots_cache = {}
        for s in range(n):
            i = 2 * s
            self._decode_slot(s, code[i] | (code[i + 1] << 8), code[i + 2] | (code[i + 3] << 8))
        self.FIELDS[:] = (self.RD | (self.RS1 << 5) | (self.RS2 << 10) | (self.RS3 << 15)
                          | (self.LEN.astype(np.int64) << 20))

    _COLS = {"rd": "RD", "r1": "RS1", "r2": "RS2", "r3": "RS3", "i0": "I0", "i1": "I1", "i2": "I2"}

    def _decode_slot(self, s, lo16, hi16):
        """Decode slot ``s`` from its two halfwords (the second is used by a 32-bit instruction)."""
        if lo16 & 3 == 3:
            w, ln = lo16 | (hi16 << 16), 4
        else:
            w, ln = lo16, 2
        ins, vals = self.table.decode(w, ln)
        self.WORD[s] = w
        self.LEN[s] = ln
        if ins is None:
            return
        self.CID[s] = ins.id
        self.vals[s] = vals
        if ins.expands:
            exe = self.base_of[ins.expands]
            vals = ins.params["map"](vals)
        else:
            exe = ins
        if exe.id not in self.slots_cache:
            self.slots_cache[exe.id] = (cg.operand_slots(exe), cg.sources_read(exe))
        slots, reads = self.slots_cache[exe.id]
        self.OP[s] = exe.id
        for name, col in slots.items():
            getattr(self, self._COLS[col])[s] = vals[name]
        m = 0
        for r in reads:
            m |= 1 << vals[r]
        self.RMASK[s] = m & ~1

    def set_dispatch(self, ag, tc):
        """Fill every slot's AG and static cycles from the per-op arrays ``ag`` and ``tc``."""
        self.ag_of, self.tc_of = ag, tc
        ok = self.OP >= 0
        self._AG[:] = np.where(ok, ag[np.where(ok, self.OP, 0)], 0)
        self._TC[:] = np.where(ok, tc[np.where(ok, self.OP, 0)], 0)

    def redecode(self, pc, mem):
        """Decode the slot at ``pc`` again from ``mem`` (a store wrote it; the engine stopped with
        ST_REDECODE there). Only that slot: the others are decoded when execution reaches them."""
        s = (pc - self.base) >> 1
        a = self.base + 2 * s

        def half(x):
            try:
                return int.from_bytes(mem.read(x, 2), "little")
            except SimError:
                return 0
        self.OP[s] = cg.OP_ILLEGAL
        self.CID[s] = -1
        self.vals.pop(s, None)
        for col in self._COLS.values():
            getattr(self, col)[s] = 0
        self.RMASK[s] = 0
        self._decode_slot(s, half(a), half(a + 2))
        self.FIELDS[s] = (self.RD[s] | (self.RS1[s] << 5) | (self.RS2[s] << 10)
                          | (self.RS3[s] << 15) | (int(self.LEN[s]) << 20))
        op = int(self.OP[s])
        self._AG[s] = self.ag_of[op] if op >= 0 else 0
        self._TC[s] = self.tc_of[op] if op >= 0 else 0


class RI5CY:
    """One RI5CY core with its own memory image (the cluster shares memory between cores)."""

    def __init__(self, elf, plugins=(), timing=None, core_id=0, cluster_id=0, memory=None,
                 hwloop_csr_base=None, cost=None):
        self.prog = elf if isinstance(elf, Program) else Program(elf)
        if self.prog.machine != "EM_RISCV":
            raise SimError(f"{elf}: not a RISC-V ELF (machine {self.prog.machine}); "
                           f"use --target cm7 for Arm")
        self.table = load_table("rv32", plugins, cost=cost)   # cost: what-if plug-in cost knobs
        self.timing = timing or RI5CYTiming()
        self.eng = cg.engine(self.table)
        self.PF = cg.plugin_dispatcher(self.table, plugins)
        self.PMETA = cg.plugin_meta(self.table)
        self.AG = cg.dispatch_arrays(self.table)
        self.dec = Decoded(self.prog, self.table)
        self.mem = memory or Memory.for_program(self.prog)
        self.R = np.zeros(cg.NREGS, np.int64)
        self.HW = np.zeros(HW_SIZE, np.int64)
        self.CSR = np.zeros(CSR_SIZE, np.int64)
        for n in self.timing.slow_csrs:
            self.CSR[CSR_SLOW_FLAGS + n] = 1
        for n, (reset, wmask) in CSR_FILE.items():
            self.CSR[n], self.CSR[CSR_IMPL + n], self.CSR[CSR_WMASK + n] = reset, 1, wmask
        self.CSR[CSR_MTVEC], self.CSR[CSR_IMPL + CSR_MTVEC] = self.prog.entry & 0xFFFFFF00, 1
        self.CTR = np.zeros(len(cg.CTR_NAMES), np.int64)
        self.OPCNT = np.zeros(len(self.table.instrs), np.int64)
        self.TC = np.array([int(i.cost["latency"]) if "latency" in i.cost else
                            self.timing.base_cycles(i.timing) for i in self.table.instrs], np.int64)
        self.dec.set_dispatch(self.AG, self.TC)
        t = self.timing
        # the timing parameters by name (the engine's rules read them: timing/ri5cy.py RULES)
        p = {k: int(getattr(t, k)) for k in engine_parameters()}
        p.update({"tohost": self.prog.symbols.get("tohost", 0),
                  "hwloop_csr_base": _hwloop_base(hwloop_csr_base),
                  "core_id": core_id, "cluster_id": cluster_id})
        self.P = np.zeros(len(cg.P_NAMES), np.int64)
        for k, v in p.items():
            self.P[cg.P[k]] = v
        self.core_id = core_id
        self.pc = self.prog.entry
        top = self.prog.symbols.get("__stack_top")
        size = self.prog.symbols.get("__stack_size", 0x400)
        if top:
            self.R[2] = top - core_id * size
        self.P[cg.P["tcdm_base"]] = TCDM_BASE
        self.P[cg.P["tcdm_size"]] = TCDM_SIZE
        self.PROF = np.zeros(1, np.int64)
        self.TR = np.zeros((1, len(cg.layout.TR_NAMES)), np.int64)
        # TCDM access log (cycle, address, cost: layout.AL_NAMES) for the cluster
        self.AL = np.zeros((1, len(cg.layout.AL_NAMES)), np.int64)
        # instruction-cache state (runtime.icache_access): off on one core (P icache = 0); the
        # GAP-8 cluster gives all its cores one shared array
        self.IC = np.full((IC_ROWS, 1), -1, np.int64)
        self.status = None

    # ------------------------------------------------------------------------------------------
    def step(self, max_n, trace_cap=0):
        """Run up to ``max_n`` instructions; plug-in instructions on the Python path are executed
        here between engine calls. Returns (status, instructions executed)."""
        done = 0
        while True:
            st, n = self._engine_step(max_n - done, trace_cap)
            done += n
            if st == cg.ST_REDECODE:
                self.dec.redecode(self.pc, self.mem)
                continue
            if st != cg.ST_PYCALL:
                return st, done
            self._py_exec()
            done += 1
            if done >= max_n:
                return cg.ST_LIMIT, done

    def py_exec(self, out=None):
        """Execute the Python-path plug-in instruction at pc (``_py_exec``); with ``out``, write
        its commit-log line there."""
        pc, cyc = self.pc, int(self.CTR[cg.C["cycles"]])
        self._py_exec()
        if out:
            s = (pc - self.dec.base) >> 1
            ins = self.table.instrs[int(self.dec.CID[s])]
            out.write(f"{cyc:10d} 0x{pc:08x} {int(self.dec.WORD[s]):08x} "
                      f"{format_instr(ins, self.dec.vals[s], pc, self.prog.symbolize)}"
                      f"  (python path)\n")

    def _py_exec(self):
        """Execute one plug-in instruction whose semantics run in Python (``params={"python":
        True}``), with the engine's timing rules: static cycles, load-use hazard, counters."""
        d, C = self.dec, cg.C
        pc = self.pc
        s = (pc - d.base) >> 1
        op = int(d.OP[s])
        ins = self.table.instrs[op]
        vals = d.vals[s]
        if any(self.HW[L * HW_LOOP + HW_COUNT] > 0 and pc == self.HW[L * HW_LOOP + HW_END]
               for L in (0, 1)):
            raise SimError(f"{ins.source}: {ins.name} at pc 0x{pc:08x}: a Python-path plug-in "
                           f"cannot be the last instruction of a hardware loop")
        c = int(self.TC[op])
        ld = int(self.CTR[C["ld_rd"]])
        if ld and (int(d.RMASK[s]) >> ld) & 1:          # the engine's load-use rule
            extra, stall = RULES["load_use"].evaluate(self.timing, static=c)
            c += extra
            self.CTR[C["st_" + RULES["load_use"].cause]] += stall
        try:
            outs = self._sem_call(ins, vals, pc)
        except semantics.SemanticsError:
            raise
        except Exception as e:
            raise SimError(f"{ins.source}: {ins.name} at pc 0x{pc:08x}: semantics raised "
                           f"{type(e).__name__}: {e}")
        if ins.params.get("load", {}).get("post_increment") and vals.get("rs1"):
            self.R[vals["rs1"]] = (int(self.R[vals["rs1"]]) + ins.params["load"]["post_increment"]) & 0xFFFFFFFF
        for name, v in zip(semantics.writes(ins), outs):
            if vals.get(name, 0) != 0:
                self.R[vals[name]] = v
        if self.PROF.size > 1:          # profiling: charge it to its slot (layout.PR_NAMES)
            _profile_python_exec(self.PROF, d.nslots, s, c, int(self.CTR[C["st_load_use"]])
                                 - int(self.PROF[d.nslots * _PW + _PR["st_load_use"]]))
        self.pc = pc + int(d.LEN[s])
        self.CTR[C["cycles"]] += c
        self.CTR[C["instructions"]] += 1
        self.OPCNT[op] += 1
        self.CTR[C["ld_rd"]] = 0
        self.CTR[C["prev_rd"]] = vals.get("rd", 0)

    def _sem_call(self, ins, vals, pc):
        """Results of plug-in ``ins``'s semantics at ``pc`` on the current register state (one value
        per destination), through the shared binding of isasim.isa.semantics."""
        mem = None
        ld = ins.params.get("load")
        if ld:
            mem = int.from_bytes(self.mem.read(int(self.R[vals["rs1"]]) & 0xFFFFFFFF,
                                               int(ld.get("size", 4))), "little")
        return semantics.call(ins, vals, lambda r: int(self.R[r]), pc=pc, mem=mem)

    def _engine_step(self, max_n, trace_cap=0):
        d, m = self.dec, self.mem
        if trace_cap and self.TR.shape[0] < trace_cap:
            self.TR = np.zeros((trace_cap, len(cg.layout.TR_NAMES)), np.int64)
        self.P[cg.P["trace"]] = 1 if trace_cap else 0
        st, pc, n = self.eng.run(d.SLOT, d.base, d.nslots, self.R, self.HW, self.CSR,
                                 m.MEM, m.RB, m.RS, m.RO, self.CTR, self.OPCNT, self.P,
                                 self.pc, max_n, self.TR, self.PROF, self.AL, self.PF, self.PMETA,
                                 self.IC)
        self.pc = pc
        return st, n

    def enable_profile(self):
        """Per-slot profile rows (layout.PR_NAMES) and the tail row."""
        self.PROF = np.zeros((self.dec.nslots + 1) * _PW, np.int64)
        self.P[cg.P["profile"]] = 1

    def run(self, max_instructions=None, trace=None, profile=False, lanes=False, record=None):
        """Run to exit; returns the exit code. ``trace``: path of a commit log to write.
        ``lanes``: collect the lane profile in ``self.lanes`` (isasim.cores.ri5cy.lanes; the
        trace path, same cycles). ``record``: a replay.Recorder that receives the commit-log rows
        (trace path, same cycles)."""
        limit = instruction_limit(max_instructions)
        if profile:
            self.enable_profile()
        self.lanes = None
        if lanes:
            from .lanes import LaneProfile
            self.lanes = LaneProfile(self.table, self.dec)
        out = open(trace, "w") if trace else None
        slow = bool(out) or bool(lanes) or record is not None
        try:
            if out:
                out.write("# isasim RI5CY commit log: cycle pc word disassembly "
                          "[reg=value] [mem=address]\n")
            done = 0
            while True:
                # bounded engine calls: Ctrl-C is seen between them; the cycle counts do not depend
                # on where a call ends (all engine state lives in the arrays)
                chunk = min(limit - done, 65536 if slow else CHUNK)
                st, n = self._engine_step(chunk, trace_cap=chunk if slow else 0)
                if out:
                    self.write_trace(out, n)
                if lanes:
                    self.lanes.add_rows(self.TR, n)
                if record is not None:
                    record.rows(0, self.TR, n)
                    if st in (cg.ST_REDECODE, cg.ST_PYCALL):
                        record.refuse("self-modifying code" if st == cg.ST_REDECODE else
                                      "a Python-path plug-in instruction executed")
                done += n
                if st == cg.ST_REDECODE:        # a store overwrote the instruction at pc
                    self.dec.redecode(self.pc, self.mem)
                    continue
                if st == cg.ST_PYCALL:          # plug-in on the Python path
                    if lanes:
                        self.lanes.python_exec(self)
                    self.py_exec(out)
                    done += 1
                    st = cg.ST_LIMIT
                    if done < limit:
                        continue
                if st == cg.ST_LIMIT:
                    if done >= limit:
                        raise SimError(f"stopped after {done} instructions (--max-instructions "
                                       f"{limit}) at pc 0x{self.pc:08x} ({self.where(self.pc)}): "
                                       f"the program did not exit")
                    continue
                return self.finish(st)
        finally:
            if out:
                out.close()

    def read_symbol(self, name, n):
        """``n`` bytes of memory at symbol ``name`` (after a run: kernel outputs)."""
        if name not in self.prog.symbols:
            raise IsasimError(f"{self.prog.path}: no symbol '{name}' to read the output from")
        return self.mem.read(self.prog.symbols[name], n)

    def where(self, pc):
        return self.prog.symbolize(pc) or "?"

    def finish(self, st):
        """The exit code for engine status ``st`` = ST_EXIT; for any other status, raise the
        one-line SimError that describes it (pc, symbol, instruction word)."""
        pc = self.pc
        if st == cg.ST_EXIT:
            self.status = "exit"
            return int(self.CTR[cg.C["exit_code"]] & 0xFFFFFFFF)
        if st == cg.ST_ILLEGAL:
            s = (pc - self.dec.base) >> 1
            w = int(self.dec.WORD[s])
            ln = int(self.dec.LEN[s])
            raise SimError(f"illegal instruction at pc 0x{pc:08x} ({self.where(pc)}): "
                           f"word 0x{w:0{2 * ln}x}")
        if st == cg.ST_MEM:
            a = int(self.CTR[cg.C["fault_addr"]])
            sz = int(self.CTR[cg.C["fault_size"]])
            kind = "store" if self.CTR[cg.C["fault_store"]] else "load"
            raise SimError(f"{kind} of {sz} bytes at 0x{a:08x} outside mapped memory "
                           f"(pc 0x{pc:08x}, {self.where(pc)})")
        if st == cg.ST_PC:
            raise SimError(f"pc 0x{pc:08x} is outside the program's code "
                           f"(jump target of a bad pointer or return address?)")
        if st == cg.ST_EBREAK:
            raise SimError(f"ebreak at pc 0x{pc:08x} ({self.where(pc)})")
        if st == cg.ST_ECALL:
            raise SimError(f"unsupported ecall a7={int(self.R[17])} at pc 0x{pc:08x} "
                           f"({self.where(pc)}); only a7=93 (exit) is implemented")
        if st == cg.ST_PYCALL:
            raise SimError(f"pc 0x{pc:08x}: a plug-in instruction on the Python path was left "
                           f"unexecuted (internal error: its caller must run py_exec)")
        s = (pc - self.dec.base) >> 1
        w = int(self.dec.WORD[s]) if 0 <= s < self.dec.nslots else 0
        cid = int(self.dec.CID[s]) if 0 <= s < self.dec.nslots else -1
        text = (format_instr(self.table.instrs[cid], self.dec.vals[s], pc, self.prog.symbolize)
                if cid >= 0 else "?")
        at = f"pc 0x{pc:08x} ({self.where(pc)}): {text} (word 0x{w:08x})"
        if st == cg.ST_PLUGIN:
            ins = self.table.instrs[int(self.dec.OP[s])]
            try:
                self._sem_call(ins, self.dec.vals[s], pc)
                why = ("raised an exception in its compiled form (the same operands do not raise "
                       "in Python)")
            except Exception as e:
                why = f"raised {type(e).__name__}: {e}"
            raise SimError(f"{ins.source}: {ins.name} at {at}: semantics {why}")
        if st == cg.ST_CSR:
            n = self.dec.vals[s].get("csr", -1)
            raise SimError(f"{at}: CSR 0x{n:03x} is a RI5CY performance-counter register "
                           f"(PCCR/PCER/PCMR, riscv_cs_registers.sv), which isasim does not "
                           f"model; read mcycle (0xB00) / minstret (0xB02) instead")
        if st == cg.ST_HWLOOP:
            loops = [k for k in (0, 1) if self.HW[k * HW_LOOP + HW_COUNT] > 0
                     and pc == self.HW[k * HW_LOOP + HW_END]]
            k = loops[0] if loops else 0
            raise SimError(f"{at} is the last instruction of hardware loop {k} (count "
                           f"{int(self.HW[k * HW_LOOP + HW_COUNT])}): RI5CY does not allow a branch or jump "
                           f"there (RI5CY user manual rev 3.0, hardware loops)")
        if st == cg.ST_REDECODE:
            raise SimError(f"{at}: stale decoded instruction left unhandled (internal error: "
                           f"the caller must re-decode)")
        raise SimError(f"engine stopped with status {st} at pc 0x{pc:08x}")

    def write_trace(self, out, n):
        """Write the first ``n`` rows of the engine's trace buffer as commit-log lines to ``out``."""
        T = self.TR
        d = self.dec
        col = {k: i for i, k in enumerate(cg.layout.TR_NAMES)}
        for k in range(n):
            cyc, pc, wr, val, mw, s = (int(T[k, col[x]]) for x in ("cycle", "pc", "wr", "value",
                                                                    "mem", "slot"))
            cid = int(d.CID[s])
            ins = self.table.instrs[cid]
            text = format_instr(ins, d.vals[s], pc, self.prog.symbolize)
            w = int(d.WORD[s])
            line = f"{cyc:10d} 0x{pc:08x} {w:0{2 * int(d.LEN[s])}x} {text:<36s}"
            if wr:
                line += f" {reg_name(wr)}=0x{val & 0xFFFFFFFF:08x}"
            if mw >= 0:
                line += f" mem=0x{mw:08x}"
            out.write(line.rstrip() + "\n")

    # ------------------------------------------------------------------------------------------
    def counters(self):
        C = cg.C
        stalls = {c: int(self.CTR[C["st_" + c]]) for c in STALL_CAUSES}
        loads = stores = 0
        for i, n in enumerate(self.OPCNT):      # from execution counts: no per-access counter
            if n:
                ins = self.table.instrs[i]
                if ins.kind in ("load", "elw") or ins.params.get("load"):
                    loads += int(n)
                elif ins.kind == "store":
                    stores += int(n)
        return {"cycles": int(self.CTR[C["cycles"]]), "instructions": int(self.CTR[C["instructions"]]),
                "stalls": stalls, "stall_causes": list(STALL_CAUSES), "loads": loads, "stores": stores,
                "tcdm_accesses": int(self.CTR[C["tcdm_accesses"]]),
                "l2_accesses": int(self.CTR[C["l2_accesses"]])}

    def op_counts(self):
        return {self.table.instrs[i].name: int(c) for i, c in enumerate(self.OPCNT) if c}

    def macs(self):
        """MAC operations executed, from the ``macs`` parameter of each table entry."""
        tot = 0
        for i, c in enumerate(self.OPCNT):
            if c:
                tot += int(c) * self.table.instrs[i].params.get("macs", 0)
        return tot

    def profile_rows(self):
        """The per-slot profile rows (nslots x len(layout.PR_NAMES)), with the stall cycles the
        cluster added after the last engine call (a barrier released last) charged to the slot
        that ran last, as the next engine call would."""
        n = self.dec.nslots
        rows = self.PROF[:n * _PW].reshape(n, _PW).copy()
        tail = self.PROF[n * _PW:]
        last = int(tail[_PR["cycles"]])
        for x in cg.layout.PR_CLUSTER_STALLS:
            d = int(self.CTR[cg.C[x]]) - int(tail[_PR[x]])
            rows[last, _PR[x]] += d
            rows[last, _PR["cycles"]] += d
        return rows

    def profile(self, causes=None):
        """{function: {"cycles", "instructions", "stalls": {cause: cycles}}}, by the symbol of each
        slot that executed. ``causes`` {cause: [profile columns summed]} (default: the core's
        STALL_CAUSES, the keys of counters()["stalls"])."""
        return profile_by_function([self], causes or _CORE_CAUSES)

    def region_profile(self, causes=None):
        """The profile by region of the program's region markers (see profile_by_region), or
        None when it has none."""
        return profile_by_region([self], causes or _CORE_CAUSES)


_PR, _PW = cg.layout.PR, len(cg.layout.PR_NAMES)
# a single core's stall causes (counters()["stalls"]) and the profile column of each
_CORE_CAUSES = {c: ["st_" + c] for c in STALL_CAUSES}


def _profile_python_exec(PROF, nslots, s, c, load_use):
    """Profile row of a Python-path plug-in executed at slot ``s`` (``c`` cycles, of which
    ``load_use`` stall): the engine's stall snapshot moves with the counter, and ``s`` ran last."""
    q, t = s * _PW, nslots * _PW
    PROF[q + _PR["cycles"]] += c
    PROF[q + _PR["instructions"]] += 1
    PROF[q + _PR["st_load_use"]] += load_use
    PROF[t + _PR["st_load_use"]] += load_use
    PROF[t + _PR["cycles"]] = s


def _per_pc(cores, causes):
    """{pc: [cycles, instructions, [stall of each cause]]} of the slots that ran on ``cores``
    (RI5CY cores of one program: summed), a cause's stall the sum of its profile columns."""
    c0 = cores[0]
    rows = sum(c.profile_rows() for c in cores)
    cols = [[_PR[x] for x in v] for v in causes.values()]
    out = {}
    for s in np.nonzero(rows[:, _PR["instructions"]] | rows[:, _PR["cycles"]])[0]:
        r = rows[s]
        out[c0.dec.base + 2 * int(s)] = [int(r[_PR["cycles"]]), int(r[_PR["instructions"]]),
                                         [int(sum(int(r[j]) for j in cs)) for cs in cols]]
    return out


def profile_by_function(cores, causes):
    """The profile of ``cores`` (RI5CY cores of one program: summed) by function:
    {function: {"cycles", "instructions", "stalls": {cause: sum of its columns}}}, the functions
    by cycles, most first."""
    c0 = cores[0]
    prof = {}
    for pc, (cyc, n, st) in _per_pc(cores, causes).items():
        sym = (c0.prog.symbolize(pc) or "?").split("+")[0]
        e = prof.get(sym)
        if e is None:
            e = prof[sym] = {"cycles": 0, "instructions": 0, "stalls": dict.fromkeys(causes, 0)}
        e["cycles"] += cyc
        e["instructions"] += n
        for k, v in zip(causes, st):
            e["stalls"][k] += v
    return dict(sorted(prof.items(), key=lambda kv: -kv[1]["cycles"]))


def profile_by_region(cores, causes):
    """The profile of ``cores`` by region of the program's region markers (isasim.elf
    Program.regions; kernels_asm/include/isasim_region.h), exact per instruction, or None when the
    program has none: {region: {"cycles", "instructions", "stalls": {cause: n}}}."""
    from ...elf import region_sums
    regions = cores[0].prog.regions()
    if not regions:
        return None
    return region_sums(regions, _per_pc(cores, causes), list(causes))


class Memory:
    """Mapped regions in one buffer (shared by all cores of a cluster): ``MEM`` holds them as
    little-endian 32-bit words (runtime.mem_load/mem_store), ``bytes`` is a byte view of it.
    Region k starts at byte ``RO[k]`` (a multiple of 4) of the buffer."""

    def __init__(self, regions):
        if len(regions) > 2:
            raise SimError(f"the RI5CY memory model has at most 2 regions, not {len(regions)}")
        self.names = [r[0] for r in regions]
        regions = list(regions) + [("none", 0, 0)] * (2 - len(regions))   # the engine reads 2
        self.RB = np.array([r[1] for r in regions], np.int64)
        self.RS = np.array([r[2] for r in regions], np.int64)
        offs = np.cumsum([0] + [(r[2] + 3) & ~3 for r in regions])
        self.RO = np.array(offs[:-1], np.int64)
        self.MEM = np.zeros(int(offs[-1]) // 4, np.uint32)
        if sys.byteorder != "little":
            raise SimError("the RI5CY memory model needs a little-endian host")
        self.bytes = self.MEM.view(np.uint8)

    @classmethod
    def for_program(cls, prog, regions=None):
        m = cls(regions or [("L2", L2_BASE, L2_SIZE), ("TCDM", TCDM_BASE, TCDM_SIZE)])
        for a, data, _ in prog.segments:
            m.write(a, data, prog.path)
        return m

    def _locate(self, a, n):
        for k in range(len(self.RB)):
            off = a - int(self.RB[k])
            if 0 <= off and off + n <= int(self.RS[k]):
                return int(self.RO[k]) + off
        return None

    def write(self, a, data, what="data"):
        b = self._locate(a, len(data))
        if b is None:
            raise SimError(f"{what}: segment at 0x{a:08x} ({len(data)} bytes) is outside the "
                           f"memory map ({', '.join(self.names)})")
        self.bytes[b:b + len(data)] = np.frombuffer(bytes(data), np.uint8)

    def read(self, a, n):
        b = self._locate(a, n)
        if b is None:
            raise SimError(f"read of {n} bytes at 0x{a:08x} outside mapped memory")
        return bytes(self.bytes[b:b + n])

    def read_u32(self, a):
        return int.from_bytes(self.read(a, 4), "little")
