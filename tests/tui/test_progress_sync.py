"""ProgressSync: a workshop learner's progress reaches their namespace from a background
thread, through the real ProgressMirror, here on the sim (which keeps ConfigMaps)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from k8slab.cluster.factory import open_cluster
from k8slab.cluster.protocol import Cluster
from k8slab.errors import Forbidden
from k8slab.lessons import load_lesson
from k8slab.progress import Progress
from k8slab.state.history import Transition
from k8slab.tui.progress_sync import ProgressSync, Snapshot
from k8slab.workshop.progress_store import ProgressMirror, load_progress


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    cluster = open_cluster(load_lesson("day10"))
    yield cluster
    cluster.close()


class Learner:
    """What the session hands the sync thread: progress and history, changed by the test."""

    def __init__(self) -> None:
        self.progress = Progress("day10", "sim", "k8slab-day10")
        self.history: list[Transition] = []

    def snapshot(self) -> Snapshot:
        return self.progress.to_json(), list(self.history)

    def happen(self, name: str) -> None:
        self.history.append(Transition(float(len(self.history)), "Pod", "k8slab-day10", name,
                                       f"uid-{name}", "created"))


def test_an_answer_is_written_at_once(cluster: Cluster) -> None:
    learner = Learner()
    sync = ProgressSync(ProgressMirror(cluster, cluster.namespace, "day10"),
                        learner.snapshot).start()
    try:
        learner.progress.answers["headless"] = 1
        learner.progress.step = "statefulset-basics"
        sync.poke()
        assert sync.flush(timeout=10)
        saved = load_progress(cluster, cluster.namespace, "day10")
        assert saved is not None
        assert saved.answers == {"headless": 1} and saved.step == "statefulset-basics"
        assert sync.problem is None and sync.saves == 1
    finally:
        sync.close()


def test_history_alone_waits_for_its_interval_then_close_writes_it(cluster: Cluster) -> None:
    learner = Learner()
    mirror = ProgressMirror(cluster, cluster.namespace, "day10", history_interval=3600)
    sync = ProgressSync(mirror, learner.snapshot).start()
    sync.poke()
    assert sync.flush(timeout=10) and sync.saves == 1
    learner.happen("web-0")
    sync.poke()
    assert sync.flush(timeout=10)
    assert sync.saves == 1  # history alone, within the interval: not yet
    sync.close()
    assert sync.saves == 2  # the last word on the way out
    saved = load_progress(cluster, cluster.namespace, "day10")
    assert saved is not None and [t.name for t in saved.history] == ["web-0"]


class Refusing:
    """A cluster that refuses the write, as an expired workshop token would."""

    namespace = "ws-day10-ana"

    def patch(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        raise Forbidden("configmaps \"k8slab-progress\" is forbidden",
                        "ask the instructor for a fresh kubeconfig")


def test_a_refusal_is_a_problem_not_an_exception() -> None:
    learner = Learner()
    mirror = ProgressMirror(Refusing(), "ws-day10-ana", "day10")  # type: ignore[arg-type]
    sync = ProgressSync(mirror, learner.snapshot).start()
    try:
        sync.poke()
        assert sync.flush(timeout=10)
        assert isinstance(sync.problem, Forbidden)
        assert sync.saves == 0
    finally:
        sync.close()


def test_a_broken_snapshot_keeps_the_thread_alive(cluster: Cluster) -> None:
    learner = Learner()
    broken = {"on": True}

    def snapshot() -> Snapshot:
        if broken["on"]:
            raise RuntimeError("mirror lock lost")
        return learner.snapshot()

    sync = ProgressSync(ProgressMirror(cluster, cluster.namespace, "day10"), snapshot).start()
    try:
        sync.poke()
        assert sync.flush(timeout=10)
        assert sync.problem is not None and "mirror lock lost" in sync.problem.message
        broken["on"] = False
        sync.poke()
        assert sync.flush(timeout=10)
        assert sync.problem is None and sync.saves == 1
    finally:
        sync.close()
