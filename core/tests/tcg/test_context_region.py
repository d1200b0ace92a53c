"""Translation contexts (template, clones, the context table) and the code
buffer's regions and guard pages."""

from __future__ import annotations

import threading

import pytest
from tcgkit.tcg.context import ContextTable, TCGContext
from tcgkit.tcg.region import PAGE, CodeBuffer
from tcgkit.tcg.types import I64


def maps_between(lo: int, hi: int) -> list[tuple[int, int, str]]:
    out = []
    with open("/proc/self/maps") as f:
        for line in f:
            span, perms = line.split()[:2]
            a, b = (int(x, 16) for x in span.split("-"))
            if a < hi and b > lo:
                out.append((max(a, lo), min(b, hi), perms))
    return out


def template() -> TCGContext:
    t = TCGContext(32)
    t.new_global(I64, 0, "x0")
    t.new_global(I64, 8, "x1")
    t.freeze()
    return t


def test_template_is_frozen_and_clones_are_independent():
    t = template()
    with pytest.raises(RuntimeError):
        t.new_global(I64, 16, "x2")
    a, b = t.clone("a"), t.clone("b")
    assert [g.name for g in a.globals] == ["x0", "x1"]
    x0 = a.globals[0]
    a.add(x0, x0, 1)
    assert len(a.ops) == 1 and not b.ops and not t.ops
    a.reset()
    assert not a.ops


def test_context_table_claims_distinct_slots_from_threads():
    table = ContextTable(template(), max_cpus=8)
    got: list[int] = []
    lock = threading.Lock()

    def claim() -> None:
        index, _ = table.claim()
        with lock:
            got.append(index)

    threads = [threading.Thread(target=claim) for _ in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sorted(got) == list(range(8))
    with pytest.raises(RuntimeError, match="8"):
        table.claim()


def test_regions_have_guard_pages_and_claims_are_exclusive():
    buf = CodeBuffer(8 * (64 << 10), 60 << 10)
    try:
        n = len(buf.regions)
        assert n >= 4
        for r in buf.regions:
            guard = maps_between(r.start + r.size, r.start + r.size + PAGE)
            assert guard and all(p.startswith("---") for _, _, p in guard), guard
            assert all(p.startswith("rw") for _, _, p in maps_between(r.start, r.start + r.size))
        claimed: list[int] = []
        lock = threading.Lock()

        def worker() -> None:
            while (r := buf.claim()) is not None:
                with lock:
                    claimed.append(r.index)

        threads = [threading.Thread(target=worker) for _ in range(4)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        assert sorted(claimed) == list(range(n))  # each region to exactly one claimer
        assert buf.claim() is None
        buf.reset()
        r = buf.claim()
        assert r is not None and r.used == 0
        addr = r.alloc(100)
        assert addr is not None
        r.write(addr, b"\x90" * 100)
        with pytest.raises(ValueError, match="outside region"):
            r.write(r.start + r.size - 4, b"12345678")
        assert r.alloc(r.size) is None
    finally:
        buf.release()
        buf.release()
    assert buf.released
    with pytest.raises(RuntimeError):
        buf.claim()
