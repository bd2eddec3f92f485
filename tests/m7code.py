"""Cortex-M7 test programs: the preamble of a hand-written Thumb test kernel (main() as a global
Thumb function; the test's body follows it)."""
HEAD = "  .syntax unified\n  .thumb\n  .text\n  .globl main\n  .type main, %function\n  .thumb_func\nmain:\n"
