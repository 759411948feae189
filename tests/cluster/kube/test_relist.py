"""Re-listing after 410 Gone forwards exactly the difference: nothing lost, nothing repeated."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from k8slab.cluster.kube.watch import backoff, obj_key, relist_diff


def pod(name: str, rv: str, uid: str | None = None) -> dict[str, Any]:
    return {"kind": "Pod", "metadata": {"name": name, "namespace": "lab", "uid": uid or name,
                                        "resourceVersion": rv}}


def known(*objs: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {obj_key(o): o for o in objs}


def summary(events: list[tuple[str, dict[str, Any]]]) -> list[tuple[str, str, str]]:
    return [(t, o["metadata"]["name"], o["metadata"]["resourceVersion"]) for t, o in events]


def test_first_list_adds_everything_in_list_order() -> None:
    assert summary(relist_diff({}, [pod("web-0", "5"), pod("web-1", "7")])) == [
        ("ADDED", "web-0", "5"), ("ADDED", "web-1", "7")]


def test_unchanged_objects_produce_nothing() -> None:
    assert relist_diff(known(pod("web-0", "5")), [pod("web-0", "5")]) == []


def test_vanished_changed_and_new_objects() -> None:
    old = known(pod("web-0", "5"), pod("web-1", "7"), pod("web-2", "9"))
    fresh = [pod("web-0", "5"), pod("web-1", "12"), pod("web-3", "13")]
    assert summary(relist_diff(old, fresh)) == [
        ("DELETED", "web-2", "9"),  # its last known state, as a watch would have sent it
        ("MODIFIED", "web-1", "12"),
        ("ADDED", "web-3", "13")]


def test_a_recreated_object_is_a_deletion_then_an_addition() -> None:
    old = known(pod("web-0", "5", uid="a"))
    events = relist_diff(old, [pod("web-0", "20", uid="b")])
    assert [(t, o["metadata"]["uid"]) for t, o in events] == [("DELETED", "a"), ("ADDED", "b")]


_pods = st.dictionaries(st.sampled_from([f"web-{i}" for i in range(6)]),
                        st.tuples(st.integers(1, 3), st.integers(1, 50)), max_size=6)


@given(_pods, _pods)
def test_applying_the_diff_to_what_was_known_gives_the_fresh_list(before: dict, after: dict
                                                                  ) -> None:
    old = known(*(pod(n, str(rv), uid=f"{n}-{u}") for n, (u, rv) in before.items()))
    fresh = [pod(n, str(rv), uid=f"{n}-{u}") for n, (u, rv) in after.items()]
    mirror = dict(old)
    for etype, obj in relist_diff(old, fresh):
        if etype == "DELETED":
            assert mirror.pop(obj_key(obj)) is not None  # never deletes the unknown
        else:
            assert (etype == "ADDED") == (obj_key(obj) not in mirror)
            mirror[obj_key(obj)] = obj
    assert mirror == {obj_key(o): o for o in fresh}


def test_backoff_doubles_from_half_a_second_to_ten() -> None:
    assert [backoff(n) for n in range(1, 8)] == [0.5, 1, 2, 4, 8, 10, 10]
