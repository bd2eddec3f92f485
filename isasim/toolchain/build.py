"""``isasim build``: sources -> ELF for a target, cached by content hash.

Pipeline per source file:
  .S  -> C preprocessor (-I/-D) -> mnemonic front end -> assembler -> .o
  .s  ->                           mnemonic front end -> assembler -> .o
  .c  -> clang -S -O2            -> mnemonic front end -> assembler -> .o   (inline asm works too)
         (a line ``// isasim: -O3`` in the file selects its optimisation level, -O0..-O3/-Os/-Oz,
         optionally with -fno-strict-aliasing; see :func:`c_flags`)
then ld.lld with the target's default linker script (or --ld-script) and, when no object defines
``_start``, the project's crt0. The front end rewrites instructions that clang does not know
(XpulpV2, plug-ins) into ``.4byte``/``.inst.w`` words, driven by the instruction tables.

The cache key is the hash of everything that determines the output: the rewritten assembly of every
source (so headers, -D values and plug-in encodings are included), the linker script, crt0, flags
and the isasim version. A hit copies the cached ELF (checked against its checksum, isasim/cache.py),
so a repeated build costs only preprocessing. The target's platform include directories
(isasim/targets.py: ``pulp_cluster.h`` for ri5cy and gap8) are always on the include path.
"""
import hashlib
import os
import re
import tempfile

from ..version import __version__
from .. import cache
from ..errors import BuildError
from . import zig
from .frontend import rewrite, check_object

DATA = os.path.join(os.path.dirname(__file__), "data")


def _read(path):
    with open(path, "r", encoding="utf-8", errors="replace") as f:
        return f.read()


_CFLAGS_LINE = re.compile(r"^//\s*isasim:\s*(.*?)\s*$", re.M)
_CFLAGS_ALLOWED = re.compile(r"^(-O[0-3sz]|-fno-strict-aliasing)$")


def c_flags(src, text):
    """Per-file compiler flags of a .c source: the flags of a ``// isasim: FLAGS`` line (at most
    one), else -O2. Only -O0..-O3, -Os, -Oz and -fno-strict-aliasing are accepted; anything else
    is a BuildError naming the file and line."""
    found = list(_CFLAGS_LINE.finditer(text))
    if not found:
        return ["-O2"]
    line = text.count("\n", 0, found[0].start()) + 1
    if len(found) > 1:
        raise BuildError(f"{src}:{text.count(chr(10), 0, found[1].start()) + 1}: a second "
                         f"'// isasim:' flags line (one per file)")
    flags = found[0].group(1).split()
    bad = [f for f in flags if not _CFLAGS_ALLOWED.match(f)]
    if bad or sum(f.startswith("-O") for f in flags) > 1:
        raise BuildError(f"{src}:{line}: '// isasim:' flags {' '.join(bad) or ' '.join(flags)} not "
                         f"accepted (allowed: one of -O0 -O1 -O2 -O3 -Os -Oz, -fno-strict-aliasing)")
    return (["-O2"] if not any(f.startswith("-O") for f in flags) else []) + flags


def _to_asm(isa, src, inc, defs, tmp):
    """Return assembly text for one source (before the mnemonic front end)."""
    ext = os.path.splitext(src)[1]
    flags = [f"-I{d}" for d in inc] + [f"-D{d}" for d in defs]
    out = os.path.join(tmp, os.path.basename(src) + ".i")
    if ext == ".S":
        zig.cc(isa, flags + ["-E", "-x", "assembler-with-cpp", src, "-o", out], "preprocess")
    elif ext == ".s":
        return _read(src)
    elif ext == ".c":
        # -fno-integrated-as: clang would otherwise reject XpulpV2/plug-in mnemonics in inline asm
        # before the front end sees them
        args = flags + c_flags(src, _read(src)) + ["-fomit-frame-pointer", "-fno-integrated-as"]
        # compiled assembly cached by the preprocessed source (every header and -D included) and
        # the flags: a repeated build of the same C (e.g. one kernel linked with the data of many
        # experiment points) preprocesses instead of compiling
        pre = os.path.join(tmp, os.path.basename(src) + ".pre")
        zig.cc(isa, args + ["-E", src, "-o", pre], "preprocess")
        h = hashlib.sha256()
        for part in [__version__, _zig_version(), isa, repr(zig.TARGET_FLAGS[isa] + zig.COMMON + args),
                     _read(pre)]:
            h.update(part.encode())
            h.update(b"\0")
        cached = os.path.join(cache.subdir("build", "cc"), h.hexdigest()[:32] + ".s")
        if not cache.read_blob(cached, out):
            zig.cc(isa, args + ["-S", src, "-o", out], "compile")
            cache.write_blob(cached, out)
    else:
        raise BuildError(f"{src}: unsupported source type '{ext}' (allowed: .S .s .c)")
    return _read(out)


def _zig_version():
    try:
        from importlib.metadata import version
        return version("ziglang")
    except Exception:                       # pragma: no cover - not installed as a distribution
        return "unknown"


def _defines_start(obj):
    from ..elf import Program
    return Program(obj).defines("_start")


def build_elf(target, sources, out, include_dirs=(), defines=(), plugins=(), ld_script=None,
              use_cache=True, memory=None, operating_point=None):
    """Build ``sources`` for ``target`` (a name of isasim.targets) into the ELF ``out``.
    ``memory`` / ``operating_point`` (cm7): the placement of code and data (the target's linker
    script is generated from them; isasim.cores.cm7.memory)."""
    from .. import targets
    from ..errors import IsasimError
    try:
        tgt = targets.get(target)
    except IsasimError as e:
        raise BuildError(str(e))
    isa = tgt.isa
    if not sources:
        raise BuildError("no source files given")
    for s in list(sources) + ([ld_script] if ld_script else []):
        if not os.path.isfile(s):
            raise BuildError(f"{s}: no such file")
    _check_output(out, sources)
    include_dirs = list(include_dirs) + [d for d in tgt.include_dirs if d not in include_dirs]
    from ..isa import registry
    table = registry.load_table(isa, plugins)
    if memory and (not tgt.ld_generator or ld_script):
        raise BuildError("--memory does not apply to " + ("--ld-script builds" if ld_script else
                                                          f"target {target}"))
    script = ld_script or os.path.join(DATA, tgt.ld_script)
    crt0 = os.path.join(DATA, tgt.crt0)
    with tempfile.TemporaryDirectory(prefix="isasim-build-") as tmp:
        if tgt.ld_generator and not ld_script:
            try:
                text = tgt.linker_script(memory=memory, operating_point=operating_point)
            except IsasimError as e:
                raise BuildError(str(e))
            script = os.path.join(tmp, "memory.ld")
            with open(script, "w") as f:
                f.write(text)
        texts = []
        checks = []
        for src in sources:
            asm = _to_asm(isa, os.path.abspath(src), include_dirs, defines, tmp)
            chk = []
            texts.append((src, rewrite(asm, table, filename=src, checks=chk), asm))
            checks.append(chk)
        h = hashlib.sha256()
        for part in [__version__, target, isa, _read(script), _read(crt0),
                     repr(sorted(include_dirs)), repr(list(defines))]:
            h.update(part.encode())
        for src, text, _ in texts:
            h.update(os.path.basename(src).encode())
            h.update(text.encode())
        key = h.hexdigest()[:32]
        cached = os.path.join(cache.subdir("build"), key + ".elf")
        if use_cache and cache.read_blob(cached, out):
            return out
        objs = []
        for i, (src, text, orig) in enumerate(texts):
            asm_path = os.path.join(tmp, f"{i}_{os.path.basename(src)}.s")
            with open(asm_path, "w") as f:
                f.write(text)
            obj = os.path.join(tmp, f"{i}.o")
            try:
                zig.cc(isa, ["-c", "-x", "assembler", asm_path, "-o", obj], "assemble")
            except BuildError as e:
                raise BuildError(source_location(str(e), asm_path, src, orig)) from None
            check_object(obj, checks[i])
            objs.append(obj)
        if not any(_defines_start(o) for o in objs):
            crt = os.path.join(tmp, "crt0.o")
            zig.cc(isa, ["-c", crt0, "-o", crt], "assemble crt0")
            objs.insert(0, crt)
        tmp_elf = os.path.join(tmp, "out.elf")
        zig.lld(["-T", script] + objs +
                ["-o", tmp_elf])
        cache.write_blob(cached, tmp_elf)
        cache.atomic_copy(tmp_elf, out)
    return out


_DIAG = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+)(?::\d+)?: (?P<msg>.*)$")
_MARK = re.compile(r'^#\s*(\d+)\s+"([^"]*)"')


def source_location(msg, asm_path, src, text):
    """An assembler diagnostic about the temporary file ``asm_path`` rewritten to name the user's
    file and line (through the preprocessor's line markers in ``text``, which has the same lines
    as the assembled file) and the statement as the user wrote it."""
    m = _DIAG.match(msg)
    if not m or os.path.basename(m.group("path")) != os.path.basename(asm_path):
        return msg
    n = int(m.group("line"))
    lines = text.split("\n")
    fname, line = src, n
    for k in range(min(n, len(lines)) - 1, -1, -1):      # the last marker above line n
        mk = _MARK.match(lines[k])
        if mk and k < n - 1:
            fname, line = mk.group(2), int(mk.group(1)) + (n - 1 - k - 1)
            break
    stmt = lines[n - 1].strip() if 0 < n <= len(lines) else ""
    hint = ""
    if "relocatable expression" in m.group("msg") or "undefined" in m.group("msg"):
        hint = "; is every label or symbol it names defined?"
    return f"{fname}:{line}: {m.group('msg')}" + (f" (in '{stmt}'{hint})" if stmt else "")


def _check_output(out, sources):
    """Refuse an output path that would overwrite a source or cannot be written, before building."""
    if not out:
        raise BuildError("no output file given (-o OUT.elf)")
    if os.path.isdir(out):
        raise BuildError(f"-o {out}: is a directory")
    ro = os.path.realpath(out)
    for s in sources:
        if os.path.realpath(s) == ro:
            raise BuildError(f"-o {out}: is one of the sources; it would be overwritten")
    d = os.path.dirname(os.path.abspath(out))
    try:
        os.makedirs(d, exist_ok=True)
    except OSError as e:
        raise BuildError(f"-o {out}: cannot create directory {d} ({e.strerror})")
    if not os.access(d, os.W_OK) or (os.path.exists(out) and not os.access(out, os.W_OK)):
        raise BuildError(f"-o {out}: not writable")
