"""Plug-in sets in one process never influence each other, and a plug-in cannot take a name that
already exists (issue 12 items 3 and 10)."""
import pytest

from isasim import build, run
from isasim.isa.registry import load_table
from isasim.plugins import PluginError
from isasim.report.plugin_listing import list_instructions

OTHER = '''from isasim.plugins import Instr
INSTRUCTIONS = [Instr("my.add3", "rd, rs1, rs2", "0000001 rs2 rs1 110 rd 0001011",
                      sem=lambda rs1, rs2: rs1 + rs2 + 3)]
'''
KERNEL = """  .text
  .globl main
main:
  li a1, 0x000000F0
  li a2, 0x00000010
  li a0, 0
  pv.sdotsp.n a0, a1, a2      # -1 * 1 (signed nibbles) = -1
  ret
"""


def test_three_plugin_sets_in_one_process(tmp_path):
    """['qnn'], then ['my.py', 'qnn'], then ['qnn'] again: the third run executed pv.sdotup.n
    (result 15) because the second table had rewritten the ids of the shared Instr objects."""
    (tmp_path / "my.py").write_text(OTHER)
    (tmp_path / "k.S").write_text(KERNEL)
    got = []
    for plugs in (["qnn"], [str(tmp_path / "my.py"), "qnn"], ["qnn"]):
        elf = build("ri5cy", [str(tmp_path / "k.S")], str(tmp_path / "k.elf"), plugins=plugs)
        r = run(elf, "ri5cy", plugins=plugs)
        got.append((r["exit_code"], sorted(k for k in r["op_counts"] if k.startswith("pv."))))
    assert got == [(-1, ["pv.sdotsp.n"])] * 3


def test_table_ids_are_per_table(tmp_path):
    (tmp_path / "my.py").write_text(OTHER)
    a = load_table("rv32", ["qnn"])
    load_table("rv32", [str(tmp_path / "my.py"), "qnn"])
    assert all(ins.id == i for i, ins in enumerate(a.instrs))


def test_edited_plugin_is_reread(tmp_path):
    f = tmp_path / "e.py"
    f.write_text(OTHER)
    assert load_table("rv32", [str(f)]).find("my.add3")
    f.write_text(OTHER.replace("my.add3", "my.add4"))
    t = load_table("rv32", [str(f)])
    assert t.find("my.add4") and not t.find("my.add3")


def test_same_plugin_twice_is_a_no_op(tmp_path):
    (tmp_path / "my.py").write_text(OTHER)
    p = str(tmp_path / "my.py")
    t = load_table("rv32", [p, p, str(tmp_path / "." / "my.py"), "qnn", "qnn"])
    assert len(t.find("my.add3")) == 1 and len(t.find("pv.sdotsp.n")) == 1


@pytest.mark.parametrize("src,isa,needle", [
    # same mnemonic and operand form as a built-in: the built-in would always win in the front end
    ('Instr("p.mac", "rd, rs1, rs2", "0000001 rs2 rs1 110 rd 0001011", sem=lambda rd, rs1, rs2: rd)',
     "rv32", "already defined by built-in ('p.mac rd, rs1, rs2')"),
    # a Thumb-2 mnemonic clang and capstone know
    ('Instr("smlad", "rd, rn, rm", cde.cx3(opc=5, coproc=0, acc=True), isa="thumb2", '
     'sem=lambda rd, rn, rm: rd)', "cm7", "Thumb-2 instruction the assembler already knows"),
])
def test_mnemonic_clash_refused(tmp_path, src, isa, needle):
    f = tmp_path / "c.py"
    f.write_text(f"from isasim.plugins import Instr, cde\nINSTRUCTIONS = [{src}]\n")
    with pytest.raises(PluginError, match="c.py") as e:
        load_table(isa, [str(f)])
    assert needle in str(e.value)


def test_two_plugins_same_mnemonic_refused(tmp_path):
    (tmp_path / "a.py").write_text(OTHER)
    (tmp_path / "b.py").write_text(OTHER.replace("0000001 rs2", "0000010 rs2"))
    with pytest.raises(PluginError) as e:
        load_table("rv32", [str(tmp_path / "a.py"), str(tmp_path / "b.py")])
    assert "b.py: my.add3" in str(e.value) and "a.py" in str(e.value)


def test_plugin_syntax_error_names_line(tmp_path):
    f = tmp_path / "s.py"
    f.write_text("from isasim.plugins import Instr\nINSTRUCTIONS = [\n")
    with pytest.raises(PluginError, match=r"s.py:2: cannot load plug-in: SyntaxError"):
        list_instructions([str(f)])
