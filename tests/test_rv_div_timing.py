"""The RI5CY divider's latency follows the divisor the instruction reads (isa_timing.md §1.7
div/rem: 3 + clz(|rs2|)), also when rd is rs2 and the quotient overwrites it (regression: the
engine used the quotient as the divisor)."""
import pytest

from isasim.simulate import run_elf
from isasim.toolchain.build import build_elf

PROG = """\
  .text
  .globl main
main:
  li s1, 100
  li t2, 7
  {div}
  li a0, 0
  ret
"""


@pytest.mark.parametrize("op", ["div", "divu", "rem", "remu"])
def test_divider_latency_uses_the_divisor_before_rd_is_written(tmp_path, op):
    cyc = {}
    for name, ins in (("other_rd", f"{op} t3, s1, t2"), ("rd_is_rs2", f"{op} t2, s1, t2")):
        src = tmp_path / f"{name}.S"
        src.write_text(PROG.format(div=ins))
        elf = str(tmp_path / f"{name}.elf")
        build_elf("ri5cy", [str(src)], elf)
        cyc[name] = run_elf(elf, "ri5cy")["cycles"]
        # the quotient (14) or remainder (2) would give another clz than the divisor 7
    assert cyc["rd_is_rs2"] == cyc["other_rd"], cyc
