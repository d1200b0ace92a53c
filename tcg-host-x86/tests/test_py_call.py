"""The x86-64 host's Python thunks (``py_call``) run natively through ``Callbacks``:
every argument count with random 64-bit operands arrives as the same ints, the
answer comes back masked to 64 bits, a callable that raises or answers a non-int
is reported as unraisable and answers 0 (as a ctypes closure does), a bound
method and a call from another thread work, no reference is leaked, the code
decodes whole under capstone, more arguments than a thunk passes take a ctypes
closure, and ``release`` unmaps every page."""

from __future__ import annotations

import ctypes
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

import capstone
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tcgkit.native.callbacks import Callbacks, c_api
from tcgkit_host_x86.backend import X86Host
from tcgkit_host_x86.py_call import MAX_ARGS, thunk

U64 = ctypes.c_uint64
M64 = (1 << 64) - 1


def ctype(n: int) -> Any:
    return ctypes.CFUNCTYPE(U64, *[U64] * n)


@pytest.fixture(scope="module")
def callbacks() -> Iterator[Callbacks]:
    host = X86Host()
    cbs = Callbacks(host.python_thunk, host.flush_icache)
    yield cbs
    cbs.release()
    host.release()


def native(cbs: Callbacks, fn: Callable[..., Any], n: int) -> Any:
    """``fn`` through a thunk, called back from Python through ctypes."""
    return ctype(n)(cbs.make(fn, ctype(n)))


ARGS = st.lists(st.integers(0, M64), min_size=MAX_ARGS, max_size=MAX_ARGS)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, MAX_ARGS), ARGS, st.integers(-(1 << 70), 1 << 70))
def test_arguments_and_answer_cross_unchanged(
    callbacks: Callbacks, n: int, values: list[int], answer: int
) -> None:
    seen: list[tuple[int, ...]] = []

    def fn(*args: int) -> int:
        seen.append(args)
        return answer

    assert native(callbacks, fn, n)(*values[:n]) == answer & M64
    assert seen == [tuple(values[:n])]


def test_an_exception_is_unraisable_and_answers_zero(
    callbacks: Callbacks, monkeypatch: pytest.MonkeyPatch
) -> None:
    reported: list[Any] = []
    monkeypatch.setattr(sys, "unraisablehook", reported.append)

    def boom(a: int, b: int) -> int:
        raise ValueError(f"boom {a} {b}")

    def not_int(a: int) -> object:
        return None

    assert native(callbacks, boom, 2)(3, 4) == 0
    assert native(callbacks, not_int, 1)(5) == 0
    assert native(callbacks, lambda: -1, 0)() == M64  # -1 is an answer, not an error
    assert [type(r.exc_value) for r in reported] == [ValueError, TypeError]
    assert str(reported[0].exc_value) == "boom 3 4"
    assert ctypes.pythonapi.PyErr_Occurred() == 0


def test_bound_method_and_other_thread(callbacks: Callbacks) -> None:
    class Counter:
        def __init__(self) -> None:
            self.total = 0

        def add(self, a: int, b: int, c: int) -> int:
            self.total += a + b + c
            return self.total

    c = Counter()
    f = native(callbacks, c.add, 3)
    assert f(1, 2, 3) == 6
    results: list[int] = []
    threads = [threading.Thread(target=lambda: results.append(f(10, 20, 30))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [66, 126, 186, 246]
    assert c.total == 246


def test_more_arguments_than_a_thunk_passes_take_a_ctypes_closure(callbacks: Callbacks) -> None:
    n = MAX_ARGS + 1
    pages = len(callbacks._pages)
    assert native(callbacks, lambda *a: sum(a), n)(*range(n)) == sum(range(n))
    assert len(callbacks._pages) == pages  # no thunk page made for it


def test_no_reference_is_kept(callbacks: Callbacks) -> None:
    big = 10**30
    kept: list[int] = []

    def fn(a: int, b: int) -> int:
        kept.append(a)
        return big

    before = sys.getrefcount(big)
    f = native(callbacks, fn, 2)
    for i in range(100):
        f(1 << 62 | i, i)
    assert sys.getrefcount(big) == before
    assert all(sys.getrefcount(x) == 3 for x in kept)  # the list, x, the call's argument


def test_code_decodes_whole() -> None:
    md = capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_64)
    for n in range(MAX_ARGS + 1):
        code = thunk(c_api(), 0x1234_5678_9ABC, n)
        insns = list(md.disasm(code, 0))
        assert sum(i.size for i in insns) == len(code)
        assert [i.mnemonic for i in insns].count("call") == 2 * n + 7
        assert insns[-1].mnemonic == "ret"
    with pytest.raises(ValueError, match="0 to 6 arguments"):
        thunk(c_api(), 0, MAX_ARGS + 1)


def test_release_unmaps_the_pages() -> None:
    def mappings() -> int:
        with open("/proc/self/maps") as f:
            return sum(1 for _ in f)

    host = X86Host()
    start = mappings()
    for _ in range(5):
        cbs = Callbacks(host.python_thunk, host.flush_icache)
        for n in range(4):
            assert native(cbs, lambda *a: sum(a), n)(*range(n)) == sum(range(n))
        cbs.release()
    assert mappings() <= start
    host.release()
