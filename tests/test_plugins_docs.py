"""docs/plugins.md is executed as written: file blocks are written to a scratch directory and the
isasim commands are run there."""
import os
import re
import shlex

import pandas as pd

from isasim.cli import main

DOC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "docs", "plugins.md")


def blocks(text):
    for m in re.finditer(r"```(\w+)([^\n]*)\n(.*?)```", text, re.S):
        yield m.group(1), m.group(2).strip(), m.group(3)


def test_walkthrough_runs_as_written(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    text = open(DOC).read()
    ran = 0
    for lang, info, body in blocks(text):
        if info.startswith("file="):
            (tmp_path / info[5:]).write_text(body)
        elif lang == "sh":
            for line in body.strip().splitlines():
                args = shlex.split(line)
                assert args[0] == "isasim"
                code = main(args[1:])
                out, err = capsys.readouterr()
                assert code == 0, f"{line}: {err}"
                ran += 1
    assert ran >= 3
    df = pd.read_csv(tmp_path / "out" / "dot_u4" / "results.csv")
    assert set(df["variant"]) == {"baseline", "proposal"}
    assert (df["golden"] == "bit-exact").all()
    prop = df[df["variant"] == "proposal"]
    assert (prop["speedup"] > 3).all()          # the new instruction must pay off
    assert (tmp_path / "out" / "dot_u4" / "speedup_vs_baseline.png").exists()
