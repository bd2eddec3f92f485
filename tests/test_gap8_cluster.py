"""GAP-8 cluster (issue #6): SPMD start-up, bank contention, hardware barrier, timeline, energy,
determinism, and the documented parallel_dot example on 1/2/4/8 cores."""
import json
import os

import numpy as np
import pytest

from isasim.errors import IsasimError, SimError
from isasim.platforms.gap8 import Cluster, ClusterConfig, run_cluster, EU_BASE
from isasim.toolchain.build import build_elf

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INC = os.path.join(ROOT, "kernels_asm", "ri5cy", "include")
PDOT = os.path.join(ROOT, "kernels_asm", "ri5cy", "examples", "parallel_dot.S")


def build(tmp_path, name, text, defines=()):
    src = tmp_path / (name + (".c" if text.lstrip().startswith("//C") else ".S"))
    src.write_text(text)
    out = str(tmp_path / (name + ".elf"))
    build_elf("gap8", [str(src)], out, include_dirs=[INC], defines=list(defines))
    return out


# ---- parallel_dot ---------------------------------------------------------------------------------
def expected_dot():
    s8 = lambda v: ((v & 0xFF) ^ 0x80) - 0x80        # noqa: E731
    return sum(s8(37 * i + 11) * s8(101 * i + 57) for i in range(65536))


@pytest.fixture(scope="module")
def pdot(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("pdot") / "pd.elf")
    build_elf("gap8", [PDOT], out, include_dirs=[INC])
    return out


def test_parallel_dot_constant_matches_formula():
    assert "-4751360" in open(PDOT).read()
    assert expected_dot() == -4751360


def test_parallel_dot_scales(pdot):
    cyc = {}
    for n in (1, 2, 4, 8, 16):
        r = run_cluster(pdot, cores=n)
        assert r["exit_code"] == 0, (n, r["exit_code"])
        assert r["cores"] == n and len(r["per_core"]) == n
        assert r["instructions"] == sum(p["instructions"] for p in r["per_core"])
        assert r["cycles"] == r["per_core"][0]["end_cycle"]
        cyc[n] = r["cycles"]
    assert cyc[8] * 6 <= cyc[1], cyc
    assert cyc[1] > cyc[2] > cyc[4] > cyc[8] > cyc[16], cyc


def test_parallel_dot_wrong_result_is_detected(tmp_path):
    out = str(tmp_path / "bad.elf")
    build_elf("gap8", [PDOT], out, include_dirs=[INC], defines=["EXPECTED=0"])
    assert run_cluster(out, cores=4)["exit_code"] != 0


def test_deterministic(pdot):
    a = run_cluster(pdot, cores=8)
    b = run_cluster(pdot, cores=8)
    assert a["cycles"] == b["cycles"]
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


# ---- contention -------------------------------------------------------------------------------------
HAMMER = r"""
#include "pulp_cluster.h"
  .text
  .globl main
main:
  PULP_CORE_ID(a6)
  la    a1, buf
#ifndef SAME_BANK
  slli  t0, a6, 2                   /* core i -> word i -> bank i */
  add   a1, a1, t0
#endif
  li    t2, 1000
  lp.setup x0, t2, 1f
  lw    t0, 0(a1)
  lw    t1, 0(a1)
  lw    t3, 0(a1)
1: lw    t4, 0(a1)
  PULP_BARRIER(t0)
  li    a0, 0
  ret
  .section .tcdm, "aw"
  .align 2
buf: .space 64
"""


@pytest.fixture(scope="module")
def hammer(tmp_path_factory):
    d = tmp_path_factory.mktemp("ham")
    return (build(d, "same", HAMMER, ["SAME_BANK"]), build(d, "diff", HAMMER))


def test_bank_contention_8x(hammer):
    same, diff = (run_cluster(e, cores=8) for e in hammer)
    assert same["exit_code"] == diff["exit_code"] == 0
    ratio = same["cycles"] / diff["cycles"]
    assert 7.0 <= ratio <= 8.5, ratio
    assert diff["stalls"]["tcdm_contention"] == 0
    for p in same["per_core"]:
        # 4000 loads; at most one core per cycle gets bank 0: ~7 lost cycles per load
        assert p["stalls"]["tcdm_contention"] >= 20000, p
        assert p["tcdm_accesses"] == 4000
    assert same["stalls"]["tcdm_contention"] == sum(p["stalls"]["tcdm_contention"]
                                                    for p in same["per_core"])
    # round-robin: the cores end within a few cycles of each other
    ends = [p["cycles"] for p in same["per_core"]]
    assert max(ends) - min(ends) <= 20, ends


def test_interleaving_parameter(hammer):
    # with 1 bank, striding over words does not help any more
    r = run_cluster(hammer[1], cores=8, timing={"tcdm_banks": 1})
    assert r["stalls"]["tcdm_contention"] >= 8 * 20000
    # 12 banks (not a power of two): words 0..7 are still in 8 different banks
    assert run_cluster(hammer[1], cores=8, timing={"tcdm_banks": 12})["stalls"]["tcdm_contention"] == 0
    # 8-byte interleaving: words 2k and 2k+1 share a bank -> pairs of cores conflict
    r = run_cluster(hammer[1], cores=8, timing={"tcdm_interleave": 8})
    assert 0.8 < r["cycles"] / run_cluster(hammer[1], cores=2)["cycles"] / 2 < 1.2


def test_quantum_does_not_change_timing(hammer, pdot):
    # the arbitration replay is exact up to each window's horizon (docs/gap8.md): the quantum is
    # only a speed knob for barrier-synchronised code
    for elf in (hammer[0], pdot):
        ref = run_cluster(elf, cores=8, config=ClusterConfig(quantum=64))
        big = run_cluster(elf, cores=8, config=ClusterConfig(quantum=4096))
        assert big["cycles"] == ref["cycles"], (elf, ref["cycles"], big["cycles"])
        assert big["stalls"] == ref["stalls"]
        assert big["cluster"]["quanta"] < ref["cluster"]["quanta"]


# ---- barrier ------------------------------------------------------------------------------------------
BARRIER = r"""
#include "pulp_cluster.h"
  .text
  .globl main
main:
  PULP_CORE_ID(a6)
  li    t0, 50
  mul   t0, t0, a6
  addi  t0, t0, 1                   /* core i spins 50*i+1 iterations: arrivals differ */
  lp.setup x0, t0, 1f
1: nop
  PULP_BARRIER(t1)
  csrr  t2, mcycle                  /* the cycle this core left the barrier */
  la    t3, leave
  slli  t4, a6, 2
  add   t3, t3, t4
  sw    t2, 0(t3)
  PULP_BARRIER(t1)
  li    a0, 0
  bnez  a6, 9f
  la    t3, leave                   /* core 0: exit 0 iff every core left in the same cycle */
  lw    t5, 0(t3)
  PULP_NB_CORES(a7, t0)
2:
  lw    t4, 0(t3)
  beq   t4, t5, 3f
  li    a0, 1
3:
  addi  t3, t3, 4
  addi  a7, a7, -1
  bnez  a7, 2b
9:
  ret
  .section .tcdm, "aw"
  .align 2
  .globl leave
leave: .space 64
"""


def test_barrier_same_release_cycle(tmp_path):
    elf = build(tmp_path, "bar", BARRIER)
    tl = str(tmp_path / "tl.json")
    cl = Cluster(elf, cores=8, timeline=True)
    assert cl.run() == 0
    cl.write_timeline(tl)
    first = cl.barriers[0]
    arr = first["arrivals"]
    assert len(arr) == 8 and len(set(arr.values())) == 8          # all arrived at different cycles
    elw = cl.timing.elw
    # leave = issue cycle of the last core's barrier load + barrier_latency (11)
    assert first["release"] == max(arr.values()) - elw + ClusterConfig().barrier_latency
    leave = [cl.mem.read_u32(cl.prog.symbols["leave"] + 4 * i) for i in range(8)]
    assert leave == [first["release"]] * 8
    pc = cl.per_core()
    for i in range(8):
        wait = first["release"] - arr[i]
        assert pc[i]["stalls"]["barrier"] >= wait
        assert pc[i]["gated_cycles"] >= wait
    assert pc[0]["gated_cycles"] > pc[7]["gated_cycles"]          # core 0 arrived first
    # the timeline shows every core waiting at the barrier until the same cycle
    ev = json.load(open(tl))["traceEvents"]
    waits = [e for e in ev if e.get("name") == "barrier wait"]
    firsts = {}
    for e in waits:
        firsts.setdefault(e["tid"], e)
    assert set(firsts) == set(range(8))
    assert {e["args"]["end_cycle"] for e in firsts.values()} == {first["release"]}
    assert {e["args"]["start_cycle"] for e in firsts.values()} == set(arr.values())
    assert {e["tid"] for e in ev if e.get("name") == "busy"} == set(range(8))


def test_result_dict_and_energy(tmp_path):
    elf = build(tmp_path, "bar", BARRIER)
    tl = str(tmp_path / "t.json")
    r = run_cluster(elf, cores=4, timeline=tl, operating_point="eff_90MHz_1.0V")
    assert r["exit_code"] == 0 and os.path.isfile(tl)
    assert r["operating_point"] == "eff_90MHz_1.0V"
    assert r["energy_model"]["operating_point"]["f_mhz"] == 90.0
    b = r["energy_breakdown_uj"]
    assert b["cores_gated"] > 0 and b["cores_active"] > 0 and b["tcdm"] > 0
    assert abs(sum(b.values()) - r["energy_uj"]) < 1e-12
    for p in r["per_core"]:
        assert set(p["stalls"]) >= {"tcdm_contention", "barrier", "l2_latency", "load_use"}
        assert p["active_cycles"] + p["gated_cycles"] == r["cycles"]
    hi = run_cluster(elf, cores=4, operating_point="max_175MHz_1.2V")
    assert hi["cycles"] == r["cycles"] and hi["energy_uj"] > r["energy_uj"]   # V^2 scaling
    json.dumps(r)


# ---- start-up, run_elf, C header, errors ------------------------------------------------------------
def test_run_elf_and_single_core(pdot):
    from isasim.simulate import run_elf
    r = run_elf(pdot, "gap8", cores=2)
    assert r["exit_code"] == 0 and r["cores"] == 2
    r1 = run_cluster(pdot, cores=1)
    assert r1["exit_code"] == 0 and r1["cores"] == 1
    assert r1["stalls"]["tcdm_contention"] == 0
    # L2 data: every vector load pays the documented L2 latency
    assert r1["stalls"]["l2_latency"] == r1["l2_accesses"] * ClusterConfig().l2_latency
    assert r1["l2_accesses"] == 2 * 65536 // 4


C_PROG = r"""//C
#include "pulp_cluster.h"
__attribute__((section(".tcdm"))) volatile int seen[16];
int main(void)
{
    int id = pulp_core_id();
    seen[id] = id + 100;
    pulp_barrier();
    if (id != 0)
        return 0;
    int bad = 0;
    for (int i = 0; i < pulp_nb_cores(); i++)
        bad |= seen[i] != i + 100;
    return bad;
}
"""


def test_c_header(tmp_path):
    elf = build(tmp_path, "cprog", C_PROG)
    for n in (1, 3, 8):
        assert run_cluster(elf, cores=n)["exit_code"] == 0


def test_errors(tmp_path, pdot):
    with pytest.raises(Exception, match="1..16"):
        run_cluster(pdot, cores=17)
    bad = build(tmp_path, "evst", f"""
  .text
  .globl main
main:
  li t0, {EU_BASE}
  sw zero, 0(t0)
  ret
""")
    with pytest.raises(SimError, match="core 0: store to event unit"):
        run_cluster(bad, cores=2)
    bad1 = build(tmp_path, "c1fault", """
#include "pulp_cluster.h"
  .text
  .globl main
main:
  PULP_CORE_ID(a0)
  beqz a0, 1f
  li t0, 0x20000000
  lw t1, 0(t0)                      /* core 1..: unmapped */
1:
  PULP_BARRIER(t0)
  li a0, 0
  ret
""")
    with pytest.raises(SimError, match=r"core 1: load of 4 bytes at 0x20000000 outside mapped"):
        run_cluster(bad1, cores=2)
    with pytest.raises(SimError, match="did not exit"):
        run_cluster(pdot, cores=2, max_instructions=1000)


def test_outputs_read_back_from_shared_memory(tmp_path):
    """Experiments read kernel outputs by symbol: every core writes its id into out[]."""
    import numpy as np
    from isasim.simulate import run_elf
    src = tmp_path / "ids.S"
    src.write_text('''#include "pulp_cluster.h"
  .text
  .globl main
main:
  PULP_CORE_ID(a0)
  la t0, out
  slli t1, a0, 2
  add t0, t0, t1
  sw a0, 0(t0)
  PULP_BARRIER(t0)
  li a0, 0
  ret
  .section .tcdm, "aw"
  .globl out
out: .space 32
''')
    inc = os.path.join(ROOT, "kernels_asm", "ri5cy", "include")
    elf = build_elf("gap8", [str(src)], str(tmp_path / "ids.elf"), include_dirs=[inc])
    res = run_elf(elf, "gap8", cores=8, read_symbols={"out": 32})
    assert res["exit_code"] == 0
    assert list(np.frombuffer(res["memory"]["out"], dtype=np.int32)) == list(range(8))
    # a missing output symbol is a one-line error, on the cluster and on a single core
    with pytest.raises(IsasimError, match=r"ids.elf: no symbol 'outt' to read the output"):
        run_elf(elf, "gap8", cores=2, read_symbols={"outt": 4})
    (tmp_path / "one.S").write_text("  .text\n  .globl main\nmain:\n  li a0, 0\n  ret\n")
    one = build_elf("ri5cy", [str(tmp_path / "one.S")], str(tmp_path / "one.elf"))
    with pytest.raises(IsasimError, match=r"one.elf: no symbol 'outt' to read the output"):
        run_elf(one, "ri5cy", read_symbols={"outt": 4})


# ---- the compiled window loop: slow paths give the same result as the fast path ------------------
def test_trace_and_profile_match_fast_path(tmp_path, pdot):
    fast = run_cluster(pdot, cores=4)
    log = tmp_path / "c.log"
    traced = run_cluster(pdot, cores=4, trace=str(log), profile=True)
    assert traced["exit_code"] == 0
    for k in ("cycles", "instructions", "stalls", "energy_uj"):
        assert traced[k] == fast[k], k
    lines = log.read_text().splitlines()[1:]
    assert len(lines) == fast["instructions"]
    per = [sum(1 for ln in lines if ln.startswith(f"c{i} ")) for i in range(4)]
    assert per == [p["instructions"] for p in fast["per_core"]]
    # the profile charges every core cycle (stalls of the cluster included) to symbols: nearly
    # all to the kernel (tests/test_rvp_profile.py checks every cause)
    prof = traced["profile"]
    assert set(prof) == {"main", "_start"}
    assert sum(v["cycles"] for v in prof.values()) == fast["core_cycles"]
    assert prof["main"]["cycles"] > 0.99 * fast["core_cycles"]


def test_access_log_growth(pdot):
    ref = Cluster(pdot, cores=8)
    assert ref.run() == 0
    small = Cluster(pdot, cores=8)
    small.cap = 8                   # forces the engine to stop on a full log (R_LOG_FULL)
    small._new_log()
    assert small.run() == 0
    assert small.cap > 8
    assert small.per_core() == ref.per_core()


PY_PLUGIN = '''
from isasim.plugins import Instr
INSTRUCTIONS = [Instr("p.bitlen", "rd, rs1, rs2", "0000000 rs2 rs1 011 rd 0001011",
                      sem=lambda rs1, rs2: rs1.bit_length() + rs2, params={"python": True},
                      cost={"latency": 3})]
'''


def test_python_path_plugin_on_every_core(tmp_path):
    plug = tmp_path / "bitlen.py"
    plug.write_text(PY_PLUGIN)
    src = tmp_path / "p.S"
    src.write_text("""
#include "pulp_cluster.h"
  .text
  .globl main
main:
  PULP_CORE_ID(a6)
  li    a1, 1000
  p.bitlen a0, a1, a6               /* 10 + core id */
  la    t3, out
  slli  t4, a6, 2
  add   t3, t3, t4
  sw    a0, 0(t3)
  PULP_BARRIER(t1)
  li    a0, 0
  ret
  .section .tcdm, "aw"
  .align 2
  .globl out
out: .space 64
""")
    elf = str(tmp_path / "p.elf")
    build_elf("gap8", [str(src)], elf, include_dirs=[INC], plugins=[str(plug)])
    log = tmp_path / "p.log"
    r = run_cluster(elf, cores=4, plugins=[str(plug)], read_symbols={"out": 16}, trace=str(log))
    assert r["exit_code"] == 0
    got = [int.from_bytes(r["memory"]["out"][4 * i:4 * i + 4], "little") for i in range(4)]
    assert got == [10 + i for i in range(4)]
    assert r["op_counts"]["p.bitlen"] == 4
    assert log.read_text().count("p.bitlen a0, a1, a6  (python path)") == 4


def _random_window(rng, n, dense):
    """A random access log as the engine writes it: per core (issue cycle, address, cost) with
    increasing issue cycles; TCDM, L2, event-unit addresses and instruction-cache refills."""
    from isasim.platforms.gap8_loop import EU_BARRIER
    cap = 64
    AL = np.zeros((n, cap, 3), np.int64)
    cnt = np.zeros(n, np.int64)
    for i in range(n):
        t = int(rng.integers(0, 20))
        k = int(rng.integers(0, cap))
        for h in range(k):
            t += int(rng.integers(1, 4))
            u = rng.random()
            if u < 0.015:
                a = -1 - int(rng.integers(0, 8))          # an I-cache refill of a line
            elif u < 0.05:
                a = 0x1C000000 + 4 * int(rng.integers(0, 100))
            elif u < 0.08:
                a = EU_BASE + EU_BARRIER
            else:
                a = 0x10000000 + 4 * int(rng.integers(0, 4 if dense else 4096))
            AL[i, h] = (t, a, int(rng.integers(1, 3)))
        cnt[i] = k
    return AL, cnt


def test_precheck_equals_resolve():
    """The no-conflict shortcut (_precheck) gives exactly _resolve's result when it accepts a
    window, and leaves everything untouched when it refuses one."""
    from isasim.platforms import gap8_loop as L
    rng = np.random.default_rng(1)
    accepted = refused = refills_accepted = refills_refused = 0
    for trial in range(400):
        n = int(rng.integers(1, 9))
        AL, cnt = _random_window(rng, n, dense=trial % 2 == 0)
        nb, H = 16, 256
        ring = np.full((nb + 2, H), L.NONE, np.int64)
        for _ in range(int(rng.integers(0, 40))):       # grants of an earlier window
            t = int(rng.integers(0, 200))
            ring[int(rng.integers(0, nb + 2)), t % H] = t
        rr = rng.integers(0, n, nb + 2).astype(np.int64)
        # D cont l2c l2l ntc nl2 nev ev icc
        stats = rng.integers(0, 50, (9, n)).astype(np.int64)
        horizon = int(rng.integers(50, 250))
        common = (n, horizon, 0x10000000, 0x10000, nb, -3, 10, int(rng.integers(1, 12)), EU_BASE)

        def resolve(AL, cnt, ring, rr, st):
            L._resolve(AL, cnt, *common, ring, rr, st[0], st[1], st[2], st[8], st[3], st[4],
                       st[5], st[6], st[7], np.zeros((n, 1), np.int64))

        A = [AL.copy(), cnt.copy(), ring.copy(), rr.copy(), stats.copy()]
        resolve(*A)
        B = [AL.copy(), cnt.copy(), ring.copy(), rr.copy(), stats.copy()]
        st = B[4]
        T = np.zeros((6, n), np.int64)
        UNDO = np.zeros((3, n * 64 * 12), np.int64)
        LAST = np.zeros((2, nb + 2), np.int64)
        ok = L._precheck(B[0], B[1], *common, B[2], B[3], st[0], st[4], st[5], st[3], st[6],
                         st[7], T, UNDO, LAST, np.zeros((n, 1), np.int64))
        has_refill = any(AL[i, h, 1] < 0 for i in range(n) for h in range(cnt[i]))
        if ok:
            accepted += 1
            refills_accepted += has_refill
        else:
            refills_refused += has_refill
            refused += 1
            for x, y in zip(B, (AL, cnt, ring, rr, stats)):
                assert np.array_equal(x, y)                   # untouched
            resolve(*B)
        for x, y in zip(A, B):
            assert np.array_equal(x, y), trial
    assert accepted > 30 and refused > 50, (accepted, refused)
    assert refills_accepted > 10 and refills_refused > 10, (refills_accepted, refills_refused)


def test_scaling_experiment(tmp_path):
    """experiments/gap8_scaling.yaml end to end: every point golden-checked; the cyclic partition
    scales with no bank conflicts, the blocked one (cores in step on one bank) is held back by
    TCDM contention."""
    from isasim.experiments.runner import run_experiment
    df, _ = run_experiment(os.path.join(ROOT, "experiments", "gap8_scaling.yaml"),
                           out=str(tmp_path / "out"), jobs=1, use_cache=False, quiet=True)
    assert (df["golden"] == "bit-exact").all(), df["golden"].tolist()
    big = df[df["n"] == 16384].set_index("variant")
    assert (big.loc[["cores2", "cores4", "cores8"], "stall_tcdm_contention"] == 0).all()
    sp = big.loc["cores1", "cycles"] / big["cycles"]
    assert 1.8 < sp["cores2"] < sp["cores4"] < sp["cores8"] <= 8
    assert sp["cores8"] > 6
    assert big.loc["cores8_blocked", "stall_tcdm_contention"] > big.loc["cores8_blocked", "cycles"]
    assert sp["cores8_blocked"] < sp["cores8"] / 2
