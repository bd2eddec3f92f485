"""Record once, re-time many (Cortex-M7): what a block-path run executed, kept so that its cycles,
stalls, counters and energy can be recomputed for other timing parameters and plug-in costs
without running Unicorn again.

What the cycle model consumes is a function of the executed instructions and the low three bits
of their access addresses only; the memory model's hits and misses are a function of the access
addresses and the cache geometry only, and its stall cycles are (number of events) x (a latency
that the timing parameters give, per region and stall kind). A recording therefore holds:

* ``blocks``: the executed translation blocks (address, size), in block-id order; a re-timing
  decodes them again with the new timing and costs from ``code`` (the program's bytes of these
  blocks and the next CODE_SLACK bytes, at ``code_ranges``: address, length) and the function
  symbols of the header (profiles);
* ``tokens``: the distinct (block, access address bits of each of its instructions) pairs, and
  ``seq``: the token of every executed block, in order;
* ``events``: per block, the memory events of all its executions (region x stall kind, the layout
  of native_hooks.NEV), and the run's cache counters (hits/misses: timing-independent);
* the plug-in execution counts (energy and MACs of plug-ins), the exit code;
* ``insns``: the capstone instructions the run decoded at each address (decoder.FrozenInsn, as
  JSON), so that a re-timing does not call capstone.

A re-timing replays ``seq`` through a fresh BlockCache: a (token, entry state) transition is
scheduled once by Python and then counted by a compiled loop (native_hooks.replay), as the block
hook does during a run, so retime(record(run(T0, C0)), T, C) == run(T, C) by construction (and
tests/test_m7x_retime.py checks it). Knobs that change what executes or where (placement, cache
geometry, operating point, plug-in semantics, the program) are not re-timed: they are refused.
"""
import json
import os

import numpy as np

from ...errors import IsasimError

FORMAT = 1


CODE_SLACK = 20       # decoding reads the next halfword and an IT block's 4 instructions ahead


def code_ranges(blocks, segments):
    """[(address, bytes)] of the program (loadable ``segments``) that decoding ``blocks`` reads:
    each block and the next CODE_SLACK bytes, merged, clipped to the segments."""
    spans = []
    for a, n in sorted(blocks):
        e = a + n + CODE_SLACK
        if spans and a <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], e)
        else:
            spans.append([a, e])
    out = []
    for a, e in spans:
        for sa, data, _ in segments:
            lo, hi = max(a, sa), min(e, sa + len(data))
            if lo < hi:
                chunk = bytes(data[lo - sa:hi - sa])
                if out and out[-1][0] + len(out[-1][1]) == lo:    # adjacent segments: one range
                    out[-1] = (out[-1][0], out[-1][1] + chunk)
                else:
                    out.append((lo, chunk))
    return out


def save(path, header, code, rec, counters, insns):
    """Write recording ``rec`` (BlockEngine.recording()) with the program bytes ``code``
    ([(address, bytes)], code_ranges) and the decoded instructions ``insns`` ({pc: capstone
    instruction}) atomically as an npz file."""
    from .decoder import FrozenInsn
    insns = {str(pc): FrozenInsn(i).to_json() for pc, i in insns.items() if i is not None}
    toks = rec["tokens"]
    tok_block = np.array([t for t, _ in toks], np.int32)
    lens = [len(ab) for _, ab in toks]
    off = np.zeros(len(toks) + 1, np.int64)
    off[1:] = np.cumsum(lens) if lens else []
    abits = np.array([-1 if a is None else a for _, ab in toks for a in ab], np.int8)
    seq = rec["seq"]
    seq = seq.astype(np.uint16 if len(toks) < (1 << 16) else np.uint32)
    header = dict(header, counters=counters)
    d = os.path.dirname(os.path.abspath(path)) or "."
    if not os.path.isdir(d):
        raise IsasimError(f"--record {path}: directory {d} does not exist")
    tmp = os.path.join(d, f".{os.path.basename(path)}.{os.getpid()}.partial")
    try:
        _savez(tmp, header=np.array([json.dumps(header, sort_keys=True)]),
               insns=np.array([json.dumps(insns)]),
               code=np.frombuffer(b"".join(d for _, d in code), np.uint8),
               code_ranges=np.array([(a, len(d)) for a, d in code], np.int64).reshape(-1, 2),
               blocks=np.array(rec["blocks"], np.int64).reshape(-1, 2),
               tok_block=tok_block, tok_off=off, tok_abits=abits, seq=seq,
               events=rec["events"])
        os.replace(tmp, path)
    except OSError as e:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise IsasimError(f"--record {path}: cannot write ({e.strerror})")
    return path


def _savez(path, **arrays):
    """np.savez_compressed with deflate level 3 instead of 6: the l16 recording (754k tokens)
    is written in ~6 ms instead of ~16 ms and is 47 KB instead of 38 KB (np.load reads both)."""
    import zipfile
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=3) as z:
        for k, v in arrays.items():
            with z.open(k + ".npy", "w", force_zip64=True) as f:
                np.lib.format.write_array(f, np.asanyarray(v), allow_pickle=False)


_LOADED = {}      # (path, inode, size, mtime) -> Recording (a sweep re-times one file many times)


def load(path):
    """The Recording of ``path`` (parsed once while the file is unchanged)."""
    try:
        st = os.stat(path)
    except OSError:
        raise IsasimError(f"{path}: no such recording")
    key = (os.path.realpath(path), st.st_ino, st.st_size, st.st_mtime_ns)
    r = _LOADED.get(key)
    if r is None:
        r = Recording(path)
        if len(_LOADED) > 8:
            _LOADED.clear()
        _LOADED[key] = r
    return r


class Recording:
    def __init__(self, path):
        try:
            z = np.load(path, allow_pickle=False)
            self.header = json.loads(str(z["header"][0]))
            code = z["code"].tobytes()
            self.segments = []
            off = 0
            for a, n in z["code_ranges"]:
                self.segments.append((int(a), code[off:off + int(n)], True))
                off += int(n)
            self.blocks = [(int(a), int(n)) for a, n in z["blocks"]]
            self._tb, self._off, self._ab = z["tok_block"], z["tok_off"], z["tok_abits"]
            self._tokens = None
            self.seq = z["seq"]
            self.events = z["events"]
            from .decoder import FrozenInsn
            self.insns = {int(pc): FrozenInsn.from_json(j)
                          for pc, j in json.loads(str(z["insns"][0])).items()}
        except FileNotFoundError:
            raise IsasimError(f"{path}: no such recording")
        except (OSError, ValueError, KeyError, IndexError, json.JSONDecodeError) as e:
            raise IsasimError(f"{path}: not an isasim recording ({type(e).__name__}: "
                              f"{' '.join(str(e).split())[:120]})")
        h = self.header
        if h.get("isasim_record") != FORMAT or h.get("target") != "cm7":
            raise IsasimError(f"{path}: not a cm7 recording of format {FORMAT} "
                              f"(isasim_record {h.get('isasim_record')!r}, target "
                              f"{h.get('target')!r})")
        self.path = path
        self._canon = {}
        self._shared = {}
        self._pcs = {}        # block -> ((pc, trap decoding), ...) of its instructions
        self._decoded = {}    # (block, timing key, trapped instructions) -> [Desc]

    def decoded(self, core):
        """The Descs of the recorded blocks for ``core`` (a decoder: its timing and trap table),
        ``core._block`` of each block; a block is decoded again only when the timing (all knobs)
        or what its trapped instructions decode to (cost, description) differ from an earlier
        call, the only inputs of decoding other than the recording's own bytes and instructions
        (the re-timings of a cost sweep decode the blocks without plug-in instructions once)."""
        from . import traps as TR
        tk = core.timing.key()
        out = []
        for a, n in self.blocks:
            pcs = self._pcs.get((a, n))
            if pcs is None:
                descs = core._block(a, n)
                pcs = self._pcs[(a, n)] = tuple((d.pc, TR.decode(*core._halfwords(d.pc)))
                                                for d in descs)
            trapped = []
            for pc, dec in pcs:
                if dec is not None:
                    reg = core.traps.lookup(dec)
                    if reg is not None:
                        trapped.append((pc, core.traps.cost_for(dec),
                                        reg.describe(dec.word) if reg.describe else None))
            key = (a, n, tk, tuple(trapped))
            descs = self._decoded.get(key)
            if descs is None:
                descs = core._block(a, n)
                if len(self._decoded) > 1 << 12:
                    self._decoded.clear()
                self._decoded[key] = descs
            out.append(descs)
        return out

    def shared_segments(self, timing):
        """The segment schedules (timing.cm7.BlockCache.shared) of the re-timings of this
        recording with ``timing``: the re-timings of a cost sweep schedule the segments whose
        instructions (Descs) a cost does not change once. Keyed by all knobs of the timing; a
        schedule depends on nothing else than the timing, the Descs, the entry state and the
        address bits (its key)."""
        k = timing.key()
        d = self._shared.get(k)
        if d is None:
            if len(self._shared) >= 4:
                self._shared.clear()
            d = self._shared[k] = {}
        return d

    @property
    def tokens(self):
        """[(block id, (access address bits 0-7 or None of each instruction))], by token."""
        if self._tokens is None:
            tb, off, ab = self._tb, self._off, self._ab.tolist()
            self._tokens = [(int(tb[i]), tuple(None if x < 0 else x
                                               for x in ab[off[i]:off[i + 1]]))
                            for i in range(len(tb))]
        return self._tokens

    def token_lengths(self):
        """Instructions of each token's block (as recorded)."""
        return np.diff(self._off)

    def canonical(self, descs):
        """(tokens, seq) with the tokens whose address bits differ only in bits no scheduler rule
        reads merged (timing.cm7.canonical_bits), for the decoded blocks ``descs``; computed once
        per recording and value of all that canonical_bits reads of the instructions
        (canonical_key: the same for the re-timings of a sweep)."""
        from ...timing.cm7 import canonical_bits_of, canonical_key
        sig = tuple(tuple(canonical_key(d) for d in b) for b in descs)
        r = self._canon.get(sig)
        if r is not None:
            return r
        # canonical bits of every (instruction, recorded bits) entry of every token, vectorised:
        # a table per distinct canonical_key, indexed by the bits + 1 (-1: no access)
        keys = {}
        kidx = [[keys.setdefault(k, len(keys)) for k in b] for b in sig]
        table = np.array([[-1 if a is None else canonical_bits_of(k, a)
                           for a in [None] + list(range(8))] for k in keys],
                         np.int8).reshape(-1, 9)
        first = np.cumsum([0] + [len(b) for b in sig])
        flat = np.array([i for b in kidx for i in b], np.int64)
        tb, off = self._tb, self._off
        lens = np.diff(off)
        row = np.repeat(first[tb] - off[:-1], lens) + np.arange(off[-1])
        can = table[flat[row], self._ab.astype(np.int64) + 1]
        canon = {}
        tokens = []
        remap = np.zeros(len(tb), np.int64)
        for i in range(len(tb)):
            c = can[off[i]:off[i + 1]]
            key = (int(tb[i]), c.tobytes())
            j = canon.get(key)
            if j is None:
                j = canon[key] = len(tokens)
                tokens.append((int(tb[i]), tuple(None if x < 0 else x for x in c.tolist())))
            remap[i] = j
        if len(self._canon) > 8:
            self._canon.clear()
        r = self._canon[sig] = (tokens, remap[self.seq])
        return r


def replay(core, rec):
    """Count the recorded blocks through ``core.bc`` (a fresh BlockCache of the new timing) with
    the instructions decoded by ``core`` (new timing and costs); sets ``core.bc.counts``."""
    from .engine import hooks_module
    m = hooks_module()
    bc = core.bc
    bc.shared = rec.shared_segments(core.timing)
    bc.sched.reset()
    sid = bc.sid(bc.sched.state())
    descs = rec.decoded(core)
    for tbid, n in zip(rec._tb.tolist(), rec.token_lengths().tolist()):
        if n != len(descs[tbid]):
            raise IsasimError(f"{rec.path}: block at {rec.blocks[tbid][0]:#010x} decodes to "
                              f"{len(descs[tbid])} instructions, the recording has {n}")
    tokens, seq = rec.canonical(descs)
    cap = 1 << 12
    keys = np.full(cap, -1, np.int64)
    vals = np.zeros(cap, np.int64)
    counts = np.zeros(1 << 10, np.int64)
    n = len(seq)
    pos = 0
    ntrans = 0
    while True:
        pos, sid = m.replay(seq, pos, sid, keys, vals, counts)
        if pos >= n:
            break
        tok = int(seq[pos])
        tbid, ab = tokens[tok]
        nsid, ti = bc.transition_segmented(tbid, rec.blocks[tbid][0], descs[tbid], sid, ab)
        if ti >= len(counts):
            counts = np.concatenate([counts, np.zeros(max(ti + 1, 2 * len(counts)) - len(counts),
                                                      np.int64)])
        ntrans += 1
        if 2 * ntrans > len(keys):
            old = [(int(k), int(v)) for k, v in zip(keys, vals) if k != -1]
            keys = np.full(2 * len(keys), -1, np.int64)
            vals = np.zeros(len(keys), np.int64)
            for k, v in old:
                _insert(keys, vals, k, v)
        _insert(keys, vals, (tok << 32) | sid, (nsid << 32) | ti)
    bc.counts = [int(x) for x in counts[:len(bc.trans_info)]]


def _insert(keys, vals, key, val):
    mask = len(keys) - 1
    h = (key ^ (key >> 29) ^ (key >> 13)) & mask
    while keys[h] != -1:
        h = (h + 1) & mask
    keys[h] = key
    vals[h] = val
