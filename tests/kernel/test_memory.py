"""After start-up, what it built is set aside from the cyclic collector (`kernel.memory.settle_after_start`): full
collections no longer go over it (0.1 to 0.25 s each in a service or the gateway, every request in flight waiting),
and garbage made afterwards is still collected, so a process does not grow."""

from __future__ import annotations

import gc
import weakref

from kernel import memory


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


def test_start_up_objects_are_set_aside_and_later_garbage_is_still_collected() -> None:
    built_at_start = {"routes": [Node() for _ in range(3)]}
    try:
        memory.settle_after_start()
        assert gc.get_freeze_count() > 0
        # What start-up built is out of the collector's sight: a full collection no longer looks at it.
        assert not any(o is built_at_start for o in gc.get_objects())

        a, b = Node(), Node()
        a.other, b.other = b, a  # a cycle made while serving: only the collector can free it
        gone = weakref.ref(a)
        del a, b
        gc.collect()
        assert gone() is None
    finally:
        gc.unfreeze()  # pytest's own objects go back to the collector
