"""The Cortex-M7 block path: native hooks (isasim.cores.cm7.native_hooks) + the Python that computes
what they do not know yet.

Per executed translation block Unicorn calls the native ``block`` hook, which counts the previous
block's cached transition and prepares the next; no Python runs on this path. Python runs once
per new block (decode, address analysis, capture hooks) and once per new transition (the
scheduler of isasim.timing.cm7 over the block's instructions, from the entry state, with the
address bits of the signature). Totals and the profile come from the transition counts at the end.
"""
import ctypes

import numpy as np

from ...errors import SimError
from . import addrs
from .native import import_generated, uc_functions

_HOOKS = []


def hooks_module():
    """The native hook module (a copy of native_hooks.py in the isasim cache, imported once)."""
    if not _HOOKS:
        import hashlib
        import os
        here = os.path.dirname(__file__)
        with open(os.path.join(here, "native_hooks.py")) as f:
            src = f.read()
        with open(os.path.join(here, "nbutil.py"), "rb") as f:
            util = f.read()
        import numba
        key = hashlib.sha256(src.encode() + util + numba.__version__.encode()).hexdigest()[:20]
        _HOOKS.append(import_generated("cm7_hooks", key, src))
    return _HOOKS[0]


_MISS_CB = ctypes.CFUNCTYPE(ctypes.c_int64, ctypes.c_int64)
_HOOK_CB = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_uint64, ctypes.c_uint32,
                            ctypes.c_void_p)


def _grow(a, n, fill):
    if n <= len(a):
        return a
    size = max(n, 2 * len(a))
    b = np.full(size, fill, a.dtype)
    b[:len(a)] = a
    return b


class BlockEngine:
    """State of one block-path run (arrays shared with the native hooks)."""

    def __init__(self, core, limit, record=False):
        self.core = core
        self.bc = core.bc
        self.m = m = hooks_module()
        self.ctx = np.zeros(m.NCTX, np.int64)
        self.scratch = np.zeros(4, np.int64)
        self.regids = np.array(core.gpr, np.int64)      # Unicorn ids of r0..r15
        self.tbkey = np.full(1 << 10, -1, np.int64)
        self.tbval = np.zeros(1 << 10, np.int64)
        self.tbinfo = np.zeros(256 * m.TBI, np.int64)
        self.trkey = np.full((1 << 12) * m.TRW, -1, np.int64)
        self.counts = np.zeros(1 << 12, np.int64)
        self.capval = np.zeros(1 << 8, np.int64)
        self.events = np.zeros(256 * m.NEV, np.int64)     # memory events per block
        # recording (isasim.cores.cm7.replay): the transition of every executed block, and per
        # transition its token (block id, access address bits of each instruction)
        self.rec = np.zeros(1 << 10, np.int32) if record else None
        self.tokens = {}          # (block id, address bits) -> token
        self.trans_token = []     # transition index -> token
        self.blocks = []          # block id -> (addr, descs, forms, syms, caps)
        self.block_sizes = []     # block id -> size in bytes (Unicorn's translation block)
        self.ntrans = 0
        self.capid = {}           # pc -> capture id
        self._capud = []          # user-data arrays of the capture hooks (kept alive)
        self.lane_hooked = {}     # pc -> Desc with a lane-profile hook (lanes=True)
        self._lane_cb = None
        self._miss_cb = _MISS_CB(self._miss)
        fns = uc_functions()
        c = self.ctx
        c[m.C_REG_READ] = fns["uc_reg_read"]
        c[m.C_EMU_STOP] = fns["uc_emu_stop"]
        c[m.C_PY_MISS] = ctypes.cast(self._miss_cb, ctypes.c_void_p).value
        c[m.C_SCRATCH] = self.scratch.ctypes.data
        c[m.C_REGIDS] = self.regids.ctypes.data
        c[m.C_PEND] = -1
        c[m.C_LIMIT] = limit
        c[m.C_SID] = self.bc.sid(self.bc.sched.state())
        c[m.C_MEM] = core.mem.m.ctypes.data
        self._point()

    def _point(self):
        m, c = self.m, self.ctx
        c[m.C_TBKEY] = self.tbkey.ctypes.data
        c[m.C_TBVAL] = self.tbval.ctypes.data
        c[m.C_TBMASK] = len(self.tbkey) - 1
        c[m.C_TBINFO] = self.tbinfo.ctypes.data
        c[m.C_TRKEY] = self.trkey.ctypes.data
        c[m.C_TRMASK] = len(self.trkey) // m.TRW - 1
        c[m.C_COUNTS] = self.counts.ctypes.data
        c[m.C_CAPVAL] = self.capval.ctypes.data
        c[m.C_EVBASE] = self.events.ctypes.data
        if self.rec is not None:
            c[m.C_REC] = self.rec.ctypes.data
            c[m.C_RECCAP] = len(self.rec)

    def install(self):
        from unicorn import unicorn_const as UC
        from unicorn.unicorn_py3.unicorn import uclib
        h = ctypes.c_size_t()
        err = uclib.uc_hook_add(self.core.uc._uch, ctypes.byref(h), UC.UC_HOOK_BLOCK,
                                ctypes.c_void_p(self.m.block.address),
                                ctypes.c_void_p(self.ctx.ctypes.data), ctypes.c_uint64(1),
                                ctypes.c_uint64(0))
        if err != 0:  # pragma: no cover
            raise SimError(f"cannot install block hook (unicorn error {err})")

    # ------------------------------------------------------------------ misses (Python)
    def _miss(self, kind):
        m, c = self.m, self.ctx
        try:
            if kind == m.MISS_BLOCK:
                return self._new_block(int(c[m.C_ARG]), int(c[m.C_ARG + 1]))
            if kind == m.MISS_GROW:
                self.rec = _grow(self.rec, 2 * len(self.rec), 0)
                self._point()
                return 0
            return self._new_transition(*(int(x) for x in c[m.C_ARG:m.C_ARG + 3 + m.NSIG]))
        except BaseException as e:  # a raw ctypes callback must not raise
            c[m.C_STATUS] = 3
            self.core._abort(e, "block hook")
            return -1

    def _new_block(self, addr, size):
        m, core = self.m, self.core
        descs = core._block(addr, size)
        syms, caps, forms = addrs.analyse(descs)
        if len(syms) > m.MAX_SYMS or len(caps) > m.MAX_CAPS:     # 15 registers; 64 captures
            raise SimError(f"block at {addr:#010x}: {len(caps)} accesses with addresses the "
                           f"block analysis cannot derive (at most {m.MAX_CAPS} per block)")
        restart = False
        cap_ids = []
        for i in caps:
            pc = descs[i].pc
            if pc not in self.capid:
                self._add_capture(pc, descs[i].mem)
                restart = True
            cap_ids.append(self.capid[pc])
        for d in descs:
            if d.lanes is not None and d.pc not in self.lane_hooked:
                self._add_lane_hook(d)
                restart = True
        new_checks = [pc for pc in core.checks if pc not in core.hooked]
        if new_checks:
            core._install_checks(new_checks)
            restart = True
        tbid = len(self.blocks)
        self.blocks.append((addr, descs, forms, syms, caps))
        self.block_sizes.append(size)
        if (tbid + 1) * m.TBI > len(self.tbinfo):
            self.tbinfo = _grow(self.tbinfo, (tbid + 1) * m.TBI, 0)
        if (tbid + 1) * m.NEV > len(self.events):
            self.events = _grow(self.events, (tbid + 1) * m.NEV, 0)
        row = self.tbinfo[tbid * m.TBI:(tbid + 1) * m.TBI]
        row[m.I_NINSN] = len(descs)
        row[m.I_NSYM] = len(syms)
        row[m.I_NCAP] = len(cap_ids)
        row[m.I_SYMS:m.I_SYMS + len(syms)] = syms
        row[m.I_CAPS:m.I_CAPS + len(cap_ids)] = cap_ids
        if 2 * len(self.blocks) > len(self.tbkey):
            self._rehash_blocks(2 * len(self.tbkey))
        self._insert_block((addr << 32) | size, tbid)
        self._point()
        if restart:
            # the block was translated without its hooks: stop before it runs (a block hook runs
            # ahead of the block's first instruction) and restart there; counted on restart
            from unicorn import arm_const as ARM
            core.restart = (addr, core.uc.reg_read(ARM.UC_ARM_REG_XPSR))
            self.ctx[m.C_STATUS] = 2
            return -1
        return tbid

    def _insert_block(self, key, tbid):
        mask = len(self.tbkey) - 1
        h = (key ^ (key >> 21) ^ (key >> 7)) & mask
        while self.tbkey[h] != -1:
            h = (h + 1) & mask
        self.tbkey[h] = key
        self.tbval[h] = tbid

    def _rehash_blocks(self, cap):
        old = [(int(k), int(v)) for k, v in zip(self.tbkey, self.tbval) if k != -1]
        self.tbkey = np.full(cap, -1, np.int64)
        self.tbval = np.zeros(cap, np.int64)
        for k, v in old:
            self._insert_block(k, v)

    def _add_capture(self, pc, lin):
        from unicorn import unicorn_const as UC
        from unicorn.unicorn_py3.unicorn import uclib
        cid = len(self.capid)
        self.capid[pc] = cid
        if cid >= len(self.capval):
            self.capval = _grow(self.capval, cid + 1, 0)
        const, terms = lin
        regs = [(r, mult) for r, mult in terms] + [(-1, 0)] * (2 - len(terms))
        ud = np.array([self.ctx.ctypes.data, cid, const, regs[0][0], regs[0][1], regs[1][0],
                       regs[1][1], 0], np.int64)
        self._capud.append(ud)
        h = ctypes.c_size_t()
        err = uclib.uc_hook_add(self.core.uc._uch, ctypes.byref(h), UC.UC_HOOK_CODE,
                                ctypes.c_void_p(self.m.capture.address),
                                ctypes.c_void_p(ud.ctypes.data), ctypes.c_uint64(pc),
                                ctypes.c_uint64(pc))
        if err != 0:  # pragma: no cover
            raise SimError(f"cannot install a capture hook at pc {pc:#010x} (unicorn error {err})")
        self.core.uc.ctl_remove_cache(pc, pc + 2)

    def _add_lane_hook(self, d):
        """A Python code hook reading the two multiplied operands of ``d`` before it executes
        (isasim.cores.cm7.lanes; lanes=True only)."""
        from unicorn import unicorn_const as UC
        from unicorn.unicorn_py3.unicorn import uclib
        core = self.core
        if self._lane_cb is None:
            regbuf = ctypes.c_uint64()
            uch = core.uc._uch
            hooked = self.lane_hooked
            prof = core.lane_profile
            gpr = core.gpr

            def reg(r):
                regbuf.value = 0
                uclib.uc_reg_read(uch, gpr[r], ctypes.byref(regbuf))
                return regbuf.value & 0xFFFFFFFF

            def on_lane(uc, addr, size, ud):
                try:
                    dd = hooked[addr]
                    prof.add(dd, reg(dd.lanes[0]), reg(dd.lanes[1]))
                except BaseException as e:
                    core._abort(e, "lane hook")
            self._lane_cb = _HOOK_CB(on_lane)
        self.lane_hooked[d.pc] = d
        h = ctypes.c_size_t()
        err = uclib.uc_hook_add(core.uc._uch, ctypes.byref(h), UC.UC_HOOK_CODE,
                                ctypes.cast(self._lane_cb, ctypes.c_void_p), None,
                                ctypes.c_uint64(d.pc), ctypes.c_uint64(d.pc))
        if err != 0:  # pragma: no cover
            raise SimError(f"cannot install a lane hook at pc {d.pc:#010x} (unicorn error {err})")
        core.uc.ctl_remove_cache(d.pc, d.pc + 2)

    def _new_transition(self, tbid, sid, s0, *sig):
        m = self.m
        addr, descs, forms, syms, caps = self.blocks[tbid]
        sym_vals = {r: (s0 >> (3 * j)) & 7 for j, r in enumerate(syms)}
        cap_vals = [(sig[j >> 4] >> (4 * (j & 15))) & 15 for j in range(len(caps))]
        abits = addrs.bits(forms, sym_vals, cap_vals)
        nsid, ti = self.bc.transition(addr, descs, sid, abits)
        if self.rec is not None:
            self.trans_token.append(self.tokens.setdefault((tbid, abits), len(self.tokens)))
        if ti >= len(self.counts):
            self.counts = _grow(self.counts, ti + 1, 0)
        self.ntrans += 1
        if 2 * self.ntrans * m.TRW > len(self.trkey):
            self._rehash_trans(2 * len(self.trkey))
        val = (nsid << 32) | ti
        self._insert_trans((tbid, sid, s0) + tuple(sig), val)
        self._point()
        return val

    def _insert_trans(self, key, val):
        m = self.m
        mask = len(self.trkey) // m.TRW - 1
        tbid, sid, s0, s1, s2, s3, s4 = key
        h = _wrap(tbid * 1000003 + sid * 7919 + s0 * 31 + s1 * 131 + s2 * 137 + s3 * 139
                  + s4 * 149)  # as tr_hash
        h = (h ^ (h >> 17)) & mask
        while self.trkey[h * m.TRW] != -1:
            h = (h + 1) & mask
        self.trkey[h * m.TRW:(h + 1) * m.TRW] = list(key) + [val]

    def _rehash_trans(self, size):
        m = self.m
        old = self.trkey.reshape(-1, m.TRW)
        old = [tuple(int(x) for x in r) for r in old if r[0] != -1]
        self.trkey = np.full(size, -1, np.int64)
        for r in old:
            self._insert_trans(r[:m.TRW - 1], r[m.TRW - 1])

    # ------------------------------------------------------------------ end of run
    def status(self):
        return int(self.ctx[self.m.C_STATUS])

    def clear_restart(self):
        if self.ctx[self.m.C_STATUS] == 2:
            self.ctx[self.m.C_STATUS] = 0

    def finish(self):
        """Count the last block (it ran to the end of the program)."""
        if self.ctx[self.m.C_PEND] >= 0:
            self.m.finalize(self.ctx)

    def block_memory_stalls(self):
        """[(block address, memory stall cycles of all its executions)] (profile)."""
        m = self.m
        return [(b[0], int(self.tbinfo[i * m.TBI + m.I_MSTALL])) for i, b in enumerate(self.blocks)]

    def block_events(self):
        """Memory events of each block's executions: int64[blocks, regions * stall kinds]."""
        n = len(self.blocks)
        return self.events[:n * self.m.NEV].reshape(n, self.m.NEV).copy()

    def recording(self):
        """What a re-timing needs from the block path (isasim.cores.cm7.replay.Recording)."""
        n = int(self.ctx[self.m.C_RECN])
        tt = np.array(self.trans_token, np.int64)
        seq = tt[self.rec[:n]] if n else np.zeros(0, np.int64)
        toks = sorted(self.tokens.items(), key=lambda kv: kv[1])
        return {"blocks": [(b[0], n) for b, n in zip(self.blocks, self.block_sizes)],
                "tokens": [k for k, _ in toks], "seq": seq, "events": self.block_events()}

    def collect(self):
        """The transition counts into the BlockCache (for totals and the profile)."""
        self.bc.counts = [int(x) for x in self.counts[:len(self.bc.trans_info)]]

    def instructions(self):
        return int(self.ctx[self.m.C_INSNS])


def _wrap(h):
    """Python int -> int64 with two's-complement wrap-around (as numba computes it)."""
    h &= 0xFFFFFFFFFFFFFFFF
    return h - (1 << 64) if h >> 63 else h
