"""Hardware-loop registers as CSRs (base 0x7B0, RI5CY manual rev 3.0; selectable by users where
sources disagree), the PULP core/cluster id CSRs, and the CSR file of riscv_cs_registers.sv (GAP-8
era): unimplemented CSRs read 0 and ignore writes."""
import pytest

from isasim.cores.ri5cy.core import RI5CY, L2_BASE, hwloop_csr_base
from isasim.elf import Program
from isasim.errors import IsasimError, SimError
from isasim.isa.registry import load_table

T = load_table("rv32")
EXIT = [("addi", {"rd": 17, "rs1": 0, "imm": 93}), ("ecall", {})]


def prog(items):
    return b"".join(T.by_name[n][0].encode(v).to_bytes(4, "little") for n, v in items + EXIT)


@pytest.mark.parametrize("base", [0x7B0, 0x800])
def test_hwloop_registers_as_csrs(base):
    code = prog([("lp.counti", {"L": 0, "uimm": 7}),
                 ("lp.counti", {"L": 1, "uimm": 9}),
                 ("csrrs", {"rd": 10, "csr": base + 2, "rs1": 0}),     # read lpcount0
                 ("csrrs", {"rd": 11, "csr": base + 6, "rs1": 0}),     # read lpcount1
                 ("addi", {"rd": 5, "rs1": 0, "imm": 0x123}),
                 ("csrrw", {"rd": 0, "csr": base + 4, "rs1": 5}),      # write lpstart1
                 ("csrrs", {"rd": 12, "csr": base + 4, "rs1": 0})])
    core = RI5CY(Program.from_code(code, L2_BASE), hwloop_csr_base=base)
    core.run(max_instructions=50)
    assert (core.R[10], core.R[11], core.R[12]) == (7, 9, 0x123)
    assert core.HW[3] == 0x123          # lpstart1 written through the CSR


@pytest.mark.parametrize("core_id,cluster_id", [(0, 0), (5, 0), (3, 2)])
def test_core_and_cluster_id_csrs(core_id, cluster_id):
    code = prog([("csrrs", {"rd": 10, "csr": 0xF14, "rs1": 0}),      # mhartid
                 ("csrrs", {"rd": 11, "csr": 0x014, "rs1": 0})])     # PULP uhartid
    core = RI5CY(Program.from_code(code, L2_BASE), core_id=core_id, cluster_id=cluster_id)
    core.run(max_instructions=10)
    want = (cluster_id << 5) | core_id
    assert core.R[10] == want and core.R[11] == want


# ---- CSRs as riscv_cs_registers.sv (GAP-8 era): not implemented -> reads 0, writes ignored -----
def run_prog(items, **kw):
    core = RI5CY(Program.from_code(prog(items), L2_BASE), **kw)
    core.run(max_instructions=100)
    return core


@pytest.mark.parametrize("csr", [0x5C0, 0x340, 0x7B3, 0x7B7, 0x800, 0xB03, 0xF11, 0x301, 0x001])
def test_unimplemented_csr_reads_zero_and_ignores_writes(csr):
    core = run_prog([("addi", {"rd": 5, "rs1": 0, "imm": 0x5A5}),
                     ("csrrw", {"rd": 10, "csr": csr, "rs1": 5}),      # old value: 0
                     ("csrrs", {"rd": 11, "csr": csr, "rs1": 0}),      # still 0
                     ("csrrsi", {"rd": 12, "csr": csr, "zimm": 7}),
                     ("csrrs", {"rd": 13, "csr": csr, "rs1": 0})])
    assert [int(core.R[r]) for r in (10, 11, 12, 13)] == [0, 0, 0, 0]


def test_implemented_csrs_keep_their_rtl_fields():
    """mstatus keeps mie/mpie and reads mpp = M; mcause stores {wdata[5], wdata[4:0]} and reads
    bit 5 back as bit 31; mepc is 32 bits; privilege level 0xC10 reads 3; mtvec is the boot
    address (read-only with PULP_SECURE = 0)."""
    core = run_prog([("addi", {"rd": 5, "rs1": 0, "imm": -1}),
                     ("csrrw", {"rd": 0, "csr": 0x300, "rs1": 5}),
                     ("csrrs", {"rd": 10, "csr": 0x300, "rs1": 0}),
                     ("addi", {"rd": 6, "rs1": 0, "imm": 0x3F}),
                     ("csrrw", {"rd": 0, "csr": 0x342, "rs1": 6}),
                     ("csrrs", {"rd": 11, "csr": 0x342, "rs1": 0}),
                     ("csrrw", {"rd": 0, "csr": 0x341, "rs1": 5}),
                     ("csrrs", {"rd": 12, "csr": 0x341, "rs1": 0}),
                     ("csrrs", {"rd": 13, "csr": 0xC10, "rs1": 0}),
                     ("csrrw", {"rd": 0, "csr": 0x305, "rs1": 0}),
                     ("csrrs", {"rd": 14, "csr": 0x305, "rs1": 0})])
    assert int(core.R[10]) == 0x1800 | 0x88
    assert int(core.R[11]) == 0x8000001F
    assert int(core.R[12]) == 0xFFFFFFFF
    assert int(core.R[13]) == 3
    assert int(core.R[14]) == L2_BASE & 0xFFFFFF00


def test_counters_and_ids_still_work():
    core = run_prog([("addi", {"rd": 5, "rs1": 0, "imm": 1}),
                     ("csrrs", {"rd": 10, "csr": 0xB00, "rs1": 0}),
                     ("csrrs", {"rd": 11, "csr": 0xC02, "rs1": 0}),
                     ("csrrw", {"rd": 0, "csr": 0xB00, "rs1": 5}),     # read-only view: ignored
                     ("csrrs", {"rd": 12, "csr": 0xF14, "rs1": 0})], core_id=3)
    assert int(core.R[10]) == 1 and int(core.R[11]) == 2 and int(core.R[12]) == 3


@pytest.mark.parametrize("csr", [0x780, 0x781, 0x79F, 0x7A0, 0x7A1])
def test_performance_counter_csrs_are_refused(csr):
    """PCCR/PCER/PCMR exist in the RTL but are not modelled: an error, not a made-up 0."""
    core = RI5CY(Program.from_code(prog([("csrrs", {"rd": 10, "csr": csr, "rs1": 0})]), L2_BASE))
    with pytest.raises(SimError) as e:
        core.run(max_instructions=10)
    msg = str(e.value)
    assert f"0x{csr:03x}" in msg and f"0x{L2_BASE:08x}" in msg and "not" in msg and "\n" not in msg


# ---- the hardware-loop CSR base is selectable by users -------------------------------------------
@pytest.mark.parametrize("value,base", [(None, 0x7B0), ("ri5cy-2018", 0x7B0), ("ri5cy-2019", 0x7C0),
                                        ("cv32e40p-v1", 0x800), ("CV32E40P-V2", 0xCC0),
                                        ("0x7c0", 0x7C0), (0x800, 0x800)])
def test_hwloop_csr_base_values(value, base):
    assert hwloop_csr_base(value) == base


@pytest.mark.parametrize("value", ["ri5cy-2017", "0x300", 0xB00, -1, 0xFFF, 1.5, True, "x"])
def test_hwloop_csr_base_refused(value):
    with pytest.raises(IsasimError) as e:
        hwloop_csr_base(value)
    assert "hwloop_csr_base" in str(e.value) and "ri5cy-2019" in str(e.value)


HWLOOP_READ = """
  .text
  .globl main
main:
  lp.counti x0, 7
  csrr a0, {csr}
  ret
"""


@pytest.mark.parametrize("target", ["ri5cy", "gap8"])
def test_hwloop_csr_base_through_run_elf_cli_and_config(tmp_path, capsys, target):
    from isasim.cli import main
    from isasim.simulate import run_elf
    from isasim.toolchain.build import build_elf
    src = tmp_path / "h.S"
    src.write_text(HWLOOP_READ.format(csr=0x7C2))          # lpcount0 with base 0x7C0
    elf = build_elf(target, [str(src)], str(tmp_path / "h.elf"))
    kw = {"cores": 1} if target == "gap8" else {}
    assert run_elf(elf, target, **kw)["exit_code"] == 0          # 0x7C2: nothing at base 0x7B0
    assert run_elf(elf, target, hwloop_csr_base=0x7C0, **kw)["exit_code"] == 7
    assert run_elf(elf, target, hwloop_csr_base="ri5cy-2019", **kw)["exit_code"] == 7
    extra = ["--cores", "1"] if target == "gap8" else []

    def code_of(argv):          # exit status 1 + "exit code N" for a non-zero program exit
        capsys.readouterr()
        st = main(argv)
        err = capsys.readouterr().err
        return 0 if st == 0 else int(err.split("exit code ")[1].split(":")[0])
    assert code_of(["exec", elf, "--target", target, "--hwloop-csr-base", "0x7C0"] + extra) == 7
    assert code_of(["exec", elf, "--target", target, "--core-revision", "ri5cy-2019"] + extra) == 7
    assert code_of(["exec", elf, "--target", target, "--core-revision", "cv32e40p-v1"] + extra) == 0
    capsys.readouterr()
    assert main(["exec", elf, "--target", target, "--hwloop-csr-base", "0x300"] + extra) != 0
    err = capsys.readouterr().err
    assert "0x300" in err and len(err.strip().splitlines()) == 1


def test_hwloop_csr_base_config_field(tmp_path):
    from isasim.experiments.config import load, ConfigError
    (tmp_path / "k.S").write_text(HWLOOP_READ.format(csr=0x7C2))
    good = "name: t\nvariants:\n  - {id: a, target: ri5cy, sources: [k.S], hwloop_csr_base: ri5cy-2019}\n"
    (tmp_path / "good.yaml").write_text(good)
    cfg = load(str(tmp_path / "good.yaml"))
    assert cfg["variants"][0]["hwloop_csr_base"] == "ri5cy-2019"
    (tmp_path / "bad.yaml").write_text(good.replace("ri5cy-2019", "0x300"))
    with pytest.raises(ConfigError) as e:
        load(str(tmp_path / "bad.yaml"))
    assert "bad.yaml:3" in str(e.value) and "hwloop_csr_base" in str(e.value)
    (tmp_path / "m7.yaml").write_text(good.replace("target: ri5cy", "target: cm7"))
    with pytest.raises(ConfigError):
        load(str(tmp_path / "m7.yaml"))
