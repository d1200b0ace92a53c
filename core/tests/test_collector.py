"""The collector settings tcgkit changes for a block, and puts back (``_collector``)."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest
from tcgkit._collector import paused, relaxed


@pytest.fixture(autouse=True)
def default_collector() -> Iterator[None]:
    saved, enabled = gc.get_threshold(), gc.isenabled()
    gc.set_threshold(700, 10, 10)
    gc.enable()
    yield
    gc.set_threshold(*saved)
    if enabled:  # as the test found it, either way: later tests rely on collection
        gc.enable()
    else:
        gc.disable()


def test_paused_turns_collection_off_and_back_on() -> None:
    with paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_paused_leaves_a_disabled_collector_disabled() -> None:
    gc.disable()
    with paused():
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_relaxed_raises_the_first_threshold_and_puts_it_back() -> None:
    with relaxed(500_000):
        assert gc.get_threshold() == (500_000, 10, 10)
    assert gc.get_threshold() == (700, 10, 10)


def test_relaxed_puts_it_back_after_an_exception() -> None:
    with pytest.raises(KeyError), relaxed(500_000):
        raise KeyError
    assert gc.get_threshold() == (700, 10, 10)


@pytest.mark.parametrize("threshold", [(0, 10, 10), (600_000, 5, 5), (500_000, 10, 10)])
def test_relaxed_keeps_what_is_already_relaxed_or_off(threshold: tuple[int, int, int]) -> None:
    gc.set_threshold(*threshold)
    with relaxed(500_000):
        assert gc.get_threshold() == threshold
    assert gc.get_threshold() == threshold


def test_relaxed_zero_leaves_the_collector_alone() -> None:
    with relaxed(0):
        assert gc.get_threshold() == (700, 10, 10)


def test_a_threshold_set_inside_the_block_is_kept() -> None:
    with relaxed(500_000):
        gc.set_threshold(2_000, 10, 10)
    assert gc.get_threshold() == (2_000, 10, 10)


def test_nested_and_concurrent_blocks_restore_once() -> None:
    inner_entered, outer_left = threading.Event(), threading.Event()

    def other() -> None:
        with relaxed(500_000):  # entered while the outer block has relaxed it
            inner_entered.set()
            outer_left.wait(5)
            assert gc.get_threshold()[0] == 700  # the outer block put it back meanwhile

    with relaxed(500_000):
        t = threading.Thread(target=other)
        t.start()
        inner_entered.wait(5)
        with relaxed(500_000):
            assert gc.get_threshold()[0] == 500_000
        assert gc.get_threshold()[0] == 500_000
    outer_left.set()
    t.join(5)
    assert gc.get_threshold() == (700, 10, 10)
