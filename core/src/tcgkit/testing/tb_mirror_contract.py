"""The contract suite of the optional native mirror (``TBHashPolicy.native_table``).

A policy distribution runs it as it runs ``tb_hash_contract`` (``from
tcgkit.testing.tb_mirror_contract import *`` in a test module, the same
``policy_name`` / ``distribution`` / ``auto_resize`` fixtures); each test is
skipped for a policy that offers no mirror. The readers here follow the
mirror's protocol in Python (``NativeTBTable.lookup``); a host's machine-code
readers are tested against Python writers by that host's own tests (x86-64:
``tcg-host-x86/tests/test_native_tb_lookup.py``).

Covered: the mirror holds exactly the compiled entries of the policy after
every kind of write (insert, remove, replace of a tier-0 TB by a compiled one,
resize, reset), from the first call on or when asked for with entries already
stored; and readers racing writers and resizes never miss a present entry nor
find one removed before they began.
"""

from __future__ import annotations

import random
import threading
from typing import Any

import pytest

from ..exec.tb_hash import TBHashPolicy, TBKey
from ..native.tb_mirror import NativeTBTable
from ..plugins import TB_HASH, get_plugin_manager

PAGE_BITS = 12


class CodeTB:
    """A stand-in TB: its key, and a code address (None: tier 0, never mirrored)."""

    __slots__ = ("code", "key")

    def __init__(self, key: TBKey, code: int | None) -> None:
        self.key = key
        self.code = code


def code_of(tb: CodeTB) -> tuple[int, int] | None:
    return None if tb.code is None else (tb.code, 4)


def mirror_key(i: int, flags: int = 0) -> TBKey:
    pc = 0x400000 + 4 * i
    return TBKey(pc=pc, cs_base=0, flags=flags, cflags=0, phys_page=pc >> PAGE_BITS)


@pytest.fixture
def mirror_policy(policy_name: str, distribution: str) -> type[TBHashPolicy]:
    """The policy class, through the plugin manager (as ``tb_hash_contract``'s)."""
    info = get_plugin_manager().get_info(TB_HASH, policy_name)
    assert info.distribution == distribution
    return info.obj


def mirrored(mirror: NativeTBTable) -> dict[tuple[int, int, int], int]:
    return {(s[1], s[2], s[3]): s[4] for s in mirror}


def expected(table: TBHashPolicy) -> dict[tuple[int, int, int], int]:
    out = {}
    for tb in table:
        if tb.code is not None:
            k = tb.key
            out[(k.pc, k.cs_base, k.flags | k.cflags << 32)] = tb.code
    return out


def _mirror(table: TBHashPolicy) -> NativeTBTable:
    mirror = table.native_table(code_of, PAGE_BITS, None)
    if mirror is None:
        pytest.skip(f"{type(table).name} offers no native mirror")
    assert table.native_table(code_of, PAGE_BITS, None) is mirror  # one per policy
    return mirror


def _hash_of(table: TBHashPolicy, mirror: NativeTBTable, key: TBKey) -> int:
    """The hash the policy stored ``key`` under (read back from the mirror's slot)."""
    for s in mirror:
        if (s[1], s[2], s[3]) == (key.pc, key.cs_base, key.flags | key.cflags << 32):
            return s[0]
    raise KeyError(key)


@pytest.mark.parametrize("before", [0, 30])
def test_the_mirror_follows_every_write(mirror_policy: type[TBHashPolicy], before: int) -> None:
    table = mirror_policy(2)
    rng = random.Random(before)
    tbs: dict[TBKey, CodeTB] = {}
    serial = 1

    def new_tb(key: TBKey, compiled: bool) -> CodeTB:
        nonlocal serial
        serial += 1
        return CodeTB(key, 0x10000 + serial if compiled else None)

    for i in range(before):  # entries stored before the mirror is asked for
        key = mirror_key(i)
        tbs[key] = table.insert(key, new_tb(key, i % 3 != 0))
    mirror = _mirror(table)
    assert mirrored(mirror) == expected(table)
    for step in range(600):
        key = mirror_key(rng.randrange(120), rng.randrange(2))
        op = rng.random()
        tb = tbs.get(key)
        if tb is None or op < 0.3:
            tbs[key] = table.insert(key, new_tb(key, rng.random() < 0.7))
        elif op < 0.6:
            assert table.remove(key, tb)
            del tbs[key]
        elif op < 0.8:
            tbs[key] = table.replace(key, tb, new_tb(key, True))
        elif op < 0.9 and hasattr(table, "resize"):
            table.resize(rng.randrange(0, 7))  # type: ignore[attr-defined]
        elif op < 0.92:
            table.reset()
            tbs.clear()
        assert mirrored(mirror) == expected(table), step
    for key, tb in tbs.items():
        got = mirror.lookup(_hash_of(table, mirror, key), key) if tb.code else None
        assert got == (None if tb.code is None else (tb.code, 4))
    mirror.reclaim()
    assert mirror.retired == []
    mirror.release()
    table.insert(mirror_key(999), CodeTB(mirror_key(999), 1))  # after release: no effect
    assert list(mirror) == []


def test_mirror_readers_racing_writers_and_resizes(mirror_policy: type[TBHashPolicy]) -> None:
    table = mirror_policy(2)
    mirror = _mirror(table)
    stable = [CodeTB(mirror_key(i), 0x1000 + i) for i in range(30)]
    gone = [CodeTB(mirror_key(100 + i), 0x2000 + i) for i in range(10)]
    for tb in stable + gone:
        table.insert(tb.key, tb)
    hashes = {tb.key: _hash_of(table, mirror, tb.key) for tb in stable + gone}
    for tb in gone:
        table.remove(tb.key, tb)
    stop = threading.Event()
    errors: list[Any] = []

    def reader(seed: int) -> None:
        rng = random.Random(seed)
        while not stop.is_set():
            tb = rng.choice(stable + gone)
            got = mirror.lookup(hashes[tb.key], tb.key)
            want = (tb.code, 4) if tb in stable else None
            if got != want:
                errors.append((tb.key, got, want))

    def writer() -> None:
        rng = random.Random(3)
        churn: list[CodeTB] = []
        for step in range(1500):
            if churn and rng.random() < 0.45:
                tb = churn.pop(rng.randrange(len(churn)))
                table.remove(tb.key, tb)
            else:
                tb = CodeTB(mirror_key(1000 + step), 0x10000 + step)
                table.insert(tb.key, tb)
                churn.append(tb)
            if step % 300 == 299 and hasattr(table, "resize"):
                table.resize(rng.randrange(1, 6))  # type: ignore[attr-defined]
        stop.set()

    threads = [threading.Thread(target=reader, args=(s,)) for s in range(2)]
    threads.append(threading.Thread(target=writer))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[:5]
    assert mirrored(mirror) == expected(table)
    mirror.release()
