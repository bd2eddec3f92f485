"""Instruction tables (one declarative list of ``Instr`` per ISA extension) and what is derived
from them: decoder, disassembler, encoder. See spec.py for the format."""
