"""Source -> ELF: the bundled clang/ld.lld (PyPI ``ziglang``), the XpulpV2/plug-in mnemonic
front end, default linker scripts and start-up code, and a content-hash build cache."""
