"""Invoke the bundled cross toolchain (clang 22 + ld.lld from the PyPI package ``ziglang``).

Facts this relies on (docs/reference/toolchain.md, re-checked here): ``python -m ziglang cc``
assembles Thumb-2 (``-target thumb-freestanding-eabi -mcpu=cortex_m7``) and RV32IMC
(``-target riscv32-freestanding -mcpu=generic_rv32+m+c``); ``python -m ziglang ld.lld`` links with a
linker script. zig's driver prints hundreds of "argument unused" warnings when assembling; they are
silenced with -Wno-unused-command-line-argument.
"""
import os
import subprocess
import sys

from ..errors import BuildError

TARGET_FLAGS = {
    "cm7": ["-target", "thumb-freestanding-eabi", "-mcpu=cortex_m7", "-mfloat-abi=soft", "-mthumb"],
    "rv32": ["-target", "riscv32-freestanding", "-mcpu=generic_rv32+m+c", "-mno-relax"],
}
COMMON = ["-Wno-unused-command-line-argument", "-ffreestanding", "-fno-builtin", "-nostdlib",
          "-fno-pic", "-g0"]


def _run(args, what):
    env = dict(os.environ)
    # zig keeps a global cache; keep it inside the user's cache dir when HOME is unwritable
    env.setdefault("ZIG_GLOBAL_CACHE_DIR", os.path.join(cache_root(), "zig"))
    env.setdefault("ZIG_LOCAL_CACHE_DIR", os.path.join(cache_root(), "zig-local"))
    try:
        p = subprocess.run([sys.executable, "-m", "ziglang"] + args, capture_output=True, text=True,
                           env=env)
    except FileNotFoundError as e:  # pragma: no cover - python itself missing
        raise BuildError(f"cannot run the toolchain: {e}")
    if p.returncode != 0:
        raise BuildError(first_error(p.stderr) or f"{what} failed (exit {p.returncode})")
    return p


def first_error(stderr):
    """The first diagnostic line that says 'error', cleaned of zig's noise."""
    lines = [l for l in stderr.splitlines() if l.strip() and "unused-command-line-argument" not in l]
    for l in lines:
        if "error" in l:
            l = l.replace("ld.lld: error: ", "link error: ")
            return l.strip()
    return lines[0].strip() if lines else ""


def cc(isa, args, what="compile"):
    return _run(["cc"] + TARGET_FLAGS[isa] + COMMON + args, what)


def lld(args):
    return _run(["ld.lld"] + args, "link")


def cache_root():
    from ..cache import root
    return root()
