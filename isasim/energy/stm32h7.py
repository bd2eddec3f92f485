"""STM32H7 (Cortex-M7) energy model: run-mode supply current per MHz at an operating point.

energy_uj = P * cycles / f, with P = VDD * IDD(run) and IDD(run) = k_VOS * f (mA per MHz times MHz).
The energy model consumes only the cycle count of the timing model.

SOURCE STATUS: the datasheet figure (DS12110, STM32H743xI, §6.3.6 "Supply current characteristics",
table "Typical and maximum current consumption in Run mode, code with data processing running from
ITCM, regulator ON") could NOT be retrieved: isa_timing.md §2.6 marks it UNCONFIRMED, and a search of
the stored web pages found only page 99 of DS12110 Rev 5 (absolute maximum ratings), not the
run-mode table. The figures below are therefore ASSUMPTIONS with a wide uncertainty range:

* VOS0 (480 MHz): 0.275 mA/MHz typical at 25 °C, VDD = 3.3 V, LDO, all peripherals off, code in
  ITCM / data in DTCM. ASSUMPTION: order of magnitude of ST's published "~ 260-290 uA/MHz" class
  figures for the STM32H743 line (recalled, not retrieved); uncertainty range 0.20-0.35 mA/MHz.
* VOS1 (400 MHz): VOS0 figure scaled by the core-voltage ratio (dynamic current ~ C*V*f, so the
  current per MHz scales with V): 1.20 V / 1.35 V * 0.275 = 0.244 mA/MHz. ASSUMPTION: VOS0 and
  VOS1 nominal core voltages 1.35 V and 1.20 V (RM0433 voltage-scaling ranges, not re-checked);
  uncertainty range 0.18-0.32 mA/MHz.

Replace ``OPERATING_POINTS`` entries when the DS12110 table is available; nothing else changes.
"""
from ..errors import SimError

VDD = 3.3   # V, supply voltage of the datasheet's typical conditions (ASSUMPTION: DS12110 typical)

OPERATING_POINTS = {
    # name: (f_max_MHz, VOS, core V, mA/MHz typ, (low, high) mA/MHz)
    "VOS0": dict(vos="VOS0", f_max_mhz=480, vcore=1.35, ma_per_mhz=0.275, range=(0.20, 0.35)),
    "VOS1": dict(vos="VOS1", f_max_mhz=400, vcore=1.20, ma_per_mhz=0.275 * 1.20 / 1.35,
                 range=(0.18, 0.32)),
}

SOURCE = ("ASSUMPTION (DS12110 STM32H743xI §6.3.6 run-mode table not retrieved; isa_timing.md "
          "§2.6 UNCONFIRMED): 0.275 mA/MHz at VOS0, VOS1 scaled by core voltage 1.20/1.35")


# Named operating points of the cm7 target (--operating-point / a variant's operating_point): the
# core clock; "400" and "400mhz" are accepted for "400MHz".
OPERATING_POINT_NAMES = {"480MHz": 480, "400MHz": 400}
DEFAULT_OP = "480MHz"


def op_name(x):
    """Canonical operating-point name for ``x`` ('400', '400mhz', 400 -> '400MHz'), or None."""
    t = str(x).strip().lower().replace(" ", "")
    if t.endswith("mhz"):
        t = t[:-3]
    for name, f in OPERATING_POINT_NAMES.items():
        if t in (str(f), f"{f}.0"):
            return name
    return None


def operating_point(freq_mhz):
    """Pick the voltage scale for a frequency: VOS1 up to 400 MHz, VOS0 above (up to 480 MHz)."""
    if not isinstance(freq_mhz, (int, float)) or freq_mhz <= 0:
        raise SimError(f"freq_mhz must be a positive number, got {freq_mhz!r}")
    if freq_mhz > 480:
        raise SimError(f"freq_mhz {freq_mhz} exceeds the STM32H7 maximum of 480 MHz (VOS0)")
    name = "VOS1" if freq_mhz <= 400 else "VOS0"
    op = OPERATING_POINTS[name]
    return {"freq_mhz": freq_mhz, "voltage_scale": name, "vcore_v": op["vcore"], "vdd_v": VDD,
            "code": "ITCM", "data": "DTCM", "regulator": "LDO"}


def energy(cycles, freq_mhz):
    """Return (energy_uj, operating_point dict, energy_model dict)."""
    opd = operating_point(freq_mhz)
    op = OPERATING_POINTS[opd["voltage_scale"]]
    k = op["ma_per_mhz"]
    idd_ma = k * freq_mhz
    p_mw = VDD * idd_ma
    t_us = cycles / freq_mhz
    e_uj = p_mw * t_us / 1000.0
    lo, hi = op["range"]
    model = {
        "source": SOURCE,
        "confirmed": False,
        "ma_per_mhz": round(k, 4),
        "ma_per_mhz_range": [lo, hi],
        "idd_ma": round(idd_ma, 3),
        "power_mw": round(p_mw, 3),
        "energy_uj_range": [VDD * lo * freq_mhz * t_us / 1000.0, VDD * hi * freq_mhz * t_us / 1000.0],
        "formula": "energy_uj = VDD * (mA/MHz * f) * cycles / f",
    }
    return e_uj, opd, model
