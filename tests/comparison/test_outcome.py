"""The comparison's normalisation, on hand-built watch streams: what it keeps, what it drops."""

from __future__ import annotations

from typing import Any

from k8slab.cluster.protocol import EventStream, WatchEvent
from k8slab.lessons.model import SimBehaviour
from k8slab.state.mirror import ClusterState
from tests.comparison import outcome as a
from tests.comparison.harness import KWOK_DURATION, KWOK_EXIT_CODE, KwokReplayTap, kwok_hints
from tests.comparison.outcome import KWOK_REPLAYED_DELETE

NS = "cmp"


def pod(name: str, owner: str, *, generate: str = "", ready: bool = False, uid: str = "",
        phase: str = "Running") -> dict[str, Any]:
    kind, _, owner_name = owner.partition("/")
    md: dict[str, Any] = {"name": name, "namespace": NS, "uid": uid or f"uid-{name}",
                          "ownerReferences": [{"kind": kind, "name": owner_name,
                                               "uid": f"uid-{owner_name}", "controller": True}]}
    if generate:
        md["generateName"] = generate
    return {"kind": "Pod", "metadata": md, "spec": {},
            "status": {"phase": phase, "conditions": [
                {"type": "Ready", "status": "True" if ready else "False"}]}}


def fed(*events: tuple[str, dict[str, Any]]) -> ClusterState:
    state = ClusterState(NS)
    for i, (kind, obj) in enumerate(events):
        obj["metadata"]["resourceVersion"] = str(i + 1)
        state.apply(WatchEvent(kind, obj, float(i)))  # type: ignore[arg-type]
    return state


def test_generated_names_are_starred_but_ordinals_kept() -> None:
    assert a.pod_label(pod("node-logger-x7k2p", "DaemonSet/node-logger",
                           generate="node-logger-")) == "node-logger-*"
    # A StatefulSet's pods carry generateName too (as upstream), but keep their ordinal name.
    assert a.pod_label(pod("web-0", "StatefulSet/web", generate="web-")) == "web-0"
    assert a.pod_line(pod("web-1", "StatefulSet/web", ready=True)) == "web-1 Running ready"


def test_ordinal_sequence_and_whether_each_creation_waited() -> None:
    state = fed(("ADDED", pod("web-0", "StatefulSet/web")),
                ("MODIFIED", pod("web-0", "StatefulSet/web", ready=True)),
                ("ADDED", pod("web-1", "StatefulSet/web")),
                ("ADDED", pod("web-2", "StatefulSet/web")),
                ("DELETED", pod("web-2", "StatefulSet/web")),
                ("ADDED", pod("web-2", "StatefulSet/web", uid="second")))
    assert a.ordinal_sequence(state, "web") == ["+0", "+1", "+2", "-2", "+2"]
    assert a.creation_waits(state, "web") == [
        "1 after 0 ready", "2 while 1 not ready", "2 while 1 not ready"]
    assert a.ordinals("web", in_order=False).read(state) == ["+0", "+1", "+2", "+2", "-2"]


def test_job_pods_at_once_and_counts() -> None:
    owner = "Job/work"
    state = fed(("ADDED", pod("work-a", owner, generate="work-")),
                ("ADDED", pod("work-b", owner, generate="work-")),
                ("MODIFIED", pod("work-a", owner, generate="work-", phase="Succeeded")),
                ("ADDED", pod("work-c", owner, generate="work-")),
                ("MODIFIED", pod("work-b", owner, generate="work-", phase="Failed")),
                ("MODIFIED", pod("work-c", owner, generate="work-", phase="Succeeded")))
    assert a.job_pod_counts(state, "work") == {"created": 3, "succeeded": 2, "failed": 1,
                                               "most at once": 2}
    assert a.pod_events(owner).read(state) == ["+work-*", "+work-*", "+work-*"]


def test_events_keep_workloads_and_drop_counts_and_generated_names() -> None:
    def event(name: str, about: str, reason: str, message: str, count: int) -> dict[str, Any]:
        kind, _, obj = about.partition("/")
        return {"kind": "Event", "metadata": {"name": name, "namespace": NS},
                "involvedObject": {"kind": kind, "name": obj}, "type": "Normal",
                "reason": reason, "message": message, "count": count}

    state = fed(("ADDED", pod("hello-x7k2p", "Job/hello", generate="hello-")),
                ("ADDED", event("e1", "Job/hello", "SuccessfulCreate",
                                "Created pod: hello-x7k2p", 1)),
                ("ADDED", event("e2", "Job/hello", "SuccessfulCreate",
                                "Created pod: hello-x7k2p", 3)),
                ("ADDED", event("e3", "Pod/hello-x7k2p", "Pulled", "image pulled", 1)),
                ("ADDED", event("e4", "Pod/hello-x7k2p", "FailedScheduling", "0/3 nodes", 1)))
    assert a.event_lines(state) == ["Job/hello Normal SuccessfulCreate: Created pod: hello-*"]
    assert a.event_lines(state, ("FailedScheduling",)) == [
        "Job/hello Normal SuccessfulCreate: Created pod: hello-*",
        "Pod/hello-* Normal FailedScheduling: 0/3 nodes"]


def test_status_maps_revisions_to_images_and_drops_times() -> None:
    revision = {"kind": "ControllerRevision", "metadata": {"name": "web-abc", "namespace": NS},
                "data": {"spec": {"template": {"spec": {"containers": [
                    {"name": "nginx", "image": "nginx:1.21"}]}, "$patch": "replace"}}}}
    sts = {"kind": "StatefulSet", "metadata": {"name": "web", "namespace": NS},
           "status": {"replicas": 3, "updateRevision": "web-abc", "currentRevision": "web-old",
                      "lastTransitionTime": "2026-01-01T00:00:00Z",
                      "conditions": [{"type": "Ready", "status": "True", "reason": "Ok"}]}}
    state = fed(("ADDED", revision), ("ADDED", sts))
    assert a.status_of(state, "StatefulSet", "web") == {
        "conditions": ["Ready=True/Ok"], "currentRevision": "<no revision web-old>",
        "replicas": 3, "updateRevision": "nginx=nginx:1.21"}


def test_differences_and_unmet_expectations_are_reported() -> None:
    sim = {"created": {"ordinals of web": ["+0", "+1"]}, "only here": {}}
    real = {"created": {"ordinals of web": ["+1", "+0"]}}
    found = a.differences(sim, real)
    assert found == ["created / ordinals of web:\n    sim:  ['+0', '+1']\n"
                     "    real: ['+1', '+0']", "only here: only on the sim"]
    assert a.differences(real, real) == []
    assert a.unmet(real, {"created": {"ordinals of web": ["+0", "+1"]}})
    assert a.unmet(real, {"created": {"claims": {}}}) == [
        "created / claims:\n    expected: {}\n    got:      '<not observed>'"]
    assert a.unmet(real, {"created": {"ordinals of web": ["+1", "+0"]}}) == []


def test_kwok_gets_the_lessons_hint_for_a_job() -> None:
    job: dict[str, Any] = {
        "apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "broken-import"},
           "spec": {"template": {"spec": {"containers": [{"name": "importer"}]}}}}
    hints = (SimBehaviour(match={"kind": "Job", "name": "broken-import"}, duration=2,
                          exit_code=1),
             SimBehaviour(match={"kind": "Job", "name": "other"}, duration=9, exit_code=0))
    out = kwok_hints(job, hints, 0.1)
    assert out["spec"]["template"]["metadata"]["annotations"] == {
        KWOK_EXIT_CODE: "1", KWOK_DURATION: "200ms"}
    assert "metadata" not in job["spec"]["template"]  # the lesson's object is left alone
    other = kwok_hints({**job, "metadata": {"name": "other"}}, hints, 1.0)
    assert other["spec"]["template"]["metadata"]["annotations"] == {KWOK_DURATION: "9000ms"}
    assert kwok_hints({**job, "metadata": {"name": "unhinted"}}, hints, 1.0) == {
        **job, "metadata": {"name": "unhinted"}}
    sts = {"kind": "StatefulSet", "metadata": {"name": "broken-import"}}
    assert kwok_hints(sts, hints, 1.0) is sts


def test_kwoks_replayed_delete_of_a_recreated_pod_is_left_out() -> None:
    """KWOK deletes by name: a stale delete can hit the pod just re-created under that name."""
    def deleting(p: dict[str, Any], grace: int) -> dict[str, Any]:
        p["metadata"].update(deletionTimestamp="2026-01-01T00:00:30Z",
                             deletionGracePeriodSeconds=grace)
        return p

    owner = "StatefulSet/web"
    stream = EventStream()
    state = ClusterState(NS)
    tap = KwokReplayTap(stream, state)
    sequence = [
        ("ADDED", pod("web-0", owner, uid="a", ready=True)),
        ("MODIFIED", deleting(pod("web-0", owner, uid="a"), 30)),  # the controller's delete
        ("MODIFIED", deleting(pod("web-0", owner, uid="a"), 0)),  # KWOK removes it
        ("DELETED", deleting(pod("web-0", owner, uid="a"), 0)),
        ("ADDED", pod("web-0", owner, uid="b", ready=True)),  # re-created
        ("MODIFIED", deleting(pod("web-0", owner, uid="b"), 0)),  # KWOK's replayed delete
        ("DELETED", deleting(pod("web-0", owner, uid="b"), 0)),
        ("ADDED", pod("web-0", owner, uid="c", ready=True)),  # re-created again
        ("MODIFIED", deleting(pod("web-0", owner, uid="c"), 30)),  # deleted by the controller
        ("DELETED", deleting(pod("web-0", owner, uid="c"), 0)),
        ("ADDED", pod("web-0", owner, uid="d")),  # re-created, not running yet...
        ("DELETED", pod("web-0", owner, uid="d")),  # ...and gone at once: KWOK again
        ("ADDED", pod("web-0", owner, uid="e")),
        ("DELETED", pod("hello-x7k2p", "Job/hello")),  # not a StatefulSet's: not KWOK's doing
    ]
    for i, (kind, obj) in enumerate(sequence):
        obj["metadata"]["resourceVersion"] = str(i + 1)
        stream.put(WatchEvent(kind, obj, float(i)))  # type: ignore[arg-type]
    state.apply_all(tap.drain())

    assert [t.uid for t in state.history.select(what=KWOK_REPLAYED_DELETE)] == ["b", "d"]
    assert a.ordinal_sequence(state, "web") == ["+0", "-0", "+0", "-0", "+0"]
    # Without the tap (as on the sim), every deletion counts.
    plain = ClusterState(NS)
    plain.apply_all(WatchEvent(kind, obj, 0.0) for kind, obj in sequence)  # type: ignore[arg-type]
    assert a.ordinal_sequence(plain, "web") == ["+0", "-0", "+0", "-0", "+0", "-0", "+0",
                                                "-0", "+0"]
