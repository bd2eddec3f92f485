"""A translation block with many memory accesses whose addresses the block analysis cannot derive
(here 40 pointer-chasing loads): the compiled -O3 kernels have such blocks, and the block path
refused them with 'at most 32 per block'. The fast path must run them, with the trace path's cycles."""
from isasim.platforms import stm32h7
from isasim.toolchain.build import build_elf
from m7code import HEAD

N = 40


def test_block_with_many_captured_addresses(tmp_path):
    chase = "\n".join("  ldr r0, [r0]" for _ in range(N))
    table = "\n".join(f"p{i}: .word p{i + 1}" for i in range(N)) + f"\np{N}: .word p0"
    (tmp_path / "k.S").write_text(HEAD + f"""  ldr r0, =p0
{chase}
  ldr r1, =p{N % (N + 1)}
  subs r0, r0, r1
  bx lr
  .pool
  .data
  .balign 4
{table}
""")
    elf = build_elf("cm7", [str(tmp_path / "k.S")], str(tmp_path / "k.elf"))
    fast = stm32h7.run(elf)
    slow = stm32h7.run(elf, trace=str(tmp_path / "t.log"))
    assert fast["exit_code"] == 0 and fast["cycles"] == slow["cycles"]
    assert fast["instructions"] == slow["instructions"] > N
