"""Platforms: several cores plus shared memory and synchronisation hardware.

``gap8``: the GAP-8 cluster (N RI5CY cores, banked TCDM with per-cycle bank arbitration, L2 behind
the cluster bus, hardware barrier in an event unit). See docs/gap8.md.
"""
