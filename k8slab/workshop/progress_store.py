"""A learner's progress kept in their own namespace, where the instructor can read it.

`k8slab run/check --kube` calls `save_progress` (or, from the TUI, `ProgressMirror.update`)
after a quiz answer, a finished step or a newly passed item; the workshop dashboard reads it
back with `parse_record`. It lives in
the ConfigMap `k8slab-progress`, one key per lesson (`day10.json`), holding:

- the learner's `k8slab.progress.Progress` (step, answers, passed items), and
- a bounded summary of their History (the latest transitions), for the checks that need to
  have seen something happen (ordered creation, a pod replaced, a scale-down).

What is trusted from where is the dashboard's business (see `k8slab.workshop.status`): quiz
answers can only come from here; cluster state never does.

Writes are JSON merge patches of one key, so two lessons never overwrite each other. In a
workshop the instructor pre-creates the ConfigMap and the learner may patch only that one.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from k8slab.cluster import objects as o
from k8slab.cluster.protocol import Cluster
from k8slab.errors import ClusterError, Forbidden, NotFound
from k8slab.state.history import History, Transition
from k8slab.workshop.names import (
    LABEL_LEARNER,
    LABEL_MANAGED_BY,
    LABEL_WORKSHOP,
    MANAGED_BY,
    PROGRESS_CONFIGMAP,
)

FORMAT = 1
MAX_TRANSITIONS = 400
MAX_BYTES = 200_000  # per lesson; a ConfigMap holds at most 1 MiB in all


@dataclass(frozen=True, slots=True)
class ProgressRecord:
    """What a learner's k8slab last saved for one lesson.

    Attributes:
        progress: `Progress.to_json()` as saved (step, steps_done, answers, passed, ...).
        history: the learner's latest transitions, oldest first.
        saved: wall-clock time of the save (seconds since the epoch).
    """

    lesson: str
    progress: dict[str, Any] = field(default_factory=dict)
    history: tuple[Transition, ...] = ()
    saved: float = 0.0

    @property
    def answers(self) -> dict[str, int]:
        raw = self.progress.get("answers") or {}
        return {str(k): v for k, v in raw.items() if isinstance(v, int)
                and not isinstance(v, bool)}

    @property
    def passed(self) -> dict[str, float]:
        raw = self.progress.get("passed") or {}
        return {str(k): float(v) for k, v in raw.items()
                if isinstance(v, (int, float)) and not isinstance(v, bool)}

    @property
    def step(self) -> str | None:
        step = self.progress.get("step")
        return step if isinstance(step, str) else None


@dataclass(frozen=True, slots=True)
class Membership:
    """The workshop a namespace belongs to, from its labels."""

    workshop: str
    learner: str


def key_for(lesson_id: str) -> str:
    return f"{lesson_id}.json"


def summarize(history: Iterable[Transition], limit: int = MAX_TRANSITIONS) -> list[list[Any]]:
    """The latest `limit` transitions, compact: `[time, kind, namespace, name, uid, what,
    detail]`."""
    items = list(history)[-limit:] if limit > 0 else []
    return [[round(t.time, 3), t.kind, t.namespace, t.name, t.uid, t.what,
             {k: v for k, v in t.detail.items() if v not in ("", None)}] for t in items]


def restore(summary: Iterable[Any]) -> list[Transition]:
    """Transitions back from `summarize`; malformed entries are skipped."""
    out = []
    for row in summary:
        if not isinstance(row, list) or len(row) != 7 or not isinstance(row[6], dict):
            continue
        t, kind, ns, name, uid, what, detail = row
        if not isinstance(t, (int, float)) or not all(
                isinstance(x, str) for x in (kind, ns, name, uid, what)):
            continue
        out.append(Transition(float(t), kind, ns, name, uid, what, detail))
    return out


def encode(lesson_id: str, progress: Mapping[str, Any] | Any,
           history: Iterable[Transition] | History | None = None, *,
           saved: float | None = None) -> str:
    """The JSON stored under `<lesson>.json`, trimmed to MAX_BYTES by dropping the oldest
    transitions."""
    data = progress.to_json() if hasattr(progress, "to_json") else dict(progress)
    items = list(history) if history is not None else []
    limit = MAX_TRANSITIONS
    while True:
        record = {"format": FORMAT, "lesson": lesson_id,
                  "saved": time.time() if saved is None else saved,
                  "progress": data, "history": summarize(items, limit)}
        text = json.dumps(record, separators=(",", ":"), sort_keys=True)
        if len(text.encode()) <= MAX_BYTES or limit == 0:
            return text
        limit //= 2


def parse_record(configmap: Mapping[str, Any] | None, lesson_id: str) -> ProgressRecord | None:
    """The record for `lesson_id` in a progress ConfigMap, or None if absent or unreadable."""
    if configmap is None:
        return None
    raw = (configmap.get("data") or {}).get(key_for(lesson_id))
    if not raw:
        return None
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        return None
    progress = data.get("progress")
    saved = data.get("saved")
    return ProgressRecord(
        lesson=lesson_id,
        progress=progress if isinstance(progress, dict) else {},
        history=tuple(restore(data.get("history") or [])),
        saved=float(saved) if isinstance(saved, (int, float)) else 0.0,
    )


def save_progress(cluster: Cluster, namespace: str, lesson_id: str,
                  data: Mapping[str, Any] | Any,
                  history: Iterable[Transition] | History | None = None) -> None:
    """Store a learner's progress (a `Progress` or its `to_json()`) and a History summary in
    the namespace's `k8slab-progress` ConfigMap, creating it when it is missing.

    Call it only on a real cluster (`cluster.backend == "kube"`).

    Raises:
        ClusterError: the cluster refused (e.g. Forbidden outside a workshop without rights).
    """
    patch = {"data": {key_for(lesson_id): encode(lesson_id, data, history)}}
    try:
        cluster.patch("ConfigMap", PROGRESS_CONFIGMAP, patch, namespace, patch_type="merge")
    except NotFound:
        cluster.apply([{"apiVersion": "v1", "kind": "ConfigMap",
                        "metadata": {"name": PROGRESS_CONFIGMAP, "namespace": namespace,
                                     "labels": {LABEL_MANAGED_BY: MANAGED_BY}},
                        **patch}], namespace=namespace)


def load_progress(cluster: Cluster, namespace: str, lesson_id: str) -> ProgressRecord | None:
    """What `save_progress` stored for `lesson_id`, or None (no ConfigMap, no key, or it cannot
    be read with these credentials)."""
    try:
        cm = cluster.get("ConfigMap", PROGRESS_CONFIGMAP, namespace)
    except (NotFound, Forbidden):
        return None
    return parse_record(cm, lesson_id)


def membership(cluster: Cluster, namespace: str | None = None) -> Membership | None:
    """The workshop and learner a namespace was made for, or None for an ordinary namespace.

    The TUI calls this once at start on `--kube` to know whether to show the workshop view
    (`k8slab.workshop.adapt.workshop_view`).
    """
    try:
        ns = cluster.get("Namespace", namespace or cluster.namespace)
    except ClusterError:
        return None
    labels = o.labels(ns)
    if labels.get(LABEL_MANAGED_BY) != MANAGED_BY or not labels.get(LABEL_WORKSHOP):
        return None
    return Membership(labels[LABEL_WORKSHOP], labels.get(LABEL_LEARNER, ""))


class ProgressMirror:
    """Keeps a learner's `k8slab-progress` ConfigMap current without a write per watch event.

    Call `update()` whenever progress or history may have changed (the TUI: after each batch
    of events, answer or step change). A change to the progress itself (an answer, a passed
    item, the step) is written at once; history alone at most every `history_interval`
    seconds. Failures never raise: the lab goes on, `problem` says what went wrong.

    Args:
        cluster: the learner's cluster (a real one: `backend == "kube"`).
        namespace: the learner's namespace.
        lesson_id: the lesson.
    """

    def __init__(self, cluster: Cluster, namespace: str, lesson_id: str, *,
                 history_interval: float = 30.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.cluster = cluster
        self.namespace = namespace
        self.lesson_id = lesson_id
        self.history_interval = history_interval
        self.clock = clock
        self.problem: ClusterError | None = None
        self.saves = 0
        self._saved_progress: str | None = None
        self._saved_history = -1
        self._saved_at = float("-inf")

    def update(self, progress: Mapping[str, Any] | Any,
               history: Iterable[Transition] | History | None = None, *,
               force: bool = False) -> bool:
        """Save if something worth saving changed; True if it wrote."""
        data = progress.to_json() if hasattr(progress, "to_json") else dict(progress)
        data = {k: v for k, v in data.items() if k != "updated"}  # changes on every save
        fingerprint = json.dumps(data, sort_keys=True, default=str)
        items = list(history) if history is not None else []
        changed = fingerprint != self._saved_progress
        grew = len(items) != self._saved_history and \
            self.clock() - self._saved_at >= self.history_interval
        if not (force or changed or grew):
            return False
        try:
            save_progress(self.cluster, self.namespace, self.lesson_id, progress, items)
        except ClusterError as e:
            self.problem = e
            return False
        self.problem = None
        self.saves += 1
        self._saved_progress, self._saved_history = fingerprint, len(items)
        self._saved_at = self.clock()
        return True
