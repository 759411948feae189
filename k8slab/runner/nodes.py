"""Node edits as `kubectl label` and `kubectl taint` make them: JSON merge patches on the Node."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from k8slab.cluster import objects as o
from k8slab.cluster.protocol import Cluster
from k8slab.errors import NotFound

CONTROL_PLANE = "node-role.kubernetes.io/control-plane"


def is_control_plane(node: Mapping[str, Any]) -> bool:
    if CONTROL_PLANE in o.labels(node) or "node-role.kubernetes.io/master" in o.labels(node):
        return True
    return any(t.get("key") == CONTROL_PLANE for t in o.dig(node, "spec.taints", []) or [])


def first_worker(cluster: Cluster) -> str:
    """The first node by name that is not a control-plane node (or the first node at all).

    Raises:
        NotFound: the cluster has no nodes.
    """
    nodes = sorted(cluster.list("Node"), key=o.name)
    if not nodes:
        raise NotFound("The cluster has no nodes.", "Check the cluster: kubectl get nodes")
    workers = [n for n in nodes if not is_control_plane(n)]
    return o.name((workers or nodes)[0])


def label_patch(labels: Mapping[str, Any]) -> dict[str, Any]:
    """Set labels (values become strings, as labels are)."""
    return {"metadata": {"labels": {str(k): _label_value(v) for k, v in labels.items()}}}


def _label_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def unlabel_patch(keys: Sequence[str]) -> dict[str, Any]:
    """Remove labels: null in a JSON merge patch deletes the key."""
    return {"metadata": {"labels": {str(k): None for k in keys}}}


def taint_patch(node: Mapping[str, Any], key: str, value: str | None, effect: str
                ) -> dict[str, Any]:
    """Add or replace the taint `key[=value]:effect` (replacing one with the same key and
    effect, as `kubectl taint --overwrite` does). Merge patches replace the whole list."""
    taints = [dict(t) for t in o.dig(node, "spec.taints", []) or []
              if not (t.get("key") == key and t.get("effect") == effect)]
    taint: dict[str, Any] = {"key": key, "effect": effect}
    if value:
        taint["value"] = value
    taints.append(taint)
    return {"spec": {"taints": taints}}


def untaint_patch(node: Mapping[str, Any], key: str) -> tuple[dict[str, Any], int]:
    """Remove every taint with `key`; returns the patch and how many were removed."""
    before = [dict(t) for t in o.dig(node, "spec.taints", []) or []]
    after = [t for t in before if t.get("key") != key]
    return {"spec": {"taints": after or None}}, len(before) - len(after)
