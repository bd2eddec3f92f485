"""Cortex-M7 core: CPU model selection, ELF loading, semihosting, errors, energy/result dict."""
import pytest
from unicorn import Uc, UcError, UC_ARCH_ARM, UC_MODE_THUMB, UC_MODE_MCLASS
from unicorn import unicorn_const as UC
from unicorn import arm_const as ARM

from isasim.cores import cm7
from isasim.platforms import stm32h7
from isasim.errors import SimError
from isasim.toolchain.build import build_elf

SMLAD_R0_R1_R2_R3 = bytes.fromhex("21fb0230")   # smlad r0, r1, r2, r3 (T1, hw1 FB21 hw2 3002)


def _build(tmp_path, body, name="k"):
    src = tmp_path / f"{name}.S"
    src.write_text("  .syntax unified\n  .thumb\n  .text\n  .globl main\n  .thumb_func\nmain:\n"
                   + body + "\n")
    out = str(tmp_path / f"{name}.elf")
    build_elf("cm7", [str(src)], out)
    return out


def _exec_smlad(uc):
    uc.mem_map(0, 0x1000)
    uc.mem_write(0, SMLAD_R0_R1_R2_R3)
    uc.reg_write(ARM.UC_ARM_REG_R1, 0x0003FFFE)
    uc.reg_write(ARM.UC_ARM_REG_R2, 0x00050007)
    uc.reg_write(ARM.UC_ARM_REG_R3, 100)
    uc.emu_start(1, 4)
    return uc.reg_read(ARM.UC_ARM_REG_R0)


def test_really_a_cortex_m7():
    uc = cm7.make_uc()
    assert uc.ctl_get_cpu_model() == ARM.UC_CPU_ARM_CORTEX_M7 == 10
    # DSP instruction present on the M7 (THUMB_DSP feature), result per isa_timing.md §3.2
    assert _exec_smlad(uc) == 0x65
    # M-profile: the xPSR register exists and holds the Thumb bit (bit 24)
    assert uc.reg_read(ARM.UC_ARM_REG_XPSR) & (1 << 24)


def test_model_selection_is_effective_and_mclass_pitfall():
    # the same construction with Cortex-M0 rejects SMLAD -> the model choice really takes effect
    uc = Uc(UC_ARCH_ARM, UC_MODE_THUMB)
    uc.ctl_set_cpu_model(ARM.UC_CPU_ARM_CORTEX_M0)
    with pytest.raises(UcError) as e:
        _exec_smlad(uc)
    assert e.value.errno == UC.UC_ERR_INSN_INVALID
    # UC_MODE_MCLASS silently builds an M33 (isa_timing.md §3.1) - why the core does not use it
    uc = Uc(UC_ARCH_ARM, UC_MODE_THUMB | UC_MODE_MCLASS)
    uc.ctl_set_cpu_model(ARM.UC_CPU_ARM_CORTEX_M7)
    assert uc.ctl_get_cpu_model() == 11


def test_semihosting_write_and_exit_extended(tmp_path):
    elf = _build(tmp_path, r"""
  push {lr}
  movs r0, #0x04
  ldr r1, =msg
  bkpt 0xab
  movs r0, #0x03
  ldr r1, =ch
  bkpt 0xab
  movs r0, #3
  pop {pc}
  .pool
  .data
msg: .asciz "hello "
ch:  .byte 0x21
""")
    r = stm32h7.run(elf)
    assert r["stdout"] == "hello !"
    assert r["exit_code"] == 3
    assert r["target"] == "cm7" and r["instructions"] > 10 and r["cycles"] > 0


@pytest.mark.parametrize("reason,code", [(0x20026, 0), (0x20023, 1)])
def test_semihosting_sys_exit(tmp_path, reason, code):
    elf = _build(tmp_path, f"""
  movs r0, #0x18
  ldr r1, ={reason:#x}
  bkpt 0xab
  b .
  .pool
""")
    assert stm32h7.run(elf)["exit_code"] == code


def _one_line_error(fn, kind=SimError):
    with pytest.raises(kind) as e:
        fn()
    msg = str(e.value)
    assert "\n" not in msg
    return msg


def test_unmapped_access_is_one_line_error(tmp_path):
    elf = _build(tmp_path, "  ldr r1, =0x60000000\n  ldr r0, [r1]\n  bx lr\n  .pool")
    msg = _one_line_error(lambda: stm32h7.run(elf))
    assert "0x60000000" in msg and "pc 0x" in msg and "size 4" in msg


def test_illegal_instruction_is_one_line_error(tmp_path):
    elf = _build(tmp_path, "  nop\n  .inst.w 0xf7f0a001\n  bx lr")
    msg = _one_line_error(lambda: stm32h7.run(elf))
    assert "illegal instruction" in msg and "0xf7f0a001" in msg and "pc 0x" in msg


def test_runaway_is_one_line_error(tmp_path):
    elf = _build(tmp_path, "1: b 1b")
    msg = _one_line_error(lambda: stm32h7.run(elf, max_instructions=1000))
    assert "runaway" in msg and "1000" in msg
    msg = _one_line_error(lambda: stm32h7.run(elf, max_instructions=1000, trace=str(tmp_path / "t")))
    assert "runaway" in msg


def test_bad_inputs(tmp_path):
    from isasim.errors import IsasimError       # bad input files: exit status 2, not a sim error
    assert "no such file" in _one_line_error(lambda: stm32h7.run(str(tmp_path / "missing.elf")),
                                             IsasimError)
    (tmp_path / "x.elf").write_bytes(b"not an elf")
    assert "not a readable ELF" in _one_line_error(lambda: stm32h7.run(str(tmp_path / "x.elf")),
                                                   IsasimError)
    elf = _build(tmp_path, "  movs r0, #0\n  bx lr")
    _one_line_error(lambda: stm32h7.run(elf, memory={"icache": "maybe"}), IsasimError)
    _one_line_error(lambda: stm32h7.run(elf, freq_mhz=600))


def test_energy_and_operating_point(tmp_path):
    # DS12110 Rev 10: the default operating point is the papers' set-up (rev Y, 400 MHz, VOS1,
    # code in flash, caches on: table 31, 105 mA typ, 160 mA max at 25 °C); 480MHz is rev V VOS0
    # (the program built for the default placement has its code in flash: table 130, 110 / 222 mA)
    elf = _build(tmp_path, "  movs r0, #0\n  bx lr")
    r400 = stm32h7.run(elf)
    r480 = stm32h7.run(elf, operating_point="480MHz")
    assert (r400["operating_point"]["voltage_scale"], r480["operating_point"]["voltage_scale"]) == \
        ("VOS1", "VOS0")
    for r, table, typ, mx, f in ((r400, 31, 105, 160, 400), (r480, 130, 110, 222, 480)):
        m = r["energy_model"]
        assert m["table"] == table and m["confirmed"] and "DS12110" in m["source"]
        assert (m["idd_ma"], m["idd_max_ma"]) == (typ, mx)
        # energy = VDD * IDD * cycles / f
        assert r["energy_uj"] == pytest.approx(3.3 * typ * r["cycles"] / f / 1000.0)
        assert m["energy_uj_range"] == pytest.approx([r["energy_uj"], r["energy_uj"] * mx / typ])
    for k in ("load_use", "mac_resource", "branch_mispredict", "icache_miss", "dcache_miss"):
        assert k in r400["stalls"]
