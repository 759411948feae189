"""The labels and annotations by which k8slab knows what it created on a real cluster.

Everything the lab applies carries `app.kubernetes.io/managed-by=k8slab` and
`k8slab.io/lesson=<id>`; `reset` deletes nothing else. Objects outside the lab namespace (a
manifest left in kube-system, a cluster-scoped object) also carry `k8slab.io/lab-namespace`,
so a reset finds them without touching another learner's copy of the same lesson.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

MANAGED_BY = "app.kubernetes.io/managed-by"
MANAGER = "k8slab"
LESSON = "k8slab.io/lesson"
LAB_NAMESPACE = "k8slab.io/lab-namespace"
# On nodes: JSON maps of what the lab added, {label key: lesson} and {"key:effect": lesson}.
ADDED_LABELS = "k8slab.io/added-labels"
ADDED_TAINTS = "k8slab.io/added-taints"


def lab_labels(lesson_id: str) -> dict[str, str]:
    """The labels every object the lab creates carries."""
    return {MANAGED_BY: MANAGER, LESSON: lesson_id}


def lab_selector(lesson_id: str, lab_namespace: str | None = None) -> str:
    """A `-l` selector for what a lesson created (outside its namespace: from that lab)."""
    parts = [f"{MANAGED_BY}={MANAGER}", f"{LESSON}={lesson_id}"]
    if lab_namespace:
        parts.append(f"{LAB_NAMESPACE}={lab_namespace}")
    return ",".join(parts)


def is_lab_object(obj: Mapping[str, Any], lesson_id: str | None = None) -> bool:
    """Whether k8slab created `obj` (for `lesson_id`, when given)."""
    found = (obj.get("metadata") or {}).get("labels") or {}
    if found.get(MANAGED_BY) != MANAGER:
        return False
    return lesson_id is None or found.get(LESSON) == lesson_id


def read_record(annotations: Mapping[str, str], key: str) -> dict[str, str]:
    """A node's record of what the lab added (`{label or taint: lesson}`); {} if unreadable."""
    raw = annotations.get(key)
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def write_record(record: Mapping[str, str]) -> str | None:
    """The annotation value for a record; None (remove the annotation) when it is empty."""
    return json.dumps(dict(sorted(record.items())), separators=(",", ":")) if record else None
