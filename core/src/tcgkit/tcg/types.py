"""Scalar vocabulary of the IR: value types, conditions, memory operations,
rounding modes and helper-call flags. Pure data; no behaviour beyond decoding.
"""

from __future__ import annotations

from enum import IntEnum, IntFlag
from typing import Final


class TCGType(IntEnum):
    """Width of an IR value. Floats live in integer temps of the same width.

    ``mask`` (all ones of the width) and ``suffix`` (``"i32"``/``"i64"``) are
    plain attributes of each member, set once below: every pass reads them
    for every op, and an enum property costs a Python call per read."""

    I32 = 32
    I64 = 64

    mask: int
    suffix: str


I32: Final = TCGType.I32
I64: Final = TCGType.I64
for _t in TCGType:
    _t.mask = (1 << _t) - 1
    _t.suffix = f"i{int(_t)}"
del _t


class Cond(IntEnum):
    """Comparison conditions of setcond / movcond / brcond (and fcmp results)."""

    NEVER = 0
    ALWAYS = 1
    EQ = 2
    NE = 3
    LT = 4  # signed
    GE = 5
    LE = 6
    GT = 7
    LTU = 8  # unsigned
    GEU = 9
    LEU = 10
    GTU = 11
    TSTEQ = 12  # (a & b) == 0
    TSTNE = 13  # (a & b) != 0

    def invert(self) -> Cond:
        return _INVERT[self]

    def swap(self) -> Cond:
        """The condition with operands exchanged: a < b  <=>  b > a."""
        return _SWAP[self]

    @property
    def is_signed(self) -> bool:
        return self in (Cond.LT, Cond.GE, Cond.LE, Cond.GT)


_INVERT = {
    Cond.NEVER: Cond.ALWAYS, Cond.ALWAYS: Cond.NEVER, Cond.EQ: Cond.NE, Cond.NE: Cond.EQ,
    Cond.LT: Cond.GE, Cond.GE: Cond.LT, Cond.LE: Cond.GT, Cond.GT: Cond.LE,
    Cond.LTU: Cond.GEU, Cond.GEU: Cond.LTU, Cond.LEU: Cond.GTU, Cond.GTU: Cond.LEU,
    Cond.TSTEQ: Cond.TSTNE, Cond.TSTNE: Cond.TSTEQ,
}  # fmt: skip
_SWAP = {
    Cond.NEVER: Cond.NEVER, Cond.ALWAYS: Cond.ALWAYS, Cond.EQ: Cond.EQ, Cond.NE: Cond.NE,
    Cond.LT: Cond.GT, Cond.GE: Cond.LE, Cond.LE: Cond.GE, Cond.GT: Cond.LT,
    Cond.LTU: Cond.GTU, Cond.GEU: Cond.LEU, Cond.LEU: Cond.GEU, Cond.GTU: Cond.LTU,
    Cond.TSTEQ: Cond.TSTEQ, Cond.TSTNE: Cond.TSTNE,
}  # fmt: skip


class MemOrder(IntFlag):
    """What a memory barrier (the ``mb`` op's constant) must order: earlier loads or
    stores against later loads or stores (QEMU's TCG_MO_*). A host emits the cheapest
    fence that gives these beyond what its own memory model already does (x86-64:
    only a store before a load needs one); 0 orders nothing."""

    LD_LD = 1
    ST_LD = 2
    LD_ST = 4
    ST_ST = 8
    ACQUIRE = LD_LD | LD_ST  # after a load-acquire
    RELEASE = LD_ST | ST_ST  # before a store-release
    ALL = 15


class AtomicOp(IntEnum):
    """What ``atomic_fetch_i64`` (its ``aop`` constant) stores from the value it read
    (``old``) and its input (``value``), at the access size: ``XCHG`` stores
    ``value``, ``ADD``/``AND``/``OR``/``XOR`` the result of that operation, the
    maxima and minima the greater or lesser of the two, compared as signed (``S``)
    or unsigned (``U``) integers of the access size. A64's LDCLR is ``AND`` with the
    operand inverted."""

    XCHG = 0
    ADD = 1
    AND = 2
    OR = 3
    XOR = 4
    SMAX = 5
    SMIN = 6
    UMAX = 7
    UMIN = 8


class MemOp(IntFlag):
    """What a guest memory access is: size, signedness, byte order, alignment.

    Bits 0-1: log2 of the size in bytes (MO_8 .. MO_64). MO_SIGN: sign-extend
    a load. MO_BE: big-endian (little-endian otherwise). MO_ALIGN: the address
    must be aligned to the access size, or the access faults.
    """

    MO_8 = 0
    MO_16 = 1
    MO_32 = 2
    MO_64 = 3
    MO_SIZE = 3
    MO_SIGN = 4
    MO_BE = 8
    MO_ALIGN = 16

    MO_UB = 0
    MO_SB = 4
    MO_LEUW = 1
    MO_LESW = 5
    MO_LEUL = 2
    MO_LESL = 6
    MO_LEUQ = 3
    MO_BEUW = 9
    MO_BESW = 13
    MO_BEUL = 10
    MO_BESL = 14
    MO_BEUQ = 11


def memop_size(memop: int) -> int:
    """Bytes accessed."""
    return 1 << (memop & MemOp.MO_SIZE)


def memop_signed(memop: int) -> bool:
    return bool(memop & MemOp.MO_SIGN)


def memop_big_endian(memop: int) -> bool:
    return bool(memop & MemOp.MO_BE)


def memop_aligned(memop: int) -> bool:
    return bool(memop & MemOp.MO_ALIGN)


def memop_str(memop: int) -> str:
    size = memop_size(memop)
    text = ("s" if memop_signed(memop) else "u") + str(size * 8)
    text = ("be" if memop_big_endian(memop) else "le") + text if size > 1 else text
    return text + ("+al" if memop_aligned(memop) else "")


class RoundingMode(IntEnum):
    """IEEE 754 rounding direction, the operand of float ops and conversions."""

    NEAREST_EVEN = 0
    UP = 1  # toward +infinity
    DOWN = 2  # toward -infinity
    ZERO = 3  # toward zero
    NEAREST_AWAY = 4  # ties away from zero


class CallFlags(IntFlag):
    """What a helper may do, so passes know what to keep in sync around it."""

    NONE = 0
    NO_READ_GLOBALS = 1  # reads no TCG global through the CPU state
    NO_WRITE_GLOBALS = 2  # writes no TCG global
    NO_SIDE_EFFECTS = 4  # no effect beyond its result (removable if unused)
    NO_RWG = NO_READ_GLOBALS | NO_WRITE_GLOBALS
    NO_RWG_SE = NO_RWG | NO_SIDE_EFFECTS


def __getattr__(name: str) -> object:
    """``signed`` moved to ``semantics`` (compiled there); host backends written against
    this module still import it from here."""
    if name == "signed":
        from .semantics import signed

        return signed
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
