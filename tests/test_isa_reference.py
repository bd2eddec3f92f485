"""docs/isa/*.md are generated from the instruction tables and must be current (a table change
without regenerated pages fails here), and every built-in mnemonic is findable there."""
import os

from isasim.report import isa_reference as reference
from isasim.isa.registry import load_table

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOCS = os.path.join(ROOT, "docs", "isa")


def test_reference_pages_are_current():
    pages = reference.generate()
    for name, text in pages.items():
        path = os.path.join(DOCS, name)
        assert os.path.isfile(path), f"{path} missing: run python -m isasim.report.isa_reference docs/isa"
        assert open(path).read() == text, (f"{path} is not current: run "
                                           f"python -m isasim.report.isa_reference docs/isa")


def test_every_mnemonic_is_on_a_page():
    text = "".join(reference.generate().values())
    names = {i.name for i in load_table("rv32", ["qnn"]).instrs} | \
        {i.name for i in load_table("cm7", ["qnn"]).instrs}
    missing = sorted(n for n in names if f"| `{n}` |" not in text)
    assert not missing
