"""ELF reading shared by the cores: loadable segments, symbols, symbol+offset lookup."""
import bisect

from elftools.elf.elffile import ELFFile
from elftools.common.exceptions import ELFError

from .errors import IsasimError


class Program:
    def __init__(self, path):
        try:
            with open(path, "rb") as f:
                elf = ELFFile(f)
                self.machine = elf["e_machine"]
                self.entry = elf["e_entry"]
                self.segments = []
                for seg in elf.iter_segments():
                    if seg["p_type"] != "PT_LOAD" or seg["p_memsz"] == 0:
                        continue
                    data = seg.data()
                    data = data + bytes(seg["p_memsz"] - len(data))
                    self.segments.append((seg["p_paddr"], data, bool(seg["p_flags"] & 1)))
                self.symbols = {}
                funcs = []
                st = elf.get_section_by_name(".symtab")
                if st is not None:
                    for s in st.iter_symbols():
                        if s.name and s["st_shndx"] != "SHN_UNDEF" and not s.name.startswith("$"):
                            self.symbols.setdefault(s.name, s["st_value"])
                            if s["st_info"]["type"] in ("STT_FUNC", "STT_NOTYPE") and \
                                    not s.name.startswith(".L"):
                                funcs.append((s["st_value"] & ~1, s.name))
                funcs.sort()
                self._addrs = [a for a, _ in funcs]
                self._names = [n for _, n in funcs]
        except FileNotFoundError:
            raise IsasimError(f"{path}: no such file")
        except (ELFError, OSError) as e:
            raise IsasimError(f"{path}: not a readable ELF file ({e})")
        self.path = path

    @classmethod
    def from_code(cls, code, base, data=()):
        """A program made of raw code bytes at ``base`` (+ optional (addr, bytes) data segments),
        for tests and tools that generate machine code directly."""
        p = cls.__new__(cls)
        p.machine, p.entry, p.path = "EM_RISCV", base, "<code>"
        p.segments = [(base, bytes(code), True)] + [(a, bytes(d), False) for a, d in data]
        p.symbols, p._addrs, p._names = {}, [], []
        return p

    def symbolize(self, addr):
        """'name+0x10' for the closest symbol at or below addr, or None."""
        i = bisect.bisect_right(self._addrs, addr) - 1
        if i < 0:
            return None
        off = addr - self._addrs[i]
        return self._names[i] + (f"+0x{off:x}" if off else "")
