"""The memory API against a brute-force model: random region trees render to
FlatViews whose every address resolves as a naive walk of the tree says;
both dispatch structures agree; sharing, the empty view, transactions and
listener diffs keep their invariants."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tcgkit.memory import (
    PROT_ALL,
    AddressSpace,
    FlatRange,
    MemoryRegion,
    MemorySystem,
    RegionKind,
)
from tcgkit.memory.dispatch import make_dispatch

SPACE = 1 << 16


# -- the model: a naive walk of the tree ---------------------------------------------------


def naive(region: MemoryRegion, addr: int, base: int = 0,
          perms: int = PROT_ALL) -> tuple[MemoryRegion, int, int] | None:  # fmt: skip
    """(leaf, offset in leaf, perms) that ``addr`` reaches, or None."""
    if not region.enabled or not base <= addr < base + region.size:
        return None
    perms &= region.perms
    if region.kind is RegionKind.CONTAINER:
        winners = sorted(region.subregions, key=lambda r: (-r.priority, -r._added))
        for sub in winners:
            hit = naive(sub, addr, base + sub.offset, perms)
            if hit is not None:
                return hit
        return None
    if region.kind is RegionKind.ALIAS:
        assert region.alias_target is not None
        return naive(region.alias_target, addr, base - region.alias_offset, perms)
    return region, addr - base, perms


# -- random trees -----------------------------------------------------------------------------


@dataclass
class Tree:
    root: MemoryRegion
    leaves: list[MemoryRegion]
    points: list[int]


@st.composite
def trees(draw: st.DrawFn) -> Tree:
    leaves: list[MemoryRegion] = []
    points: set[int] = {0, SPACE - 1}

    def leaf(size: int) -> MemoryRegion:
        kind = draw(st.sampled_from(["ram", "rom", "mmio"]))
        name = f"{kind}{len(leaves)}"
        if kind == "ram":
            r = MemoryRegion.ram(name, size, draw(st.integers(0, 7)))
        elif kind == "rom":
            r = MemoryRegion.rom(name, size)
        else:
            r = MemoryRegion.mmio(name, size, None, None)
        leaves.append(r)
        return r

    def node(depth: int, size: int) -> MemoryRegion:
        if depth == 0 or draw(st.integers(0, 3)) == 0:
            return leaf(size)
        if leaves and draw(st.integers(0, 4)) == 0:  # an alias into an existing leaf
            target = draw(st.sampled_from(leaves))
            off = draw(st.integers(0, target.size))
            return MemoryRegion.alias(f"alias{len(leaves)}", target, off,
                                      min(size, target.size - off))  # fmt: skip
        c = MemoryRegion.container(f"c{depth}-{len(leaves)}", size, draw(st.integers(0, 7)))
        for _ in range(draw(st.integers(0, 4))):
            sub_size = draw(st.integers(0, max(size // 2, 1)))
            sub = node(depth - 1, sub_size)
            off = draw(st.integers(0, size))
            c.add_subregion(off, sub, draw(st.integers(-1, 2)))
            if draw(st.integers(0, 6)) == 0:
                sub.enabled = False
            points.update({off, off + sub_size, off - 1, off + sub_size - 1})
        return c

    root = node(3, SPACE)
    extra = draw(st.lists(st.integers(0, SPACE - 1), max_size=30))
    return Tree(root, leaves, sorted(p for p in points | set(extra) if 0 <= p < SPACE))


def check_view(ranges: tuple[FlatRange, ...]) -> None:
    for a, b in itertools.pairwise(ranges):
        assert a.start < a.end <= b.start
        assert not (a.end == b.start and a.region is b.region and a.perms == b.perms
                    and a.offset_in_region + a.size == b.offset_in_region)  # merged  # fmt: skip
    assert all(r.start < r.end for r in ranges)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(trees())
def test_rendering_matches_the_naive_walk(tree: Tree) -> None:
    system = MemorySystem()
    try:
        view = AddressSpace(system, tree.root, "as").flatview
        check_view(view.ranges)
        radix = make_dispatch("radix", view.ranges)  # the other dispatch structure agrees
        for addr in tree.points:
            want = naive(tree.root, addr)
            fr = view.lookup(addr)
            assert radix.lookup(addr) is fr, hex(addr)
            if want is None:
                assert fr is None, (hex(addr), fr)
                continue
            assert fr is not None, hex(addr)
            assert (fr.region, fr.offset_in_region + addr - fr.start, fr.perms) == want, hex(addr)
    finally:
        system.close()


def test_sharing_and_the_single_empty_view() -> None:
    system = MemorySystem()
    root = MemoryRegion.container("sys", SPACE)
    empty_a = MemoryRegion.container("nothing-a", SPACE)
    empty_b = MemoryRegion.container("nothing-b", SPACE)
    a, b = AddressSpace(system, root, "cpu0"), AddressSpace(system, root, "cpu1")
    ea, eb = AddressSpace(system, empty_a, "dev0"), AddressSpace(system, empty_b, "dev1")
    assert ea.flatview is eb.flatview is system.empty_view
    assert ea.flatview.lookup(5) is None  # it has its own dispatch
    with system.transaction():
        root.add_subregion(0x1000, MemoryRegion.ram("ram", 0x1000))
    assert a.flatview is b.flatview is not system.empty_view
    assert system.memory_stats()["flatviews"] == 2  # the shared view and the empty one
    system.close()
    unshared = MemorySystem(share_flatviews=False)
    root2 = MemoryRegion.container("sys", SPACE)
    root2.system = None
    c, d = AddressSpace(unshared, root2, "cpu0"), AddressSpace(unshared, root2, "cpu1")
    assert c.flatview is not d.flatview
    unshared.close()


def test_nested_transactions_render_once_and_only_changed_roots() -> None:
    system = MemorySystem()
    r1, r2 = MemoryRegion.container("r1", SPACE), MemoryRegion.container("r2", SPACE)
    AddressSpace(system, r1, "a")
    AddressSpace(system, r2, "b")
    before = system.memory_stats()["renders"]
    with system.transaction():
        r1.add_subregion(0, MemoryRegion.ram("x", 0x1000))
        with system.transaction():
            r1.add_subregion(0x2000, MemoryRegion.ram("y", 0x1000))
        assert system.memory_stats()["renders"] == before  # nothing yet
    assert system.memory_stats()["renders"] == before + 1  # r1 only, once
    system.close()


def test_listener_sees_the_exact_diff() -> None:
    system = MemorySystem()
    root = MemoryRegion.container("sys", SPACE)
    space = AddressSpace(system, root, "cpu")
    ram = MemoryRegion.ram("ram", 0x2000)
    root.add_subregion(0, ram)
    log: list[tuple[str, int, int]] = []

    class Listener:
        def begin(self, s: AddressSpace) -> None:
            log.append(("begin", 0, 0))

        def region_add(self, s: AddressSpace, fr: FlatRange) -> None:
            log.append(("add", fr.start, fr.end))

        def region_del(self, s: AddressSpace, fr: FlatRange) -> None:
            log.append(("del", fr.start, fr.end))

        def region_nop(self, s: AddressSpace, fr: FlatRange) -> None:
            log.append(("nop", fr.start, fr.end))

        def commit(self, s: AddressSpace) -> None:
            view = s.flatview_or_none  # None once the space is destroyed
            assert view is None or view.lookup(0x3000) is not None  # the new view is current
            log.append(("commit", 0, 0))

    system.add_listener(Listener())
    root.add_subregion(0x3000, MemoryRegion.ram("more", 0x1000), priority=1)
    assert log == [("begin", 0, 0), ("nop", 0, 0x2000), ("add", 0x3000, 0x4000),
                   ("commit", 0, 0)]  # fmt: skip
    log.clear()
    root.add_subregion(0x1000, MemoryRegion.ram("hole", 0x800), priority=2)
    assert log == [("begin", 0, 0), ("del", 0, 0x2000), ("add", 0, 0x1000),
                   ("add", 0x1000, 0x1800), ("add", 0x1800, 0x2000), ("nop", 0x3000, 0x4000),
                   ("commit", 0, 0)]  # fmt: skip
    space.destroy()
    system.close()


def test_a_listener_without_region_nop_sees_the_adds_in_order() -> None:
    """The unchanged ranges are not walked for a listener that has no ``region_nop``:
    it sees the deletions, then the additions in address order, as the full walk
    would have shown them."""
    system = MemorySystem()
    root = MemoryRegion.container("root", 1 << 20)
    root.add_subregion(0, MemoryRegion.ram("low", 0x2000))
    root.add_subregion(0x8000, MemoryRegion.ram("high", 0x1000))
    space = AddressSpace(system, root, "as")
    log: list[tuple[str, int, int]] = []

    class Listener:
        def region_add(self, s: AddressSpace, fr: FlatRange) -> None:
            log.append(("add", fr.start, fr.end))

        def region_del(self, s: AddressSpace, fr: FlatRange) -> None:
            log.append(("del", fr.start, fr.end))

    system.add_listener(Listener())
    with system.transaction():
        root.add_subregion(0x1000, MemoryRegion.ram("hole", 0x800), priority=2)
        root.add_subregion(0x4000, MemoryRegion.ram("mid", 0x1000))
    assert log == [("del", 0, 0x2000), ("add", 0, 0x1000), ("add", 0x1000, 0x1800),
                   ("add", 0x1800, 0x2000), ("add", 0x4000, 0x5000)]  # fmt: skip
    space.destroy()
    system.close()


def test_installed_plugins_receive_the_listener_hooks() -> None:
    """A plugin implementing the tcgkit_memory_* hooks sees every address space's diff."""
    from tcgkit import hookimpl
    from tcgkit.plugins import PluginManager

    events: list[tuple[str, str]] = []

    class Listener:
        @hookimpl
        def tcgkit_memory_address_space_created(self, address_space: AddressSpace) -> None:
            events.append(("created", address_space.name))

        @hookimpl
        def tcgkit_memory_region_add(self, address_space: AddressSpace,
                                     section: FlatRange) -> None:  # fmt: skip
            events.append(("add", section.region.name))

        @hookimpl
        def tcgkit_memory_commit(self, address_space: AddressSpace) -> None:
            events.append(("commit", address_space.name))

        @hookimpl
        def tcgkit_memory_address_space_destroyed(self, address_space: AddressSpace) -> None:
            events.append(("destroyed", address_space.name))

    pm = PluginManager()
    pm.add_plugin(Listener(), entry_point="listener", distribution="test-listener")
    system = MemorySystem(plugin_manager=pm)
    root = MemoryRegion.container("sys", SPACE)
    AddressSpace(system, root, "cpu")
    root.add_subregion(0, MemoryRegion.ram("ram", 0x1000))
    system.close()
    assert events == [("created", "cpu"), ("commit", "cpu"), ("add", "ram"), ("commit", "cpu"),
                      ("commit", "cpu"), ("destroyed", "cpu")]  # fmt: skip


def test_a_cycle_through_an_alias_is_refused_and_changes_nothing() -> None:
    system = MemorySystem()
    root = MemoryRegion.container("sys", SPACE)
    space = AddressSpace(system, root, "cpu")
    inner = MemoryRegion.container("bus", 0x2000)
    root.add_subregion(0x1000, inner)
    inner.add_subregion(0, MemoryRegion.ram("ram", 0x1000))
    before = space.flatview
    # an alias of the root (directly, or of a container holding it) placed
    # anywhere below the root would make rendering recurse forever
    for target, host in ((root, inner), (inner, inner), (root, root)):
        window = MemoryRegion.alias("loop", target, 0, 0x1000)
        with pytest.raises(ValueError, match="cycle"):
            host.add_subregion(0x1000 if host is inner else 0x8000, window)
        assert window.parent is None
    outer = MemoryRegion.container("outer", SPACE)
    outer.add_subregion(0, MemoryRegion.alias("root-window", root, 0, SPACE))
    with pytest.raises(ValueError, match="cycle"):
        inner.add_subregion(0x1800, outer)  # outer reaches root through its alias
    with pytest.raises(ValueError, match="cycle"):
        inner.add_subregion(0, root)  # root is an ancestor
    assert space.flatview is before
    assert space.flatview.lookup(0x1000) is not None
    system.close()
