"""Comments and docs cite files that exist in the repository (issue 14 item 5).

The reference notes the models are built from are shipped in docs/reference/; a citation of the
team's private copy (``../shared/reference/``) names a file a clone does not have. Every
repository path written in code, tests, docs or experiments (``isasim/...py``, ``docs/...md``,
``tests/...``, ``experiments/...``, ``benchmarks/...``, ``kernels_*``) must exist.
"""
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCANNED = ("isasim", "tests", "docs", "experiments", "benchmarks", "kernels_asm", "kernels_c",
           "README.md")
SUFFIXES = (".py", ".md", ".yaml", ".S", ".c", ".h", ".tsv", ".ld")
PATH = re.compile(r"(?<![\w./-])((?:isasim|tests|docs|experiments|kernels_asm|kernels_c|benchmarks)"
                  r"/[\w/.\-]*\.(?:py|md|S|c|h|yaml|ld|tsv|json|ipynb|csv))")


def _files():
    for top in SCANNED:
        p = os.path.join(ROOT, top)
        if os.path.isfile(p):
            yield p
            continue
        for d, dirs, fs in os.walk(p):
            dirs[:] = [x for x in dirs if x not in ("__pycache__", "reference")]
            for f in fs:
                if f.endswith(SUFFIXES):
                    yield os.path.join(d, f)


def _lines():
    for f in _files():
        rel = os.path.relpath(f, ROOT)
        with open(f, errors="replace") as fh:
            for i, line in enumerate(fh, 1):
                yield f"{rel}:{i}", line


def test_no_citation_of_a_private_reference_copy():
    bad = [where for where, line in _lines() if "shared/reference" in line
           and "test_citations.py" not in where]
    assert not bad, "cite docs/reference/ instead: " + ", ".join(bad)


def test_every_cited_repository_path_exists():
    missing = []
    for where, line in _lines():
        for m in PATH.finditer(line):
            p = m.group(1).rstrip(".")
            if any(c in p for c in "*<{") or "/..." in p:
                continue                       # a pattern, not a file
            if not os.path.exists(os.path.join(ROOT, p)):
                missing.append(f"{where}: {p}")
    assert not missing, "cited files that do not exist:\n" + "\n".join(missing)


def test_the_scan_sees_citations():
    # the pattern must match the repository's own way of citing, or the test above cannot fail
    hits = sum(1 for _, line in _lines() for _ in PATH.finditer(line))
    assert hits > 100
    assert any("docs/reference/isa_timing.md" in line for _, line in _lines())
