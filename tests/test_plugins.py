"""Plug-in instructions: built-in QNN set bit-exact vs numpy on both ISAs, a user plug-in from a
temporary directory on both cores with its declared latency visible in the cycle count, and the
one-line refusals (malformed, overlapping, raising, not compilable)."""
import textwrap

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from isasim.cli import main
from isasim.simulate import run_elf
from isasim.cores.ri5cy.core import RI5CY, L2_BASE
from isasim.elf import Program
from isasim.isa.registry import load_table
from isasim.toolchain.build import build_elf
from m7code import HEAD

U32 = st.one_of(st.integers(0, 0xFFFFFFFF),
                st.sampled_from([0, 0xFFFFFFFF, 0x88888888, 0x77777777, 0xAAAAAAAA, 0x55555555,
                                 0x80808080, 0x7F7F7F7F, 0x11111111]))


def lanes(x, bits, signed):
    """numpy reference: lanes of a 32-bit word, lane 0 least significant."""
    v = (np.uint64(x) >> (np.arange(32 // bits, dtype=np.uint64) * np.uint64(bits))) \
        & np.uint64((1 << bits) - 1)
    v = v.astype(np.int64)
    return np.where(v >= (1 << (bits - 1)), v - (1 << bits), v) if signed else v


REF = {
    "pv.sdotsp.n": lambda d, a, b: d + int(lanes(a, 4, True) @ lanes(b, 4, True)),
    "pv.sdotup.n": lambda d, a, b: d + int(lanes(a, 4, False) @ lanes(b, 4, False)),
    "pv.sdotsp.c": lambda d, a, b: d + int(lanes(a, 2, True) @ lanes(b, 2, True)),
    "pv.sdotup.c": lambda d, a, b: d + int(lanes(a, 2, False) @ lanes(b, 2, False)),
    "pv.xnorpopc": lambda d, a, b: d + bin(~(a ^ b) & 0xFFFFFFFF).count("1"),
}
EXIT = (0x05D00893).to_bytes(4, "little") + (0x00000073).to_bytes(4, "little")   # li a7,93; ecall
TABLE = load_table("rv32", ["qnn"])


@pytest.mark.parametrize("name", sorted(REF))
@settings(max_examples=150, deadline=None)
@given(a=U32, b=U32, d=U32)
def test_rv_builtin_qnn_bit_exact(name, a, b, d):
    ins = TABLE.by_name[name][0]
    code = ins.encode({"rd": 10, "rs1": 11, "rs2": 12}).to_bytes(4, "little") + EXIT
    core = RI5CY(Program.from_code(code, L2_BASE), plugins=["qnn"])
    core.R[10], core.R[11], core.R[12] = d, a, b
    res = core.run(max_instructions=10)
    assert res == REF[name](d, a, b) & 0xFFFFFFFF


THUMB_KERNEL = HEAD + """  push {r4-r7, lr}
  ldr r0, =ops
  ldr r1, =res
  movs r3, #N
1:
  ldr r4, [r0], #4
  ldr r5, [r0], #4
  ldr r2, [r0], #4
  INSN
  str r2, [r1], #4
  subs r3, r3, #1
  bne 1b
  movs r0, #0
  pop {r4-r7, pc}
  .pool
  .data
  .balign 4
ops:
OPS
res: .space 4*N
"""

THUMB_REF = {
    "qnn.sdot4 r2, r4, r5": lambda d, a, b: d + int(lanes(a, 4, True) @ lanes(b, 4, True)),
    "qnn.sdot2 r2, r4, r5": lambda d, a, b: d + int(lanes(a, 2, True) @ lanes(b, 2, True)),
    "qnn.xnorpc r2, r4, r5": lambda d, a, b: d + bin(~(a ^ b) & 0xFFFFFFFF).count("1"),
}


def _thumb_run(tmp_path, insn, triples):
    body = "\n".join(f"  .4byte {a}, {b}, {d}" for a, b, d in triples)
    src = tmp_path / "k.S"
    src.write_text(THUMB_KERNEL.replace("INSN", insn).replace("OPS", body)
                   .replace("N", str(len(triples))))
    elf = build_elf("cm7", [str(src)], str(tmp_path / "k.elf"), plugins=["qnn"])
    res = run_elf(elf, "cm7", plugins=["qnn"], read_symbols={"res": 4 * len(triples)})
    assert res["exit_code"] == 0
    return np.frombuffer(res["memory"]["res"], dtype=np.uint32)


@pytest.mark.parametrize("insn", sorted(THUMB_REF))
@settings(max_examples=4, deadline=None)
@given(triples=st.lists(st.tuples(U32, U32, U32), min_size=16, max_size=48))
def test_thumb_builtin_qnn_bit_exact(tmp_path_factory, insn, triples):
    got = _thumb_run(tmp_path_factory.mktemp("t"), insn, triples)
    want = [THUMB_REF[insn](d, a, b) & 0xFFFFFFFF for a, b, d in triples]
    assert list(got) == want


def test_thumb_unpack_helper(tmp_path):
    """qnn.unpk4: nibbles of one half of rn -> two registers of 2 x int16, ready for SMLAD."""
    src = tmp_path / "u.S"
    src.write_text(HEAD + """  push {r4-r7, lr}
  ldr r1, =0x8F71A29C
  qnn.unpk4 r4, r1, #0
  qnn.unpk4 r6, r1, #1
  ldr r0, =res
  stm r0, {r4-r7}
  movs r0, #0
  pop {r4-r7, pc}
  .pool
  .data
res: .space 16
""")
    elf = build_elf("cm7", [str(src)], str(tmp_path / "u.elf"), plugins=["qnn"])
    res = run_elf(elf, "cm7", plugins=["qnn"], read_symbols={"res": 16}, trace=str(tmp_path / "t.log"))
    assert "qnn.unpk4 r4, r1, 0" in (tmp_path / "t.log").read_text()     # traces show plug-in names
    got = np.frombuffer(res["memory"]["res"], dtype=np.int16)
    assert list(got) == list(lanes(0x8F71A29C, 4, True))      # lanes in order, sign-extended
    assert res["plugin_counts"] == {"qnn.unpk4": 2}


USER_PLUGIN = textwrap.dedent('''
    from isasim.plugins import Instr, cde
    from isasim.isa.helpers import s32

    def absdiff(a, b):
        d = s32(a) - s32(b)
        return -d if d < 0 else d

    INSTRUCTIONS = [
        Instr("p.absdiff", "rd, rs1, rs2", "0000000 rs2 rs1 011 rd 0001011",
              sem=lambda rs1, rs2: absdiff(rs1, rs2), cost={"latency": LAT}),
        Instr("my.absdiff", "rd, rn, rm", cde.cx3(opc=9, coproc=3, acc=False), isa="thumb2",
              sem=lambda rn, rm: absdiff(rn, rm),
              cost={"latency": LAT, "occupancy": LAT, "resource": "alu", "dual_issue": False}),
    ]
''')


def _user_run(tmp_path, lat):
    d = tmp_path / f"lat{lat}"
    d.mkdir()
    plug = d / "absdiff_plugin.py"
    plug.write_text(USER_PLUGIN.replace("LAT", str(lat)))
    rv = d / "rv.S"
    rv.write_text("  .text\n  .globl main\nmain:\n  li a1, 3\n  li a2, 10\n"
                  "  lp.setupi x0, 20, 1f\n  nop\n1: p.absdiff a0, a1, a2\n  ret\n")
    m7 = d / "m7.S"
    m7.write_text("  .syntax unified\n  .thumb\n  .text\n  .globl main\n  .type main, %function\n"
                  "  .thumb_func\nmain:\n  movs r1, #3\n  movs r2, #10\n  movs r3, #20\n"
                  "1:\n  my.absdiff r0, r1, r2\n  subs r3, r3, #1\n  bne 1b\n  bx lr\n")
    out = {}
    for tgt, src in (("ri5cy", rv), ("cm7", m7)):
        elf = build_elf(tgt, [str(src)], str(d / f"{tgt}.elf"), plugins=[str(plug)])
        out[tgt] = run_elf(elf, tgt, plugins=[str(plug)])
        assert out[tgt]["exit_code"] == 7, tgt
        log = d / f"{tgt}.trace"
        traced = run_elf(elf, tgt, plugins=[str(plug)], trace=str(log))
        assert traced["cycles"] == out[tgt]["cycles"]          # trace path = fast path
        assert ("p.absdiff a0, a1, a2" if tgt == "ri5cy" else "my.absdiff r0, r1, r2") in log.read_text()
    return out


def test_user_plugin_both_cores_latency_visible(tmp_path):
    fast, slow = _user_run(tmp_path, 1), _user_run(tmp_path, 5)
    # RI5CY: 20 executions, each 4 cycles more
    assert slow["ri5cy"]["cycles"] - fast["ri5cy"]["cycles"] == 20 * 4
    # Cortex-M7: the declared latency/occupancy enter the cycle model
    assert slow["cm7"]["cycles"] > fast["cm7"]["cycles"] + 20 * 3
    assert fast["cm7"]["plugin_counts"] == {"my.absdiff": 20}


BAD = {
    "malformed": ('from isasim.plugins import Instr\nINSTRUCTIONS = [Instr("p.bad", "rd, rs1", '
                  '"000000 rs1 011 rd 0001011", sem=lambda rs1: rs1)]\n', "malformed instruction"),
    "overlap": ('from isasim.plugins import Instr\nINSTRUCTIONS = [Instr("p.mydot", "rd, rs1, rs2", '
                '"1011100 rs2 rs1 001 rd 1010111", sem=lambda rs1, rs2: rs1)]\n', "overlaps pv.sdotsp.b"),
    "raising": ('from isasim.plugins import Instr\nINSTRUCTIONS = [Instr("p.div0", "rd, rs1, rs2", '
                '"0000000 rs2 rs1 011 rd 0001011", sem=lambda rs1, rs2: rs1 // (rs2 - rs2))]\n',
                "semantics raised ZeroDivisionError"),
    "uncompilable": ('from isasim.plugins import Instr\nINSTRUCTIONS = [Instr("p.dict", "rd, rs1, rs2", '
                     '"0000000 rs2 rs1 011 rd 0001011", sem=lambda rs1, rs2: rs1.bit_length() + rs2)]\n',
                     "cannot be compiled"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_plugin_one_line_error(tmp_path, capsys, case):
    text, needle = BAD[case]
    f = tmp_path / f"{case}_plugin.py"
    f.write_text(text)
    code = main(["plugins", "list", "--plugin", str(f)])
    err = capsys.readouterr().err.strip()
    assert code != 0
    assert len(err.splitlines()) == 1, err
    assert str(f) in err and needle in err, err


def test_plugins_list_shows_builtins(capsys):
    assert main(["plugins", "list", "--plugin", "qnn"]) == 0
    out = capsys.readouterr().out
    for n in ("pv.sdotsp.b", "pv.sdotsp.n", "pv.xnorpopc", "qnn.sdot4", "qnn.unpk4"):
        assert n in out


SLOW_PLUGIN = '''
from isasim.plugins import Instr
INSTRUCTIONS = [Instr("p.bitlen", "rd, rs1, rs2", "0000000 rs2 rs1 011 rd 0001011",
                      sem=lambda rs1, rs2: rs1.bit_length() + rs2, params={"python": True},
                      cost={"latency": 3})]
'''


def test_python_path_plugin_on_request(tmp_path):
    """A semantics numba cannot compile runs on the slower Python path when the description asks
    for it (params={"python": True}), with its declared latency and in traces."""
    plug = tmp_path / "slow_plugin.py"
    plug.write_text(SLOW_PLUGIN)
    src = tmp_path / "s.S"
    src.write_text("  .text\n  .globl main\nmain:\n  li a1, 1000\n  li a2, 5\n  li a3, 10\n"
                   "1:\n  p.bitlen a0, a1, a2\n  addi a3, a3, -1\n  bnez a3, 1b\n  ret\n")
    elf = build_elf("ri5cy", [str(src)], str(tmp_path / "s.elf"), plugins=[str(plug)])
    res = run_elf(elf, "ri5cy", plugins=[str(plug)])
    assert res["exit_code"] == 1000 .bit_length() + 5
    assert res["op_counts"]["p.bitlen"] == 10
    traced = run_elf(elf, "ri5cy", plugins=[str(plug)], trace=str(tmp_path / "t.log"))
    assert traced["cycles"] == res["cycles"] and traced["instructions"] == res["instructions"]
    assert (tmp_path / "t.log").read_text().count("p.bitlen a0, a1, a2") == 10
    fast = tmp_path / "fast_plugin.py"          # same instruction, latency 1
    fast.write_text(SLOW_PLUGIN.replace('"latency": 3', '"latency": 1'))
    elf1 = build_elf("ri5cy", [str(src)], str(tmp_path / "f.elf"), plugins=[str(fast)])
    res1 = run_elf(elf1, "ri5cy", plugins=[str(fast)])
    assert res["cycles"] - res1["cycles"] == 10 * 2      # declared latency, 10 executions


MACLOAD_PLUGIN = '''
from isasim.plugins import Instr
from isasim.isa.helpers import dot
INSTRUCTIONS = [
    # fused MAC-and-load: rd += dot4(Mem32[rs1], rs2); rs1 += 4  (memory through params["load"])
    Instr("p.mlsdot", "rd, rs1, rs2", "0000001 rs2 rs1 110 rd 0001011",
          sem=lambda rd, rs2, mem: rd + dot(mem, rs2, 8, True, True),
          params={"load": {"size": 4, "post_increment": 4}, "macs": 4}),
    # two destinations: rd = rs1 + rs2, rs1 = rs1 - rs2
    Instr("p.addsub", "rd, rs1, rs2", "0000010 rs2 rs1 110 rd 0001011",
          sem=lambda rs1, rs2: (rs1 + rs2, rs1 - rs2), params={"writes": ("rd", "rs1")}),
]
'''


def test_plugin_memory_access_and_two_destinations(tmp_path):
    plug = tmp_path / "mac_load_plugin.py"
    plug.write_text(MACLOAD_PLUGIN)
    src = tmp_path / "m.S"
    src.write_text("""  .text
  .globl main
main:
  la   a1, vec
  li   a2, 0x01010101
  li   a0, 0
  p.mlsdot a0, a1, a2       /* 1+2+3+4 */
  p.mlsdot a0, a1, a2       /* + (-1)*4 */
  la   t0, vec + 8
  bne  a1, t0, 1f           /* rs1 post-incremented twice */
  li   t1, 50
  li   t2, 8
  p.addsub t3, t1, t2       /* t3 = 58, t1 = 42 */
  add  a0, a0, t3
  add  a0, a0, t1           /* 6 + 58 + 42 */
  ret
1: li a0, 255
  ret
  .data
  .balign 4
vec: .byte 1, 2, 3, 4, 255, 255, 255, 255
""")
    elf = build_elf("ri5cy", [str(src)], str(tmp_path / "m.elf"), plugins=[str(plug)])
    res = run_elf(elf, "ri5cy", plugins=[str(plug)])
    assert res["exit_code"] == 6 + 58 + 42
    assert res["op_counts"]["p.mlsdot"] == 2 and res["loads"] >= 2


def test_thumb_plugin_memory_access(tmp_path):
    """The same load API on the Cortex-M7: mem = Mem32[rn], rn post-incremented."""
    plug = tmp_path / "m7_load_plugin.py"
    plug.write_text('''
from isasim.plugins import Instr, cde
from isasim.isa.helpers import dot
INSTRUCTIONS = [Instr("my.mlsdot", "rd, rn, rm", cde.cx3(opc=7, coproc=2, acc=True), isa="thumb2",
                      sem=lambda rd, rm, mem: rd + dot(mem, rm, 8, True, True),
                      params={"load": {"size": 4, "post_increment": 4}},
                      cost={"latency": 2, "resource": "load"})]
''')
    src = tmp_path / "t.S"
    src.write_text("""  .syntax unified
  .thumb
  .text
  .globl main
  .type main, %function
  .thumb_func
main:
  ldr r1, =vec
  ldr r2, =0x01010101
  movs r0, #0
  my.mlsdot r0, r1, r2
  my.mlsdot r0, r1, r2
  ldr r3, =vec + 8
  cmp r1, r3
  bne 1f
  bx lr
1: movs r0, #255
  bx lr
  .pool
  .data
  .balign 4
vec: .byte 1, 2, 3, 4, 255, 255, 255, 255
""")
    elf = build_elf("cm7", [str(src)], str(tmp_path / "t.elf"), plugins=[str(plug)])
    res = run_elf(elf, "cm7", plugins=[str(plug)])
    assert res["exit_code"] == 6 and res["plugin_counts"] == {"my.mlsdot": 2}
