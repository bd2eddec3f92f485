"""Issue 18 item 4, target-independent part: instruction classes of executed mnemonics, their
shares as results columns and plots, the lane columns, and the config switch ``lanes: true``."""
import json
import os
import textwrap

import numpy as np
import pandas as pd
import pytest

from isasim.cli import main as cli_main
from isasim.report import opclass, plots

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# written from the ARMv7-M ARM (DDI 0403E §A7) and the XpulpV2 instruction list, not from the
# module's patterns
EXPECTED = {
    "mac": ["smlad", "smladx", "smlald", "smlsd", "smuad", "smusdx", "smlabb", "smlatt", "smulbb",
            "smull", "umlal", "mla", "mls", "mul", "pv.sdotsp.b", "pv.dotup.h", "p.mac", "mulhu",
            "div"],
    "pack_unpack": ["sxtb16", "uxtb16", "sxtab16", "uxth", "sxtb", "pkhbt", "pkhtb", "rev",
                    "pv.pack", "pv.packhi.b", "pv.shuffle2.b", "p.exths"],
    "extract_insert": ["ubfx", "sbfx", "bfi", "bfc", "p.extract", "p.extractu", "p.insert"],
    "shift": ["lsl", "lsls", "lsr", "asr", "ror", "slli", "srai", "sll", "p.ror", "pv.sra.h"],
    "load": ["ldr", "ldrb", "ldrsh", "ldrd", "ldm", "pop", "lw", "lbu", "p.lw", "c.lwsp"],
    "store": ["str", "strh", "strd", "stm", "push", "sw", "sb", "p.sw"],
    "branch": ["b", "bne", "bl", "bx", "blx", "cbz", "cbnz", "tbb", "beq", "bgeu", "jal", "jalr",
               "c.j", "p.bneimm", "lp.setupi"],
    "other": ["add", "adds", "addeq", "sub", "mov", "cmp", "it", "ite", "nop", "sel", "ssub8",
              "addi", "lui", "csrr", "p.clip", "pv.add.b"],
}


RV_ONLY = {"mulhu", "div", "slli", "srai", "sll", "lw", "lbu", "sw", "sb", "beq", "bgeu", "jal", "jalr",
           "addi", "lui", "csrr"}


@pytest.mark.parametrize("cls", list(EXPECTED))
def test_classes_of_known_mnemonics(cls):
    for m in EXPECTED[cls]:
        assert opclass.classify(m) == cls, m
        if cls != "other" and "." not in m and m not in RV_ONLY:     # Thumb-2 .w/.n forms
            assert opclass.classify(m + ".w") == cls, m + ".w"


def test_plugins_by_name_and_declared_class_and_shares():
    pc = {"qnn.sdot4": None, "my.unpk2": "pack_unpack"}
    assert opclass.classify("qnn.sdot4", pc) == "plugin"
    assert opclass.classify("my.unpk2", pc) == "pack_unpack"
    sh = opclass.shares({"smlad": 6, "sxtb16": 2, "ldr": 1, "qnn.sdot4": 1}, pc)
    assert sh["mac"] == 0.6 and sh["pack_unpack"] == 0.2 and sh["plugin"] == 0.1
    assert sum(sh.values()) == pytest.approx(1) and set(sh) == set(opclass.CLASSES)
    assert opclass.shares({}) == {}


def test_op_class_and_lane_plots(tmp_path):
    rows = []
    for v, mac, pk, useful in (("sw", 0.3, 0.4, 75.0), ("qnn", 0.6, 0.0, 50.0)):
        r = {"variant": v, "label": v}
        for c in opclass.CLASSES:
            r[f"opshare_{c}"] = 0.0
        r["opshare_mac"], r["opshare_pack_unpack"], r["opshare_other"] = mac, pk, 1 - mac - pk
        r["lane_useful_pct"] = useful
        rows.append(r)
    df = pd.DataFrame(rows)
    f1 = plots.op_class_bars(df, [], str(tmp_path))
    f2 = plots.lane_bars(df, [], str(tmp_path))
    assert any(p.endswith("op_classes.png") for p in f1) and any(p.endswith("lanes_useful.png") for p in f2)
    assert plots.lane_bars(df.drop(columns=["lane_useful_pct"]), [], str(tmp_path)) == []


def test_lanes_true_is_refused_for_a_target_without_a_lane_profile(tmp_path, capsys, monkeypatch):
    # every built-in target has a lane profile now: a registry in which ri5cy has none
    import dataclasses
    from isasim import targets as TT
    t = TT.TARGETS["ri5cy"]
    monkeypatch.setitem(TT.TARGETS, "ri5cy", dataclasses.replace(t, options=t.options - {"lanes"}))
    q = os.path.join(ROOT, "kernels_asm", "quickstart")
    p = tmp_path / "l.yaml"
    p.write_text(textwrap.dedent(f"""\
        name: lanes
        lanes: true
        variants:
          - {{id: rv, target: ri5cy, sources: [{q}/rv_dot4_sw.S]}}
        """))
    rc = cli_main(["run", str(p)])
    err = capsys.readouterr().err
    assert rc == 2 and "l.yaml:4: variants[0].target" in err and "no lane profile" in err, err
    p.write_text("name: lanes\nlanes: yes please\nvariants:\n"
                 f"  - {{id: rv, target: ri5cy, sources: [{q}/rv_dot4_sw.S]}}\n")
    rc = cli_main(["run", str(p)])
    err = capsys.readouterr().err
    assert rc == 2 and "l.yaml:2: lanes" in err, err
