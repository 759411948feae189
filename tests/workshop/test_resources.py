"""The learner view's tables: what is in one namespace, in kubectl's words."""

from __future__ import annotations

from k8slab.workshop.resources import age, resource_tables
from k8slab.workshop.status import state_from_objects
from tests.workshop.objects import NOW, pod, statefulset, ts, warning


def test_tables() -> None:
    ns = "ws-ana"
    state = state_from_objects(ns, [statefulset(ns, ready=1), pod(ns, "web-0"),
                                    pod(ns, "web-1", ready=False),
                                    warning(ns, "web-1", "FailedScheduling", "0/3  nodes", NOW - 5),
                                    pod("ws-ben", "web-0")], NOW)
    workloads, pods, claims, events = resource_tables(state, ns, NOW)
    assert workloads.rows == (("statefulset/web", "1/3 ready", "5m"),)
    assert [r[0] for r in pods.rows] == ["web-0", "web-1"]  # only this namespace
    assert pods.rows[1][2] == "Pending" and pods.rows[1][4] == "<none>"
    assert claims.rows == ()
    assert events.rows == (("5s", "Warning", "FailedScheduling", "pod/web-1", "0/3 nodes"),)


def test_age() -> None:
    assert [age(ts(NOW - s), NOW) for s in (5, 125, 7300, 200000)] == ["5s", "2m", "2h", "2d"]
    assert age(None, NOW) == "?"
