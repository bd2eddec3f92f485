"""``isasim build``: sources -> ELF for a target, cached by content hash.

Pipeline per source file:
  .S  -> C preprocessor (-I/-D) -> mnemonic front end -> assembler -> .o
  .s  ->                           mnemonic front end -> assembler -> .o
  .c  -> clang -S -O2            -> mnemonic front end -> assembler -> .o   (inline asm works too)
then ld.lld with the target's default linker script (or --ld-script) and, when no object defines
``_start``, the project's crt0. The front end rewrites instructions that clang does not know
(XpulpV2, plug-ins) into ``.4byte``/``.inst.w`` words, driven by the instruction tables.

The cache key is the hash of everything that determines the output: the rewritten assembly of every
source (so headers, -D values and plug-in encodings are included), the linker script, crt0, flags
and the isasim version. A hit copies the cached ELF, so a repeated build costs only preprocessing.
"""
import hashlib
import os
import shutil
import tempfile

from elftools.elf.elffile import ELFFile

from .. import __version__
from ..errors import BuildError
from . import zig
from .frontend import rewrite, check_object

DATA = os.path.join(os.path.dirname(__file__), "data")
LD_SCRIPTS = {"cm7": "cm7.ld", "ri5cy": "gap8.ld", "gap8": "gap8.ld"}
CRT0 = {"cm7": "crt0_cm7.S", "rv32": "crt0_rv.S"}


def _read(path):
    with open(path, "r", encoding="utf-8", errors="replace") as f:
        return f.read()


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
        zig.cc(isa, flags + ["-O2", "-fomit-frame-pointer", "-fno-integrated-as", "-S", src, "-o", out],
               "compile")
    else:
        raise BuildError(f"{src}: unsupported source type '{ext}' (allowed: .S .s .c)")
    return _read(out)


def _defines_start(obj):
    with open(obj, "rb") as f:
        elf = ELFFile(f)
        symtab = elf.get_section_by_name(".symtab")
        if symtab is None:
            return False
        for s in symtab.iter_symbols():
            if s.name == "_start" and s["st_shndx"] != "SHN_UNDEF":
                return True
    return False


def build_elf(target, sources, out, include_dirs=(), defines=(), plugins=(), ld_script=None,
              use_cache=True):
    """Build ``sources`` for ``target`` ('cm7', 'ri5cy', 'gap8') into the ELF ``out``."""
    isa = zig.isa_of(target)
    if not sources:
        raise BuildError("no source files given")
    for s in list(sources) + ([ld_script] if ld_script else []):
        if not os.path.isfile(s):
            raise BuildError(f"{s}: no such file")
    from ..isa import registry
    table = registry.load_table(isa, plugins)
    script = ld_script or os.path.join(DATA, LD_SCRIPTS[target])
    with tempfile.TemporaryDirectory(prefix="isasim-build-") as tmp:
        texts = []
        checks = []
        for src in sources:
            asm = _to_asm(isa, os.path.abspath(src), include_dirs, defines, tmp)
            chk = []
            texts.append((src, rewrite(asm, table, filename=src, checks=chk)))
            checks.append(chk)
        h = hashlib.sha256()
        for part in [__version__, target, isa, _read(script), _read(os.path.join(DATA, CRT0[isa])),
                     repr(sorted(include_dirs)), repr(list(defines))]:
            h.update(part.encode())
        for src, text in texts:
            h.update(os.path.basename(src).encode())
            h.update(text.encode())
        key = h.hexdigest()[:32]
        cache_dir = os.path.join(zig.cache_root(), "build")
        os.makedirs(cache_dir, exist_ok=True)
        cached = os.path.join(cache_dir, key + ".elf")
        if use_cache and os.path.isfile(cached):
            _copy(cached, out)
            return out
        objs = []
        for i, (src, text) in enumerate(texts):
            asm_path = os.path.join(tmp, f"{i}_{os.path.basename(src)}.s")
            with open(asm_path, "w") as f:
                f.write(text)
            obj = os.path.join(tmp, f"{i}.o")
            zig.cc(isa, ["-c", "-x", "assembler", asm_path, "-o", obj], "assemble")
            check_object(obj, checks[i])
            objs.append(obj)
        if not any(_defines_start(o) for o in objs):
            crt = os.path.join(tmp, "crt0.o")
            zig.cc(isa, ["-c", os.path.join(DATA, CRT0[isa]), "-o", crt], "assemble crt0")
            objs.insert(0, crt)
        tmp_elf = os.path.join(tmp, "out.elf")
        zig.lld(["-T", script] + objs +
                ["-o", tmp_elf])
        shutil.copyfile(tmp_elf, cached + ".part")
        os.replace(cached + ".part", cached)
        _copy(tmp_elf, out)
    return out


def _copy(src, dst):
    d = os.path.dirname(os.path.abspath(dst))
    os.makedirs(d, exist_ok=True)
    shutil.copyfile(src, dst)
