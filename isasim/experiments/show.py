"""``isasim show RESULTS ROW``: the artefacts of one results row — its ELF, how it was run, and (on
request) its commit-log trace and per-function profile, by re-running exactly that point.

ROW is the row's number in results.csv (0 = the first data row) or a selector ``col=value,...``
that matches exactly one row (e.g. ``variant=int2_sw,layer=l16``). Every row carries its
``point_key``; ``isasim run`` stores the point's recipe (ELF, target, plug-in files, run options)
under that key in the cache.
"""
import json
import os

from .. import cache
from ..errors import IsasimError


def select(df, spec, path):
    if spec.isdigit():
        i = int(spec)
        if not 0 <= i < len(df):
            raise IsasimError(f"{path}: row {i} does not exist (0..{len(df) - 1})")
        return df.iloc[i]
    m = df
    for part in spec.split(","):
        if "=" not in part:
            raise IsasimError(f"row selector '{spec}': expected a row number or col=value,...")
        k, v = (x.strip() for x in part.split("=", 1))
        if k not in df.columns:
            raise IsasimError(f"row selector '{spec}': no column '{k}' in {path}")
        m = m[m[k].astype(str) == v]
    if len(m) != 1:
        raise IsasimError(f"row selector '{spec}' matches {len(m)} rows of {path} (needs exactly one)")
    return m.iloc[0]


def recipe(key):
    r = cache.read_json(os.path.join(cache.root(), "experiments", "points", f"{key}.json"))
    if r is None:
        raise IsasimError(f"point {key}: its recipe is not in this cache ({cache.root()}); re-run "
                          f"the experiment with isasim run to recreate it")
    if not os.path.isfile(r["elf"]):
        raise IsasimError(f"point {key}: its ELF {r['elf']} is gone from the cache; re-run the "
                          f"experiment with isasim run")
    return r


def main(a):
    from ..report.tables import load_results
    df = load_results(a.results)
    row = select(df, a.row, a.results)
    if "point_key" not in row or not isinstance(row["point_key"], str):
        raise IsasimError(f"{a.results}: the row has no point_key")
    r = recipe(row["point_key"])
    info = {"experiment": r["experiment"], "variant": r["variant"], "params": r["params"],
            "target": r["target"], "elf": r["elf"], "plugins": r["plugins"], "run": r["run"]}
    res = None
    if a.trace or a.profile:
        from ..simulate import run_elf
        run = dict(r["run"])
        run.pop("profile", None)
        res = run_elf(r["elf"], r["target"], trace=a.trace, profile=a.profile,
                      plugins=r["plugins"], **run)
        if int(res["cycles"]) != int(row["cycles"]):
            raise IsasimError(f"re-running point {row['point_key']} gave {res['cycles']} cycles, "
                              f"the results row says {row['cycles']}: the cache and the results "
                              f"file are from different versions")
        info["cycles"] = res["cycles"]
        if a.trace:
            info["trace"] = res.get("trace", a.trace)
        if a.profile:
            info["profile"] = res.get("profile")
    if a.json:
        print(json.dumps(info, indent=2, default=str))
        return 0
    for k in ("experiment", "variant", "target", "elf"):
        print(f"{k}: {info[k]}")
    print(f"params: {json.dumps(info['params'], default=str)}")
    print(f"plugins: {', '.join(info['plugins']) or '-'}")
    print(f"run options: {json.dumps(info['run'], default=str)}")
    if res is not None:
        print(f"cycles: {res['cycles']} (same as the results row)")
    if a.trace:
        print(f"trace: {info['trace']}")
    if a.profile:
        print("per-function cycles:")
        for name, v in (info["profile"] or {}).items():
            c = v["cycles"] if isinstance(v, dict) else v
            print(f"  {c:>12,}  {name}")
    return 0
