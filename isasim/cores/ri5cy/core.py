"""RI5CY core: loads an ELF, pre-decodes it once, and runs the compiled engine.

Decode happens once per program (every halfword of the executable segments is decoded with the
instruction table into flat arrays: op id, registers, immediates, registers read). The compiled
engine (codegen.py) then runs without any Python per instruction. Tracing uses the same engine with
a trace buffer switched on, so the trace path gives the same cycles as the fast path by construction.
"""
import numpy as np

from ...elf import Program
from ...errors import IsasimError, SimError
from ...isa.disasm import format_instr, reg_name
from ...isa.registry import load_table
from ...timing.ri5cy import RI5CYTiming, STALL_CAUSES
from . import codegen as cg
from .runtime import CSR_SLOW_FLAGS

# GAP-8-like memory map (isasim/toolchain/data/gap8.ld)
L2_BASE, L2_SIZE = 0x1C000000, 512 * 1024
TCDM_BASE, TCDM_SIZE = 0x10000000, 64 * 1024
HWLOOP_CSR_BASE = 0x7B0     # RI5CY UM rev 3.0 (GAP-8 era); CV32E40P v1 uses 0x800 (parameter)


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
        self.OP = np.full(n, -1, np.int32)
        self.CID = np.full(n, -1, np.int32)       # the instruction as written (c.* for 16-bit)
        self.WORD = np.zeros(n, np.int64)
        self.LEN = np.zeros(n, np.int8)
        self.RD, self.RS1, self.RS2, self.RS3 = (np.zeros(n, np.int64) for _ in range(4))
        self.I0, self.I1, self.I2 = (np.zeros(n, np.int64) for _ in range(3))
        self.RMASK = np.zeros(n, np.int64)     # bit r set: the instruction reads register r
        self.FIELDS = np.zeros(n, np.int64)    # rd | rs1 << 5 | rs2 << 10 | rs3 << 15 | len << 20
        self.vals = {}
        base_of = {}
        for ins in table.instrs:
            if not ins.alias and not ins.expands:
                base_of.setdefault(ins.name, ins)
        slots_cache = {}
        for s in range(n):
            i = 2 * s
            lo16 = code[i] | (code[i + 1] << 8)
            if lo16 & 3 == 3:
                w = lo16 | (code[i + 2] << 16) | (code[i + 3] << 24)
                ln = 4
            else:
                w, ln = lo16, 2
            ins, vals = table.decode(w, ln)
            self.WORD[s] = w
            self.LEN[s] = ln
            if ins is None:
                continue
            self.CID[s] = ins.id
            self.vals[s] = vals
            if ins.expands:
                exe = base_of[ins.expands]
                vals = ins.params["map"](vals)
            else:
                exe = ins
            if exe.id not in slots_cache:
                slots_cache[exe.id] = (cg.operand_slots(exe), cg.sources_read(exe))
            slots, reads = slots_cache[exe.id]
            self.OP[s] = exe.id
            for name, col in slots.items():
                v = vals[name]
                getattr(self, {"rd": "RD", "r1": "RS1", "r2": "RS2", "r3": "RS3",
                               "i0": "I0", "i1": "I1", "i2": "I2"}[col])[s] = v
            m = 0
            for r in reads:
                m |= 1 << vals[r]
            self.RMASK[s] = m & ~1
        self.FIELDS[:] = (self.RD | (self.RS1 << 5) | (self.RS2 << 10) | (self.RS3 << 15)
                          | (self.LEN.astype(np.int64) << 20))


class RI5CY:
    """One RI5CY core with its own memory image (the cluster shares memory between cores)."""

    def __init__(self, elf, plugins=(), timing=None, core_id=0, cluster_id=0, memory=None,
                 hwloop_csr_base=HWLOOP_CSR_BASE):
        self.prog = elf if isinstance(elf, Program) else Program(elf)
        if self.prog.machine != "EM_RISCV":
            raise SimError(f"{elf}: not a RISC-V ELF (machine {self.prog.machine}); "
                           f"use --target cm7 for Arm")
        self.table = load_table("rv32", plugins)
        self.timing = timing or RI5CYTiming()
        self.eng = cg.engine(self.table)
        self.PF = cg.plugin_dispatcher(self.table, plugins)
        self.PMETA = cg.plugin_meta(self.table)
        self.AG = cg.dispatch_arrays(self.table)
        self.dec = Decoded(self.prog, self.table)
        self.mem = memory or Memory.for_program(self.prog)
        self.R = np.zeros(cg.NREGS, np.int64)
        self.HW = np.zeros(6, np.int64)
        self.CSR = np.zeros(8192, np.int64)
        for n in self.timing.slow_csrs:
            self.CSR[CSR_SLOW_FLAGS + n] = 1
        self.CTR = np.zeros(len(cg.CTR_NAMES), np.int64)
        self.OPCNT = np.zeros(len(self.table.instrs), np.int64)
        self.TC = np.array([int(i.cost["latency"]) if "latency" in i.cost else
                            self.timing.base_cycles(i.timing) for i in self.table.instrs], np.int64)
        t = self.timing
        p = {"load_use": t.load_use, "branch_taken_extra": t.branch_taken - t.branch,
             "branch_misaligned_extra": t.branch_misaligned_extra,
             "jump_misaligned_extra": t.jump_misaligned_extra, "jalr_hazard": t.jalr_hazard,
             "misaligned_extra": t.misaligned_extra, "div_base": t.div_base, "div_zero": t.div_zero,
             "hwloop_backedge": t.hwloop_backedge, "csr_slow_extra": t.csr_slow - t.csr_fast,
             "tohost": self.prog.symbols.get("tohost", 0), "hwloop_csr_base": hwloop_csr_base,
             "core_id": core_id, "cluster_id": cluster_id}
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
        self.TR = np.zeros((1, 8), np.int64)
        self.AL = np.zeros((1, 3), np.int64)     # TCDM access log (cycle, address, cost) for the cluster
        self.status = None

    # ------------------------------------------------------------------------------------------
    def step(self, max_n, trace_cap=0):
        """Run up to ``max_n`` instructions; plug-in instructions on the Python path are executed
        here between engine calls. Returns (status, instructions executed)."""
        done = 0
        while True:
            st, n = self._engine_step(max_n - done, trace_cap)
            done += n
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
        d, C, P = self.dec, cg.C, cg.P
        pc = self.pc
        s = (pc - d.base) >> 1
        op = int(d.OP[s])
        ins = self.table.instrs[op]
        vals = d.vals[s]
        if (self.HW[2] > 0 and pc == self.HW[1]) or (self.HW[5] > 0 and pc == self.HW[4]):
            raise SimError(f"{ins.source}: {ins.name} at pc 0x{pc:08x}: a Python-path plug-in "
                           f"cannot be the last instruction of a hardware loop")
        c = int(self.TC[op])
        ld = int(self.CTR[C["ld_rd"]])
        if ld and (int(d.RMASK[s]) >> ld) & 1:
            c += int(self.P[P["load_use"]])
            self.CTR[C["st_load_use"]] += int(self.P[P["load_use"]])
        regs = {"rd", "rs1", "rs2", "rs3"}
        args = {}
        for p in cg.sem_params(ins):
            if p in regs:
                args[p] = int(self.R[vals[p]]) & 0xFFFFFFFF
            elif p == "pc":
                args[p] = pc
            elif p == "mem":
                ld_p = ins.params["load"]
                args[p] = int.from_bytes(self.mem.read(int(self.R[vals["rs1"]]) & 0xFFFFFFFF,
                                                       int(ld_p.get("size", 4))), "little")
            else:
                args[p] = vals[p]
        try:
            r = ins.sem(**args)
        except Exception as e:
            raise SimError(f"{ins.source}: {ins.name} at pc 0x{pc:08x}: semantics raised "
                           f"{type(e).__name__}: {e}")
        outs = r if isinstance(r, tuple) else (r,)
        if ins.params.get("load", {}).get("post_increment") and vals.get("rs1"):
            self.R[vals["rs1"]] = (int(self.R[vals["rs1"]]) + ins.params["load"]["post_increment"]) & 0xFFFFFFFF
        for name, v in zip(ins.params.get("writes", ("rd",)), outs):
            if vals.get(name, 0) != 0:
                self.R[vals[name]] = int(v) & 0xFFFFFFFF
        self.pc = pc + int(d.LEN[s])
        self.CTR[C["cycles"]] += c
        self.CTR[C["instructions"]] += 1
        self.OPCNT[op] += 1
        self.CTR[C["ld_rd"]] = 0
        self.CTR[C["prev_rd"]] = vals.get("rd", 0)

    def _engine_step(self, max_n, trace_cap=0):
        d, m = self.dec, self.mem
        if trace_cap and self.TR.shape[0] < trace_cap:
            self.TR = np.zeros((trace_cap, 8), np.int64)
        self.P[cg.P["trace"]] = 1 if trace_cap else 0
        st, pc, n = self.eng.run(d.OP, d.LEN, d.FIELDS, d.I0, d.I1, d.I2,
                                 d.RMASK, d.base, d.nslots, self.R, self.HW, self.CSR,
                                 m.MEM, m.RB, m.RS, m.RO, self.CTR, self.OPCNT, self.TC, self.P,
                                 self.pc, max_n, self.TR, self.PROF, self.AL, self.PF, self.PMETA,
                                 self.AG)
        self.pc = pc
        return st, n

    def enable_profile(self):
        self.PROF = np.zeros(self.dec.nslots, np.int64)
        self.P[cg.P["profile"]] = 1

    def run(self, max_instructions=None, trace=None, profile=False):
        """Run to exit; returns the exit code. ``trace``: path of a commit log to write."""
        if profile:
            self.enable_profile()
        limit = max_instructions if max_instructions else (1 << 62)
        out = open(trace, "w") if trace else None
        try:
            if out:
                out.write("# isasim RI5CY commit log: cycle pc word disassembly "
                          "[reg=value] [mem=address]\n")
            done = 0
            while True:
                chunk = min(limit - done, 65536 if out else limit - done)
                st, n = self._engine_step(chunk, trace_cap=chunk if out else 0)
                if out:
                    self._write_trace(out, n)
                done += n
                if st == cg.ST_PYCALL:          # plug-in on the Python path
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
                return self._finish(st)
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

    def _finish(self, st):
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
        raise SimError(f"engine stopped with status {st} at pc 0x{pc:08x}")

    def _write_trace(self, out, n):
        T = self.TR
        d = self.dec
        for k in range(n):
            cyc, pc, wr, val, mw, s = (int(x) for x in T[k, :6])
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
                "stalls": stalls, "loads": loads, "stores": stores,
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

    def profile(self):
        prof = {}
        for s in np.nonzero(self.PROF)[0]:
            pc = self.dec.base + 2 * int(s)
            sym = (self.prog.symbolize(pc) or "?").split("+")[0]
            prof[sym] = prof.get(sym, 0) + int(self.PROF[s])
        return dict(sorted(prof.items(), key=lambda kv: -kv[1]))


class Memory:
    """Mapped regions in one byte buffer (shared by all cores of a cluster)."""

    def __init__(self, regions):
        self.names = [r[0] for r in regions]
        self.RB = np.array([r[1] for r in regions], np.int64)
        self.RS = np.array([r[2] for r in regions], np.int64)
        offs = np.cumsum([0] + [r[2] for r in regions])
        self.RO = np.array(offs[:-1], np.int64)
        self.MEM = np.zeros(int(offs[-1]), np.int64)

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
        self.MEM[b:b + len(data)] = np.frombuffer(bytes(data), np.uint8)

    def read(self, a, n):
        b = self._locate(a, n)
        if b is None:
            raise SimError(f"read of {n} bytes at 0x{a:08x} outside mapped memory")
        return bytes(self.MEM[b:b + n].astype(np.uint8))

    def read_u32(self, a):
        return int.from_bytes(self.read(a, 4), "little")
