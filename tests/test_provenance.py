"""Every timing parameter names its source (design principle "Measured beats modelled"), and the
reports list which are measured, documented, assumed or model knobs (issue 18 item 5)."""
import pytest

from isasim.platforms.gap8 import ClusterConfig
from isasim.report import provenance as P
from isasim.timing.cm7 import CM7Timing
from isasim.timing.ri5cy import RI5CYTiming


@pytest.mark.parametrize("cls", [RI5CYTiming, CM7Timing, ClusterConfig])
def test_every_timing_parameter_names_its_source(cls):
    for name, default, src, klass, flags in P.fields(cls):
        assert src and klass in P.CLASSES, f"{cls.__name__}.{name}: no source comment"


def test_classes_of_known_parameters():
    c = {n: k for cls in (RI5CYTiming, CM7Timing, ClusterConfig) for n, _, _, k, _ in P.fields(cls)}
    assert c["mispredict_penalty"] == "measured"      # JN, overriding LLVM's 4
    assert c["axi_latency"] == "assumed" and c["l2_latency"] == "assumed"
    assert c["sb_rmw_cycles"] == "assumed"            # fitted to a measurement: still an assumption
    assert c["quantum"] == "model" and c["icache"] == "model" and c["ring"] == "model"
    assert c["lat_div"] == "documented" and c["tcdm_size"] == "documented"
    assert c["div_zero"] == c["div_base"] == "documented"   # shares the comment above div_base
    flags = {n: f for n, _, _, _, f in P.fields(RI5CYTiming)}
    assert flags["mulh"] == ["CONFLICT"] and flags["hwloop"] == ["UNCONFIRMED"]


def test_markdown_lists_counts_and_assumed_values():
    md = P.markdown(["cm7", "gap8"])
    n = len(P.fields(CM7Timing))
    assert f"**cm7** `CM7Timing` ({n} parameters)" in md and "`axi_latency` = 2" in md
    assert "**gap8** `ClusterConfig`" in md and "`l2_latency` = 10" in md
