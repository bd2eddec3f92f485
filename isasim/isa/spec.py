"""The instruction description format: one ``Instr`` per (mnemonic, operand syntax).

Every decoder, disassembler, assembler front-end rule, engine dispatch case and doc table of isasim
is derived from lists of ``Instr``. Built-in ISAs (rv32i, rv32m, rv32c, zicsr, xpulpv2, gap8) and
plug-ins use exactly this format.

An instruction is written the way the manual draws it::

    Instr("pv.sdotsp.b", "rd, rs1, rs2", "1011100 rs2 rs1 001 rd 1010111",
          sem=lambda rd, rs1, rs2: rd + dot(rs1, rs2, 8, True, True),
          timing="dot", ext="xpulpv2.vect", doc="rD += sum_i s(rs1[i])*s(rs2[i]), 4x8-bit lanes")

``encoding``: tokens from bit 31 (or 15 for 16-bit instructions) down to bit 0. A token is
  * a bit literal of 0/1/- ("-" = don't care), its width = its length;
  * a register operand ``rd rs1 rs2 rs3`` (5 bits) or ``rdp rs1p rs2p`` (3 bits, x8..x15);
  * an operand slice ``name[hi:lo|bit|...]``: the token's bits, MSB first, are the listed operand
    bits (``off[12|10:5]`` as in the B-type drawing); bits of the operand never listed are zero;
  * ``name:N``: the operand's bits N-1..0.
``syntax``: the assembly operands, comma separated, with the addressing forms ``imm(rs1)``,
  ``imm(rs1!)`` (post-increment), ``rs2(rs1)`` and ``rs2(rs1!)``. An operand called ``off`` is a
  pc-relative target (a label or a number) encoded as ``target - pc``.
``sem``: a plain-integer Python function whose parameter names are operand names; register
  parameters receive the register's value as an unsigned 32-bit int (``rd`` = the old value of the
  destination, for accumulators), immediates their decoded value, ``pc`` the instruction address.
  It returns the new value of ``rd`` (masked to 32 bits by the core). Loads, stores, branches, jumps,
  hardware loops, CSR and system instructions are described by ``kind`` and its parameters instead
  (the core implements those few generic forms once).
``timing``: the timing class; latencies live in the core's timing model (isasim/timing), not here.
"""
import re
from dataclasses import dataclass, field

# Registers and their width in the encoding
REG_FIELDS = {"rd": 5, "rs1": 5, "rs2": 5, "rs3": 5, "rdp": 3, "rs1p": 3, "rs2p": 3,
              "rn": 4, "rm": 4}    # rn/rm: Thumb-2 (plug-ins), 4-bit; Thumb rd is written rd:4
# Operand names whose value is signed (sign-extended from their top encoded bit)
SIGNED = {"imm", "off", "imm6", "imm5", "nzimm", "simm"}
# pc-relative operands: written as a label (or a number = offset); encoded as target - pc.
# ``off`` is signed (branches, jumps), ``loff`` unsigned (hardware-loop start/end offsets).
PCREL = {"off", "loff"}
KINDS = {"alu", "load", "store", "branch", "jump", "jalr", "hwloop", "csr", "system", "elw"}

ABI = ["zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1"] + \
    [f"a{i}" for i in range(8)] + [f"s{i}" for i in range(2, 12)] + [f"t{i}" for i in range(3, 7)]
REG_NUM = {f"x{i}": i for i in range(32)}
REG_NUM.update({n: i for i, n in enumerate(ABI)})
REG_NUM["fp"] = 8


# cost knobs of plug-in instructions and the values they take (isasim.isa.registry checks values)
COST_KNOBS = {"latency": "int>=0", "occupancy": "int>=1", "resource": "resource",
              "dual_issue": "bool", "begin_group": "bool", "energy_pj": "float>=0"}
# pipeline resources a plug-in instruction may use (the Cortex-M7 cycle model's units)
RESOURCES = ("alu", "load", "store", "mac", "branch", "shift", "simd")


class SpecError(ValueError):
    pass


@dataclass
class Slice:
    """``width`` instruction bits starting at ``lsb`` hold operand bits ``obits`` (MSB first)."""
    name: str
    lsb: int
    obits: tuple


@dataclass(eq=False)
class Instr:
    name: str
    syntax: str
    encoding: str
    sem: object = None
    kind: str = "alu"
    timing: str = "alu"
    ext: str = ""
    doc: str = ""
    params: dict = field(default_factory=dict)   # kind parameters, e.g. {"size": 4, "signed": True}
    native: bool = False      # clang assembles it itself (RV32IMC/Zicsr); the front end leaves it
    alias: bool = False       # same encoding as an earlier entry; accepted by the assembler only
    expands: str = ""         # 16-bit forms: name of the 32-bit instruction they execute as
    isa: str = "rv32"         # 'rv32' or 'thumb2'
    source: str = "builtin"   # plug-in file for plug-in instructions
    # cost knobs (plug-ins; built-ins take their cost from the core's timing model by ``timing``):
    #   latency (cycles until the result can be used; the RI5CY issue cost), occupancy (cycles the
    #   unit is blocked), resource (Cortex-M7 pipeline resource: alu/mac/simd/load/store/shift),
    #   dual_issue (may pair on the M7), begin_group (M7: only the older of a pair, like SXTB16),
    #   energy_pj (extra energy per execution)
    cost: dict = field(default_factory=dict)
    # derived
    width: int = 32
    match: int = 0
    mask: int = 0
    slices: list = field(default_factory=list)
    operands: list = field(default_factory=list)   # operand names in syntax order
    id: int = -1

    def __post_init__(self):
        if self.isa not in ("rv32", "thumb2"):
            raise SpecError(f"{self.name}: isa must be 'rv32' or 'thumb2', not '{self.isa}'")
        bad = set(self.cost) - set(COST_KNOBS)
        if bad:
            raise SpecError(f"{self.name}: unknown cost knob(s) {sorted(bad)} (allowed: "
                            f"{', '.join(COST_KNOBS)})")
        if self.kind not in KINDS:
            raise SpecError(f"{self.name}: unknown kind '{self.kind}' (allowed: {sorted(KINDS)})")
        self._parse_encoding()
        self.operands = syntax_operands(self.syntax)
        enc_names = {s.name for s in self.slices}
        for op in self.operands:
            if op not in enc_names and not (op == "rd" and self.expands):
                raise SpecError(f"{self.name}: operand '{op}' of the syntax has no bits in the encoding")
        for n in enc_names:
            if n not in self.operands and not self.expands and n not in self.params.get("implicit", ()):
                raise SpecError(f"{self.name}: encoding field '{n}' does not appear in the syntax")

    # -- encoding -------------------------------------------------------------------------------
    def _parse_encoding(self):
        toks = self.encoding.split()
        total = 0
        parsed = []
        for t in toks:
            if re.fullmatch(r"[01-]+", t):
                parsed.append(("lit", t, len(t)))
                total += len(t)
                continue
            m = re.fullmatch(r"([A-Za-z_]\w*)\[([0-9:|]+)\]", t)
            if m:
                obits = []
                for part in m.group(2).split("|"):
                    if ":" in part:
                        hi, lo = (int(x) for x in part.split(":"))
                        if hi < lo:
                            raise SpecError(f"{self.name}: bad slice '{t}'")
                        obits += list(range(hi, lo - 1, -1))
                    else:
                        obits.append(int(part))
                parsed.append(("op", m.group(1), tuple(obits)))
                total += len(obits)
                continue
            m = re.fullmatch(r"([A-Za-z_]\w*):(\d+)", t)
            if m:
                n = int(m.group(2))
                parsed.append(("op", m.group(1), tuple(range(n - 1, -1, -1))))
                total += n
                continue
            if t in REG_FIELDS:
                n = REG_FIELDS[t]
                parsed.append(("op", t, tuple(range(n - 1, -1, -1))))
                total += n
                continue
            raise SpecError(f"{self.name}: cannot read encoding token '{t}'")
        if total not in (16, 32):
            raise SpecError(f"{self.name}: encoding has {total} bits (must be 16 or 32)")
        self.width = total
        pos = total
        match = mask = 0
        for p in parsed:
            if p[0] == "lit":
                bits = p[1]
                pos -= len(bits)
                for i, ch in enumerate(bits):
                    b = pos + len(bits) - 1 - i
                    if ch != "-":
                        mask |= 1 << b
                        if ch == "1":
                            match |= 1 << b
            else:
                pos -= len(p[2])
                self.slices.append(Slice(p[1], pos, p[2]))
        self.match, self.mask = match, mask

    def field_names(self):
        seen = []
        for s in self.slices:
            if s.name not in seen:
                seen.append(s.name)
        return seen

    def encode(self, values):
        """Instruction word for operand ``values`` (dict name -> int). Range is checked."""
        w = self.match
        for name in self.field_names():
            v = values[name]
            bits = self.operand_bits(name)
            lo_implicit = min(bits)
            top = max(bits)
            if name in REG_FIELDS and REG_FIELDS[name] == 3:
                if not 8 <= v <= 15:
                    raise SpecError(f"register x{v} not allowed here (x8..x15 only)")
                v -= 8
            signed = name in SIGNED
            lo_v = -(1 << top) if signed else 0
            hi_v = (1 << top) - 1 if signed else (1 << (top + 1)) - 1
            if not lo_v <= v <= hi_v:
                raise SpecError(f"operand {name}={v} out of range [{lo_v}, {hi_v}]")
            if lo_implicit and v & ((1 << lo_implicit) - 1):
                raise SpecError(f"operand {name}={v} must be a multiple of {1 << lo_implicit}")
            for s in self.slices:
                if s.name != name:
                    continue
                for i, ob in enumerate(s.obits):
                    ib = s.lsb + len(s.obits) - 1 - i
                    w |= ((v >> ob) & 1) << ib
        return w

    def operand_bits(self, name):
        bits = []
        for s in self.slices:
            if s.name == name:
                bits += s.obits
        return bits

    def decode_fields(self, w):
        """Operand values of instruction word ``w`` (which must match)."""
        vals = {}
        for name in self.field_names():
            v = 0
            for s in self.slices:
                if s.name != name:
                    continue
                for i, ob in enumerate(s.obits):
                    ib = s.lsb + len(s.obits) - 1 - i
                    v |= ((w >> ib) & 1) << ob
            top = max(self.operand_bits(name))
            if name in SIGNED and (v >> top) & 1:
                v -= 1 << (top + 1)
            if name in REG_FIELDS and REG_FIELDS[name] == 3:
                v += 8
            vals[name] = v
        return vals

    def matches(self, w):
        return (w & self.mask) == self.match

    def bit_pattern(self):
        """The fixed bits as the manual draws them: '1011100 ----- ----- 001 ----- 1010111'."""
        return "".join("-" if not (self.mask >> b) & 1 else str((self.match >> b) & 1)
                       for b in range(self.width - 1, -1, -1))

    def __repr__(self):
        return f"Instr({self.name!r}, {self.syntax!r})"


_ADDR = re.compile(r"^(\w+)\((\w+)(!?)\)$")


def syntax_operands(syntax):
    """Operand names of a syntax string in order: 'rd, imm(rs1!)' -> ['rd', 'imm', 'rs1']."""
    ops = []
    for part in [p.strip() for p in syntax.split(",") if p.strip()]:
        m = _ADDR.match(part)
        if m:
            ops += [x for x in (m.group(1), m.group(2)) if x not in REG_NUM]
        else:
            if not re.fullmatch(r"\w+", part):
                raise SpecError(f"cannot read syntax operand '{part}'")
            if part not in REG_NUM:     # a literal register (sp in c.lwsp) is not an operand
                ops.append(part)
    return ops


@dataclass(frozen=True)
class AddressForm:
    """The memory operand of a syntax: ``offset(base)`` or ``offset(base!)`` (post-increment);
    ``offset`` is an immediate operand or a register operand (register-offset forms), None when the
    offset is written as a literal."""
    offset: object
    base: str
    post_increment: bool


def address_form(syntax):
    """The memory operand of ``syntax`` ('rd, imm(rs1!)' -> AddressForm('imm', 'rs1', True)), None
    if it has none."""
    for part in (p.strip() for p in syntax.split(",")):
        m = _ADDR.match(part)
        if m:
            off = m.group(1)
            return AddressForm(None if off in REG_NUM or off.isdigit() else off, m.group(2),
                               m.group(3) == "!")
    return None


def is_reg(name):
    return name in REG_FIELDS
