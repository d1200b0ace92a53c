"""FlatViews: the memory tree rendered to sorted, non-overlapping ranges.

Owns ``FlatRange``, ``render`` (tree -> ranges), ``diff`` (old view -> new
view, for listeners) and ``FlatView`` with its life cycle.

Rendering (QEMU's render_memory_region): walk the tree from the root,
clipping each region to the window its parent gives it; aliases continue
into their target with the address shifted by the alias offset; disabled
and zero-sized regions are skipped; a container visits its subregions
winners first (higher priority, then later-added), and a leaf only fills
the gaps that earlier (winning) leaves left. Adjacent ranges that continue
the same region with contiguous offsets and equal permissions are merged.

Invariants:

* ``ranges`` is sorted by start, ranges never overlap, none is empty, and a
  FlatView never changes after it is built; its dispatch structure is built
  once, with the view, and belongs to it;
* a FlatView counts references: the address spaces whose current view it
  is, plus each reader that ``acquire``\\d it. At zero it is destroyed: its
  dispatch is dropped and the regions it referenced are released (RAM that
  was freed meanwhile is unmapped only then);
* the empty FlatView of a system is never destroyed while the system lives.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from .dispatch import Dispatch, make_dispatch
from .region import PROT_ALL, MemoryRegion, RegionKind

if TYPE_CHECKING:
    from .system import MemorySystem

ADDRESS_LIMIT = 1 << 64


class FlatRange:
    """Guest addresses ``[start, end)`` map to ``region`` from ``offset_in_region``."""

    __slots__ = ("end", "offset_in_region", "perms", "region", "start")

    def __init__(
        self, start: int, end: int, region: MemoryRegion, offset_in_region: int, perms: int
    ) -> None:
        self.start = start
        self.end = end
        self.region = region
        self.offset_in_region = offset_in_region
        self.perms = perms

    @property
    def size(self) -> int:
        return self.end - self.start

    def key(self) -> tuple[int, int, int, int, int]:
        return (self.start, self.end, id(self.region), self.offset_in_region, self.perms)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FlatRange) and self.key() == other.key()

    def __hash__(self) -> int:
        return hash(self.key())

    def __repr__(self) -> str:
        return (
            f"<FlatRange {self.start:#x}-{self.end:#x} {self.region.name!r}"
            f"+{self.offset_in_region:#x} perms={self.perms}>"
        )


# -- rendering ---------------------------------------------------------------------


class _Renderer:
    """Fills gaps of a sorted range list, winners first."""

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.ranges: list[FlatRange] = []

    def leaf(self, region: MemoryRegion, base: int, s: int, e: int, perms: int) -> None:
        """Cover the free parts of [s, e) with ``region`` placed at ``base``."""
        starts, ranges = self.starts, self.ranges
        if not ranges or ranges[-1].end <= s:  # past every range so far: the usual case
            starts.append(s)
            ranges.append(FlatRange(s, e, region, s - base, perms))
            return
        i = bisect_right(starts, s) - 1
        if i >= 0 and ranges[i].end > s:
            s = ranges[i].end
        i += 1
        while s < e:
            if i < len(ranges) and ranges[i].start < e:
                nxt = ranges[i].start
                if nxt > s:
                    starts.insert(i, s)
                    ranges.insert(i, FlatRange(s, nxt, region, s - base, perms))
                    i += 1
                s = ranges[i].end
                i += 1
            else:
                starts.insert(i, s)
                ranges.insert(i, FlatRange(s, e, region, s - base, perms))
                break

    def walk(self, region: MemoryRegion, base: int, clip_s: int, clip_e: int, perms: int) -> None:
        if not region.enabled or region.size == 0:
            return
        end = base + region.size
        s = base if base > clip_s else clip_s
        e = end if end < clip_e else clip_e
        if s >= e:
            return
        perms &= region.perms
        kind = region.kind
        if kind is RegionKind.CONTAINER:
            walk = self.walk
            for sub in region.subregions:
                walk(sub, base + sub.offset, s, e, perms)
        elif kind is RegionKind.ALIAS:
            target = region.alias_target
            assert target is not None
            self.walk(target, base - region.alias_offset, s, e, perms)
        else:
            self.leaf(region, base, s, e, perms)


def render(root: MemoryRegion) -> list[FlatRange]:
    """The flat ranges of the tree under ``root`` (placed at address 0)."""
    r = _Renderer()
    r.walk(root, 0, 0, ADDRESS_LIMIT, PROT_ALL)
    out: list[FlatRange] = []
    for fr in r.ranges:
        if out:
            last = out[-1]
            if (
                last.region is fr.region
                and last.end == fr.start
                and last.perms == fr.perms
                and last.offset_in_region + last.size == fr.offset_in_region
            ):
                last.end = fr.end
                continue
        out.append(fr)
    return out


def diff(
    old: list[FlatRange] | tuple[FlatRange, ...], new: list[FlatRange] | tuple[FlatRange, ...]
) -> tuple[list[FlatRange], list[FlatRange], list[FlatRange]]:
    """(deleted, added, unchanged) ranges between two sorted views (the lists in the
    views' order; ``added`` and ``unchanged`` hold ranges of ``new``)."""
    old_keyed = [(fr.key(), fr) for fr in old]
    new_keyed = [(fr.key(), fr) for fr in new]
    old_keys = {k for k, _ in old_keyed}
    new_keys = {k for k, _ in new_keyed}
    deleted = [fr for k, fr in old_keyed if k not in new_keys]
    added: list[FlatRange] = []
    same: list[FlatRange] = []
    for k, fr in new_keyed:
        (same if k in old_keys else added).append(fr)
    return deleted, added, same


# -- the view ------------------------------------------------------------------------


class FlatView:
    """An immutable rendering of one root, with its own dispatch structure."""

    def __init__(
        self,
        ranges: list[FlatRange],
        system: MemorySystem | None = None,
        dispatch: str = "bisect",
    ) -> None:
        self.ranges: tuple[FlatRange, ...] = tuple(ranges)
        self._system = system
        self.dispatch: Dispatch | None = make_dispatch(dispatch, self.ranges)
        self.lookup: Callable[[int], FlatRange | None] = self.dispatch.lookup
        self.refs = 0
        self.destroyed = False
        self._regions = list({id(fr.region): fr.region for fr in self.ranges}.values())
        for region in self._regions:
            region._view_ref()
        if system is not None:
            system.stats_view_born(self)

    def __iter__(self) -> Iterator[FlatRange]:
        return iter(self.ranges)

    def __len__(self) -> int:
        return len(self.ranges)

    @property
    def empty(self) -> bool:
        return not self.ranges

    def ref(self) -> FlatView:
        if self.destroyed:
            raise RuntimeError("reference to a destroyed FlatView")
        self.refs += 1
        return self

    def unref(self) -> None:
        self.refs -= 1
        if self.refs == 0:
            self._destroy()

    def _destroy(self) -> None:
        self.destroyed = True
        self.dispatch = None
        self.lookup = _destroyed_lookup
        if self._system is not None:
            self._system.stats_view_died(self)
        regions, self._regions = self._regions, []
        for region in regions:
            region._view_unref()

    def __repr__(self) -> str:
        return f"<FlatView {len(self.ranges)} ranges refs={self.refs}>"


def _destroyed_lookup(addr: int) -> FlatRange | None:
    raise RuntimeError(f"lookup of {addr:#x} in a destroyed FlatView")
