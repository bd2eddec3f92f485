"""Issue 18 item 4 on RI5CY / GAP-8: the lane profile (run(..., lanes=True)) of the XpulpV2 dot
products and of plug-ins that declare their lanes. The expected counts are computed here from the
numpy inputs with a per-value reference (lane split, .sc/.sci replication, widths), not with the
simulator's code; cycles with lanes=True equal the fast path's."""
import os

import numpy as np
import pytest

from isasim.simulate import run_elf
from isasim.toolchain.build import build_elf

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INC = os.path.join(ROOT, "kernels_asm", "ri5cy", "include")
KDIR = os.path.join(ROOT, "kernels_asm", "ri5cy", "pulpnn")

# (mnemonic, lanes, bits, signed a, signed b, form, immediate of a .sci form)
FORMS = [("pv.sdotsp.b", 4, 8, True, True, "", None),
         ("pv.dotup.h", 2, 16, False, False, "", None),
         ("pv.dotusp.b", 4, 8, False, True, "", None),
         ("pv.sdotusp.h", 2, 16, False, True, "", None),
         ("pv.sdotup.b", 4, 8, False, False, "", None),
         ("pv.dotsp.h", 2, 16, True, True, "", None),
         ("pv.sdotsp.sc.b", 4, 8, True, True, "sc", None),
         ("pv.dotup.sc.h", 2, 16, False, False, "sc", None),
         ("pv.sdotsp.sci.h", 2, 16, True, True, "sci", -5),
         ("pv.dotup.sci.b", 4, 8, False, False, "sci", 37),
         ("pv.sdotusp.sci.b", 4, 8, False, True, "sci", -32)]
PLUGIN = ("pv.sdotsp.n", 8, 4, True, True, "", None)      # qnn plug-in, params lanes=8 x 4 bits


def _words(rng, n, bits):
    """n words whose lanes are often 0 (padding), else random, sometimes small."""
    L = 32 // bits
    out = []
    for _ in range(n):
        w = 0
        for i in range(L):
            u = rng.random()
            v = 0 if u < 0.3 else int(rng.integers(0, 4)) if u < 0.5 else int(rng.integers(0, 1 << bits))
            w |= v << (i * bits)
        out.append(w)
    return out


def _value(w, i, bits, signed):
    v = (w >> (i * bits)) & ((1 << bits) - 1)
    return v - (1 << bits) if signed and v >> (bits - 1) else v


def _width(v, signed):
    if v == 0:
        return 0
    return ((v if v >= 0 else ~v).bit_length() + 1) if signed else v.bit_length()


def _expected(spec, A, B):
    name, L, bits, sa, sb, form, imm = spec
    r = {"executions": len(A), "lanes": L, "lane_bits": bits, "useful": 0, "zero": 0,
         "width": {"a": {}, "b": {}}}
    for a, b in zip(A, B):
        if form == "sc":
            b = b & ((1 << bits) - 1)
        elif form == "sci":
            b = imm & ((1 << bits) - 1)
        if form:
            b = sum(b << (i * bits) for i in range(L))
        for i in range(L):
            x, y = _value(a, i, bits, sa), _value(b, i, bits, sb)
            r["useful" if x and y else "zero"] += 1
            for k, v, sg in (("a", x, sa), ("b", y, sb)):
                wd = _width(v, sg)
                r["width"][k][wd] = r["width"][k].get(wd, 0) + 1
    for k in ("a", "b"):
        r["width"][k] = dict(sorted(r["width"][k].items()))
    return name, r


@pytest.fixture(scope="module")
def prog(tmp_path_factory):
    """Every form on N operand pairs; rd = rs1 (the accumulating forms: the operand a is the value
    before the instruction overwrites it) or rd = rs2 for the plug-in."""
    rng = np.random.default_rng(18)
    N = 24
    d = tmp_path_factory.mktemp("lanes")
    data, code, exp = [], [], {}
    for k, spec in enumerate(FORMS + [PLUGIN]):
        name, L, bits, sa, sb, form, imm = spec
        A, B = _words(rng, N, bits), _words(rng, N, bits)
        data += [f"A{k}: .word " + ", ".join(map(str, A)), f"B{k}: .word " + ", ".join(map(str, B))]
        code += [f"  la s2, A{k}", f"  la s3, B{k}"]
        for j in range(N):
            code += [f"  lw a2, {4 * j}(s2)", f"  lw a3, {4 * j}(s3)"]
            if spec is PLUGIN:
                code.append(f"  {name} a3, a2, a3")          # rd = rs2
            elif form == "sci":
                code.append(f"  {name} a2, a2, {imm}")       # rd = rs1
            else:
                code.append(f"  {name} a2, a2, a3")          # rd = rs1
            code.append("  add a4, a4, a2")
        n, r = _expected(spec, A, B)
        exp[n] = r
    src = d / "lanes.S"
    src.write_text("  .data\n  .align 2\n" + "\n".join(data) + "\n  .text\n  .globl main\nmain:\n"
                   + "\n".join(code) + "\n  li a0, 0\n  ret\n")
    elf = build_elf("ri5cy", [str(src)], str(d / "lanes.elf"), plugins=["qnn"])
    return elf, exp


def test_hand_made_program_gives_the_counts_computed_from_the_inputs(prog):
    elf, exp = prog
    fast = run_elf(elf, "ri5cy", plugins=["qnn"])
    r = run_elf(elf, "ri5cy", plugins=["qnn"], lanes=True)
    assert r["lanes"] == exp
    for k in ("cycles", "instructions", "stalls", "energy_uj", "op_counts"):
        assert r[k] == fast[k], k
    # some lanes of each kind: the test can tell useful from zero and widths apart
    assert all(0 < e["useful"] < e["executions"] * e["lanes"] for e in exp.values())
    assert "lanes" not in fast


def test_lanes_with_trace_and_profile_and_on_the_cluster(prog, tmp_path):
    """The lane profile is the same with a trace and a profile on, and on a 1-core cluster."""
    elf, exp = prog
    r = run_elf(elf, "ri5cy", plugins=["qnn"], lanes=True, profile=True,
                trace=str(tmp_path / "t.log"))
    assert r["lanes"] == exp
    c = run_elf(elf, "gap8", cores=1, plugins=["qnn"], lanes=True)
    f = run_elf(elf, "gap8", cores=1, plugins=["qnn"])
    assert c["lanes"] == exp and c["cycles"] == f["cycles"] and c["stalls"] == f["stalls"]


def test_python_path_plugin_operands_read_before_it_runs(tmp_path):
    """A plug-in on the Python path (params python=True) with lanes: its operands are read before
    the core executes it (rd = rs1)."""
    plug = tmp_path / "pyl.py"
    plug.write_text(
        "from isasim.plugins import Instr\n"
        "INSTRUCTIONS = [Instr('p.pydot', 'rd, rs1, rs2', '0000000 rs2 rs1 110 rd 0001011',\n"
        "    sem=lambda rs1, rs2: ((rs1 & 0xFFFF) * (rs2 & 0xFFFF)) & 0xFFFFFFFF,\n"
        "    timing='alu', cost={'latency': 1},\n"
        "    params={'python': True, 'lanes': 2, 'lane_bits': 16, 'signed': (False, False)})]\n")
    src = tmp_path / "p.S"
    src.write_text("  .text\n  .globl main\nmain:\n  li a2, 0x00050000\n  li a3, 0x00070003\n"
                   "  p.pydot a2, a2, a3\n  li a2, 0x00010002\n  p.pydot a2, a2, a3\n"
                   "  li a0, 0\n  ret\n")
    elf = build_elf("ri5cy", [str(src)], str(tmp_path / "p.elf"), plugins=[str(plug)])
    r = run_elf(elf, "ri5cy", plugins=[str(plug)], lanes=True)
    e = r["lanes"]["p.pydot"]
    # (0x0000, 0x0003), (0x0005, 0x0007); (0x0002, 0x0003), (0x0001, 0x0007)
    assert (e["executions"], e["useful"], e["zero"]) == (2, 3, 1)
    assert e["width"] == {"a": {0: 1, 1: 1, 2: 1, 3: 1}, "b": {2: 2, 3: 2}}


def test_pulpnn_kernel_on_gap8(tmp_path):
    """A PULP-NN u8 x i8 kernel on 8 cores: every pv.sdotusp.b execution is counted, the lane
    counts add up, the padding of the 3x3 window shows as zero lanes, and the cycles are the
    fast path's."""
    import sys
    sys.path.insert(0, os.path.join(ROOT, "experiments", "bruschi2020"))
    import bruschi2020_kernels as K
    from isasim.experiments import runner
    shape = dict(ih=5, iw=5, ci=16, co=8, k=3, pad=1, stride=1)
    pt = {"experiment": "rvp_lanes", "params": dict(act_bits=8, wgt_bits=8, out_bits=8,
                                                      isa="xpulpv2", shape=shape, im2col_skew=0),
          "variant": {"id": "u8", "target": "gap8", "cores": 8, "plugins": [],
                      "sources": [os.path.join(KDIR, "pulp_nn_conv.c"),
                                  K.kernel_path(8, 8, 8, "xpulpv2")],
                      "include": [INC, KDIR]},
          "generator": "bruschi2020_workload:conv_layer", "sweep": {},
          "config_dir": os.path.join(ROOT, "experiments", "bruschi2020")}
    fast = runner.run_point(pt, use_cache=False)
    row = runner.run_point({**pt, "lanes": True}, use_cache=False)
    assert row["golden"] == fast["golden"] == "bit-exact"
    assert row["cycles"] == fast["cycles"] and row["core_cycles"] == fast["core_cycles"]
    import json
    lanes = json.loads(row["lanes"])
    ops = json.loads(row["op_counts"])
    assert set(lanes) == {m for m in ops if m.startswith(("pv.dot", "pv.sdot"))} != set()
    for m, e in lanes.items():
        assert e["executions"] == ops[m]
        assert e["useful"] + e["zero"] == e["executions"] * e["lanes"]
        assert sum(e["width"]["a"].values()) == sum(e["width"]["b"].values()) == \
            e["executions"] * e["lanes"]
    assert 0 < row["lane_useful_pct"] < 100
