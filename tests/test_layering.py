"""The layers of docs/architecture.md hold (issue 14): no import cycle inside isasim (counting
imports inside functions too), and nothing in a lower layer imports a higher one."""
import ast
import os

ROOT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "isasim")

# a package may import from the packages listed after it, never from those before it
ORDER = ["isasim.cli", "isasim.experiments", "isasim.report", "isasim.networks", "isasim.simulate",
         "isasim.platforms", "isasim.cores", "isasim.energy", "isasim.timing", "isasim.toolchain",
         "isasim.targets", "isasim.isa.registry", "isasim.plugins", "isasim.isa", "isasim.qnn",
         "isasim.elf", "isasim.cache", "isasim.errors", "isasim.version"]
# The target registry is data that names the modules of each target; its checks reach them
# through imports inside functions (operating points, timing classes, the CSR base): allowed.
ALLOWED = {("isasim.targets", "isasim.platforms"), ("isasim.targets", "isasim.cores"),
           ("isasim.targets", "isasim.energy"), ("isasim.targets", "isasim.timing")}


def _modules():
    mods = {}
    for d, _, fs in os.walk(ROOT):
        for f in fs:
            if f.endswith(".py"):
                p = os.path.join(d, f)
                rel = "isasim" + os.path.relpath(p, ROOT)[:-3].replace(os.sep, ".").join(["." , ""])
                rel = rel.replace("isasim..", "isasim.").removesuffix(".__init__")
                mods[rel] = p
    return mods


def _graph():
    mods = _modules()
    g = {}
    for m, p in mods.items():
        pkg = m if p.endswith("__init__.py") else m.rsplit(".", 1)[0]
        deps = set()
        for n in ast.walk(ast.parse(open(p).read())):
            if isinstance(n, ast.Import):
                deps.update(a.name for a in n.names if a.name in mods)
            elif isinstance(n, ast.ImportFrom):
                base = n.module or ""
                if n.level:
                    parts = pkg.split(".")
                    base = ".".join(parts[:len(parts) - n.level + 1] + ([base] if base else []))
                subs = [f"{base}.{a.name}" for a in n.names if f"{base}.{a.name}" in mods]
                deps.update(subs)
                if len(subs) < len(n.names) and base in mods:
                    deps.add(base)
        g[m] = deps - {m}
    return g


def _layer(m):
    for i, prefix in enumerate(ORDER):
        if m == prefix or m.startswith(prefix + "."):
            return i, prefix
    return None, None


def test_no_import_cycles():
    g = _graph()
    index, low, stack, on, sccs = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in g[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                sccs.append(sorted(comp))
    for v in list(g):
        if v not in index:
            visit(v)
    assert not sccs, f"import cycles: {sccs}"


def test_lower_layers_do_not_import_higher_ones():
    bad = []
    for m, deps in _graph().items():
        lm, pm = _layer(m)
        for d in deps:
            ld, pd = _layer(d)
            if lm is None or ld is None or pm == pd:
                continue
            if ld < lm and (pm, pd) not in ALLOWED:
                bad.append(f"{m} imports {d}")
    assert not bad, bad


def test_cores_import_no_platform_experiment_or_report():
    for m, deps in _graph().items():
        if m.startswith("isasim.cores"):
            assert not [d for d in deps if d.startswith(("isasim.platforms", "isasim.experiments",
                                                           "isasim.report", "isasim.simulate"))], m
