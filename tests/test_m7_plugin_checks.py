"""Thumb-2 plug-ins on the Cortex-M7: load-time consistency of encoding fields vs declared
reads/writes/semantics (refused with one line naming file and instruction), the registers the cycle
model sees, and the begin_group cost knob."""
import textwrap

import pytest

from isasim.simulate import run_elf
from isasim.errors import IsasimError
from isasim.isa.registry import load_table
from isasim.toolchain.build import build_elf
from m7code import HEAD


def _plugin(tmp_path, body, name="p"):
    path = tmp_path / f"{name}.py"
    path.write_text("from isasim.plugins import Instr, cde\n" + textwrap.dedent(body))
    return str(path)


def _refused(path):
    with pytest.raises(IsasimError) as e:
        load_table("cm7", [path])
    msg = str(e.value)
    assert "\n" not in msg and path in msg
    return msg


CX2_PAIR = "111 0 1110 01 uimm[8:7] rn:4 rd:4 0 001 uimm[6] {d} uimm[5:0]"
BAD = {
    # D = 0 but Rd+1 declared written: the cycle model would not see the Rd+1 result
    "d0_writes_rd1": (f'''INSTRUCTIONS = [Instr("x.unpk", "rd, rn, uimm", "{CX2_PAIR.format(d=0)}", isa="thumb2",
        sem=lambda rn, uimm: (rn, rn), params={{"writes": ("rd", "rd1")}})]''', ["D = 0", "rd1"]),
    # D = 1 writes the pair, but the plug-in declares only rd
    "d1_without_rd1": (f'''INSTRUCTIONS = [Instr("x.unpk", "rd, rn, uimm", "{CX2_PAIR.format(d=1)}", isa="thumb2",
        sem=lambda rn, uimm: rn)]''', ["D = 1", "rd1"]),
    # an immediate where the CX3 form has its Rm register
    "imm_in_register_bits": ('''INSTRUCTIONS = [Instr("x.addi", "rd, rn, uimm", "111 0 1110 1 000 rn:4 uimm:4 0 000 0 0 00 rd:4",
        isa="thumb2", sem=lambda rn, uimm: rn + uimm)]''', ["uimm", "rm", "CX3"]),
    # an immediate over the coprocessor number
    "imm_over_coproc": ('''INSTRUCTIONS = [Instr("x.addi", "rd, rn, uimm", "111 0 1110 01 00 rn:4 rd:4 0 uimm[2:0] 0 0 000000",
        isa="thumb2", sem=lambda rn, uimm: rn + uimm)]''', ["coprocessor"]),
    # register fields not where the CX3 layout has them (Rd and Rm swapped)
    "registers_swapped": ('''INSTRUCTIONS = [Instr("x.dot", "rd, rn, rm", "111 0 1110 1 000 rn:4 rd:4 0 000 0 0 00 rm:4",
        isa="thumb2", sem=lambda rn, rm: rn * rm)]''', ["rd", "bits"]),
    # accumulate bit set, but the semantics does not read rd
    "acc_without_rd": ('''INSTRUCTIONS = [Instr("x.dot", "rd, rn, rm", cde.cx3(opc=3, acc=True), isa="thumb2",
        sem=lambda rn, rm: rn * rm)]''', ["A = 1", "rd"]),
    # the semantics reads rd (accumulates) but A = 0: the cycle model would not wait for rd
    "rd_without_acc": ('''INSTRUCTIONS = [Instr("x.dot", "rd, rn, rm", cde.cx3(opc=3, acc=False), isa="thumb2",
        sem=lambda rd, rn, rm: rd + rn * rm)]''', ["A = 0", "rd"]),
    "acc_and_dual": ('''INSTRUCTIONS = [Instr("x.dot", "rd, rn, rm", cde.cx3(opc=3, acc=True, dual=True), isa="thumb2",
        sem=lambda rd, rn, rm: (rd, rd), params={"writes": ("rd", "rd1")})]''', ["Rd+1"]),
    # more results than declared destinations
    "outputs_vs_writes": ('''INSTRUCTIONS = [Instr("x.two", "rd, rn, rm", cde.cx3(opc=3, acc=False), isa="thumb2",
        sem=lambda rn, rm: (rn, rm))]''', ["2 values", "writes"]),
    # writes a register the CDE form does not write
    "writes_rn": ('''INSTRUCTIONS = [Instr("x.inc", "rd, rn, rm", cde.cx3(opc=3, acc=False), isa="thumb2",
        sem=lambda rn, rm: (rn, rn + 1), params={"writes": ("rd", "rn")})]''', ["writes", "rn"]),
    # not a form that traps on the M7 (a Thumb-2 data-processing encoding)
    "not_cde": ('''INSTRUCTIONS = [Instr("x.add", "rd, rn, rm", "11101011 0000 rn:4 0000 rd:4 0000 rm:4", isa="thumb2",
        sem=lambda rn, rm: rn + rm)]''', ["CDE", "UDF"]),
    # an encoding field that is not in the syntax (spec check, also for Thumb-2)
    "field_not_in_syntax": ('''INSTRUCTIONS = [Instr("x.dot", "rd, rn", "111 0 1110 1 000 rn:4 rm:4 0 000 0 0 00 rd:4",
        isa="thumb2", sem=lambda rn: rn)]''', ["rm", "syntax"]),
    "bad_latency": ('''INSTRUCTIONS = [Instr("x.dot", "rd, rn, rm", cde.cx3(opc=3, acc=False), isa="thumb2",
        sem=lambda rn, rm: rn, cost={"latency": -1})]''', ["latency"]),
    "bad_resource": ('''INSTRUCTIONS = [Instr("x.dot", "rd, rn, rm", cde.cx3(opc=3, acc=False), isa="thumb2",
        sem=lambda rn, rm: rn, cost={"resource": "fpu"})]''', ["resource", "fpu"]),
    "bad_begin_group": ('''INSTRUCTIONS = [Instr("x.dot", "rd, rn, rm", cde.cx3(opc=3, acc=False), isa="thumb2",
        sem=lambda rn, rm: rn, cost={"dual_issue": True, "begin_group": "yes"})]''', ["begin_group"]),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_inconsistent_thumb2_plugin_is_refused(tmp_path, case):
    body, words = BAD[case]
    msg = _refused(_plugin(tmp_path, body, name=case))
    assert "x." in msg, msg                         # names the instruction
    assert all(w in msg for w in words), msg


def test_builtin_and_user_plugins_pass_the_checks():
    tab = load_table("cm7", ["qnn"])
    assert {i.name for i in tab.instrs} >= {"qnn.sdot4", "qnn.sdot2", "qnn.xnorpc", "qnn.unpk4"}


def _cpi(tmp_path, plugin, loop, name):
    """Cycles per iteration of ``loop`` (N = 8 vs 24 iterations), trace path == block path."""
    out = []
    for n in (8, 24):
        src = tmp_path / f"{name}.S"
        src.write_text(HEAD + f"  movs r0, #0\n  movs r1, #3\n  ldr r12, ={n}\n1:\n{loop}"
                       "  subs r12, r12, #1\n  bne 1b\n  bx lr\n  .pool\n")
        elf = build_elf("cm7", [str(src)], str(tmp_path / f"{name}_{n}.elf"), plugins=[plugin])
        res = run_elf(elf, "cm7", plugins=[plugin])
        tr = tmp_path / f"{name}_{n}.trace"
        traced = run_elf(elf, "cm7", plugins=[plugin], trace=str(tr))
        assert traced["cycles"] == res["cycles"]
        out.append((res, tr.read_text()))
    return (out[1][0]["cycles"] - out[0][0]["cycles"]) / 16, out[1]


PAIR_PLUGIN = f'''INSTRUCTIONS = [Instr("x.pair", "rd, rn, uimm", "{CX2_PAIR.format(d=1)}", isa="thumb2",
    sem=lambda rn, uimm: (rn, rn + 1), params={{"writes": ("rd", "rd1")}},
    cost={{"latency": 3, "resource": "alu", "dual_issue": False}})]'''


def test_rd_plus_1_dependency_enters_the_cycle_model(tmp_path):
    # c0 bne, c1 x.pair r2 (single-issue: not even beside the branch; r2/r3 ready at c4),
    # c4 add r0, r3 | subs, c5 = next c0  -> 5
    # (if the Rd+1 result were not seen: c1 x.pair, c2 add | subs, c3 = next c0 -> 3)
    plug = _plugin(tmp_path, PAIR_PLUGIN)
    cpi, (res, _) = _cpi(tmp_path, plug, "  x.pair r2, r1, #0\n  add r0, r0, r3\n", "pair")
    assert cpi == 5
    assert res["exit_code"] == 24 * 4 & 0xFF             # r0 += r1 + 1 each iteration


UDF_PLUGIN = '''INSTRUCTIONS = [Instr("x.udfinc", "rd, rn", "11110 111 1111 0000 1010 0000 rd:4 rn:4", isa="thumb2",
    sem=lambda rn: rn + 1, cost={"latency": 3, "resource": "alu", "dual_issue": False})]'''


def test_udf_plugin_registers_enter_the_cycle_model(tmp_path):
    # UDF.W has no register fields of its own: the plug-in's rd/rn are what the model must see.
    # c0 bne, c1 x.udfinc r2, r1 (single, r2 ready at c4), c4 add r0, r2 | subs, c5 = next c0 -> 5
    plug = _plugin(tmp_path, UDF_PLUGIN)
    cpi, (res, _) = _cpi(tmp_path, plug, "  x.udfinc r2, r1\n  add r0, r0, r2\n", "udf")
    assert cpi == 5
    assert res["exit_code"] == 24 * 4 & 0xFF


BG_PLUGIN = '''INSTRUCTIONS = [Instr("x.bg", "rd, rn, rm", cde.cx3(opc=4, coproc=5, acc=False), isa="thumb2",
    sem=lambda rn, rm: rn ^ rm, cost={"latency": 1, "resource": "alu", "dual_issue": True,
                                      "begin_group": BG})]'''


def test_begin_group_plugin_never_issues_as_the_younger(tmp_path):
    loop = "  nop\n  add r4, r4, #1\n  x.bg r2, r1, r1\n  add r5, r5, #1\n"
    # (the taken back-edge pairs with the nop at its target; a branch is never the younger op)
    # begin_group False: c0 bne | nop, c1 add | x.bg, c2 add | subs           -> 3 cycles/iteration
    free = _cpi(tmp_path, _plugin(tmp_path, BG_PLUGIN.replace("BG", "False"), "bg0"), loop, "bg0")
    # begin_group True: c0 bne | nop, c1 add, c2 x.bg (older) | add, c3 subs  -> 4 cycles/iteration
    lead = _cpi(tmp_path, _plugin(tmp_path, BG_PLUGIN.replace("BG", "True"), "bg1"), loop, "bg1")
    assert (free[0], lead[0]) == (3, 4)
    bg_lines = lambda trace: [l for l in trace.splitlines() if "x.bg" in l]   # noqa: E731
    assert all(l.split()[2] == "+" for l in bg_lines(free[1][1])[1:])   # the younger (after entry)
    assert bg_lines(lead[1][1]) and all(l.split()[2] != "+" for l in bg_lines(lead[1][1]))


def test_unpk4_declares_begin_group():
    ins = load_table("cm7", ["qnn"]).find("qnn.unpk4")[0]
    assert ins.cost.get("begin_group") is True
