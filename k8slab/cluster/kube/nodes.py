"""Remember on each node which labels and taints the lab added, so `reset` removes exactly those.

Nodes are shared and cluster-scoped, and the lab does not own them; it only adds `disktype=ssd`
or a `gpu` taint for a DaemonSet exercise. The node itself carries the record, in annotations
mapping each added label key (or `key:effect` taint) to the lesson that added it, so a reset
from another machine, or after a crash, still knows what to undo. A label that existed before
the lab touched it is never recorded, so it is never removed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from k8slab.cluster.kube.labels import ADDED_LABELS, ADDED_TAINTS, read_record, write_record


def taint_id(taint: Mapping[str, Any]) -> str:
    return f"{taint.get('key')}:{taint.get('effect')}"


def _labels(node: Mapping[str, Any]) -> dict[str, str]:
    return dict((node.get("metadata") or {}).get("labels") or {})


def _annotations(node: Mapping[str, Any]) -> dict[str, str]:
    return dict((node.get("metadata") or {}).get("annotations") or {})


def _taints(node: Mapping[str, Any]) -> set[str]:
    return {taint_id(t) for t in (node.get("spec") or {}).get("taints") or []}


def record_patch(before: Mapping[str, Any], after: Mapping[str, Any], lesson_id: str
                 ) -> dict[str, Any] | None:
    """The merge patch that updates a node's record after the lab changed it, or None.

    Labels and taints present in `after` but not in `before` are recorded as the lesson's;
    recorded ones that are gone from `after` are forgotten.
    """
    notes = _annotations(after)
    changes: dict[str, str | None] = {}
    for key, now_present, was_present in (
            (ADDED_LABELS, set(_labels(after)), set(_labels(before))),
            (ADDED_TAINTS, _taints(after), _taints(before))):
        record = read_record(notes, key)
        updated = {k: v for k, v in record.items() if k in now_present}
        for added in now_present - was_present:
            updated.setdefault(added, lesson_id)
        if updated != record:
            changes[key] = write_record(updated)
    if not changes:
        return None
    return {"metadata": {"annotations": changes}}


def undo_patch(node: Mapping[str, Any], lesson_id: str) -> dict[str, Any] | None:
    """The merge patch removing what `lesson_id` added to `node`, or None if it added nothing.

    The patch carries the node's resourceVersion, so a concurrent change makes it fail with
    Conflict instead of silently dropping someone else's taint.
    """
    notes = _annotations(node)
    labels_rec = read_record(notes, ADDED_LABELS)
    taints_rec = read_record(notes, ADDED_TAINTS)
    drop_labels = {k for k, v in labels_rec.items() if v == lesson_id}
    drop_taints = {k for k, v in taints_rec.items() if v == lesson_id}
    if not drop_labels and not drop_taints:
        return None
    meta: dict[str, Any] = {
        "resourceVersion": (node.get("metadata") or {}).get("resourceVersion"),
        "annotations": {
            ADDED_LABELS: write_record({k: v for k, v in labels_rec.items()
                                        if k not in drop_labels}),
            ADDED_TAINTS: write_record({k: v for k, v in taints_rec.items()
                                        if k not in drop_taints}),
        },
    }
    present = _labels(node)
    gone = {k: None for k in sorted(drop_labels) if k in present}
    if gone:
        meta["labels"] = gone
    patch: dict[str, Any] = {"metadata": meta}
    if drop_taints & _taints(node):
        kept = [t for t in (node.get("spec") or {}).get("taints") or []
                if taint_id(t) not in drop_taints]
        patch["spec"] = {"taints": kept or None}
    return patch


def undone(node: Mapping[str, Any], lesson_id: str) -> list[str]:
    """What `undo_patch` removes, for the reset report: `label gpu`, `taint gpu:NoSchedule`."""
    notes = _annotations(node)
    out = [f"label {k}" for k, v in read_record(notes, ADDED_LABELS).items()
           if v == lesson_id and k in _labels(node)]
    out += [f"taint {k}" for k, v in read_record(notes, ADDED_TAINTS).items()
            if v == lesson_id and k in _taints(node)]
    return sorted(out)
