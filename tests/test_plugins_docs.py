"""docs/plugins.md is executed as written: file blocks are written to a scratch directory and the
isasim commands are run there. ``<!-- workdir: study -->`` switches to a directory ``study/`` of a
scratch tree that has the repository's kernels_asm/ and experiments/ beside it (the second
walk-through runs "in study/ at the top of the repository"); a command ending in ``# exits N``
must exit with status N."""
import os
import re
import shlex

import pandas as pd

from isasim.cli import main

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOC = os.path.join(ROOT, "docs", "plugins.md")


def steps(text):
    """('workdir', name) and (lang, info, body) in document order."""
    pat = re.compile(r"<!-- workdir: (\w+) -->|```(\w+)([^\n]*)\n(.*?)```", re.S)
    for m in pat.finditer(text):
        if m.group(1):
            yield "workdir", m.group(1), None
        else:
            yield m.group(2), m.group(3).strip(), m.group(4)


def test_walkthroughs_run_as_written(tmp_path, monkeypatch, capsys):
    first = tmp_path / "first"
    first.mkdir()
    monkeypatch.chdir(first)
    cwd = first
    ran = 0
    for lang, info, body in steps(open(DOC).read()):
        if lang == "workdir":
            for d in ("kernels_asm", "experiments"):
                os.symlink(os.path.join(ROOT, d), tmp_path / d)
            cwd = tmp_path / info
            cwd.mkdir()
            monkeypatch.chdir(cwd)
        elif info.startswith("file="):
            (cwd / info[5:]).write_text(body)
        elif lang == "sh":
            for line in body.strip().splitlines():
                want = 0
                m = re.search(r"#\s*exits (\d+)", line)
                if m:
                    want = int(m.group(1))
                    line = line[:line.index("#")]
                args = shlex.split(line)
                assert args[0] == "isasim"
                code = main(args[1:])
                out, err = capsys.readouterr()
                assert code == want, f"{line}: exit {code}, expected {want}: {err}"
                if want == 4:
                    assert "my.unpk2 on cm7" in err and "the reference" in err, err
                ran += 1
    assert ran >= 7
    # first walk-through: the proposal pays off
    df = pd.read_csv(first / "out" / "dot_u4" / "results.csv")
    assert set(df["variant"]) == {"baseline", "proposal"}
    assert (df["golden"] == "bit-exact").all()
    prop = df[df["variant"] == "proposal"]
    assert (prop["speedup"] > 3).all()          # the new instruction must pay off
    assert (first / "out" / "dot_u4" / "speedup_vs_baseline.png").exists()
    # second walk-through: the new kernel through the extension point, the latency sweep, the plot
    st = tmp_path / "study" / "out" / "study"
    df = pd.read_csv(st / "results.csv")
    assert (df["golden"] == "bit-exact").all()
    new = df[df["variant"] == "int2_unpk2"].sort_values("cost.my.unpk2.latency")
    assert list(new["kernel"].unique()) == ["int2_unpk2"] and list(new["helper"].unique()) == ["my.unpk2"]
    assert (new["speedup_vs_sw"] > 1).all() and new["speedup_vs_sw"].is_monotonic_decreasing
    assert new["cycles"].iloc[-1] > new["cycles"].iloc[0]      # the latency is visible at 4
    assert list(st.glob("speedup_vs_sw_vs_cost.my.unpk2.latency_by_variant.png"))
