"""The GAP-8 cluster's shared instruction cache (issue 16 item 3): hit/miss accounting against an
independent reference model fed with the commit log, refill stalls, the refill port, the on/off
switch and the parameter checks."""
import os

import numpy as np
import pytest

from isasim.errors import IsasimError
from isasim.platforms.gap8 import ClusterConfig, run_cluster, validate_timing, EU_BASE
from isasim.toolchain.build import build_elf

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def pdot(tmp_path_factory):
    d = tmp_path_factory.mktemp("ic")
    return build_elf("gap8", [os.path.join(ROOT, "kernels_asm", "ri5cy", "examples",
                                           "parallel_dot.S")], str(d / "pd.elf"))


def reference_icache(trace_lines, ncores, size, line, ways):
    """Hits and misses per core of a shared set-associative cache with round-robin replacement
    per set, accessed in commit-log order: an instruction accesses every line it covers that is
    not the line its core's previous instruction ended in."""
    sets = size // (line * ways)
    tags = [[None] * ways for _ in range(sets)]
    nxt = [0] * sets
    last = [None] * ncores
    hits, misses = [0] * ncores, [0] * ncores
    for ln in trace_lines:
        f = ln.split()
        core, pc, nbytes = int(f[0][1:]), int(f[2], 16), len(f[3]) // 2
        first, end = pc // line, (pc + nbytes - 1) // line
        for ell in range(first, end + 1):
            if ell == last[core]:
                continue
            s = ell % sets
            if ell in tags[s]:
                hits[core] += 1
            else:
                misses[core] += 1
                tags[s][nxt[s]] = ell
                nxt[s] = (nxt[s] + 1) % ways
        last[core] = end
    return hits, misses


@pytest.mark.parametrize("size,line,ways", [(4096, 16, 1), (64, 16, 1), (128, 16, 2),
                                            (96, 8, 4)])
def test_hits_and_misses_match_a_reference_model(tmp_path, pdot, size, line, ways):
    log = tmp_path / "c.log"
    t = {"icache_size": size, "icache_line": line, "icache_ways": ways}
    r = run_cluster(pdot, cores=4, timing=t, trace=str(log))
    assert r["exit_code"] == 0
    lines = [ln for ln in log.read_text().splitlines() if not ln.startswith("#")]
    hits, misses = reference_icache(lines, 4, size, line, ways)
    assert [p["icache_misses"] for p in r["per_core"]] == misses
    assert [p["icache_hits"] for p in r["per_core"]] == hits
    assert r["counters"] == {"icache_hits": sum(hits), "icache_misses": sum(misses)}
    assert sum(misses) > 4          # the program does miss
    # the fast path (no trace) counts the same
    fast = run_cluster(pdot, cores=4, timing=t)
    assert fast["per_core"] == r["per_core"] and fast["cycles"] == r["cycles"]


def test_one_core_pays_the_refill_latency_per_miss(pdot):
    on = run_cluster(pdot, cores=1, timing={"icache_size": 64, "icache_refill": 13})
    off = run_cluster(pdot, cores=1, timing={"icache": 0})
    p = on["per_core"][0]
    assert p["icache_misses"] > 10
    assert on["stalls"]["icache"] == 13 * p["icache_misses"]
    assert on["cycles"] - off["cycles"] == on["stalls"]["icache"]
    assert off["stalls"]["icache"] == 0 and off["counters"]["icache_misses"] == 0
    assert on["instructions"] == off["instructions"]


def test_free_refills_change_nothing(pdot):
    """With a refill latency of 0 the cache costs nothing: the same cycles as with it off."""
    free = run_cluster(pdot, cores=8, timing={"icache_refill": 0, "icache_size": 64})
    off = run_cluster(pdot, cores=8, timing={"icache": 0})
    assert free["counters"]["icache_misses"] > 0
    for k in ("cycles", "core_cycles", "instructions", "stalls"):
        assert free[k] == off[k], k


def test_cluster_cores_share_the_lines(pdot):
    """SPMD code: the first core to fetch a line refills it, the others wait for that refill
    instead of refilling it again; all cores pay about the same."""
    r = run_cluster(pdot, cores=8)
    pc = r["per_core"]
    assert pc[0]["icache_misses"] >= sum(p["icache_misses"] for p in pc[1:])
    assert all(p["stalls"]["icache"] > 0 for p in pc)
    assert r["stalls"]["icache"] == sum(p["stalls"]["icache"] for p in pc)
    assert r["stall_causes"][-1] == "icache"
    issue = r["core_cycles"] - sum(r["stalls"].values())
    assert issue > 0


def _log(rows):
    n = len(rows)
    AL = np.zeros((n, 8, 3), np.int64)
    cnt = np.zeros(n, np.int64)
    for i, accesses in enumerate(rows):
        for h, a in enumerate(accesses):
            AL[i, h] = a
        cnt[i] = len(accesses)
    return AL, cnt


def test_refill_port_serialises_refills():
    """One refill at a time: a refill requested while another core's is in flight waits until
    it ends (counted as icc), and shifts that core's later accesses."""
    from isasim.platforms import gap8_loop as L
    nb, H, lat = 16, 256, 10
    # core 0 and core 1 miss at cycle 5, core 2 at cycle 8; core 1 then loads from TCDM at 20
    AL, cnt = _log([[(5, -1 - 100, 1)], [(5, -1 - 200, 1), (20, 0x10000000, 1)],
                    [(8, -1 - 300, 1)]])
    ring = np.full((nb + 2, H), L.NONE, np.int64)
    rr = np.zeros(nb + 2, np.int64)
    D, cont, l2c, icc, l2l, ntc, nl2, nev, evi = (np.zeros(3, np.int64) for _ in range(9))
    L._resolve(AL, cnt, 3, 100, 0x10000000, 0x10000, nb, -3, 10, lat, EU_BASE, ring, rr, D, cont,
               l2c, icc, l2l, ntc, nl2, nev, evi, np.zeros((3, 1), np.int64))
    # round robin from core 0: core 0 at 5-14, core 1 waits to 15 (15-24), core 2 to 25
    assert list(icc) == [0, 10, 17] and list(D) == [0, 10, 17]
    assert list(ntc) == [0, 1, 0] and list(cont) == [0, 0, 0] and list(nl2) == [0, 0, 0]
    # and the shortcut refuses this window (the refills overlap), leaving it to _resolve
    AL, cnt = _log([[(5, -1 - 100, 1)], [(9, -1 - 200, 1)]])
    ring = np.full((nb + 2, H), L.NONE, np.int64)
    T = np.zeros((6, 2), np.int64)
    UNDO = np.zeros((3, 64), np.int64)
    LAST = np.zeros((2, nb + 2), np.int64)
    z = [np.zeros(2, np.int64) for _ in range(6)]
    assert not L._precheck(AL, cnt, 2, 100, 0x10000000, 0x10000, nb, -3, 10, lat, EU_BASE, ring,
                           np.zeros(nb + 2, np.int64), *z, T, UNDO, LAST, np.zeros((2, 1), np.int64))
    assert (ring == L.NONE).all()


@pytest.mark.parametrize("bad,msg", [({"icache": 2}, "'icache' = 2"),
                                     ({"icache_line": 12}, "power of two"),
                                     ({"icache_size": 1000}, "not a multiple"),
                                     ({"icache_ways": 0}, "must be >= 1"),
                                     ({"icache_refill": -1}, "must be >= 0")])
def test_parameters_are_checked(bad, msg):
    with pytest.raises(IsasimError, match=msg):
        validate_timing(bad)


def test_defaults_are_the_gvsoc_gap8_configuration():
    c = ClusterConfig()
    assert (c.icache, c.icache_size, c.icache_line, c.icache_ways) == (1, 4096, 16, 1)
    assert c.icache_sets() == 256
