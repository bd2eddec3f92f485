"""ELF reading, in one place: linked programs (loadable segments, entry, symbols, functions for
symbol+offset lookup, sections) and relocatable objects (sections and symbols) of both ISAs.
Every other module reads ELF files through ``Program``; a missing, truncated or corrupt file is a
one-line IsasimError naming it, never a parser exception."""
import bisect

from elftools.elf.elffile import ELFFile

from .errors import IsasimError


# region marker label prefixes (kernels_asm/include/isasim_region.h)
REGION_BEGIN = "__isasim_region_begin."
REGION_END = "__isasim_region_end."


def region_sums(regions, per_pc, kinds):
    """{region: {"cycles", "instructions", "stalls": {kind: n}}} summing ``per_pc`` ({address:
    [cycles, instructions, [stall per kind]]}) over each region's address ranges."""
    out = {}
    for name, ranges in regions.items():
        c = n = 0
        st = [0] * len(kinds)
        for pc, (pc_c, pc_n, pc_st) in per_pc.items():
            if any(b <= pc < e for b, e in ranges):
                c += pc_c
                n += pc_n
                for i, v in enumerate(pc_st):
                    st[i] += v
        out[name] = {"cycles": int(c), "instructions": int(n),
                     "stalls": {k: int(v) for k, v in zip(kinds, st)}}
    return out


class Program:
    def __init__(self, path):
        try:
            with open(path, "rb") as f:
                self._read(ELFFile(f), f.seek(0, 2))
        except FileNotFoundError:
            raise IsasimError(f"{path}: no such file")
        except IsADirectoryError:
            raise IsasimError(f"{path}: is a directory, not an ELF file")
        except IsasimError as e:
            raise IsasimError(f"{path}: {e}")
        except Exception as e:      # pyelftools raises many types for truncated/corrupt files
            raise IsasimError(f"{path}: not a readable ELF file ({type(e).__name__}: "
                              f"{' '.join(str(e).split()) or 'truncated or corrupt'})")
        self.path = path

    def _read(self, elf, fsize):
        for what, off, num, ent in (("program", "e_phoff", "e_phnum", "e_phentsize"),
                                    ("section", "e_shoff", "e_shnum", "e_shentsize")):
            if elf[off] + elf[num] * elf[ent] > fsize:
                raise IsasimError(f"the {what} header table ({elf[num]} entries at offset "
                                  f"{elf[off]}) extends past the end of the file ({fsize} bytes): "
                                  f"truncated or corrupt ELF")
        self.machine = elf["e_machine"]
        self.kind = elf["e_type"]                 # ET_EXEC, ET_REL, ...
        self.entry = elf["e_entry"]
        self.segments = []                        # (address, bytes incl. zero fill, executable)
        for seg in elf.iter_segments():
            if seg["p_type"] != "PT_LOAD" or seg["p_memsz"] == 0:
                continue
            if seg["p_offset"] + seg["p_filesz"] > fsize:
                raise IsasimError(f"segment at {seg['p_paddr']:#010x} (+{seg['p_filesz']} bytes from "
                                  f"offset {seg['p_offset']}) extends past the end of the file "
                                  f"({fsize} bytes): truncated ELF")
            data = seg.data()
            if len(data) != seg["p_filesz"]:
                raise IsasimError(f"segment at {seg['p_paddr']:#010x} is cut short "
                                  f"({len(data)} of {seg['p_filesz']} bytes): truncated file")
            data = data + bytes(seg["p_memsz"] - len(data))
            self.segments.append((seg["p_paddr"], data, bool(seg["p_flags"] & 1)))
        self.sections = {}                        # name -> (address, bytes, flags, type)
        for s in elf.iter_sections():
            if s.name and s["sh_type"] != "SHT_NOBITS":
                self.sections[s.name] = (s["sh_addr"], s.data(), s["sh_flags"], s["sh_type"])
        self.symbols = {}                         # name -> value (defined symbols only)
        self.sizes = {}                           # name -> st_size
        self.functions = []                       # sorted (address, size, name) of STT_FUNC
        funcs = []
        st = elf.get_section_by_name(".symtab")
        if st is not None:
            for s in st.iter_symbols():
                if s.name and s["st_shndx"] != "SHN_UNDEF" and not s.name.startswith("$"):
                    self.symbols.setdefault(s.name, s["st_value"])
                    self.sizes.setdefault(s.name, s["st_size"])
                    if s["st_info"]["type"] == "STT_FUNC":
                        self.functions.append((s["st_value"] & ~1, s["st_size"], s.name))
                    if s["st_info"]["type"] in ("STT_FUNC", "STT_NOTYPE") and \
                            not s.name.startswith((".L", REGION_BEGIN, REGION_END)):
                        funcs.append((s["st_value"] & ~1, s.name))
        funcs.sort()
        self.functions.sort()
        self._addrs = [a for a, _ in funcs]
        self._names = [n for _, n in funcs]

    @classmethod
    def from_code(cls, code, base, data=()):
        """A program made of raw code bytes at ``base`` (+ optional (addr, bytes) data segments),
        for tests and tools that generate machine code directly."""
        p = cls.__new__(cls)
        p.machine, p.kind, p.entry, p.path = "EM_RISCV", "ET_EXEC", base, "<code>"
        p.segments = [(base, bytes(code), True)] + [(a, bytes(d), False) for a, d in data]
        p.sections, p.symbols, p.sizes, p.functions, p._addrs, p._names = {}, {}, {}, [], [], []
        return p

    def section(self, name):
        """Contents of section ``name``, or None."""
        s = self.sections.get(name)
        return s[1] if s is not None else None

    def exec_sections(self):
        """[(name, address, bytes)] of the executable PROGBITS sections (for disassembly)."""
        return [(n, a, d) for n, (a, d, fl, ty) in self.sections.items()
                if fl & 0x4 and ty == "SHT_PROGBITS" and d]

    def regions(self):
        """{name: [(begin, end), ...]} of the region markers (kernels_asm/include/isasim_region.h:
        local labels ``__isasim_region_begin.<name>.<n>`` / ``__isasim_region_end.<name>.<n>``),
        each BEGIN paired with the first END of its name above it, address ranges [begin, end).
        A marker without its partner is a one-line error naming the ELF."""
        marks = {}
        for sym, a in self.symbols.items():
            for kind, prefix in ((0, REGION_BEGIN), (1, REGION_END)):
                if sym.startswith(prefix):
                    name = sym[len(prefix):].rsplit(".", 1)[0]
                    marks.setdefault(name, ([], []))[kind].append(a & ~1)
        out = {}
        for name, (begins, ends) in sorted(marks.items()):
            begins, ends = sorted(begins), sorted(ends)
            if len(begins) != len(ends) or any(e < b for b, e in zip(begins, ends)) or \
                    any(b2 < e1 for e1, b2 in zip(ends, begins[1:])):
                raise IsasimError(f"{self.path}: region '{name}': {len(begins)} ISASIM_REGION_BEGIN "
                                  f"and {len(ends)} ISASIM_REGION_END markers that do not pair up "
                                  f"in address order (begins {[hex(b) for b in begins]}, ends "
                                  f"{[hex(e) for e in ends]})")
            out[name] = list(zip(begins, ends))
        return out

    def defines(self, name):
        return name in self.symbols

    def symbolize(self, addr):
        """'name+0x10' for the closest symbol at or below addr, or None."""
        i = bisect.bisect_right(self._addrs, addr) - 1
        if i < 0:
            return None
        off = addr - self._addrs[i]
        return self._names[i] + (f"+0x{off:x}" if off else "")
