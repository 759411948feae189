"""A learner's progress in their namespace's ConfigMap: encoding, bounds, merge patches."""

from __future__ import annotations

import json
from typing import Any

from k8slab.errors import Forbidden, NotFound
from k8slab.progress import Progress
from k8slab.state.history import Transition
from k8slab.workshop import progress_store as ps


class FakeCluster:
    """Just enough of a Cluster: ConfigMaps and Namespaces, merge patches as JSON merge."""

    backend = "kube"

    def __init__(self, namespace: str = "ws-ana") -> None:
        self.namespace = namespace
        self.objects: dict[tuple[str, str], dict[str, Any]] = {}

    def get(self, kind: str, name: str, namespace: str | None = None) -> dict[str, Any]:
        key = (kind, name)
        if key not in self.objects:
            raise NotFound(f"{kind} {name} not found")
        return self.objects[key]

    def patch(self, kind: str, name: str, patch: dict[str, Any], namespace: str | None = None,
              *, patch_type: str = "strategic") -> dict[str, Any]:
        assert patch_type == "merge"
        obj = self.get(kind, name, namespace)
        obj.setdefault("data", {}).update(patch["data"])
        return obj

    def apply(self, objects: list[dict[str, Any]], *, namespace: str | None = None) -> list:
        for obj in objects:
            self.objects[(obj["kind"], obj["metadata"]["name"])] = json.loads(json.dumps(obj))
        return []


def transitions(n: int) -> list[Transition]:
    return [Transition(float(i), "Pod", "ws-ana", f"web-{i}", f"uid-{i}", "created",
                       {"owner": "StatefulSet/web", "node": ""}) for i in range(n)]


def test_round_trip() -> None:
    progress = Progress("day10", "kube", "ws-ana", step="sts", answers={"q1": 2},
                        passed={"sts-ready": 12.5})
    cm = {"data": {"day10.json": ps.encode("day10", progress, transitions(3), saved=99.0)}}
    record = ps.parse_record(cm, "day10")
    assert record is not None
    assert record.answers == {"q1": 2}
    assert record.passed == {"sts-ready": 12.5}
    assert record.step == "sts"
    assert record.saved == 99.0
    assert [t.name for t in record.history] == ["web-0", "web-1", "web-2"]
    # Empty detail values are dropped to save room; the rest survive.
    assert dict(record.history[0].detail) == {"owner": "StatefulSet/web"}


def test_history_is_bounded_newest_kept() -> None:
    text = ps.encode("day10", {"answers": {}}, transitions(5000))
    assert len(text.encode()) <= ps.MAX_BYTES
    record = ps.parse_record({"data": {"day10.json": text}}, "day10")
    assert record is not None
    assert 0 < len(record.history) <= ps.MAX_TRANSITIONS
    assert record.history[-1].name == "web-4999"


def test_unreadable_records_are_ignored() -> None:
    for raw in ("not json", "[]", json.dumps({"format": 99})):
        assert ps.parse_record({"data": {"day10.json": raw}}, "day10") is None
    assert ps.parse_record({"data": {}}, "day10") is None
    assert ps.parse_record(None, "day10") is None


def test_save_creates_then_merges_per_lesson() -> None:
    cluster = FakeCluster()
    ps.save_progress(cluster, "ws-ana", "day10", {"answers": {"a": 1}})  # type: ignore[arg-type]
    ps.save_progress(cluster, "ws-ana", "day11", {"answers": {"b": 0}})  # type: ignore[arg-type]
    ps.save_progress(cluster, "ws-ana", "day10", {"answers": {"a": 2}})  # type: ignore[arg-type]
    cm = cluster.objects[("ConfigMap", ps.PROGRESS_CONFIGMAP)]
    assert sorted(cm["data"]) == ["day10.json", "day11.json"]
    day10 = ps.load_progress(cluster, "ws-ana", "day10")  # type: ignore[arg-type]
    day11 = ps.load_progress(cluster, "ws-ana", "day11")  # type: ignore[arg-type]
    assert day10 is not None and day10.answers == {"a": 2}
    assert day11 is not None and day11.answers == {"b": 0}


def test_membership_from_namespace_labels() -> None:
    cluster = FakeCluster()
    assert ps.membership(cluster) is None  # type: ignore[arg-type]
    cluster.objects[("Namespace", "ws-ana")] = {"metadata": {"name": "ws-ana", "labels": {
        "app.kubernetes.io/managed-by": "k8slab", "k8slab.io/workshop": "ws",
        "k8slab.io/learner": "ana"}}}
    assert ps.membership(cluster) == ps.Membership("ws", "ana")  # type: ignore[arg-type]


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_mirror_writes_progress_at_once_and_history_sparingly() -> None:
    cluster, clock = FakeCluster(), Clock()
    mirror = ps.ProgressMirror(cluster, "ws-ana", "day10",  # type: ignore[arg-type]
                               history_interval=30, clock=clock)
    progress = Progress("day10", "kube", "ws-ana")
    assert mirror.update(progress, transitions(1))
    assert not mirror.update(progress, transitions(1))  # nothing new
    clock.now = 10
    assert not mirror.update(progress, transitions(5))  # history only, too soon
    progress.answers["q"] = 1
    assert mirror.update(progress, transitions(5))  # an answer: at once
    clock.now = 45
    assert mirror.update(progress, transitions(9))  # history, after the interval
    assert mirror.saves == 3
    record = ps.load_progress(cluster, "ws-ana", "day10")  # type: ignore[arg-type]
    assert record is not None and record.answers == {"q": 1} and len(record.history) == 9


def test_mirror_never_raises() -> None:
    class Refusing(FakeCluster):
        def patch(self, *a: Any, **k: Any) -> dict[str, Any]:
            raise Forbidden("You are not allowed to patch configmaps")

    mirror = ps.ProgressMirror(Refusing(), "ws-ana", "day10")  # type: ignore[arg-type]
    assert not mirror.update({"answers": {}})
    assert isinstance(mirror.problem, Forbidden)
