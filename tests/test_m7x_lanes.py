"""Lane and precision profile on the Cortex-M7 (issue 18 item 4): the operands of SMLAD-family and
lane-declaring plug-in instructions, split into lanes, against a reference computed here from the
operand values with plain integer arithmetic; the exchange (X) forms; block path == trace path;
the cycles do not change."""
import pytest

from isasim.errors import IsasimError
from isasim.platforms import stm32h7

from test_m7x_retime import HEAD, PLUGIN_SRC, _elf

VA, VB = 0x12F3A705, 0x7E0381C9          # the operands of PLUGIN_SRC's loop (48 iterations)


def _signed(v, bits):
    return v - (1 << bits) if v >> (bits - 1) else v


def _width(v, signed):
    if v == 0:
        return 0
    if signed:
        return (v if v > 0 else -v - 1).bit_length() + 1
    return v.bit_length()


def _reference(pairs, lanes, bits, exchange=False):
    """{'useful', 'zero', 'width'} of (a, b) operand words, written from the definition."""
    out = {"useful": 0, "zero": 0, "width": {"a": {}, "b": {}}}
    for a, b in pairs:
        if exchange:
            b = ((b >> 16) | (b << 16)) & 0xFFFFFFFF
        for i in range(lanes):
            la = _signed((a >> (i * bits)) & ((1 << bits) - 1), bits)
            lb = _signed((b >> (i * bits)) & ((1 << bits) - 1), bits)
            out["useful" if la and lb else "zero"] += 1
            for k, v in (("a", la), ("b", lb)):
                w = _width(v, True)
                out["width"][k][w] = out["width"][k].get(w, 0) + 1
    for k in ("a", "b"):
        out["width"][k] = dict(sorted(out["width"][k].items()))
    return out


def _check(got, n, lanes, bits, ref):
    assert got["executions"] == n and got["lanes"] == lanes and got["lane_bits"] == bits
    assert {k: got[k] for k in ("useful", "zero", "width")} == ref


def test_plugin_and_smlad_lanes(tmp_path):
    elf = _elf(tmp_path, "plug", PLUGIN_SRC, ["qnn"])
    plain = stm32h7.run(elf, plugins=["qnn"])
    fast = stm32h7.run(elf, plugins=["qnn"], lanes=True)
    slow = stm32h7.run(elf, plugins=["qnn"], lanes=True, trace=str(tmp_path / "t.log"))
    assert fast["cycles"] == plain["cycles"] == slow["cycles"]
    assert fast["lanes"] == slow["lanes"]
    assert "lanes" not in plain
    L = fast["lanes"]
    assert set(L) == {"qnn.sdot4", "smlad"}
    # qnn.sdot4 r6, r4, r5 and qnn.sdot4 r6, r5, r4: both operand orders, 48 times each
    _check(L["qnn.sdot4"], 96, 8, 4, _reference([(VA, VB), (VB, VA)] * 48, 8, 4))
    _check(L["smlad"], 48, 2, 16, _reference([(VA, VB)] * 48, 2, 16))
    # by hand: nibbles of VA 5,0,7,-6,3,-1,2,1 and VB -7,-4,1,-8,3,0,-2,7: 6 useful pairs of 8
    assert L["qnn.sdot4"]["useful"] == 6 * 96 and L["qnn.sdot4"]["width"]["a"][4] == 6 * 48


EXCHANGE_SRC = HEAD + r"""
  push {r4-r9, lr}
  ldr r4, =0x00001234
  ldr r5, =0x0000ABCD
  movs r2, #10
1:
  smlad r7, r4, r5, r7
  smladx r6, r4, r5, r6
  smlald r8, r9, r4, r5
  smusd r6, r5, r4
  subs r2, r2, #1
  bne 1b
  movs r0, #0
  pop {r4-r9, pc}
  .pool
"""


def test_exchange_forms_and_long_accumulate(tmp_path):
    elf = _elf(tmp_path, "x", EXCHANGE_SRC)
    r = stm32h7.run(elf, lanes=True)
    L = r["lanes"]
    a, b = 0x00001234, 0x0000ABCD
    _check(L["smlad"], 10, 2, 16, _reference([(a, b)] * 10, 2, 16))
    _check(L["smladx"], 10, 2, 16, _reference([(a, b)] * 10, 2, 16, exchange=True))
    _check(L["smlald"], 10, 2, 16, _reference([(a, b)] * 10, 2, 16))
    _check(L["smusd"], 10, 2, 16, _reference([(b, a)] * 10, 2, 16))
    assert L["smlad"]["useful"] == 10 and L["smladx"]["useful"] == 0     # by hand
    assert L["smlad"]["width"]["a"] == {0: 10, 14: 10} and L["smlad"]["width"]["b"] == {0: 10, 16: 10}
    assert r["cycles"] == stm32h7.run(elf)["cycles"]


def test_bad_lane_params_are_refused(tmp_path):
    plug = tmp_path / "p.py"
    plug.write_text(
        "from isasim.plugins import Instr, cde\n"
        "INSTRUCTIONS = [Instr('x.dot', 'rd, rn, rm', cde.cx3(opc=3, coproc=2, acc=True), isa='thumb2',\n"
        "    sem=lambda rd, rn, rm: rd + rn * rm, params={'lanes': 8, 'lane_bits': 8},\n"
        "    cost={'latency': 1})]\n")
    elf = _elf(tmp_path, "p", HEAD + "  x.dot r0, r1, r2\n  movs r0, #0\n  bx lr\n", [str(plug)])
    with pytest.raises(IsasimError, match="x.dot: params: lanes=8, lane_bits=8"):
        stm32h7.run(elf, plugins=[str(plug)], lanes=True)
