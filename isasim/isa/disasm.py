"""Text form of a decoded instruction, from its table entry (the inverse of the front end)."""
from .spec import ABI, PCREL, REG_FIELDS


def reg_name(n):
    return ABI[n]


def format_instr(ins, vals, pc=0, symbolize=None):
    """'p.lw t0, 4(a1!)' for a decoded instruction; pc-relative operands print as targets."""
    def show(name):
        v = vals[name]
        if name in REG_FIELDS:
            return f"r{v}" if ins.isa == "thumb2" else reg_name(v)
        if name == "L":
            return f"x{v}"
        if name in PCREL:
            t = (pc + v) & 0xFFFFFFFF
            s = symbolize(t) if symbolize else None
            return f"0x{t:x}" + (f" <{s}>" if s else "")
        return str(v) if -1024 < v < 1024 else hex(v)

    parts = []
    for part in [p.strip() for p in ins.syntax.split(",") if p.strip()]:
        if "(" in part:
            off, rest = part.split("(", 1)
            base = rest.rstrip(")")
            bang = "!" if base.endswith("!") else ""
            base = base.rstrip("!")
            b = reg_name(vals[base]) if base in vals else base
            parts.append(f"{show(off)}({b}{bang})")
        elif part in vals:
            parts.append(show(part))
        else:
            parts.append(part)
    return ins.name + (" " + ", ".join(parts) if parts else "")
