"""Plug-in instructions executed by the compiled trap handlers (isasim.cores.cm7.native, issue 19
item 1): the same results, cycles and counts as the Python trap handlers and the trace path, the
same one-line errors, and the Python handlers for what the compiled ones do not execute."""
import random
import textwrap

import pytest

from isasim.errors import SimError
from isasim.platforms import stm32h7
from isasim.toolchain.build import build_elf
from m7code import HEAD

N = 64


def _data(seed):
    rnd = random.Random(seed)
    edge = [0, 1, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0x88888888, 0x77777777, 0x0F0F0F0F]
    return edge + [rnd.getrandbits(32) for _ in range(N - len(edge))]


def _kernel(tmp_path, insn, name, plugins, two_results=False):
    """out[i] = insn applied to (acc = out seed, a[i], b[i]) for N operand pairs."""
    a, b = _data(1), _data(2)
    store = "  str r6, [r3], #4\n  str r7, [r3], #4\n" if two_results else "  str r6, [r3], #4\n"
    body = (f"  push {{r4-r7, lr}}\n  ldr r0, =va\n  ldr r1, =vb\n  ldr r3, =out\n  movs r2, #{N}\n"
            "  ldr r6, =0x12345678\n1:\n  ldr r4, [r0], #4\n  ldr r5, [r1], #4\n"
            f"  {insn}\n{store}  subs r2, r2, #1\n  bne 1b\n  movs r0, #0\n  pop {{r4-r7, pc}}\n"
            "  .pool\n  .data\n  .balign 4\nva: .word " + ", ".join(map(str, a)) +
            "\nvb: .word " + ", ".join(map(str, b)) +
            f"\n  .globl out\nout: .space {8 * N}\n")
    src = tmp_path / f"{name}.S"
    src.write_text(HEAD + body)
    elf = str(tmp_path / f"{name}.elf")
    build_elf("cm7", [str(src)], elf, plugins=plugins)
    return elf


CASES = {
    "sdot4": ("qnn.sdot4 r6, r4, r5", False),
    "sdot2": ("qnn.sdot2 r6, r4, r5", False),
    "xnorpc": ("qnn.xnorpc r6, r4, r5", False),
    "unpk4_lo": ("qnn.unpk4 r6, r4, #0", True),
    "unpk4_hi": ("qnn.unpk4 r6, r4, #1", True),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_native_equals_python_traps_and_trace(tmp_path, case):
    insn, two = CASES[case]
    elf = _kernel(tmp_path, insn, case, ["qnn"], two)
    kw = dict(plugins=["qnn"], read_symbols={"out": 8 * N}, profile=True)
    native = stm32h7.run(elf, **kw)
    python = stm32h7.run(elf, native_traps=False, **kw)
    trace = stm32h7.run(elf, trace=str(tmp_path / "t.log"), **kw)
    for r in (python, trace):
        for k in ("memory", "cycles", "instructions", "stalls", "dual_issued", "plugin_counts",
                  "macs", "energy_uj", "profile"):
            assert native[k] == r[k], k
    assert native["plugin_counts"] == {f"qnn.{case.split('_')[0]}": N}


def test_every_builtin_plugin_instruction_runs_compiled():
    # qnn.unpk4's semantics calls a helper inside a list comprehension (its own code object):
    # the compiled copy must find it (it did not: unpk4 fell back to the Python handler)
    from isasim.cores.cm7.native import plugin_module
    from isasim.isa.registry import load_table
    table = load_table("cm7", ["qnn"])
    _, native = plugin_module(table, ["qnn"])
    assert sorted(i.name for i in native) == sorted(i.name for i in table.instrs[table.n_builtin:])


RAISES = '''
from isasim.plugins import Instr, cde
def _sem(rn, rm):
    if rn == 0x12345:
        raise ValueError("operand 0x12345 is not supported")
    return rn + rm
INSTRUCTIONS = [Instr("x.chk", "rd, rn, rm", cde.cx3(opc=5, coproc=3, acc=False), isa="thumb2",
    sem=_sem, cost={"latency": 1, "resource": "alu", "dual_issue": True})]
'''


def test_semantics_error_is_the_python_error(tmp_path):
    plug = tmp_path / "chk.py"
    plug.write_text(textwrap.dedent(RAISES))
    src = tmp_path / "k.S"
    src.write_text(HEAD + "  ldr r1, =0x100\n  movs r2, #1\n  x.chk r0, r1, r2\n  ldr r1, =0x12345\n"
                   "  x.chk r0, r1, r2\n  bx lr\n  .pool\n")
    elf = str(tmp_path / "k.elf")
    build_elf("cm7", [str(src)], elf, plugins=[str(plug)])
    msgs = []
    for native in (True, False):
        with pytest.raises(SimError) as e:
            stm32h7.run(elf, plugins=[str(plug)], native_traps=native)
        msgs.append(str(e.value))
    assert msgs[0] == msgs[1] and "\n" not in msgs[0]
    assert "x.chk" in msgs[0] and "operand 0x12345 is not supported" in msgs[0]


MIXED = '''
from isasim.plugins import Instr, cde
INSTRUCTIONS = [
    Instr("x.nat", "rd, rn, rm", cde.cx3(opc=1, coproc=3, acc=True), isa="thumb2",
          sem=lambda rd, rn, rm: rd + (rn ^ rm), cost={"latency": 1, "resource": "alu", "dual_issue": True}),
    Instr("x.py", "rd, rn, rm", cde.cx3(opc=2, coproc=3, acc=True), isa="thumb2",
          sem=lambda rd, rn, rm: rd + int(bin(rn & rm).count("1")), params={"python": True},
          cost={"latency": 2, "resource": "alu", "dual_issue": True}),
    Instr("x.udf", "rd, rn", "11110 111 1111 0000 1010 0000 rd:4 rn:4", isa="thumb2",
          sem=lambda rn: (rn * 3) & 0xFFFF, cost={"latency": 1, "resource": "alu", "dual_issue": False}),
]
'''


def test_python_only_and_udf_plugins(tmp_path):
    # x.py is marked python (and uses str methods numba does not compile): the Python handler runs
    # it; x.nat (CDE) and x.udf (UDF.W) run natively. Results and cycles as with Python traps only.
    plug = tmp_path / "mixed.py"
    plug.write_text(textwrap.dedent(MIXED))
    src = tmp_path / "k.S"
    src.write_text(HEAD + "  movs r0, #0\n  ldr r1, =0x00F0F0F3\n  ldr r2, =0x0FF00FF1\n  movs r3, #10\n"
                   "1:\n  x.nat r0, r1, r2\n  x.py r0, r1, r2\n  x.udf r4, r0\n  add r0, r0, r4\n"
                   "  subs r3, r3, #1\n  bne 1b\n  bx lr\n  .pool\n")
    elf = str(tmp_path / "k.elf")
    build_elf("cm7", [str(src)], elf, plugins=[str(plug)])
    from isasim.cores.cm7.native import plugin_module
    from isasim.isa.registry import load_table
    _, native = plugin_module(load_table("cm7", [str(plug)]), [str(plug)])
    assert sorted(i.name for i in native) == ["x.nat", "x.udf"]
    a = stm32h7.run(elf, plugins=[str(plug)])
    b = stm32h7.run(elf, plugins=[str(plug)], native_traps=False)
    r0 = 0
    for _ in range(10):                       # independent model of the loop
        r0 = (r0 + (0x00F0F0F3 ^ 0x0FF00FF1)) & 0xFFFFFFFF
        r0 = (r0 + bin(0x00F0F0F3 & 0x0FF00FF1).count("1")) & 0xFFFFFFFF
        r0 = (r0 + ((r0 * 3) & 0xFFFF)) & 0xFFFFFFFF
    assert (a["exit_code"] & 0xFFFFFFFF) == (b["exit_code"] & 0xFFFFFFFF) == r0
    assert a["plugin_counts"] == b["plugin_counts"] == {"x.nat": 10, "x.py": 10, "x.udf": 10}
    assert (a["cycles"], a["stalls"]) == (b["cycles"], b["stalls"])
