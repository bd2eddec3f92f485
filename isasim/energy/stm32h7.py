"""STM32H743 energy model: run-mode supply current from the datasheet, by silicon revision, voltage
scale, core clock, where the code runs from and whether the caches are on.

energy_uj = VDD * IDD * cycles / f. IDD is the typical run-mode current of DS12110 Rev 10 (March
2023), §6.3.6 (revision Y silicon, tables 30-33) and §7.3.6 (revision V, tables 129-131), "all
peripherals disabled", CoreMark, LDO regulator, 25 °C, VDD 3.3 V (cm7_measured.md §2; the text
read with the look-up tool, id 21769605680). The maximum at TJ = 25 °C gives the upper end of the
range reported with every energy; rows without a maximum give no range (absent, not guessed).

Which table: the code's location and the cache state of the run (isasim.cores.cm7.memory):

* code in ITCM: table 30 (rev Y) / 129 (rev V); data in DTCM, "cache has no influence" (footnote);
* code in flash, caches on: table 31 / 130; caches off: table 32 / 131 ("cache" = both caches: a
  run with only one of them on is not covered);
* code in AXI SRAM, SRAM1 or SRAM4: table 33 (rev Y, 400 MHz only, caches on or off);
* anything else (SRAM2/3 code, rev V code outside ITCM/flash, a voltage scale or clock outside the
  table) is not covered: the energy is absent (``energy_uj`` None) and the result says why.

Between two tabulated clocks of one voltage scale in one table the current is interpolated
linearly, and the result says so; there is no extrapolation.
"""
from ..errors import SimError

VDD = 3.3   # V: DS12110 typical conditions (cm7_measured.md §2)
SOURCE = "DS12110 Rev 10 (STM32H742xI/G STM32H743xI/G datasheet, March 2023)"

# (revision, table) -> (title, {VOS: [(MHz, typ mA, max mA at TJ 25 °C or None), ...]})
TABLES = {
    ("Y", 30): ("code and data processing from ITCM, regulator ON (data in DTCM)",
                {"VOS1": [(400, 71, 110), (300, 56, None)],
                 "VOS2": [(300, 50, 72), (216, 37, 58), (200, 35.5, None)],
                 "VOS3": [(200, 33, 50), (180, 30, 47), (168, 28, 45), (144, 25, 41),
                          (60, 13, 28), (25, 10, 24)]}),
    ("Y", 31): ("code from flash memory, cache ON, regulator ON",
                {"VOS1": [(400, 105, 160), (300, 55, None)],
                 "VOS2": [(300, 50, 72), (216, 38, None), (200, 36, None)],
                 "VOS3": [(200, 33, 50), (180, 30, None), (168, 29, None), (144, 26, None),
                          (60, 14, None), (25, 14, None)]}),
    ("Y", 32): ("code from flash memory, cache OFF, regulator ON",
                {"VOS1": [(400, 73, 110)], "VOS2": [(300, 52, 75)], "VOS3": [(200, 34, 52)]}),
    ("V", 129): ("code and data processing from ITCM, LDO regulator ON (data in DTCM)",
                 {"VOS0": [(480, 148, 226), (400, 125, None)],
                  "VOS1": [(400, 110, 168), (300, 84, None)],
                  "VOS2": [(300, 76, 114), (216, 56, 88), (200, 53, None)],
                  "VOS3": [(200, 47, 71), (180, 43, 64), (168, 40, 63), (144, 35, 55),
                           (60, 16, 36), (25, 12, 24)]}),
    ("V", 130): ("code from flash memory, cache ON, LDO regulator ON",
                 {"VOS0": [(480, 110, 222), (400, 91, None)],
                  "VOS1": [(400, 80, 162), (300, 61.5, None)],
                  "VOS2": [(300, 55, 111), (200, 38.5, None)], "VOS3": [(200, 34.5, 69)]}),
    ("V", 131): ("code from flash memory, cache OFF, LDO regulator ON",
                 {"VOS0": [(480, 87, 157)], "VOS1": [(400, 73, 123)], "VOS2": [(300, 52, 85)],
                  "VOS3": [(200, 34, 54)]}),
}
# table 33 (rev Y): CoreMark at 400 MHz by code position; the scale is not printed (400 MHz is
# VOS1 on revision Y: VOS1 is the only scale of tables 30-32 that reaches 400 MHz)
TABLE33 = {("axisram", "on"): 105, ("sram1", "on"): 105, ("sram4", "on"): 105,
           ("axisram", "off"): 70.5, ("sram1", "off"): 74.5, ("sram4", "off"): 72}
REVISIONS = {"Y": "revision Y (the silicon measured in cm7_measured.md §1; NUCLEO-H743ZI of "
                  "2018-2020)", "V": "revision V (480 MHz)"}

# Named operating points of the cm7 target (--operating-point / a variant's operating_point):
# silicon revision, core clock, voltage scale, the placement and cache state they imply (a
# variant's memory option overrides them), and the flash wait states of the set-up.
OPERATING_POINTS = {
    # the STM32H7 set-up of the papers' group (cm7_measured.md §3): NUCLEO-STM32H743ZI, 400 MHz,
    # VOS1, I- and D-cache on, flash latency 2 wait states, code and weights in flash
    "400MHz-flash": dict(revision="Y", freq_mhz=400, vos="VOS1", placement="flash", caches="on",
                         note="the papers' group's STM32H743 set-up (cm7_measured.md §3)"),
    "400MHz-flash-nocache": dict(revision="Y", freq_mhz=400, vos="VOS1", placement="flash",
                                 caches="off", note="the same set-up with both caches off"),
    "400MHz": dict(revision="Y", freq_mhz=400, vos="VOS1", placement="tcm", caches="on",
                   note="all-TCM: code in ITCM, data in DTCM"),
    "480MHz": dict(revision="V", freq_mhz=480, vos="VOS0", placement="tcm", caches="on",
                   note="all-TCM at the revision V maximum clock (the former default)"),
    "480MHz-flash": dict(revision="V", freq_mhz=480, vos="VOS0", placement="flash", caches="on",
                         note="revision V at 480 MHz, code and weights in flash, caches on"),
}
OPERATING_POINT_NAMES = {k: v["freq_mhz"] for k, v in OPERATING_POINTS.items()}
DEFAULT_OP = "400MHz-flash"


def op_name(x):
    """Canonical operating-point name for ``x`` ('400', '400mhz', 400 -> '400MHz'), or None."""
    t = str(x).strip().lower().replace(" ", "")
    for name in OPERATING_POINTS:
        if t == name.lower():
            return name
    if t.endswith("mhz"):
        t = t[:-3]
    for name, f in OPERATING_POINT_NAMES.items():
        if name == f"{f}MHz" and t in (str(f), f"{f}.0"):
            return name
    return None


def point(name=None, freq_mhz=None):
    """The operating point ``name`` (default DEFAULT_OP) as a dict; ``freq_mhz`` runs it at another
    clock within its voltage scale (the highest clock any table gives for that scale)."""
    n = op_name(name) if name is not None else DEFAULT_OP
    if n is None:
        raise SimError(f"unknown cm7 operating point '{name}' (allowed: {', '.join(OPERATING_POINTS)})")
    op = dict(OPERATING_POINTS[n], name=n)
    if freq_mhz is not None:
        if isinstance(freq_mhz, bool) or not isinstance(freq_mhz, (int, float)) or freq_mhz <= 0:
            raise SimError(f"freq_mhz must be a positive number, got {freq_mhz!r}")
        fmax = max(f for (rev, _), (_, rows) in TABLES.items() if rev == op["revision"]
                   for f, _, _ in rows.get(op["vos"], ()))
        if freq_mhz > fmax:
            raise SimError(f"freq_mhz {freq_mhz} exceeds {fmax} MHz, the highest clock of "
                           f"{op['vos']} on STM32H743 {REVISIONS[op['revision']].split(' (')[0]} "
                           f"(operating point {n}; DS12110 tables)")
        op["freq_mhz"] = freq_mhz
    return op


def _row(rows, f):
    """(typ, max, note) at clock f from the rows of one scale (exact or interpolated)."""
    for fr, typ, mx in rows:
        if fr == f:
            return typ, mx, "row"
    below = [r for r in rows if r[0] < f]
    above = [r for r in rows if r[0] > f]
    if not below or not above:
        return None, None, None
    lo = max(below)
    hi = min(above)
    w = (f - lo[0]) / (hi[0] - lo[0])
    typ = lo[1] + w * (hi[1] - lo[1])
    mx = lo[2] + w * (hi[2] - lo[2]) if lo[2] is not None and hi[2] is not None else None
    return typ, mx, f"interpolated linearly between the {lo[0]} and {hi[0]} MHz rows"


def current(op, code, icache, dcache):
    """The DS12110 current for a run: {table, title, row, idd_ma, idd_max_ma, interpolated} or
    {covered: False, reason} when no table covers it."""
    rev, vos, f = op["revision"], op["vos"], op["freq_mhz"]

    def absent(why):
        return {"covered": False, "reason": why}
    caches = icache if icache == dcache else None
    if code == "itcm":
        table = 30 if rev == "Y" else 129
    elif code == "flash":
        if caches is None:
            return absent(f"code in flash with icache={icache}, dcache={dcache}: DS12110 tables "
                          f"{'31/32' if rev == 'Y' else '130/131'} have both caches on or both off")
        table = {("Y", "on"): 31, ("Y", "off"): 32, ("V", "on"): 130, ("V", "off"): 131}[(rev, caches)]
    elif rev == "Y" and (code, caches) in TABLE33:
        if f != 400 or vos != "VOS1":
            return absent(f"code in {code}: DS12110 table 33 gives 400 MHz (VOS1) only, not "
                          f"{f} MHz {vos}")
        idd = TABLE33[(code, caches)]
        return {"covered": True, "table": 33, "title": "typical consumption vs code position "
                "(CoreMark, 400 MHz)", "row": f"{code.upper()}, cache {caches.upper()}, 400 MHz",
                "idd_ma": idd, "idd_max_ma": None, "interpolated": False}
    else:
        return absent(f"code in {code} (icache={icache}, dcache={dcache}) on revision {rev}: no "
                      f"DS12110 run-mode table (ITCM, flash; rev Y table 33: AXI SRAM, SRAM1, SRAM4)")
    title, scales = TABLES[(rev, table)]
    rows = scales.get(vos)
    if not rows:
        return absent(f"DS12110 table {table} has no {vos} rows")
    typ, mx, how = _row(rows, f)
    if typ is None:
        fs = ", ".join(str(r[0]) for r in rows)
        return absent(f"{f} MHz is outside the {vos} rows of DS12110 table {table} ({fs} MHz): "
                      "no extrapolation")
    return {"covered": True, "table": table, "title": title,
            "row": f"{vos}, {f:g} MHz, all peripherals disabled" + ("" if how.startswith("row")
                                                                    else f" ({how})"),
            "idd_ma": round(typ, 4), "idd_max_ma": None if mx is None else round(mx, 4),
            "interpolated": not how.startswith("row")}


def energy(cycles, op, code, icache, dcache):
    """(energy_uj or None, operating_point dict, energy_model dict)."""
    f = op["freq_mhz"]
    cur = current(op, code, icache, dcache)
    opd = {"name": op["name"], "freq_mhz": f, "voltage_scale": op["vos"],
           "silicon": f"rev {op['revision']}", "code": code, "icache": icache, "dcache": dcache,
           "vdd_v": VDD, "regulator": "LDO", "note": op["note"]}
    t_us = cycles / f
    if not cur["covered"]:
        return None, opd, {"source": SOURCE, "confirmed": True, "covered": False,
                           "reason": cur["reason"], "energy_uj_range": None}
    e = VDD * cur["idd_ma"] * t_us / 1000.0
    rng = [e, VDD * cur["idd_max_ma"] * t_us / 1000.0] if cur["idd_max_ma"] is not None else None
    model = {"source": f"{SOURCE}, table {cur['table']} ({REVISIONS[op['revision']]}): "
                       f"{cur['title']}; {cur['row']}",
             "confirmed": True, "covered": True, "table": cur["table"], "row": cur["row"],
             "interpolated": cur["interpolated"], "idd_ma": cur["idd_ma"],
             "idd_max_ma": cur["idd_max_ma"], "power_mw": round(VDD * cur["idd_ma"], 3),
             "energy_uj_range": rng,
             "range_note": "typical to maximum at TJ = 25 °C" if rng else
             "the table gives no maximum for this row: no range",
             "formula": "energy_uj = VDD * IDD * cycles / f"}
    return e, opd, model
