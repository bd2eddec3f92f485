"""Instruction classes of executed mnemonics (issue 18 item 4): the share of a kernel's executed
instructions that do the arithmetic (MAC/dot products) and the share spent on packing, unpacking,
bit-field extraction and shifts, the overhead a 2- or 4-bit instruction removes.

``classify(mnemonic)`` works on the op-count mnemonics of every target: Cortex-M7 capstone
mnemonics without the .w/.n suffix (condition codes stay: ``bne``, ``addeq``), RISC-V/XpulpV2
mnemonics as isasim's tables spell them, and plug-in instructions by name (a plug-in may declare
``params={"class": NAME}``; otherwise it is ``plugin``). The lists are the ARMv7-M (DDI 0403E §A7)
and XpulpV2 (docs/isa/) instruction names; a mnemonic not listed is ``other``.
"""
import re

CLASSES = ("mac", "pack_unpack", "extract_insert", "shift", "load", "store", "branch", "plugin",
           "other")

_COND = r"(?:eq|ne|cs|hs|cc|lo|mi|pl|vs|vc|hi|ls|ge|lt|gt|le|al)?"
# Cortex-M7 (Thumb-2 + DSP)
_ARM = [
    ("mac", r"(?:smla[bt][bt]|smlaw[bt]|smlal(?:[bt][bt])?|smladx?|smlaldx?|smlsdx?|smlsldx?|"
            r"smmlar?|smmlsr?|smmulr?|smuadx?|smusdx?|smul[bt][bt]|smulw[bt]|smull|umull|umlal|"
            r"umaal|mla|mls|muls?|sdiv|udiv|usada?8)"),
    ("pack_unpack", r"(?:[su]xta?b16|[su]xta?[bh]|pkhbt|pkhtb|rev|rev16|revsh|rbit)"),
    ("extract_insert", r"(?:[su]bfx|bfi|bfc)"),
    ("shift", r"(?:lsls?|lsrs?|asrs?|rors?|rrxs?)"),
    ("load", r"(?:ldr(?:b|h|sb|sh|d|ex[bh]?|t|bt|ht|sbt|sht)?|ldm(?:ia|db|fd|ea)?|pop|vldr|vldm|vpop)"),
    ("store", r"(?:str(?:b|h|d|ex[bh]?|t|bt|ht)?|stm(?:ia|db|fd|ea)?|push|vstr|vstm|vpush)"),
    ("branch", r"(?:b|bl|blx|bx|cbn?z|tbb|tbh)"),
]
# RV32IMC + XpulpV2 (isasim's mnemonics)
_RV = [
    ("mac", r"(?:mul|mulh|mulhu|mulhsu|div|divu|rem|remu|p\.mac.*|p\.msu|p\.mul.*|pv\.dot.*|pv\.sdot.*)"),
    ("pack_unpack", r"(?:pv\.pack.*|pv\.shuffle.*|p\.ext[hb][sz])"),
    ("extract_insert", r"(?:p\.extract.*|p\.insert.*|p\.bclr.*|p\.bset.*|pv\.extract.*|pv\.insert.*)"),
    ("shift", r"(?:sll|srl|sra|slli|srli|srai|p\.ror|pv\.sll.*|pv\.srl.*|pv\.sra.*|c\.slli|c\.srli|c\.srai)"),
    ("load", r"(?:lb|lh|lw|lbu|lhu|c\.lw|c\.lwsp|p\.l[bhw]u?)"),
    ("store", r"(?:sb|sh|sw|c\.sw|c\.swsp|p\.s[bhw])"),
    ("branch", r"(?:beq|bne|blt|bge|bltu|bgeu|jal|jalr|c\.j|c\.jal|c\.jr|c\.jalr|c\.beqz|c\.bnez|"
               r"p\.beqimm|p\.bneimm|lp\..*)"),
]
_ARM_RE = [(c, re.compile(rf"{p}{_COND}(?:\.w|\.n)?")) for c, p in _ARM]
_RV_RE = [(c, re.compile(p)) for c, p in _RV]


def classify(mnemonic, plugin_classes=None):
    """The class of one executed mnemonic (see the module doc); ``plugin_classes``: {plug-in
    mnemonic: declared class or None}."""
    m = str(mnemonic).lower()
    if plugin_classes and m in plugin_classes:
        return plugin_classes[m] if plugin_classes[m] in CLASSES else "plugin"
    for c, rx in (_RV_RE if "." in m and not m.endswith((".w", ".n")) or m in _RV_NAMES else _ARM_RE):
        if rx.fullmatch(m):
            return c
    return "other"


_RV_NAMES = {"lb", "lh", "lw", "lbu", "lhu", "sb", "sh", "sw", "sll", "srl", "sra", "slli", "srli",
             "srai", "beq", "bne", "blt", "bge", "bltu", "bgeu", "jal", "jalr", "mulh", "mulhu",
             "mulhsu", "div", "divu", "rem", "remu"}


def shares(op_counts, plugin_classes=None):
    """{class: share of the executed instructions} over CLASSES (shares add up to 1), or {} for
    no instructions."""
    tot = sum(op_counts.values())
    if not tot:
        return {}
    out = dict.fromkeys(CLASSES, 0)
    for mn, n in op_counts.items():
        out[classify(mn, plugin_classes)] += n
    return {c: n / tot for c, n in out.items()}
