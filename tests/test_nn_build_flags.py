"""The per-file '// isasim: FLAGS' line of .c sources (isasim/toolchain/build.py c_flags)."""
import pytest

from isasim.errors import BuildError
from isasim.toolchain.build import c_flags


def test_default_and_marker():
    assert c_flags("a.c", "int x;\n") == ["-O2"]
    assert c_flags("a.c", "// isasim: -O3 -fno-strict-aliasing\nint x;\n") == ["-O3", "-fno-strict-aliasing"]
    assert c_flags("a.c", "// isasim: -fno-strict-aliasing\n") == ["-O2", "-fno-strict-aliasing"]


def test_refused_flags_name_file_and_line():
    with pytest.raises(BuildError, match=r"a.c:2: '// isasim:' flags -mcpu=x not accepted"):
        c_flags("a.c", "int x;\n// isasim: -O3 -mcpu=x\n")
    with pytest.raises(BuildError, match="a.c:2: a second"):
        c_flags("a.c", "// isasim: -O3\n// isasim: -O1\n")
