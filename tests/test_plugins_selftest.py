"""isasim plugins test: a plug-in instruction alone against a reference function on its core, so
a lane-swapping bug is caught (end-to-end golden checks missed it when the same permutation hit
weights and activations)."""
import pytest

from isasim.cli import main as cli_main

SWAPPED = '''from isasim.plugins import Instr, cde
from isasim.isa.helpers import dot, lane

def unpk2(rn):
    """four signed crumbs of rn[7:0] -> (c0, c1) and (c2, c3) as 2 x int16 lanes each"""
    c = [lane(rn, i, 2, True) & 0xFFFF for i in range(4)]
    return (c[0] << 16) | c[1], (c[3] << 16) | c[2]       # BUG: first pair's lanes swapped

def ref_unpk2(rn):
    c = [lane(rn, i, 2, True) & 0xFFFF for i in range(4)]
    return (c[1] << 16) | c[0], (c[3] << 16) | c[2]

def ref_dot(rd, rs1, rs2):
    return rd + sum(lane(rs1, i, 4, True) * lane(rs2, i, 4, True) for i in range(8))

INSTRUCTIONS = [
    Instr("my.unpk2", "rd, rn", "111 0 1110 01 00 rn:4 rd:4 0 010 0 1 000000", isa="thumb2",
          sem=unpk2, params={"writes": ("rd", "rd1")},
          cost={"latency": 1, "resource": "simd", "dual_issue": True}),
    Instr("my.dot4", "rd, rs1, rs2", "1011110 rs2 rs1 010 rd 1010111",
          sem=lambda rd, rs1, rs2: rd + dot(rs1, rs2, 4, True, True)),
]
REFERENCES = {"my.unpk2": ref_unpk2, "my.dot4": ref_dot}
'''


def cli(capsys, *argv):
    rc = cli_main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def test_builtin_qnn_instructions_pass(capsys):
    rc, out, err = cli(capsys, "plugins", "test", "qnn", "--samples", "30")
    assert rc == 0, err
    assert "qnn.unpk4" in out and "pv.sdotsp.n" in out and "cases passed" in out


def test_swapped_lane_is_caught(tmp_path, capsys):
    f = tmp_path / "swap.py"
    f.write_text(SWAPPED)
    rc, out, err = cli(capsys, "plugins", "test", str(f), "--samples", "20")
    assert rc == 4, (out, err)
    assert "my.unpk2 on cm7" in err and "rn=0x" in err and "the reference" in err
    assert "my.dot4" in out and "OK (reference: REFERENCES)" in out     # ran first, passed


def test_external_reference_and_own_sem(tmp_path, capsys, monkeypatch):
    f = tmp_path / "swap.py"
    f.write_text(SWAPPED.replace("REFERENCES = ", "_UNUSED = "))
    # without a reference the instruction is checked against its own sem: the cores agree with it
    rc, out, err = cli(capsys, "plugins", "test", str(f), "--samples", "10")
    assert rc == 0 and "reference: its sem" in out, err
    (tmp_path / "myref.py").write_text(
        "from isasim.isa.helpers import lane\n"
        "def ref(name, **ops):\n"
        "    if name == 'my.unpk2':\n"
        "        c = [lane(ops['rn'], i, 2, True) & 0xFFFF for i in range(4)]\n"
        "        return (c[1] << 16) | c[0], (c[3] << 16) | c[2]\n"
        "    return ops['rd'] + sum(lane(ops['rs1'], i, 4, True) * lane(ops['rs2'], i, 4, True)"
        " for i in range(8))\n")
    monkeypatch.chdir(tmp_path)
    rc, out, err = cli(capsys, "plugins", "test", str(f), "--ref", "myref:ref", "--samples", "10",
                       "--instr", "my.unpk2")
    assert rc == 4 and "my.unpk2 on cm7" in err


@pytest.mark.parametrize("args,needle", [(["--samples", "0"], "--samples must be >= 1"),
                                         (["--ref", "nomodule:f"], "cannot import nomodule")])
def test_bad_options(capsys, args, needle):
    rc, _, err = cli(capsys, "plugins", "test", "qnn", *args)
    assert rc == 2 and needle in err
