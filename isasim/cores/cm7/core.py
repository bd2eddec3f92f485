"""Cortex-M7 core: Unicorn executes, the cycle model (isasim.timing.cm7) consumes what executed.

* Unicorn is created as ``Uc(UC_ARCH_ARM, UC_MODE_THUMB)`` and the Cortex-M7 model is selected with
  ``ctl_set_cpu_model(UC_CPU_ARM_CORTEX_M7)`` before any other call (isa_timing.md §3.1: adding
  UC_MODE_MCLASS silently builds a Cortex-M33).
* Memory map (STM32H7-like, matches toolchain/data/cm7.ld): ITCM 0x00000000 64 KB, DTCM 0x20000000
  128 KB, AXI SRAM 0x24000000 512 KB.
* Fast path: one UC_HOOK_BLOCK callback per executed basic block; the block's schedule for its entry
  state is computed once and cached. Memory hooks exist only for regions with wait states > 0.
* Trace path: one UC_HOOK_CODE callback per instruction, same scheduler, one trace line each.
* Faults that silicon raises and Unicorn does not (unaligned LDRD/LDM/LDREX/VLDR..., a stack pointer
  with bits[1:0] set) are checked only at the addresses of such instructions (see ``_checks_for``).
* Every hook runs under a guard: an exception in a hook, callback or trap handler stops the
  emulation at once and is raised by ``run`` (a KeyboardInterrupt as itself, anything else as a
  one-line SimError naming the hook, pc and instruction word). SIGINT is caught during the run and
  turned into a KeyboardInterrupt after the emulation stopped (a Python exception raised inside a
  Unicorn callback before its guard would be swallowed by ctypes).
"""
import bisect
import ctypes
import dataclasses
import numbers
import signal
import struct
import threading

from unicorn import Uc, UcError, UC_ARCH_ARM, UC_MODE_THUMB
from unicorn import unicorn_const as UC
from unicorn import arm_const as ARM
from capstone.arm_const import ARM_OP_MEM, ARM_OP_REG, ARM_OP_IMM, ARM_INS_IT

from ...errors import IsasimError, SimError
from ...timing import cm7 as T
from . import addrs
from . import memory as MEM
from . import traps as TR

REGIONS = tuple((r.name, r.base, r.size) for r in MEM.REGIONS)   # name, base, size
GPR = [getattr(ARM, f"UC_ARM_REG_R{i}") for i in range(13)] + [ARM.UC_ARM_REG_SP, ARM.UC_ARM_REG_LR,
                                                              ARM.UC_ARM_REG_PC]
REG_NAMES = [f"r{i}" for i in range(13)] + ["sp", "lr", "pc"]
EXCP_SWI = 2        # target/arm/cpu.h (isa_timing.md §3.3); the PC is already past the SVC
EXCP_DATA_ABORT = 4
EXCP_BKPT = 7
EXCP_NOCP = 17
ADP_STOPPED_APPLICATION_EXIT = 0x20026
SYS_WRITEC, SYS_WRITE0, SYS_EXIT, SYS_EXIT_EXTENDED = 0x03, 0x04, 0x18, 0x20
STOP_ADDR = 0xFFFFFFFE

try:  # raw ctypes hook registration (skips the binding's per-call wrapper layers)
    from unicorn.unicorn_py3.unicorn import uclib as _uclib
except Exception:  # pragma: no cover
    _uclib = None
_BLOCK_CFUNC = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_uint64, ctypes.c_uint32,
                                ctypes.c_void_p)      # also the UC_HOOK_CODE signature

# Loads/stores that fault on an unaligned address with the reset CCR (UNALIGN_TRP = 0): all but
# LDR, LDRT, LDRH, LDRHT, LDRSH, LDRSHT, STR, STRT, STRH, STRHT (Cortex-M7 Devices Generic User
# Guide, Arm DUI 0646C §3.3.5 "Address alignment"; Armv7-M ARM A3.2.1). Their address is the base
# register plus a multiple of the access size, so the check is on the base register.
# mnemonic -> required alignment (bytes)
ALIGNED_ACCESS = {m: 4 for m in (
    "ldrd strd ldm ldmia ldmdb ldmfd ldmea stm stmia stmdb stmfd stmea push pop ldrex strex "
    "vldr vstr vldm vldmia vldmdb vstm vstmia vstmdb vpush vpop").split()}
ALIGNED_ACCESS.update(ldrexh=2, strexh=2)
# The stack pointer is always word-aligned on Armv7-M: SP writes force bits[1:0] to 0 (ARM DDI 0403
# B1.4.7, _R[LookUpSP()] = value<31:2>:'00') and a non-zero write is UNPREDICTABLE (A5.1.3).
# Unicorn keeps the bits, so a program that writes them would diverge from silicon: it is stopped.
# Writes that keep SP aligned (PUSH/POP/LDM/STM writeback, SP +/- a multiple of 4) need no check,
# which is why SP-based accesses above need none either.
_SP_KEEPS_ALIGNMENT = {"push", "pop", "ldm", "ldmia", "ldmdb", "ldmfd", "ldmea", "stm", "stmia",
                       "stmdb", "stmfd", "stmea", "vpush", "vpop", "vldm", "vldmia", "vldmdb",
                       "vstm", "vstmia", "vstmdb"}


class NeedMemoryHooks(Exception):
    """The program accessed a memory outside the TCMs that its ELF does not use: run it again
    with memory hooks (Cm7Core(..., memory_hooks="always"))."""


def _uses_other_memories(elf_path):
    """True if the ELF has an allocated section outside ITCM/DTCM (or cannot be read: then the
    loader reports it)."""
    from elftools.elf.elffile import ELFFile
    try:
        with open(elf_path, "rb") as f:
            for s in ELFFile(f).iter_sections():
                if s["sh_flags"] & 2 and s["sh_size"] > 0:          # SHF_ALLOC
                    r = MEM.region_of(s["sh_addr"])
                    if r is None or r.kind != "tcm":
                        return True
    except Exception:
        return True
    return False


def check_max_instructions(n):
    """None = no limit; a positive integer = limit on retired instructions; else a SimError."""
    if n is None:
        return None
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n <= 0:
        raise SimError(f"max_instructions must be a positive integer (or None for no limit), "
                       f"got {n!r}")
    return int(n)


def make_uc():
    """A Unicorn instance that really is a Cortex-M7 (see module docstring)."""
    uc = Uc(UC_ARCH_ARM, UC_MODE_THUMB)
    uc.ctl_set_cpu_model(ARM.UC_CPU_ARM_CORTEX_M7)
    return uc


class Cm7Core:
    def __init__(self, elf_path, traps=None, predictor=None, timing=None, native_plugins=None,
                 memory=None, memory_hooks="auto"):
        """``timing``: a CM7Timing (default: the documented model); ``predictor`` a shorthand for
        its field. ``native_plugins``: (plug-in table, plug-in files) whose instructions the block
        path executes with compiled handlers (isasim.cores.cm7.native) instead of the Python
        traps. ``memory``: the cache keys of the memory option (isasim.cores.cm7.memory: icache,
        dcache, sizes, ways, line, replacement, write_policy; default: both caches on).
        ``memory_hooks``: "auto" -- a program whose ELF puts nothing outside the TCMs runs without
        memory hooks (a hook on any region makes Unicorn take its slow path for every access); the
        other memories are then mapped inaccessible, and the first access to one stops the run
        with NeedMemoryHooks, so that the caller reruns it with "always"."""
        self.elf_path = elf_path
        t = timing if timing is not None else T.CM7Timing()
        if not isinstance(t, T.CM7Timing):
            raise SimError(f"timing: expected an isasim.timing.cm7.CM7Timing, got {type(t).__name__}")
        self.timing = dataclasses.replace(t).override(predictor=predictor) if predictor else t
        self.memory_cfg = MEM.check(memory)
        self.traps = TR.TrapTable(traps)
        self.uc = make_uc()
        self.lazy_memory = memory_hooks == "auto" and not _uses_other_memories(elf_path)
        for r in MEM.REGIONS:              # flash: programs cannot write it (a write is refused)
            prot = UC.UC_PROT_ALL if r.write else UC.UC_PROT_READ | UC.UC_PROT_EXEC
            if self.lazy_memory and r.kind != "tcm":
                prot = UC.UC_PROT_NONE
            self.uc.mem_map(r.base, r.size, prot)
        self.need_memory_hooks = False
        self.gpr = GPR
        self.symbols = {}
        self.funcs = []   # sorted (addr, end, name)
        self.regions = {}  # region markers (isasim.elf.Program.regions)
        self.pc_profile = None   # trace path with regions: {pc: [cycles, instructions, stalls]}
        self._load()
        self.cs = T.make_cs()
        self.descs = {}   # pc -> Desc
        self._in_it = {}  # pc -> capstone instruction decoded in its IT block
        self.blocks = {}  # (addr, size) -> [Desc]
        self.checks = {}  # pc -> [(register, alignment, instruction pc, text)] checked before pc runs
        self.hooked = set()   # pcs with a check hook (fast path)
        self.stdout = []
        self.exit_code = None
        self.error = None
        self.hook_error = None     # (exception, hook name, pc) of the first failing hook
        self.interrupted = False
        self.restart = None
        self.native_plugins = native_plugins
        self.native_counts = {}      # plug-in executions done by the native handlers
        self._engine = None          # the block path's BlockEngine while it runs
        self.recording = None        # what run(record=True) recorded (isasim.cores.cm7.replay)
        self.lane_spec = None        # lanes=True: Desc -> lane operands (isasim.cores.cm7.lanes)
        self.lane_profile = None     # its LaneProfile (collects the operands)
        self.op_counts = {}
        self.decode_only = False     # a decoder of a recording (isasim.cores.cm7.decoder)
        self.keep_insns = None       # {pc: capstone instruction} while recording (the decoder's)

    # ------------------------------------------------------------------ loading
    def _load(self):
        from ...elf import Program
        prog = Program(self.elf_path)          # one-line errors for missing/truncated/corrupt files
        if prog.machine != "EM_ARM":
            raise IsasimError(f"{self.elf_path}: not an Arm ELF (machine {prog.machine}); use "
                              f"--target ri5cy or gap8 for RISC-V")
        for addr, data, _ in prog.segments:
            if not any(b <= addr and addr + len(data) <= b + s for _, b, s in REGIONS):
                raise SimError(f"{self.elf_path}: segment at {addr:#010x} (+{len(data)} bytes) "
                               "is outside the cm7 memory map")
            self.uc.mem_write(addr, data)
        self.symbols = dict(prog.symbols)
        self.segments = prog.segments          # (address, bytes, executable): the program as loaded
        self.funcs = [(a, a + max(n, 0), name) for a, n, name in prog.functions]
        if "_start" not in self.symbols:
            raise SimError(f"{self.elf_path}: no _start symbol")
        self._func_addrs = [f[0] for f in self.funcs]
        self.regions = prog.regions()          # {name: [(begin, end)]} of the region markers

    def func_of(self, addr):
        i = bisect.bisect_right(self._func_addrs, addr) - 1
        if i < 0:
            return "?"
        a, end, name = self.funcs[i]
        return name

    def region_profile(self):
        """{region: {"cycles", "instructions", "stalls": {cause: n}}} from the trace path's
        per-address figures (``pc_profile``), or None when it has none."""
        if self.pc_profile is None:
            return None
        from ...elf import region_sums
        kinds = T.STALL_KINDS + MEM.STALLS
        return region_sums(self.regions, self.pc_profile, kinds)

    def read_u32(self, addr):
        return struct.unpack("<I", self.uc.mem_read(addr, 4))[0]

    def read_symbol_u32(self, name):
        if name not in self.symbols:
            raise SimError(f"{self.elf_path}: no symbol '{name}'")
        return self.read_u32(self.symbols[name])

    def read_symbol(self, name, n):
        """``n`` bytes of memory at symbol ``name`` (after a run: kernel outputs)."""
        if name not in self.symbols:
            raise SimError(f"{self.elf_path}: no symbol '{name}'")
        return bytes(self.uc.mem_read(self.symbols[name], n))

    def reg(self, i):
        return self.uc.reg_read(GPR[i])

    # ------------------------------------------------------------------ decoding
    def _decode_at(self, pc):
        d = self.descs.get(pc)
        if d is not None:
            return d
        hw1, hw2 = self._halfwords(pc)
        code = struct.pack("<HH", hw1, hw2)
        dec = TR.decode(hw1, hw2)
        cost = self.traps.cost_for(dec) if dec is not None else None
        insn = self._in_it.pop(pc, None) or next(self.cs.disasm(code, pc, 1), None)
        if insn is not None and insn.id == ARM_INS_IT:
            # capstone decodes the instructions of an IT block as conditional only when it
            # decodes them after the IT instruction (alone, 'addne' reads as 'adds'): decode the
            # block now and keep those instructions for their own addresses
            n = len(insn.mnemonic) - 1
            try:
                blob = bytes(self.uc.mem_read(pc, 2 + 4 * n))
            except UcError:
                blob = code
            for i in list(self.cs.disasm(blob, pc, n + 1))[1:]:
                if i.address not in self.descs:
                    self._in_it[i.address] = i
        if insn is None:
            size = 4 if (hw1 >> 11) in (0x1D, 0x1E, 0x1F) else 2
            d = T.undecoded(pc, size, f".inst {hw1:#06x}" if size == 2 else
                            f".inst.w {(hw1 << 16) | hw2:#010x}", cost)
            d.aeff = {}
        else:
            d = self._classify(insn, cost)
            if cost is None and not self.decode_only:
                self._checks_for(insn)
            if cost is not None:
                d.text = f"{dec.kind} p{dec.coproc} ({insn.mnemonic} {insn.op_str})" if dec.kind != "udf" \
                    else d.text
        reg = self.traps.lookup(dec) if dec is not None else None
        if reg is not None and reg.describe is not None:
            d.text = reg.describe(dec.word)
            d.mnem = d.text.split()[0]             # a plug-in instruction: by its name
        if self.lane_spec is not None:
            d.lanes = self.lane_spec(d, insn, dec, cost)
        if cost is not None:            # what a trapped instruction writes is unknown to addrs
            d.aeff = {r: None for r in cost.writes if r < 15}
        self.descs[pc] = d
        if self.keep_insns is not None:
            self.keep_insns[pc] = insn
        return d

    def _classify(self, insn, cost):
        """The Desc of a decoded instruction for this core's timing (with its address recipe)."""
        d = T.classify(insn, self.timing, cost)
        addrs.annotate(insn, d)
        return d

    def _halfwords(self, pc):
        hw1 = struct.unpack("<H", self.uc.mem_read(pc, 2))[0]
        try:
            hw2 = struct.unpack("<H", self.uc.mem_read(pc + 2, 2))[0]
        except UcError:             # the last halfword of a region
            hw2 = 0
        return hw1, hw2

    def _checks_for(self, insn):
        """Register the fault checks an instruction needs (module constants ALIGNED_ACCESS and
        the SP rule): before ``insn`` runs, its base register must be aligned; after an SP write
        that may break the alignment, SP is checked before the next instruction runs."""
        mn = insn.mnemonic.lower().split(".")[0]
        text = f"{insn.mnemonic} {insn.op_str}".strip()
        ops = insn.operands
        align = ALIGNED_ACCESS.get(mn)
        if align:
            mem = [op.mem.base for op in ops if op.type == ARM_OP_MEM]
            if mem:
                base = T._reg(insn, mem[0])
            elif mn in ("push", "pop", "vpush", "vpop"):
                base = 13
            else:                                         # LDM/STM/VLDM/VSTM: Rn is operand 0
                base = T._reg(insn, ops[0].reg) if ops and ops[0].type == ARM_OP_REG else None
            if base is not None and base not in (13, 15):  # SP: always aligned; PC: Align(PC, 4)
                self.checks.setdefault(insn.address, []).append((base, align, insn.address, text))
        try:
            writes = insn.regs_access()[1]
        except Exception:  # pragma: no cover - capstone lacks access info for a few encodings
            writes = []
        if any(T._reg(insn, r) == 13 for r in writes) and \
                not self._keeps_sp_aligned(insn, mn):
            nxt = insn.address + insn.size
            self.checks.setdefault(nxt, []).append((13, 4, insn.address, text))

    @staticmethod
    def _keeps_sp_aligned(insn, mn):
        if mn in _SP_KEEPS_ALIGNMENT:
            return True
        imms = [op.imm for op in insn.operands if op.type == ARM_OP_IMM]
        imms += [op.mem.disp for op in insn.operands if op.type == ARM_OP_MEM]
        regs = [T._reg(insn, op.reg) for op in insn.operands if op.type == ARM_OP_REG]
        mems = [op for op in insn.operands if op.type == ARM_OP_MEM]
        if mems:              # base-register writeback of an SP-based load/store
            return all(T._reg(insn, m.mem.base) == 13 and not m.mem.index for m in mems) and \
                all(i % 4 == 0 for i in imms) and 13 not in regs
        return mn in ("add", "sub", "addw", "subw") and regs and all(r == 13 for r in regs) and \
            all(i % 4 == 0 for i in imms)

    def _check_failed(self, pc, reg, align, val, ipc, text):
        word = self._word_at(ipc)
        if reg == 13:
            return (f"misaligned stack pointer: pc {ipc:#010x} (word {word}, {text}) left SP = "
                    f"{val:#010x}; Armv7-M keeps SP word-aligned (ARM DDI 0403 B1.4.7) and writing "
                    f"SP[1:0] non-zero is UNPREDICTABLE (A5.1.3), so this run cannot match silicon")
        return (f"unaligned access at pc {ipc:#010x} (word {word}, {text}): base register "
                f"{REG_NAMES[reg]} = {val:#010x} is not {align}-byte aligned; a Cortex-M7 raises a "
                f"UsageFault (UNALIGNED) here: only LDR/LDRH/LDRSH/STR/STRH and their T forms "
                f"accept unaligned addresses (Arm DUI 0646C §3.3.5)")

    def _run_checks(self, pc):
        """The checks registered for ``pc``; True when one failed (error set, emulation stopped)."""
        for reg, align, ipc, text in self.checks[pc]:
            val = self.uc.reg_read(GPR[reg])
            if val & (align - 1):
                self._fail(self._check_failed(pc, reg, align, val, ipc, text))
                return True
        return False

    def _block(self, addr, size):
        key = (addr, size)
        b = self.blocks.get(key)
        if b is None:
            b = []
            pc = addr
            end = addr + size
            while pc < end:
                d = self._decode_at(pc)
                b.append(d)
                pc += d.size
            self.blocks[key] = b
        return b

    # ------------------------------------------------------------------ hooks common to both paths
    def _install_common(self, native=False):
        guard = self._guard
        uc = self.uc
        on_intr = guard(self._on_intr, "interrupt hook")
        on_invalid = guard(self._on_invalid, "invalid-instruction hook", False)
        self._native_traps = None
        if native and self.native_plugins is not None:
            from .native import NativeTraps
            table, files = self.native_plugins
            nt = NativeTraps(table, files, lambda intno: on_intr(uc, intno, None),
                             lambda: on_invalid(uc, None))
            nt.install(uc)
            self._native_traps = nt
        else:
            uc.hook_add(UC.UC_HOOK_INTR, on_intr)
            uc.hook_add(UC.UC_HOOK_INSN_INVALID, on_invalid)
        uc.hook_add(UC.UC_HOOK_MEM_UNMAPPED | UC.UC_HOOK_MEM_PROT,
                    guard(self._on_bad_mem, "memory-fault hook", False))
        from .engine import hooks_module
        self.mem = MEM.MemoryModel(self.memory_cfg, self.timing, hooks_module())
        if not self.lazy_memory:
            self.mem.install(uc)

    def _guard(self, fn, name, failed=None):
        """``fn`` as a hook callback: any exception stops the emulation and is kept for ``run``
        (the callback then returns ``failed``)."""
        def cb(*args):
            try:
                return fn(*args)
            except BaseException as e:
                self._abort(e, name)
                return failed
        return cb

    def _abort(self, exc, name):
        if self.hook_error is None:
            try:
                pc = self._pc()
            except BaseException:  # pragma: no cover
                pc = 0
            self.hook_error = (exc, name, pc)
        self.uc.emu_stop()

    def _fail(self, msg):
        if self.error is None:
            self.error = msg
        self.uc.emu_stop()

    def _pc(self):
        return self.uc.reg_read(ARM.UC_ARM_REG_PC)

    def _word_at(self, pc):
        try:
            hw1, hw2 = struct.unpack("<HH", self.uc.mem_read(pc, 4))
        except UcError:
            return "????????"
        if (hw1 >> 11) in (0x1D, 0x1E, 0x1F):
            return f"{(hw1 << 16) | hw2:#010x}"
        return f"{hw1:#06x}"

    def _on_bad_mem(self, uc, access, address, size, value, ud):
        pc = self._pc()
        r = MEM.region_of(address)
        if self.lazy_memory and r is not None and r.kind != "tcm":
            self.need_memory_hooks = True        # rerun with the memory model's hooks
            uc.emu_stop()
            return False
        if access == UC.UC_MEM_WRITE_PROT and MEM.region_of(address) is not None:
            r = MEM.region_of(address)
            self.error = self.error or (f"write to {r.name} at address {address:#010x} (size {size}) "
                                        f"at pc {pc:#010x}: the STM32H7 flash is read-only for "
                                        "loads and stores (it is programmed through the flash "
                                        "interface); place written data in RAM")
            return False
        kind = {UC.UC_MEM_READ_UNMAPPED: "read from unmapped", UC.UC_MEM_WRITE_UNMAPPED: "write to unmapped",
                UC.UC_MEM_FETCH_UNMAPPED: "instruction fetch from unmapped",
                UC.UC_MEM_WRITE_PROT: "write to protected", UC.UC_MEM_READ_PROT: "read from protected",
                UC.UC_MEM_FETCH_PROT: "fetch from protected"}.get(access, "bad")
        self.error = self.error or (f"bad memory access: {kind} address {address:#010x} "
                                    f"(size {size}) at pc {pc:#010x}")
        return False

    def _on_invalid(self, uc, ud):
        pc = self._pc()
        dec = TR.decode(*self._halfwords(pc))
        reg = self.traps.lookup(dec) if dec is not None else None
        if reg is None:
            self.error = self.error or (f"illegal instruction at pc {pc:#010x}: word {self._word_at(pc)}"
                                        + (" (UDF with no registered trap handler)"
                                           if dec is not None and dec.kind == "udf" else ""))
            return False
        return self._run_handler(reg, dec, pc)

    def _run_handler(self, reg, dec, pc):
        try:
            reg.handler(TR.TrapContext(self.uc, pc, dec, GPR))
        except SimError as e:
            self._fail(str(e))
            return False
        except Exception as e:
            self._fail(f"trap handler '{reg.name}' failed at pc {pc:#010x} "
                       f"(word {dec.word:#x}): {type(e).__name__}: {e}")
            return False
        self.uc.reg_write(ARM.UC_ARM_REG_PC, (pc + dec.size) | 1)
        return True

    def _on_intr(self, uc, intno, ud):
        pc = self._pc()
        if intno == EXCP_BKPT:
            hw = struct.unpack("<H", uc.mem_read(pc, 2))[0]
            if hw == 0xBEAB:
                return self._semihost(pc)
            return self._fail(f"breakpoint (bkpt #{hw & 0xFF:#x}) at pc {pc:#010x}: only "
                              "semihosting bkpt 0xab is supported")
        if intno == EXCP_NOCP:
            hw1, hw2 = self._halfwords(pc)
            dec = TR.decode(hw1, hw2)
            reg = self.traps.lookup(dec)
            if reg is None:
                what = (f"{dec.kind} on p{dec.coproc}" if dec is not None else "coprocessor instruction")
                return self._fail(f"untrapped coprocessor instruction at pc {pc:#010x}: word "
                                  f"{(hw1 << 16) | hw2:#010x} ({what}; register a handler with "
                                  "isasim.cores.cm7.traps.register_cde)")
            self._run_handler(reg, dec, pc)
            return
        if intno == EXCP_SWI:           # SVC (16-bit only in Thumb): the PC is past it
            svc = pc - 2
            return self._fail(f"svc #{self._halfwords(svc)[0] & 0xFF} at pc {svc:#010x} (word "
                              f"{self._word_at(svc)}): supervisor calls are not supported (there is "
                              "no operating system; programs exit through semihosting bkpt 0xab)")
        if intno == EXCP_DATA_ABORT:    # e.g. an unaligned exclusive access QEMU itself rejects
            return self._fail(f"data abort at pc {pc:#010x} (word {self._word_at(pc)}): the access "
                              "faults on a Cortex-M7 (alignment or bus fault)")
        self._fail(f"unexpected exception {intno} at pc {pc:#010x} (word {self._word_at(pc)})")

    def _semihost(self, pc):
        uc = self.uc
        op = uc.reg_read(ARM.UC_ARM_REG_R0)
        arg = uc.reg_read(ARM.UC_ARM_REG_R1)
        try:
            if op == SYS_WRITEC:
                self.stdout.append(chr(uc.mem_read(arg, 1)[0]))
            elif op == SYS_WRITE0:
                out = bytearray()
                a = arg
                while True:
                    c = uc.mem_read(a, 1)[0]
                    if c == 0 or len(out) > 1 << 20:
                        break
                    out.append(c)
                    a += 1
                self.stdout.append(out.decode("latin-1"))
            elif op == SYS_EXIT:
                self.exit_code = 0 if arg == ADP_STOPPED_APPLICATION_EXIT else 1
                uc.emu_stop()
                return
            elif op == SYS_EXIT_EXTENDED:
                reason, sub = struct.unpack("<II", uc.mem_read(arg, 8))
                self.exit_code = sub if reason == ADP_STOPPED_APPLICATION_EXIT else 1
                uc.emu_stop()
                return
            else:
                return self._fail(f"unsupported semihosting operation {op:#x} at pc {pc:#010x}")
        except UcError:
            return self._fail(f"bad memory access: semihosting operation {op:#x} argument "
                              f"{arg:#010x} at pc {pc:#010x}")
        uc.reg_write(ARM.UC_ARM_REG_PC, (pc + 2) | 1)

    # ------------------------------------------------------------------ running
    def run(self, max_instructions=None, trace=None, record=False):
        """Run the program: the block path, or with ``trace`` (a file path) the per-instruction
        path. ``record``: keep what a re-timing needs in ``self.recording`` (block path only)."""
        max_instructions = check_max_instructions(max_instructions)
        if record and trace is not None:
            raise SimError("a recording is made on the block path: run without a trace")
        if record:
            self.keep_insns = {}
        self._install_common(native=trace is None)
        self.bc = T.BlockCache(self.timing)
        self.trace_cycles = None
        try:
            if trace is None:
                self._run_fast(max_instructions, record)
            else:
                self._run_trace(max_instructions, trace)
        finally:
            if self._native_traps is not None:
                self.native_counts = self._native_traps.executed()
        return self

    def _emu(self):
        """Run to the end (or the first error). A restart request from the block hook (new check
        or capture hooks installed, see engine.BlockEngine) resumes at the block that was not
        executed."""
        start = self.symbols["_start"] | 1
        restore = self._catch_sigint()
        try:
            while True:
                self.restart = None
                try:
                    self.uc.emu_start(start, STOP_ADDR)
                except UcError as e:
                    if self.error is None and self.hook_error is None and not self.interrupted \
                            and not self.need_memory_hooks:
                        pc = self._pc()
                        if e.errno == UC.UC_ERR_INSN_INVALID:
                            self.error = f"illegal instruction at pc {pc:#010x}: word {self._word_at(pc)}"
                        elif e.errno == UC.UC_ERR_EXCEPTION:
                            self.error = f"unhandled exception at pc {pc:#010x}: word {self._word_at(pc)}"
                        else:
                            self.error = f"emulation error at pc {pc:#010x}: {e}"
                if self.interrupted or self.hook_error or self.error or self.need_memory_hooks:
                    break
                if self.restart is not None:
                    if self._engine is not None:
                        self._engine.clear_restart()
                    start, xpsr = self.restart
                else:
                    break
                start |= 1
                if xpsr & 0x0600FC00:       # inside an IT block: keep its state for the restart
                    self.uc.reg_write(ARM.UC_ARM_REG_XPSR, xpsr)
        finally:
            restore()
        if self.interrupted:
            raise KeyboardInterrupt
        if self.need_memory_hooks:
            raise NeedMemoryHooks(self.elf_path)
        if self.hook_error is not None:
            exc, name, pc = self.hook_error
            if isinstance(exc, (KeyboardInterrupt, SimError)):
                raise exc
            msg = " ".join(str(exc).split())[:300]
            raise SimError(f"internal error in the {name} at pc {pc:#010x} (word "
                           f"{self._word_at(pc)}): {type(exc).__name__}: {msg}") from exc
        if self.error is not None:
            raise SimError(self.error)

    def _catch_sigint(self):
        """While Unicorn runs, SIGINT only records the interrupt and stops the emulation; ``_emu``
        raises KeyboardInterrupt once Unicorn has returned. Returns the function restoring the
        previous handler (nothing is changed outside the main thread or when SIGINT is ignored).

        The block path runs no Python while Unicorn runs, so a Python signal handler would only
        run at the end. Python's C-level handler also writes the signal number to the wakeup fd
        (signal.set_wakeup_fd): a watcher thread waits on it and stops the emulation at once (a
        block boundary; the run then ends with KeyboardInterrupt, it is never resumed)."""
        if threading.current_thread() is not threading.main_thread():
            return lambda: None
        prev = signal.getsignal(signal.SIGINT)
        if not callable(prev):                       # SIG_IGN / SIG_DFL / not set from Python
            return lambda: None

        def on_sigint(signum, frame):
            self.interrupted = True
            self.uc.emu_stop()
        signal.signal(signal.SIGINT, on_sigint)
        import os
        import select
        rfd, wfd = os.pipe()
        os.set_blocking(wfd, False)
        try:
            prev_fd = signal.set_wakeup_fd(wfd)
        except ValueError:                           # pragma: no cover - not the main thread
            os.close(rfd)
            os.close(wfd)
            return lambda: signal.signal(signal.SIGINT, prev)
        done = threading.Event()

        def watch():
            while not done.is_set():
                r, _, _ = select.select([rfd], [], [], 0.5)
                if r:
                    data = os.read(rfd, 64)
                    if done.is_set():
                        break
                    if data.strip(b"\x00"):         # a signal (SIGINT, SIGTERM): stop now
                        self.uc.emu_stop()
        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()

        def restore():
            done.set()
            signal.set_wakeup_fd(prev_fd)
            try:
                os.write(wfd, b"\x00")
            except OSError:  # pragma: no cover
                pass
            watcher.join()
            os.close(rfd)
            os.close(wfd)
            signal.signal(signal.SIGINT, prev)
        return restore

    def _install_checks(self, pcs):
        """Code hooks on exactly the addresses that need a fault check (fast path only)."""
        for pc in pcs:
            self.hooked.add(pc)
            h = ctypes.c_size_t()
            err = _uclib.uc_hook_add(self.uc._uch, ctypes.byref(h), UC.UC_HOOK_CODE,
                                     ctypes.cast(self._check_cb, ctypes.c_void_p), None,
                                     ctypes.c_uint64(pc), ctypes.c_uint64(pc))
            if err != 0:  # pragma: no cover
                raise SimError(f"cannot install a check hook at pc {pc:#010x} (unicorn error {err})")
            self.uc.ctl_remove_cache(pc, pc + 2)     # retranslate with the hook

    def _run_fast(self, max_instructions, record=False):
        """Block path: native block hook (isasim.cores.cm7.engine); Python only for new blocks
        and new transitions."""
        from .engine import BlockEngine
        bc = self.bc
        bc.sched.reset()
        limit = max_instructions if max_instructions is not None else 1 << 62
        self.runaway = False
        checks = self.checks
        core = self
        regbuf = ctypes.c_uint64()
        uch = self.uc._uch

        def uc_reg(reg):
            regbuf.value = 0
            _uclib.uc_reg_read(uch, reg, ctypes.byref(regbuf))
            return regbuf.value & 0xFFFFFFFF

        def on_check(uc, addr, size, ud):
            try:
                for reg, align, ipc, text in checks[addr]:
                    val = uc_reg(GPR[reg])
                    if val & (align - 1):
                        core._fail(core._check_failed(addr, reg, align, val, ipc, text))
                        return
            except BaseException as e:
                core._abort(e, "check hook")

        if _uclib is None:  # pragma: no cover
            raise SimError("the raw Unicorn library interface is not available")
        self._check_cb = _BLOCK_CFUNC(on_check)
        eng = self._engine = BlockEngine(self, limit, record)
        eng.install()
        try:
            self._emu()
        finally:
            self._engine = None
        if eng.status() == 0:
            eng.finish()            # the last block (the program's exit) is still pending
        if eng.status() == 1:
            self.runaway = True
            raise SimError(f"runaway: more than {max_instructions} instructions executed "
                           f"(pc {self._pc():#010x}); raise max_instructions or fix the program")
        eng.collect()
        mstalls = eng.block_memory_stalls()
        events = eng.block_events()
        if record:
            self.recording = eng.recording()
        self._finish_fast([a for a, _ in mstalls], events)
        # the memory stalls of each block from its events equal what the hooks added up
        got = sum(self.mem.block_stalls(events).sum(axis=1)) if len(events) else 0
        if got != sum(ms for _, ms in mstalls) or got != self.mem_stall_cycles:
            raise SimError(f"internal error: memory stall events ({got}) disagree with the memory "
                           f"model's stall cycles ({self.mem_stall_cycles})")

    def _finish_fast(self, block_addrs, events):
        """Totals, op counts and the profile from the transition counts (``self.bc``) and the
        memory events of each block (``events`` [block, region x stall kind], in the order of
        ``block_addrs``), with the latencies of ``self.mem``."""
        bc = self.bc
        cycles = 0
        insns = 0
        dual = 0
        mis = 0
        br = 0
        nk = len(T.STALL_KINDS)
        stalls = [0] * nk
        prof = {}
        per_block = {}                  # id(descs) -> [descs, executions]
        for ti, n in enumerate(bc.counts):
            if not n:
                continue
            addr, ni, dc, st, du, mp, b = bc.trans_info[ti]
            cycles += n * dc
            insns += n * ni
            dual += n * du
            mis += n * mp
            br += n * b
            for i, v in enumerate(st):
                stalls[i] += n * v
            ds = bc.trans_descs[ti]
            e = per_block.get(id(ds))
            if e is None:
                per_block[id(ds)] = [ds, n]
            else:
                e[1] += n
            f = self.func_of(addr)
            p = prof.get(f)
            if p is None:
                p = prof[f] = [0, 0, [0] * (nk + len(MEM.STALLS))]
            p[0] += n * dc
            p[1] += n * ni
            ps = p[2]
            for i, v in enumerate(st):
                ps[i] += n * v
        if len(events):
            bst = self.mem.block_stalls(events)      # [block, memory stall kind]
            for addr, row in zip(block_addrs, bst.tolist()):
                if any(row):
                    f = self.func_of(addr)
                    p = prof.get(f)
                    if p is None:
                        p = prof[f] = [0, 0, [0] * (nk + len(MEM.STALLS))]
                    p[0] += sum(row)
                    for i, v in enumerate(row):
                        p[2][nk + i] += v
        ops = {}
        for ds, n in per_block.values():
            for d in ds:
                ops[d.mnem] = ops.get(d.mnem, 0) + n
        self.op_counts = ops
        self._set_results(cycles, insns, dual, mis, br, dict(zip(T.STALL_KINDS, stalls)), prof)

    def _set_results(self, sched_cycles, insns, dual, mis, br, stalls, prof):
        mstalls = self.mem.stalls()
        stalls.update(mstalls)
        self.mem_stall_cycles = sum(mstalls.values())
        self.cycles = sched_cycles + self.mem_stall_cycles
        self.counters = self.mem.counters()
        self.sched_cycles = sched_cycles
        self.instructions = insns
        self.dual_issued = dual
        self.mispredicts = mis
        self.branches = br
        self.stalls = stalls
        kinds = T.STALL_KINDS + MEM.STALLS
        self.profile = {f: {"cycles": c, "instructions": i, "stalls": dict(zip(kinds, st))}
                        for f, (c, i, st) in sorted(prof.items())}

    def _run_trace(self, max_instructions, trace_path):
        sched = self.bc.sched
        sched.reset()
        limit = max_instructions if max_instructions is not None else 1 << 62
        self.runaway = False
        prof = {}
        count = [0]
        checks = self.checks
        try:
            out = open(trace_path, "w")
        except OSError as e:
            raise SimError(f"{trace_path}: cannot write trace ({e.strerror})")
        out.write("# isasim cm7 trace: cycle pc disassembly  (cycle = issue cycle of the "
                  "instruction in the cycle model + memory stall cycles so far; '+' marks the "
                  "younger of a dual-issued pair)\n")

        prev = [None]
        fetch = self.mem.fetch
        mm = self.mem.m
        ms0 = self.mem.h.M_STL
        nm = len(MEM.STALLS)
        kinds = T.STALL_KINDS
        nk = len(kinds)
        sst = sched.stalls
        ops = self.op_counts = {}

        def mstall():
            return mm[ms0:ms0 + nm].tolist()
        mark = [[0] * nm, None]   # memory stall cycles (per kind) attributed so far, previous function

        def add_mem(p, new, old):
            ps = p[2]
            for i in range(nm):
                ps[nk + i] += new[i] - old[i]
            p[0] += sum(new) - sum(old)

        # per-instruction-address figures for the region profile (the program has region
        # markers: isasim.elf.Program.regions), attributed exactly as the function profile
        pcprof = self.pc_profile = {} if self.regions else None
        pmark = [None]                  # the previous instruction's pcprof entry

        def issue(d, note="", a=None):
            before = sched.cyc
            dual_before = sched.dual
            s0 = mstall()                   # the previous instruction's data accesses
            if mark[1] is not None:
                add_mem(prof[mark[1]], s0, mark[0])
                if pmark[0] is not None:
                    add_mem(pmark[0], s0, mark[0])
            fetch(d.pc, d.size)
            s1 = mstall()
            st0 = [sst[k] for k in kinds]
            t = sched.issue(d, a)
            f = self.func_of(d.pc)
            p = prof.get(f)
            if p is None:
                p = prof[f] = [0, 0, [0] * (nk + nm)]
            p[0] += t - before
            p[1] += 1
            ps = p[2]
            for i, k in enumerate(kinds):
                ps[i] += sst[k] - st0[i]
            add_mem(p, s1, s0)
            if pcprof is not None:
                q = pcprof.get(d.pc)
                if q is None:
                    q = pcprof[d.pc] = [0, 0, [0] * (nk + nm)]
                q[0] += t - before
                q[1] += 1
                for i, k in enumerate(kinds):
                    q[2][i] += sst[k] - st0[i]
                add_mem(q, s1, s0)
                pmark[0] = q
            ops[d.mnem] = ops.get(d.mnem, 0) + 1
            mark[0], mark[1] = s1, f
            # the cycle column: pipeline issue cycle + memory stall cycles so far
            out.write(f"{t + sum(s1)} {d.pc:08x} {'+' if sched.dual != dual_before else ' '} "
                      f"{d.text}{note}\n")
            count[0] += 1

        def on_code(uc, addr, size, ud):
            # Unicorn calls no code hook for an IT-block instruction whose condition fails
            # (isa_timing.md §3.5, #853/#880), but the instruction is still in the block and
            # issues in the pipeline: issue the skipped ones here, as the block path does.
            pd = prev[0]
            if pd is not None and pd.branch is None:
                nxt = pd.pc + pd.size
                if nxt < addr <= nxt + 16:
                    while nxt < addr:
                        sd = self._decode_at(nxt)
                        issue(sd, "  ; condition failed (IT)")
                        nxt += sd.size
            d = self._decode_at(addr)
            if addr in checks and self._run_checks(addr):
                return
            prev[0] = d
            if d.lanes is not None:
                self.lane_profile.add(d, uc.reg_read(GPR[d.lanes[0]]), uc.reg_read(GPR[d.lanes[1]]))
            a = addrs.concrete(d.mem, lambda r: uc.reg_read(GPR[r])) if d.mem is not None else None
            issue(d, a=a)
            if count[0] > limit:
                self.runaway = True
                uc.emu_stop()

        self.uc.hook_add(UC.UC_HOOK_CODE, self._guard(on_code, "trace hook"))
        try:
            self._emu()
        finally:
            out.close()
        if self.runaway:
            raise SimError(f"runaway: more than {max_instructions} instructions executed "
                           f"(pc {self._pc():#010x}); raise max_instructions or fix the program")
        s = sched
        if mark[1] is not None:
            add_mem(prof[mark[1]], mstall(), mark[0])
            if pmark[0] is not None:
                add_mem(pmark[0], mstall(), mark[0])
        # first issue is at cycle 0 from cyc = -1: the profile sum equals cyc + 1 + memory stalls
        self._set_results(s.cyc + 1, count[0], s.dual, s.mispredicts, s.branches, dict(s.stalls), prof)
