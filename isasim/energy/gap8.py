"""GAP-8 cluster energy model: consumes the timing model's counts (cycles per core, active vs
clock-gated cycles, TCDM/L2 accesses) and an operating point.

Sources (docs/reference/isa_timing.md §1.8):
  [ASAP18] Flamand et al., ASAP 2018 abstract: "up to 10 GMAC/s ... at 90 MHz, 1.0 V; 600 GMAC/s/W".
  [GWT]    GreenWaves product page: cluster max 175 MHz; "22.65 GOPS, 4.24 mW/GOP".
  [CNX]    cnx-software 2018: core supply 1.0-1.2 V.

Derivation of the active-core figure (DERIVED, not a datasheet value): at the [ASAP18] point the
8-core cluster runs a CNN at 10 GMAC/s with 600 GMAC/s/W, i.e. 16.7 mW for the whole cluster
(cores + TCDM + interconnect + I$) at 90 MHz, 1.0 V. ASSUMPTION: 75 % of that is the 8 cores' own
dynamic power (-> 17.4 uW/MHz = 17.4 pJ per active core-cycle) and 25 % the shared memory system,
converted to an energy per TCDM access with an ASSUMED CNN access rate of 0.45 accesses per
core-cycle (-> 12.9 pJ per access at 1.0 V).
Scaling to other voltages: dynamic power ~ V^2 f (ASSUMPTION: leakage ignored).
Uncertainty: the split and the access rate are assumptions; treat results as +-40 %.
"""
from dataclasses import dataclass, asdict


@dataclass(frozen=True)
class OperatingPoint:
    name: str
    f_mhz: float
    vdd: float


OPERATING_POINTS = {
    # [ASAP18] efficiency point (the 600 GMAC/s/W figure)
    "eff_90MHz_1.0V": OperatingPoint("eff_90MHz_1.0V", 90.0, 1.0),
    # [GWT] maximum cluster frequency; [CNX] 1.2 V upper supply (ASSUMPTION: 175 MHz needs 1.2 V)
    "max_175MHz_1.2V": OperatingPoint("max_175MHz_1.2V", 175.0, 1.2),
}
DEFAULT_OP = "max_175MHz_1.2V"

_REF_V = 1.0
_CLUSTER_MW_REF = 10.0 / 600.0 * 1000.0           # 16.67 mW at 90 MHz, 1.0 V [ASAP18, derived]
_CORE_SHARE = 0.75                                 # ASSUMPTION
_ACCESS_RATE = 0.45                                # TCDM accesses / core / cycle, ASSUMPTION
CORE_UW_PER_MHZ_REF = _CLUSTER_MW_REF * 1000 * _CORE_SHARE / 8 / 90.0
TCDM_PJ_REF = (_CLUSTER_MW_REF * 1e-3 * (1 - _CORE_SHARE)) / (8 * 90e6 * _ACCESS_RATE) * 1e12
CLOCK_GATED_FRACTION = 0.05     # ASSUMPTION: a clock-gated core burns 5 % of active (leakage, tree)
L2_PJ_REF = 4 * TCDM_PJ_REF     # ASSUMPTION: an L2 access costs ~4x a TCDM access (larger SRAM, bus)
UNCERTAINTY = 0.4


def energy(cycles_active, cycles_gated, tcdm_accesses, l2_accesses, op_name=DEFAULT_OP):
    """Energy in uJ. cycles_* are summed over cores (core-cycles)."""
    op = OPERATING_POINTS[op_name]
    s = (op.vdd / _REF_V) ** 2
    core_pj_per_cycle = CORE_UW_PER_MHZ_REF * s      # uW/MHz == pJ/cycle
    e_pj = (cycles_active + CLOCK_GATED_FRACTION * cycles_gated) * core_pj_per_cycle \
        + tcdm_accesses * TCDM_PJ_REF * s + l2_accesses * L2_PJ_REF * s
    return e_pj * 1e-6


def cluster_energy(cycles_active, cycles_gated, tcdm_accesses, l2_accesses, op_name=DEFAULT_OP):
    """Cluster energy with its breakdown. ``cycles_active``/``cycles_gated`` are core-cycles summed
    over the cluster's cores: a core is clock-gated while it waits at a barrier and after it has
    exited (until core 0 ends the run); every other cycle of a core is active, stall cycles
    included (a stalled RI5CY pipeline is still clocked). Terms:
      active core-cycle   CORE_UW_PER_MHZ_REF pJ (DERIVED from [ASAP18], +-40 %) x V^2 scaling
      gated core-cycle    CLOCK_GATED_FRACTION of that (ASSUMPTION, 5 %, plausible 2..15 %)
      TCDM access         TCDM_PJ_REF (DERIVED from [ASAP18] with ASSUMED split/rate, +-40 %)
      L2 access           L2_PJ_REF = 4 x TCDM (ASSUMPTION, plausible 2..8 x)
    """
    op = OPERATING_POINTS[op_name]
    s = (op.vdd / _REF_V) ** 2
    core = CORE_UW_PER_MHZ_REF * s
    parts = {"cores_active": cycles_active * core * 1e-6,
             "cores_gated": CLOCK_GATED_FRACTION * cycles_gated * core * 1e-6,
             "tcdm": tcdm_accesses * TCDM_PJ_REF * s * 1e-6,
             "l2": l2_accesses * L2_PJ_REF * s * 1e-6}
    return {"total_uj": sum(parts.values()), "breakdown_uj": parts}


def describe(op_name=DEFAULT_OP):
    op = OPERATING_POINTS[op_name]
    s = (op.vdd / _REF_V) ** 2
    return {
        "operating_point": asdict(op),
        "core_pj_per_cycle": round(CORE_UW_PER_MHZ_REF * s, 3),
        "tcdm_pj_per_access": round(TCDM_PJ_REF * s, 3),
        "l2_pj_per_access": round(L2_PJ_REF * s, 3),
        "clock_gated_fraction": CLOCK_GATED_FRACTION,
        "uncertainty": f"+-{int(UNCERTAINTY * 100)}%",
        "source": "derived from GAP-8 ASAP 2018 (10 GMAC/s, 600 GMAC/s/W at 90 MHz 1.0 V) with "
                  "assumed core/memory split and V^2 scaling; see isasim/energy/gap8.py",
    }
