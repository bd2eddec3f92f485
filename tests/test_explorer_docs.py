"""docs/explorer.md is executed as written (file blocks written to a ``study/`` directory at the
top of a scratch tree with the repository's kernels_asm/ and experiments/ beside it, the isasim
commands run there) and every statement of its "Reading the answer" section is checked against
the results of that run."""
import json
import os
import re
import shlex

import numpy as np
import pandas as pd

from isasim.cli import main

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOC = os.path.join(ROOT, "docs", "explorer.md")


def test_explorer_walkthrough_runs_and_its_claims_hold(tmp_path, monkeypatch, capsys):
    text = open(DOC).read()
    for d in ("kernels_asm", "experiments"):
        os.symlink(os.path.join(ROOT, d), tmp_path / d)
    cwd = tmp_path / "study"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    ran = 0
    outputs = []
    for m in re.finditer(r"```(\w+)([^\n]*)\n(.*?)```", text, re.S):
        lang, info, body = m.group(1), m.group(2).strip(), m.group(3)
        if info.startswith("file="):
            (cwd / info[5:]).write_text(body)
        elif lang == "sh":
            for line in body.strip().splitlines():
                args = shlex.split(line)
                assert args[0] == "isasim"
                code = main(args[1:])
                out, err = capsys.readouterr()
                assert code == 0, f"{line}: exit {code}: {err}"
                if "--json" in args:
                    outputs.append(json.loads(out))
                ran += 1
    assert ran == 8
    # record once, re-time: the re-timed result is the fresh run's
    rt, fresh = outputs
    for k in ("cycles", "instructions", "stalls", "counters", "energy_uj", "exit_code"):
        assert rt[k] == fresh[k], k
    base = main(["exec", "loop.elf", "--target", "cm7", "--plugin", "qnn", "--json"])
    plain = json.loads(capsys.readouterr().out)
    assert base == 0 and plain["cycles"] < rt["cycles"]          # "the latency shows"
    df = pd.read_csv(cwd / "out" / "explore" / "results.csv")
    assert (df["golden"] == "bit-exact").all()
    for y in ("speedup", "kernel_speedup"):
        assert (cwd / "out" / "explore" / "plots" / f"{y}_vs_cost.qnn.sdot4.latency_by_variant.png").exists()
    q = df[df["variant"] == "int4_sdot4"].set_index("cost.qnn.sdot4.latency").sort_index()
    # phases add up; at the declared latency 2
    assert (q["cycles_phase_matmul"] + q["cycles_phase_im2col"] + q["cycles_phase_other"] == q["cycles"]).all()
    assert f"the whole layer is {q.loc[2, 'speedup']:.1f}x faster" in text.replace("\n  ", " ")
    assert f"loop {q.loc[2, 'kernel_speedup']:.1f}x" in text.replace("\n  ", " ")
    assert q.loc[2, "kernel_speedup"] > q.loc[2, "speedup"] and q.loc[2, "amdahl_matmul"] > 1
    # latencies 1..8 identical, then falling
    assert q.loc[[1, 2, 4, 8], "cycles"].nunique() == 1 and q.loc[16, "cycles"] > q.loc[8, "cycles"]
    stall_sum = q[[c for c in q.columns if c.startswith("stall_")]].fillna(0).sum(axis=1)
    assert stall_sum.loc[8] == stall_sum.loc[2]
    assert q.loc[8, "stall_dependency"] > q.loc[2, "stall_dependency"]
    assert np.all(np.diff(q["speedup"].to_numpy()) <= 0)
    # the answer: the largest swept latency that still pays off, and the 2x budget
    n_pays = max(lat for lat, s in q["speedup"].items() if s > 1)
    n_2x = max(lat for lat, s in q["speedup"].items() if s >= 2)
    assert f"pays off up to latency {n_pays}**" in text
    assert f"can afford latency {n_2x}." in text
    assert q["speedup"].iloc[-1] < 1                 # the sweep reaches the break-even
    # the software kernel has no qnn.sdot4: the same figures at every latency
    sw = df[df["variant"] == "int4_sw"]
    assert sw["cycles"].nunique() == 1 and len(sw) == len(q)


def test_explorer_notebook_runs(tmp_path, monkeypatch, capsys):
    """docs/explorer.ipynb: its code cells run in order in one namespace (as a kernel would, from
    the repository's top directory) and reach the same answer as docs/explorer.md."""
    import json
    nb = json.load(open(os.path.join(ROOT, "docs", "explorer.ipynb")))
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("EXPLORER_OUT", str(tmp_path))
    monkeypatch.delenv("DISPLAY", raising=False)
    ns = {}
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            src = "".join(cell["source"])
            exec(compile(src, "explorer.ipynb", "exec"), ns)
    out = capsys.readouterr().out
    text = open(DOC).read()
    n = re.search(r"pays off up to latency (\d+)\*\*", text).group(1)
    assert f"pays off up to latency {n};" in out
    assert (tmp_path / "speedup_vs_latency.png").exists()
