"""tcgkit-host-arm: the AArch64 host backend (in progress: not registered yet).

Module map: ``encoder`` (A64 instructions to words).
"""
