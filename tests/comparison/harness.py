"""Runs a scenario on one backend and returns its normalised outcome.

`run(scenario, cluster)` works on any `Cluster`: the sim (virtual clock) or a KubeCluster on
the test control plane (wall clock). The backend's watch feeds a ClusterState; actions go
through `ActionRunner`; waits block on the watch (`cluster.pump`), never on sleeps.
"""

from __future__ import annotations

import copy
import functools
import time
from collections.abc import Iterable
from typing import Any, cast

from k8slab.actions import Action
from k8slab.cluster import objects as o
from k8slab.cluster.protocol import Cluster, EventStream, WatchEvent
from k8slab.lessons import load_lesson
from k8slab.lessons.model import Lesson, SimBehaviour
from k8slab.runner import ActionRunner
from k8slab.state.mirror import ClusterState
from tests.comparison.outcome import (
    KWOK_REPLAYED_DELETE,
    WORKLOAD_KINDS,
    Aspect,
    Outcome,
    events,
    status,
)
from tests.comparison.scenario import Act, Apply, Observe, Scenario, Wait

# Virtual seconds a sim wait may take (the sim is fast; a stuck condition is a bug), and the
# wall seconds a sim scenario may take altogether.
SIM_TIMEOUT = 3600.0
SIM_WALL_LIMIT = 60.0

# The annotations tests/controlplane/kwok-stages.yaml reads on a Job's pods.
KWOK_DURATION = "k8slab.dev/duration"
KWOK_EXIT_CODE = "k8slab.dev/exit-code"


@functools.cache
def cached_lesson(lesson_id: str) -> Lesson:
    """A lesson, loaded once per test session (loading validates every manifest)."""
    return load_lesson(lesson_id)


class ScenarioFailed(AssertionError):
    """A step could not be carried out, or a wait timed out; says which and what was seen."""


def kwok_hints(obj: dict[str, Any], behaviours: Iterable[SimBehaviour], time_scale: float
               ) -> dict[str, Any]:
    """`obj` with the lesson's sim hint for its containers handed to KWOK (real side only).

    KWOK never runs a container's command: its stages make a Job's pod exit 0 after 0.5-1.5 s
    unless the pod carries `k8slab.dev/exit-code` / `k8slab.dev/duration`. The sim plays the
    container from the lesson's hint (`sim:` in lesson.yaml), so the same hint is translated
    into those annotations: the exit code as it is, the duration times `time_scale`.
    """
    if obj.get("kind") != "Job":
        return obj
    name = o.name(obj)
    hint = next((b for b in behaviours
                 if b.match.get("kind") == "Job" and b.match.get("name") == name), None)
    if hint is None:
        return obj
    out = copy.deepcopy(obj)
    meta = out["spec"]["template"].setdefault("metadata", {})
    notes = meta.setdefault("annotations", {})
    if hint.exit_code:
        notes[KWOK_EXIT_CODE] = str(hint.exit_code)
    if hint.duration is not None:
        notes[KWOK_DURATION] = f"{max(1, round(hint.duration * time_scale * 1000))}ms"
    return out


class KwokReplayTap:
    """Wraps a real cluster's watch stream and marks KWOK's replayed pod deletions.

    A pod's deletion normally begins with the grace period its deleter chose (the controllers
    and `delete-pod` use the pod's terminationGracePeriodSeconds, 30 s). KWOK deletes with 0,
    by name. A StatefulSet pod whose deletion *begins* without a grace period (a
    deletionTimestamp with grace 0, or a DELETED event out of the blue: a grace-0 delete of a
    pod that is not running yet is immediate) was deleted by KWOK alone: its pod-remove
    stage, fired twice for the previous pod of that name. The tap records that as a
    `KWOK_REPLAYED_DELETE` transition, which `outcome` leaves out (with the re-creation it
    causes). No scenario deletes a StatefulSet pod with grace 0 itself, nor scales down
    unschedulable pods (which the API server would delete at once).
    """

    def __init__(self, stream: EventStream, state: ClusterState) -> None:
        self._stream = stream
        self._state = state
        self._deleting: set[str] = set()

    def drain(self, limit: int | None = None) -> list[WatchEvent]:
        events = self._stream.drain(limit)
        for event in events:
            self._inspect(event)
        return events

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)

    def _inspect(self, event: WatchEvent) -> None:
        pod = event.object
        md = o.meta(pod)
        if pod.get("kind") != "Pod" or not (md.get("deletionTimestamp")
                                            or event.type == "DELETED"):
            return
        uid = o.uid(pod)
        if uid in self._deleting:
            return
        self._deleting.add(uid)
        ref = o.owner(pod) or {}
        if ref.get("kind") == "StatefulSet" and not md.get("deletionGracePeriodSeconds"):
            self._state.history.record(event.time, "Pod", o.name(pod), KWOK_REPLAYED_DELETE,
                                       namespace=o.namespace(pod), uid=uid,
                                       owner=f"StatefulSet/{ref.get('name', '')}")


class Lab:
    """One backend running one scenario: the cluster, its mirrored state, and the runner."""

    def __init__(self, cluster: Cluster, lesson: Lesson, *, time_scale: float = 0.1) -> None:
        self.cluster = cluster
        self.lesson = lesson
        self.time_scale = time_scale
        self.virtual = bool(cluster.capabilities.virtual_clock)
        self.state = ClusterState(cluster.namespace)
        # The protocol's watch on both backends: the lab namespace and the cluster-scoped kinds.
        stream = cluster.watch()
        if not self.virtual:
            stream = cast(EventStream, KwokReplayTap(stream, self.state))
        self.runner = ActionRunner(cluster, lesson, self.state, stream=stream)
        self.runner.settle()

    # -- steps --------------------------------------------------------------------------------
    def apply(self, step: Apply) -> None:
        objects = self.runner.manifest_objects(step.manifest)
        if step.edit is not None:
            objects = [step.edit(obj) for obj in objects]
        if not self.virtual:
            objects = [kwok_hints(obj, self.lesson.sim, self.time_scale) for obj in objects]
        self.cluster.apply(objects)
        self.runner.sync()

    def act(self, step: Act) -> None:
        outcome = self.runner.run(Action(step.kind, dict(step.params)))
        if not outcome.ok:
            raise ScenarioFailed(f"{self.cluster.backend}: {step.kind} {dict(step.params)} "
                                 f"failed: {outcome.message}")

    def wait(self, step: Wait) -> None:
        limit = SIM_TIMEOUT if self.virtual else step.timeout
        deadline = self.cluster.now() + limit
        wall_deadline = time.monotonic() + (SIM_WALL_LIMIT if self.virtual else limit)
        while True:
            self.runner.sync()
            if step.until(self.state):
                return
            now = self.cluster.now()
            if now >= deadline or time.monotonic() >= wall_deadline:
                raise ScenarioFailed(self._timed_out(step, limit))
            # On the sim this runs the next happenings; on a real cluster it blocks until the
            # watch delivers something (or a second passes).
            self.cluster.pump(deadline if self.virtual else min(deadline, now + 1.0))

    def observe(self, step: Observe) -> dict[str, Any]:
        self.runner.sync()
        return {a.name: a.read(self.state) for a in step.aspects}

    def _timed_out(self, step: Wait, limit: float) -> str:
        unit = "virtual " if self.virtual else ""
        recent = "\n".join(f"  {t}" for t in list(self.state.history)[-30:]
                           if t.kind not in ("Node", "PersistentVolume"))
        return (f"{self.cluster.backend}: timed out after {limit:g} {unit}seconds waiting for "
                f"{step.what}; last transitions:\n{recent}")


def run(scenario: Scenario, cluster: Cluster, *, settle_to: Outcome | None = None
        ) -> Outcome:
    """Carry out every step of `scenario` on `cluster`; return what was observed.

    Args:
        settle_to: on a real cluster, the outcome (the sim's) whose last checkpoint the real
            one is given up to END_SETTLE seconds to reach. Controllers write their events
            asynchronously, after the change they report (a Job's DeadlineExceeded event can
            arrive after its Failed condition), so the end is read once the watch has caught
            up. Nothing is adjusted: if the real cluster never gets there, the values it did
            reach are returned and the comparison shows the difference.
    """
    lab = Lab(cluster, cached_lesson(scenario.lesson), time_scale=scenario.kwok_time_scale)
    outcome: Outcome = {}
    for step in scenario.steps:
        if isinstance(step, Apply):
            lab.apply(step)
        elif isinstance(step, Act):
            lab.act(step)
        elif isinstance(step, Wait):
            lab.wait(step)
        elif isinstance(step, Observe):
            outcome[step.label] = lab.observe(step)
    outcome[END] = lab.observe(Observe(END, final_aspects(scenario, lab.state)))
    target = (settle_to or {}).get(END)
    if target is not None and not lab.virtual:
        deadline = time.monotonic() + END_SETTLE
        while outcome[END] != target and time.monotonic() < deadline:
            cluster.pump(cluster.now() + 0.5)
            outcome[END] = lab.observe(Observe(END, final_aspects(scenario, lab.state)))
    return outcome


END_SETTLE = 15.0
END = "at the end"


def final_aspects(scenario: Scenario, state: ClusterState) -> tuple[Aspect, ...]:
    """What every scenario compares last: the workloads' events, and the status of every
    workload object still there."""
    found = [status(kind, o.name(obj)) for kind in WORKLOAD_KINDS for obj in state.list(kind)]
    return (events(pod_reasons=scenario.pod_events), *found)
