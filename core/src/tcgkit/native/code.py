"""What a TB's machine code is, before and after it is placed in the code buffer.

Owns ``Lowered`` (a host lowering's result: the bytes and the offsets of their
parts) and ``NativeCode`` (the same parts as host addresses, once placed).
Compiled by mypyc with the translator (``hatch_build``): every compiled TB
makes one of each.
"""

from __future__ import annotations


class Lowered:
    """One TB's machine code and where its parts are (offsets into ``code``)."""

    __slots__ = ("code", "far", "goto_tb", "insn_offsets", "nocheck")

    def __init__(self, code: bytes, nocheck: int) -> None:
        self.code = code
        self.nocheck = nocheck  # the entry that skips the exit-request check (Python enters)
        self.goto_tb: list[int | None] = [None, None]  # patch sites
        #: per slot, an out-of-line far-jump stub a host may branch to when the target is
        #: out of its direct branch's range (AArch64: ldr x16, literal; br x16; the literal)
        self.far: list[int | None] = [None, None]
        self.insn_offsets: list[int] = []  # host offset of each guest insn


class NativeCode:
    """Where a TB's machine code is: the checked entry, the entry Python uses, the
    goto_tb patch sites and far stubs (host addresses)."""

    __slots__ = ("entry", "far", "nocheck", "sites")

    def __init__(self, entry: int, out: Lowered) -> None:
        self.entry = entry
        self.nocheck = entry + out.nocheck
        self.sites: list[int | None] = [None if s is None else entry + s for s in out.goto_tb]
        self.far: list[int | None] = [None if s is None else entry + s for s in out.far]
