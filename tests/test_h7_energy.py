"""STM32H743 energy from DS12110 (issue 15 item 3): the table and row follow what was simulated
(code location, caches, revision, voltage scale, clock), interpolation within a scale is said,
typ..max ranges, and runs no table covers have no energy (with the reason)."""
import pytest

from isasim.energy import stm32h7 as E
from isasim.errors import IsasimError, SimError
from isasim.platforms import stm32h7
from isasim.simulate import run_elf
from isasim.toolchain.build import build_elf
from m7code import HEAD

BODY = "  movs r0, #0\n  ldr r1, =200\n1:\n  adds r0, r0, #1\n  subs r1, r1, #1\n  bne 1b\n" \
       "  movs r0, #0\n  bx lr\n  .pool\n"


def _elf(tmp_path, name, **kw):
    src = tmp_path / "e.S"
    src.write_text(HEAD + BODY)
    return build_elf("cm7", [str(src)], str(tmp_path / f"{name}.elf"), **kw)


# (operating point, DS12110 table, typ mA, max mA at 25 °C): cm7_measured.md §2 and the datasheet
POINTS = [("400MHz-flash", 31, 105, 160), ("400MHz-flash-nocache", 32, 73, 110),
          ("400MHz", 30, 71, 110), ("480MHz", 129, 148, 226), ("480MHz-flash", 130, 110, 222)]


@pytest.mark.parametrize("op,table,typ,mx", POINTS)
def test_operating_point_selects_the_table_of_what_runs(tmp_path, op, table, typ, mx):
    elf = _elf(tmp_path, op, operating_point=op)       # built with the placement it implies
    r = run_elf(elf, "cm7", operating_point=op)
    m = r["energy_model"]
    assert (m["table"], m["idd_ma"], m["idd_max_ma"], m["interpolated"]) == (table, typ, mx, False)
    f = r["operating_point"]["freq_mhz"]
    assert r["energy_uj"] == pytest.approx(3.3 * typ * r["cycles"] / f / 1000.0)
    assert m["energy_uj_range"] == pytest.approx([r["energy_uj"], r["energy_uj"] * mx / typ])
    assert f"table {table}" in m["source"] and "DS12110" in m["source"]


def test_default_is_the_papers_set_up(tmp_path):
    r = run_elf(_elf(tmp_path, "d"), "cm7")
    op = r["operating_point"]
    assert (op["name"], op["freq_mhz"], op["voltage_scale"], op["silicon"], op["code"],
            op["icache"], op["dcache"]) == ("400MHz-flash", 400, "VOS1", "rev Y", "flash", "on", "on")
    assert r["timing"]["flash_wait_states"] == 2
    assert r["energy_model"]["table"] == 31


def test_energy_follows_the_placement_actually_simulated(tmp_path):
    # an ELF with its code in ITCM run under the default (flash) operating point: table 30
    elf = _elf(tmp_path, "itcm", memory={"code": "itcm"})
    assert run_elf(elf, "cm7")["energy_model"]["table"] == 30
    # code in AXI SRAM / SRAM1 / SRAM4: table 33 (rev Y, 400 MHz), by cache state
    for code, on, off in (("axisram", 105, 70.5), ("sram1", 105, 74.5), ("sram4", 105, 72)):
        elf = _elf(tmp_path, code, memory={"code": code})
        assert run_elf(elf, "cm7")["energy_model"]["idd_ma"] == on
        r = run_elf(elf, "cm7", memory={"icache": "off", "dcache": "off"})
        assert (r["energy_model"]["table"], r["energy_model"]["idd_ma"]) == (33, off)
        assert r["energy_model"]["energy_uj_range"] is None       # table 33 has no maximum


def test_interpolation_within_a_scale_is_said(tmp_path):
    elf = _elf(tmp_path, "i", memory={"code": "itcm"})
    r = stm32h7.run(elf, operating_point="400MHz", freq_mhz=350)
    m = r["energy_model"]
    # table 30, VOS1: 300 MHz 56 mA, 400 MHz 71 mA -> 63.5 mA at 350 MHz; no max at 300 MHz
    assert m["interpolated"] and m["idd_ma"] == pytest.approx(63.5)
    assert "interpolated linearly between the 300 and 400 MHz rows" in m["row"]
    assert m["idd_max_ma"] is None and m["energy_uj_range"] is None
    assert r["energy_uj"] == pytest.approx(3.3 * 63.5 * r["cycles"] / 350 / 1000.0)
    # rev V, VOS0: 400 MHz 125 mA, 480 MHz 148 mA -> 136.5 mA at 440 MHz
    m = stm32h7.run(elf, operating_point="480MHz", freq_mhz=440)["energy_model"]
    assert m["interpolated"] and m["idd_ma"] == pytest.approx(136.5) and m["table"] == 129
    # VOS3 rows 25..200 MHz all have maxima: the range is interpolated too
    cur = E.current(dict(E.point("400MHz"), vos="VOS3", freq_mhz=100), "itcm", "on", "on")
    w = (100 - 60) / (144 - 60)
    assert cur["idd_ma"] == pytest.approx(13 + w * (25 - 13))
    assert cur["idd_max_ma"] == pytest.approx(28 + w * (41 - 28))


def test_runs_no_table_covers_have_no_energy(tmp_path):
    elf = _elf(tmp_path, "n", memory={"code": "itcm"})
    # 250 MHz is below the VOS1 rows (300, 400 MHz): no extrapolation
    r = stm32h7.run(elf, operating_point="400MHz", freq_mhz=250)
    assert r["energy_uj"] is None and not r["energy_model"]["covered"]
    assert "250 MHz is outside" in r["energy_model"]["reason"]
    # flash code with only one of the caches on; code in SRAM2
    r = run_elf(_elf(tmp_path, "f"), "cm7", memory={"dcache": "off"})
    assert r["energy_uj"] is None and "icache=on, dcache=off" in r["energy_model"]["reason"]
    r = run_elf(_elf(tmp_path, "s2", memory={"code": "sram2"}), "cm7")
    assert r["energy_uj"] is None and "sram2" in r["energy_model"]["reason"]
    assert r["cycles"] > 0                                # the cycles are still reported


def test_operating_point_names_and_clock_limits(tmp_path):
    assert E.op_name("400") == E.op_name("400mhz") == "400MHz" and E.op_name("480") == "480MHz"
    assert E.op_name("400MHz-Flash") == "400MHz-flash" and E.op_name("fast") is None
    from isasim import targets
    names, default = targets.operating_points("cm7")
    assert default == E.DEFAULT_OP and set(names) == set(E.OPERATING_POINTS)
    with pytest.raises(IsasimError) as e:
        targets.validate_run_options("cm7", operating_point="fast")
    assert "400MHz-flash" in str(e.value)
    with pytest.raises(SimError) as e:        # revision Y stops at 400 MHz (VOS1)
        E.point("400MHz", freq_mhz=480)
    assert "400 MHz" in str(e.value) and "VOS1" in str(e.value)
