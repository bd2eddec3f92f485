"""Hardware-loop registers as CSRs (base 0x7B0, RI5CY manual rev 3.0; a core parameter where
sources disagree) and the PULP core/cluster id CSRs."""
import pytest

from isasim.cores.ri5cy.core import RI5CY, L2_BASE
from isasim.elf import Program
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
