"""Dispatch structures: address -> flat range, built once per FlatView.

Owns the two structures ``benchmarks/memory_api.py`` compares, chosen by
name when a FlatView is built:

* ``bisect`` (the default): the sorted start addresses and one
  ``bisect_right`` (a C loop) per lookup. O(log n), memory O(n).
* ``radix``: a multi-level page table in the manner of QEMU's phys map:
  nodes of 2^RADIX_BITS entries indexed by successive address bits from the
  top; an entry is a flat range when that whole slice of the address space
  belongs to one range (or to none), and a child node otherwise, so large
  ranges cost one entry high in the tree. Lookups walk at most
  ceil(64 / RADIX_BITS) levels and end in a short bisect inside a leaf
  slice smaller than a page.

Measured by ``benchmarks/memory_api.py`` (Python 3.11, one core): bisect
103 / 223 / 298 ns per lookup with 10 / 1,000 / 10,000 flat ranges, radix
209 / 219 / 241 ns. One C-level bisect beats the interpreted walk for the
handful of ranges an emulator normally has, so ``bisect`` is the default;
``radix`` pulls ahead only past a few thousand ranges (select it with
``MemorySystem(dispatch="radix")``) and is the shape a native host could
walk from generated code.

Invariant: a dispatch structure never changes after it is built, so any
number of threads may look up concurrently without locks.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from .flatview import FlatRange

RADIX_BITS = 16
PAGE_BITS = 12


class Dispatch(Protocol):
    name: str

    def lookup(self, addr: int) -> FlatRange | None: ...


class BisectDispatch:
    """Sorted starts and ``bisect_right``."""

    name = "bisect"

    def __init__(self, ranges: Sequence[FlatRange]) -> None:
        starts = [fr.start for fr in ranges]
        ranges = tuple(ranges)

        def lookup(
            addr: int, _starts: list[int] = starts, _ranges: tuple = ranges
        ) -> FlatRange | None:
            i = bisect_right(_starts, addr) - 1
            if i >= 0:
                fr = _ranges[i]
                if addr < fr.end:
                    return fr
            return None

        self.lookup = lookup
        self.size = len(starts)


class RadixDispatch:
    """A multi-level table with whole-slice entries (see the module docstring)."""

    name = "radix"

    def __init__(self, ranges: Sequence[FlatRange]) -> None:
        self.size = 0
        self._levels = [
            64 - RADIX_BITS * (i + 1) for i in range((64 + RADIX_BITS - 1) // RADIX_BITS)
        ]
        self._root = self._build(tuple(ranges), 0, 64)

    def _build(self, ranges: tuple[FlatRange, ...], base: int, bits: int) -> object:
        """Entry for the slice [base, base + 2^bits) given the ranges touching it."""
        end = base + (1 << bits)
        if not ranges:
            return None
        if len(ranges) == 1 and ranges[0].start <= base and ranges[0].end >= end:
            return ranges[0]
        if bits <= PAGE_BITS:
            return _Leaf(ranges)
        shift = max(bits - RADIX_BITS, PAGE_BITS)
        n = 1 << (bits - shift)
        node: list[object] = [None] * n
        self.size += n
        starts = [fr.start for fr in ranges]
        for k in range(n):
            s = base + (k << shift)
            e = s + (1 << shift)
            lo = max(bisect_right(starts, s) - 1, 0)
            hi = bisect_right(starts, e - 1)
            inside = tuple(fr for fr in ranges[lo:hi] if fr.end > s and fr.start < e)
            if inside:
                node[k] = self._build(inside, s, shift)
        return _Node(node, shift, (1 << (bits - shift)) - 1)

    def lookup(self, addr: int) -> FlatRange | None:
        entry = self._root
        while True:
            cls = type(entry)
            if cls is _Node:
                entry = entry.slots[(addr >> entry.shift) & entry.mask]
            elif cls is _Leaf:
                return entry.lookup(addr)
            elif entry is None:
                return None
            else:
                return entry if entry.start <= addr < entry.end else None


class _Node:
    __slots__ = ("mask", "shift", "slots")

    def __init__(self, slots: list[object], shift: int, mask: int) -> None:
        self.slots, self.shift, self.mask = slots, shift, mask


class _Leaf:
    __slots__ = ("lookup",)

    def __init__(self, ranges: tuple[FlatRange, ...]) -> None:
        self.lookup = BisectDispatch(ranges).lookup


DISPATCHERS = {"bisect": BisectDispatch, "radix": RadixDispatch}


def make_dispatch(name: str, ranges: Sequence[FlatRange]) -> Dispatch:
    try:
        cls = DISPATCHERS[name]
    except KeyError:
        raise ValueError(
            f"unknown dispatch structure {name!r}; known: {', '.join(DISPATCHERS)}"
        ) from None
    return cls(ranges)
