"""``isasim disasm``: RISC-V through the instruction tables (XpulpV2, GAP8, plug-ins by name),
Thumb-2 through capstone (plug-in CDE/UDF words by their plug-in name)."""
from .elf import Program
from .errors import IsasimError
from .isa.disasm import format_instr


def disassemble(path, plugins=()):
    prog = Program(path)
    machine, secs = prog.machine, prog.exec_sections()
    labels = {}
    for name, a in prog.symbols.items():
        if not name.startswith(".L") and not name.startswith("__"):
            labels.setdefault(a & ~1, []).append(name)
    if machine == "EM_RISCV":
        from .isa.registry import load_table
        table = load_table("rv32", plugins)
        yield from _rv(secs, table, prog, labels)
    elif machine == "EM_ARM":
        yield from _thumb(secs, prog, labels, plugins)
    else:
        raise IsasimError(f"{path}: cannot disassemble machine {machine}")


def _walk(secs, labels, decode):
    """Listing of every executable section; ``decode(data, i, addr)`` -> (word, length, text)."""
    for name, base, data in secs:
        yield f"Disassembly of section {name}:"
        i = 0
        while i + 1 < len(data):
            a = base + i
            for lab in labels.get(a, ()):
                yield f"{a:08x} <{lab}>:"
            word, ln, text = decode(data, i, a)
            yield f"  {a:08x}:  {word:0{2 * ln}x}  {text}"
            i += ln


def _rv(secs, table, prog, labels):
    def decode(data, i, a):
        lo = data[i] | (data[i + 1] << 8)
        if lo & 3 == 3 and i + 3 < len(data):
            w, ln = int.from_bytes(data[i:i + 4], "little"), 4
        else:
            w, ln = lo, 2
        ins, vals = table.decode(w, ln)
        text = format_instr(ins, vals, a, prog.symbolize) if ins else \
            (f".4byte 0x{w:08x}" if ln == 4 else f".2byte 0x{w:04x}")
        return w, ln, text
    return _walk(secs, labels, decode)


def _thumb(secs, prog, labels, plugins):
    import capstone
    md = capstone.Cs(capstone.CS_ARCH_ARM, capstone.CS_MODE_THUMB | capstone.CS_MODE_MCLASS)
    named = _thumb_plugin_names(plugins)

    def decode(data, i, a):
        hw1 = data[i] | (data[i + 1] << 8)
        wide = (hw1 >> 11) in (0x1D, 0x1E, 0x1F)
        ln = 4 if wide and i + 3 < len(data) else 2
        word = (hw1 << 16) | (data[i + 2] | (data[i + 3] << 8)) if ln == 4 else hw1
        for fn in named:
            text = fn(word, ln)
            if text:
                return word, ln, text
        got = list(md.disasm(bytes(data[i:i + ln]), a, 1))
        text = f"{got[0].mnemonic} {got[0].op_str}".strip() if got else \
            (f".inst.w 0x{word:08x}" if ln == 4 else f".inst.n 0x{word:04x}")
        return word, ln, text
    return _walk(secs, labels, decode)


def _thumb_plugin_names(plugins):
    if not plugins:
        return []
    from .isa.registry import load_table
    t = load_table("cm7", plugins)

    def name_of(word, ln):
        if ln != 4:
            return None
        ins, vals = t.decode(word, 4)
        return format_instr(ins, vals) if ins else None
    return [name_of]
