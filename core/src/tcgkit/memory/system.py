"""The memory system: transactions, FlatView sharing, listeners, statistics.

Owns ``MemorySystem``: the registry of the address spaces and regions of one
machine (one per emulator), the transaction that batches changes, the
rendering of FlatViews at the outermost commit, the cache that lets address
spaces with the same root share one FlatView, the single empty FlatView,
the listener calls, and ``memory_stats()``.

Invariants:

* every change to a region happens inside a transaction (an implicit one
  when the caller opened none); transactions nest, and only the outermost
  commit renders, and only the roots that a change can reach (regions mark
  themselves and everything that sees them dirty; see ``region``);
* with sharing on, all address spaces whose root is the same region have
  the *same* FlatView object; every root that renders to nothing gets the
  system's one empty FlatView, which has its own dispatch and is never None;
* listeners see, for each address space whose view changed, ``begin``, then
  ``region_del`` for every range of the old view not in the new one, then
  ``region_add`` / ``region_nop`` for every range of the new view, then
  ``commit``, called after the new view became current;
* a replaced FlatView is unreferenced, not destroyed: readers that acquired
  it keep it (and the RAM it maps) alive until they release it;
* all mutation is serialized by the system lock; lookups in a FlatView
  never lock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from .flatview import FlatRange, FlatView, diff, render
from .region import MemoryRegion, RegionKind

if TYPE_CHECKING:
    from ..plugins import PluginManager
    from .address_space import AddressSpace

LISTENER_METHODS = (
    "address_space_created",
    "address_space_destroyed",
    "begin",
    "region_add",
    "region_del",
    "region_nop",
    "commit",
)


class MemorySystem:
    """Transactions, sharing and listeners for the regions and address spaces of one machine."""

    def __init__(
        self,
        plugin_manager: PluginManager | None = None,
        *,
        share_flatviews: bool = True,
        dispatch: str = "bisect",
    ) -> None:
        self.share_flatviews = share_flatviews
        self.dispatch = dispatch
        self.lock = threading.RLock()
        self._pm = plugin_manager
        self._depth = 0
        self._dirty: list[MemoryRegion] = []
        self._spaces: list[AddressSpace] = []
        self._listeners: list[Any] = []
        self._regions: list[MemoryRegion] = []  # RAM/ROM adopted, freed at close
        self._views_alive = 0
        self._dispatch_alive = 0
        self._ranges_alive = 0
        self._renders = 0
        self._closed = False
        self.empty_view = FlatView([], self, dispatch).ref()

    # -- membership --------------------------------------------------------------

    def adopt(self, region: MemoryRegion) -> None:
        """Make ``region`` and everything under it part of this system."""
        stack = [region]
        while stack:
            r = stack.pop()
            if r.system is self:
                continue
            if r.system is not None:
                raise ValueError(f"{r.name!r} belongs to another memory system")
            r.system = self
            if r.kind in (RegionKind.RAM, RegionKind.ROM):
                self._regions.append(r)
            stack.extend(r.subregions)
            if r.alias_target is not None:
                stack.append(r.alias_target)
            if r.parent is not None:
                stack.append(r.parent)

    def forget(self, region: MemoryRegion) -> None:
        """``region``'s RAM was freed by its owner: drop the system's hold on it."""
        if region in self._regions:
            self._regions.remove(region)

    def note_dirty(self, region: MemoryRegion) -> None:
        self._dirty.append(region)

    # -- listeners -----------------------------------------------------------------

    def add_listener(self, listener: Any) -> None:
        """Register an object with any of the methods in LISTENER_METHODS."""
        with self.lock:
            self._listeners.append(listener)

    def remove_listener(self, listener: Any) -> None:
        with self.lock:
            self._listeners.remove(listener)

    def _notify(self, method: str, *args: Any) -> None:
        for fn in self._receivers(method):
            fn(*args)

    def _receivers(self, method: str) -> list[Callable[..., None]]:
        """What ``method`` reaches now: the registered listeners that have it, then the
        plugins' hook if a plugin implements it (a hook nobody implements is not
        called: a topology change of a process with a thousand mappings would
        otherwise pay for a thousand empty ``region_nop`` calls)."""
        fns = [fn for listener in list(self._listeners)
               if (fn := getattr(listener, method, None)) is not None]  # fmt: skip
        if self._pm is not None:
            hook = getattr(self._pm.hook, f"tcgkit_memory_{method}")
            if hook.get_hookimpls():
                if method in ("region_add", "region_del", "region_nop"):
                    fns.append(lambda space, fr, _h=hook: _h(address_space=space, section=fr))
                else:
                    fns.append(lambda space, _h=hook: _h(address_space=space))
        return fns

    # -- address spaces -------------------------------------------------------------

    def register(self, space: AddressSpace) -> FlatView:
        """Called by AddressSpace: its first view (announced to listeners as adds)."""
        with self.lock:
            self._check_open()
            self.adopt(space.root)
            self._spaces.append(space)
            if self._depth:
                # inside a transaction the topology is not final: start from the empty
                # view and let the outermost commit render the root once
                view = self.empty_view.ref()
                space.root._mark_dirty()
            else:
                view = self._view_for(space.root, reuse=True)
            space._swap_view(view)
            self._notify("address_space_created", space)
            self._announce(space, (), view.ranges)
            return view

    def unregister(self, space: AddressSpace) -> None:
        with self.lock:
            if space not in self._spaces:
                return
            self._spaces.remove(space)
            old = space._swap_view(None)
            self._announce(space, old.ranges if old else (), ())
            self._notify("address_space_destroyed", space)
            if old is not None:
                old.unref()

    def spaces(self) -> list[AddressSpace]:
        return list(self._spaces)

    # -- transactions -----------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group changes: views re-render once, when the outermost transaction ends."""
        with self.lock:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0:
                    self._commit()

    def _commit(self) -> None:
        dirty, self._dirty = self._dirty, []
        if not dirty or self._closed:
            for region in dirty:
                region._dirty = False
            return
        try:
            rendered: dict[int, FlatView] = {}
            for space in list(self._spaces):
                if not space.root._dirty:
                    continue
                key = id(space.root)
                if self.share_flatviews and key in rendered:
                    view = rendered[key].ref()
                else:
                    view = self._view_for(space.root, reuse=False)
                    if self.share_flatviews:
                        rendered[key] = view
                old = space._swap_view(view)  # the space now owns the reference
                self._announce(space, old.ranges if old else (), view.ranges)
                if old is not None:
                    old.unref()
        finally:
            for region in dirty:
                region._dirty = False

    def _view_for(self, root: MemoryRegion, *, reuse: bool) -> FlatView:
        """A referenced FlatView for ``root``: shared if possible, else rendered."""
        if self.share_flatviews and reuse:
            for space in self._spaces:
                current = space.flatview_or_none
                if space.root is root and current is not None:
                    return current.ref()
        ranges = render(root)
        self._renders += 1
        if not ranges and self.share_flatviews:
            return self.empty_view.ref()
        return FlatView(ranges, self, self.dispatch).ref()

    def _announce(
        self,
        space: AddressSpace,
        old: tuple[FlatRange, ...] | list[FlatRange],
        new: tuple[FlatRange, ...] | list[FlatRange],
    ) -> None:
        if not self._listeners and self._pm is None:
            return
        deleted, added, same = diff(old, new)
        self._notify("begin", space)
        to_del = self._receivers("region_del")
        for fr in deleted:
            for fn in to_del:
                fn(space, fr)
        to_add = self._receivers("region_add")
        to_nop = self._receivers("region_nop")
        if to_nop:  # every range of the new view, in order: added or unchanged
            unchanged = {id(fr) for fr in same}
            for fr in new:
                for fn in to_nop if id(fr) in unchanged else to_add:
                    fn(space, fr)
        else:
            for fr in added:  # the new view's order, the unchanged ones left out
                for fn in to_add:
                    fn(space, fr)
        self._notify("commit", space)

    # -- statistics ---------------------------------------------------------------------

    def stats_view_born(self, view: FlatView) -> None:
        self._views_alive += 1
        self._dispatch_alive += 1
        self._ranges_alive += len(view.ranges)

    def stats_view_died(self, view: FlatView) -> None:
        self._views_alive -= 1
        self._dispatch_alive -= 1
        self._ranges_alive -= len(view.ranges)

    def memory_stats(self) -> dict[str, int]:
        """FlatViews and dispatch structures alive, their flat ranges, renders done."""
        with self.lock:
            return {
                "address_spaces": len(self._spaces),
                "flatviews": self._views_alive,
                "dispatch": self._dispatch_alive,
                "flat_ranges": self._ranges_alive,
                "renders": self._renders,
                "ram_regions": len(self._regions),
                "ram_bytes": sum(r.size for r in self._regions),
            }

    # -- release ---------------------------------------------------------------------------

    def close(self) -> None:
        """Destroy every address space and free every RAM/ROM region. Idempotent."""
        with self.lock:
            if self._closed:
                return
            for space in list(self._spaces):
                space.destroy()
            self._closed = True
            self._listeners.clear()
            regions, self._regions = self._regions, []
            for region in regions:
                region.free()
            self.empty_view.unref()

    @property
    def closed(self) -> bool:
        return self._closed

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("this memory system was closed")
