"""core.collector: the cyclic garbage collector paused for a block, and as it was after."""

import gc
import threading
import weakref

import pytest

from fakturera.core.collector import collector_paused


@pytest.fixture(autouse=True)
def _collector_as_found():
    was = gc.isenabled()
    yield
    if was:
        gc.enable()
    else:
        gc.disable()


def test_the_collector_is_off_in_the_block_and_on_again_after_it():
    gc.enable()
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_an_error_in_the_block_turns_it_on_again():
    gc.enable()
    with pytest.raises(ZeroDivisionError), collector_paused():
        1 / 0  # noqa: B018
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off():
    gc.disable()
    with collector_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_blocks_inside_blocks_turn_it_on_when_the_outermost_ends():
    gc.enable()
    with collector_paused():
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_overlapping_blocks_of_two_threads_turn_it_on_when_the_last_ends():
    gc.enable()
    entered, release = threading.Event(), threading.Event()

    def other() -> None:
        with collector_paused():
            entered.set()
            release.wait(10)

    thread = threading.Thread(target=other)
    with collector_paused():
        thread.start()
        assert entered.wait(10)
    # This thread's block ended first: the other thread's is still running without the collector.
    assert not gc.isenabled()
    release.set()
    thread.join(10)
    assert gc.isenabled()


def test_cycles_made_in_the_block_wait_for_the_collector_after_it():
    class Node:
        pass

    def cycles(count: int) -> list[weakref.ref]:
        refs = []
        for _ in range(count):
            a, b = Node(), Node()
            a.other, b.other = b, a
            refs.append(weakref.ref(a))
        return refs

    gc.enable()
    gc.collect()
    # Outside a block, the collector frees such cycles as they pile up (700 new objects start one).
    outside = cycles(5000)
    assert sum(ref() is not None for ref in outside) < 5000
    with collector_paused():
        inside = cycles(5000)
        assert all(ref() is not None for ref in inside)
    gc.collect()
    assert all(ref() is None for ref in inside)
