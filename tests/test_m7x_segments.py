"""Re-timing shortcuts (isasim.cores.cm7.replay) give the figures a run computes:

* a block's transition composed from cached segments (timing.cm7.BlockCache.
  transition_segmented) has the same cycles, stalls, dual issues, mispredicts, branches and exit
  state as the block scheduled whole (BlockCache.transition, what a run computes), for every
  recorded variant, entry state, timing and segment length;
* so do segment schedules shared between re-timings of one recording (Recording.
  shared_segments), across alternating timings and plug-in costs;
* blocks decoded once per timing and trapped-instruction decoding (Recording.decoded) equal a
  fresh decoding.
"""
from isasim.cores.cm7 import decoder
from isasim.cores.cm7.core import Cm7Core
from isasim.timing import cm7 as T

from m7code import HEAD
from test_m7x_retime import CACHE_SRC, PLUGIN_SRC, TIMINGS, _recording

# unaligned loads and stores next to each other, an STM at a sliding 8-byte alignment, a MAC, an
# IT block (segment boundaries fall inside pairs, store-buffer drains and unaligned-load penalties)
MIXED_SRC = HEAD + r"""
  push {r4-r7, lr}
  ldr r0, =buf
  movs r3, #16
1:
  ldr r1, [r0, #1]
  ldr r2, [r0, #4]
  strh r1, [r0, #7]
  strb r2, [r0, #9]
  str r1, [r0, #10]
  mla r4, r1, r2, r4
  ldrh r5, [r0, #3]
  add r6, r5, r4, lsl #2
  stm r0, {r1, r2}
  ldr r7, [r0, #12]
  adds r7, r7, r6
  cmp r7, #0
  it ne
  addne r4, r4, #1
  adds r0, r0, #4
  subs r3, r3, #1
  bne 1b
  movs r0, #0
  pop {r4-r7, pc}
  .pool
  .data
  .balign 8
buf: .space 128
"""


def _regs(r, cost=None):
    """The plug-in registrations of recording ``r`` with plug-in costs ``cost``."""
    from isasim.cores.cm7.plugins import PluginTraps
    from isasim.isa.registry import load_table
    return PluginTraps(load_table("cm7", r.header["plugins"], cost=cost)).registrations


def _decoder(r, regs, t):
    return decoder.decoder(Cm7Core, r.segments, {"_start": r.header["start"]}, [], regs, t, {},
                           r.insns)


def test_segmented_transitions_equal_whole_block_schedules(tmp_path):
    checked = 0
    for name, src, plugins in (("mixed", MIXED_SRC, ()), ("cache", CACHE_SRC, ()),
                               ("plug", PLUGIN_SRC, ("qnn",))):
        r = _recording(tmp_path, name, src, plugins)
        regs = _regs(r) if plugins else []
        for timing in TIMINGS + ({"unaligned_load_relief": 0, "sb_entries": 1,
                                  "stm_unaligned_extra": 3},):
            t = T.CM7Timing().override(**timing)
            descs = [_decoder(r, regs, t)._block(a, n) for a, n in r.blocks]
            bc = T.BlockCache(t)
            bc.sched.reset()
            sids = [bc.sid(bc.sched.state())]
            # entry states: the reset state and the exit states of every recorded block variant
            for tbid, ab in r.tokens:
                sids.append(bc.transition(r.blocks[tbid][0], descs[tbid], sids[0], ab)[0])
            sids = sorted(set(sids))[:10]
            for seg in (1, 3, 8):
                bc._segs.clear()
                for tbid, ab in r.tokens:
                    for sid in sids:
                        n1, t1 = bc.transition(7, descs[tbid], sid, ab)
                        n2, t2 = bc.transition_segmented(tbid, 7, descs[tbid], sid, ab, seg)
                        assert (n1, bc.trans_info[t1]) == (n2, bc.trans_info[t2]), \
                            (name, timing, seg, tbid, ab, sid)
                        checked += 1
    assert checked > 1000


def test_segments_shared_between_re_timings_equal_whole_block_schedules(tmp_path):
    """The re-timings of one recording share segment schedules per timing (Recording.
    shared_segments): alternating timings and plug-in costs (a cost changes the Descs of the
    plug-in instructions only), every transition equals the whole-block schedule."""
    r = _recording(tmp_path, "plug", PLUGIN_SRC, ("qnn",))
    checked = 0
    for timing, cost in [({}, {}), ({}, {"qnn.sdot4": {"latency": 4}}), (TIMINGS[1], {}),
                         ({}, {"qnn.sdot4": {"latency": 2, "dual_issue": False}}),
                         (TIMINGS[1], {"qnn.sdot4": {"latency": 4}}), ({}, {})]:
        t = T.CM7Timing().override(**timing)
        descs = [_decoder(r, _regs(r, cost), t)._block(a, n) for a, n in r.blocks]
        whole, bc = T.BlockCache(t), T.BlockCache(t)
        bc.shared = r.shared_segments(t)
        whole.sched.reset()
        bc.sched.reset()
        sw, sb = whole.sid(whole.sched.state()), bc.sid(bc.sched.state())
        seen = set()
        # the recorded block sequence (state ids differ: the segmented cache also numbers the
        # states between segments)
        for tok in r.seq[:4000]:
            tbid, ab = r.tokens[tok]
            n1, t1 = whole.transition(7, descs[tbid], sw, ab)
            if (tok, n1) not in seen:
                seen.add((tok, n1))
                n2, t2 = bc.transition_segmented(tbid, 7, descs[tbid], sb, ab, 3)
                assert whole.states[n1] == bc.states[n2], (timing, cost, tbid, ab)
                assert whole.trans_info[t1] == bc.trans_info[t2], (timing, cost, tbid, ab)
                checked += 1
                sb = n2
            else:
                sb = bc.sid(whole.states[n1])
            sw = n1
    assert checked > 30


def _fields(d):
    return tuple(getattr(d, k) for k in T.Desc.__slots__ if k not in ("mem", "aeff"))


def test_decoded_blocks_cached_between_re_timings_equal_a_fresh_decoding(tmp_path):
    """Recording.decoded reuses a block's Descs for the same timing and trapped-instruction
    decodings: alternating timings and plug-in costs, every Desc equals a fresh decoding's."""
    r = _recording(tmp_path, "plug", PLUGIN_SRC, ("qnn",))
    checked = 0
    for timing, cost, plugins in [({}, {}, True), ({}, {"qnn.sdot4": {"latency": 4}}, True),
                                  (TIMINGS[1], {}, True), ({}, {}, False),
                                  ({}, {"qnn.sdot4": {"resource": "mac", "occupancy": 2}}, True),
                                  (TIMINGS[1], {"qnn.sdot4": {"latency": 4}}, True),
                                  ({}, {}, True), (TIMINGS[1], {}, False)]:
        t = T.CM7Timing().override(**timing)
        regs = _regs(r, cost) if plugins else []
        cached, fresh = _decoder(r, regs, t), _decoder(r, regs, t)
        decoder._DESCS.clear()          # no Desc of an earlier timing or cost reused
        for (a, n), got in zip(r.blocks, r.decoded(cached)):
            want = fresh._block(a, n)
            assert [_fields(d) for d in got] == [_fields(d) for d in want], (timing, cost, a)
            checked += len(want)
    assert checked > 100
