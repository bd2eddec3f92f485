"""RI5CY user-facing errors: illegal instruction, access outside mapped memory, runaway program."""
import re

import pytest

from isasim.cores.ri5cy.core import RI5CY, L2_BASE, L2_SIZE, TCDM_BASE, TCDM_SIZE
from isasim.elf import Program
from isasim.errors import IsasimError, SimError

from rvcode import T, enc, li, EXIT


def core_for(code):
    return RI5CY(Program.from_code(code, L2_BASE))


def hexes(msg):
    return {int(h, 16) for h in re.findall(r"0x([0-9a-fA-F]+)", msg)}


@pytest.mark.parametrize("word", [0xFFFFFFFF, 0x0000007F, 0x00007057 | (0x3F << 25), 0xFE00707F & 0x0200707B])
def test_illegal_32bit_word(word):
    # make sure the word really is illegal for this table
    assert T.decode(word, 4) == (None, None)
    code = enc("addi", rd=5, rs1=0, imm=1) + enc("addi", rd=6, rs1=0, imm=2) + word.to_bytes(4, "little") + EXIT
    core = core_for(code)
    with pytest.raises(SimError) as e:
        core.run(max_instructions=1000)
    msg = str(e.value)
    assert "illegal instruction" in msg
    assert f"0x{L2_BASE + 8:08x}" in msg, msg
    assert f"0x{word:08x}" in msg, msg
    # the instructions before it did execute
    assert int(core.R[5]) == 1 and int(core.R[6]) == 2


@pytest.mark.parametrize("word", [0x2000, 0x8000, 0x9001])   # c.fld (no D), reserved, c.srli shamt[5]=1
def test_illegal_16bit_word(word):
    assert T.decode(word, 2) == (None, None)
    code = enc("c.nop") + word.to_bytes(2, "little") + EXIT
    with pytest.raises(SimError) as e:
        core_for(code).run(max_instructions=1000)
    msg = str(e.value)
    assert "illegal instruction" in msg
    assert f"0x{L2_BASE + 2:08x}" in msg and f"0x{word:04x}" in msg, msg


def test_all_zero_halfword_is_illegal():
    """RVC spec: nzuimm=0 of c.addi4spn is reserved and 0x0000 is the defined illegal instruction."""
    assert T.decode(0x0000, 2) == (None, None)
    code = enc("c.nop") + bytes(2) + EXIT
    with pytest.raises(SimError) as e:
        core_for(code).run(max_instructions=1000)
    assert f"0x{L2_BASE + 2:08x}" in str(e.value) and "0x0000" in str(e.value)


@pytest.mark.parametrize("word,name", [(0x6101, "c.addi16sp 0"), (0x6281, "c.lui x5, 0"),
                                       (0x4002, "c.lwsp x0"), (0x8002, "c.jr x0")])
def test_reserved_rvc_encodings_are_illegal(word, name):
    assert T.decode(word, 2) == (None, None), name


def test_sim_error_is_user_facing():
    assert issubclass(SimError, IsasimError)
    with pytest.raises(IsasimError):
        core_for(b"\xff\xff\xff\xff" + EXIT).run(max_instructions=10)


@pytest.mark.parametrize("addr,size,name", [
    (0x00000000, 4, "lw"), (0x20000000, 1, "lb"), (TCDM_BASE + TCDM_SIZE, 2, "lhu"),
    (TCDM_BASE + TCDM_SIZE - 2, 4, "lw"),           # straddles the end of TCDM
    (L2_BASE - 1, 1, "lbu"), (L2_BASE + L2_SIZE, 4, "lw"),
])
def test_load_outside_memory(addr, size, name):
    code = li(5, addr) + enc(name, rd=6, rs1=5, imm=0) + EXIT
    with pytest.raises(SimError) as e:
        core_for(code).run(max_instructions=1000)
    msg = str(e.value)
    assert "load" in msg and "outside" in msg, msg
    assert f"0x{addr:08x}" in msg, msg                       # the address
    assert f"0x{L2_BASE + 8:08x}" in msg, msg                # the pc of the load
    assert re.search(rf"\b{size} bytes?\b", msg), msg         # the size


def test_store_outside_memory():
    code = li(5, 0x30000000) + enc("sh", rs2=5, rs1=5, imm=2) + EXIT
    with pytest.raises(SimError) as e:
        core_for(code).run(max_instructions=1000)
    msg = str(e.value)
    assert "store" in msg and "0x30000002" in msg and f"0x{L2_BASE + 8:08x}" in msg and "2 bytes" in msg, msg


def test_post_increment_load_outside_memory_reports_the_accessed_address():
    ins = [i for i in T.by_name["p.lw"] if i.syntax == "rd, imm(rs1!)"][0]
    code = li(5, 0x40000000) + ins.encode({"rd": 6, "rs1": 5, "imm": 16}).to_bytes(4, "little") + EXIT
    with pytest.raises(SimError) as e:
        core_for(code).run(max_instructions=1000)
    assert "0x40000000" in str(e.value)


def test_runaway_loop_hits_max_instructions():
    code = enc("addi", rd=5, rs1=5, imm=1) + enc("jal", rd=0, off=-4) + EXIT
    core = core_for(code)
    with pytest.raises(SimError) as e:
        core.run(max_instructions=1001)
    msg = str(e.value)
    assert "--max-instructions" in msg and "1001" in msg, msg
    assert core.counters()["instructions"] == 1001
    assert int(core.R[5]) == 501


def test_program_within_the_limit_is_not_an_error():
    code = enc("addi", rd=10, rs1=0, imm=7) + EXIT
    assert core_for(code).run(max_instructions=3) == 7


def test_jump_outside_code():
    code = li(5, TCDM_BASE) + enc("jalr", rd=0, rs1=5, imm=0) + EXIT
    with pytest.raises(SimError) as e:
        core_for(code).run(max_instructions=1000)
    assert f"0x{TCDM_BASE:08x}" in str(e.value)
