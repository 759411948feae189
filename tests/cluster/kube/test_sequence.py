"""Events of different kinds are released in the order the cluster wrote them."""

from __future__ import annotations

from k8slab.cluster.kube.sequence import Sequencer, version_key
from k8slab.cluster.protocol import EventStream, WatchEvent


def event(kind: str, name: str, rv: str, at: float) -> WatchEvent:
    return WatchEvent("MODIFIED", {"kind": kind, "metadata": {"name": name,
                                                              "resourceVersion": rv}}, at)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def names(events: list[WatchEvent]) -> list[str]:
    return [e.object["metadata"]["name"] for e in events]


def test_a_cause_that_arrives_late_is_still_released_first() -> None:
    clock, out = Clock(), EventStream()
    seq = Sequencer(out.put, hold=0.3, clock=clock)
    # The pod the controller created (rv 12) arrives before the scale that caused it (rv 11).
    seq.put(event("Pod", "web-3", "12", 5.00), 12)
    clock.now += 0.1
    seq.put(event("StatefulSet", "web", "11", 5.10), 11)
    seq._release()
    assert out.drain() == []  # both still within the hold
    clock.now += 0.25  # web-3 has waited 0.35s, web 0.25s: web (smaller) blocks the release
    seq._release()
    assert out.drain() == []
    clock.now += 0.1
    seq._release()
    released = out.drain()
    assert names(released) == ["web", "web-3"]
    assert [e.time for e in released] == [5.10, 5.10]  # times never go backwards


def test_stop_releases_everything_in_order() -> None:
    clock, out = Clock(), EventStream()
    seq = Sequencer(out.put, hold=10, clock=clock)
    for name, rv in (("c", "30"), ("a", "10"), ("b", "20")):
        seq.put(event("ConfigMap", name, rv, 1.0), version_key(rv))
    seq.stop()
    assert names(out.drain()) == ["a", "b", "c"]
    seq.put(event("ConfigMap", "late", "40", 2.0), 40)
    assert out.drain() == []  # a stopped sequencer takes nothing more


def test_versions_that_are_not_numbers_sort_first_rather_than_fail() -> None:
    assert (version_key("123"), version_key("abc"), version_key("")) == (123, 0, 0)
