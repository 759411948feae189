"""How far a StatefulSet or DaemonSet is from done after an action: Ready pods against the
wanted count, pods on the latest template, and whether the controller has seen the change.
The lab's wait bar reads these (`LabSession.waiting`)."""

from __future__ import annotations

from typing import Any

from k8slab.cluster import objects as o


def readiness(obj: dict[str, Any]) -> tuple[int, int]:
    """(pods Ready, pods wanted); while scaling down, the pods left against the target."""
    st = obj.get("status") or {}
    if obj.get("kind") == "DaemonSet":
        return int(st.get("numberReady", 0) or 0), int(st.get("desiredNumberScheduled", 0) or 0)
    replicas = int(o.dig(obj, "spec.replicas", 1) or 0)
    ready = int(st.get("readyReplicas", 0) or 0)
    if int(st.get("replicas", 0) or 0) > replicas:  # scaling down: count what is left
        return replicas - (int(st.get("replicas", 0)) - replicas), replicas
    return ready, replicas


def observed(obj: dict[str, Any]) -> bool:
    """The controller has seen the object's latest spec (observedGeneration caught up)."""
    gen = int(o.dig(obj, "metadata.generation", 0) or 0)
    return int(o.dig(obj, "status.observedGeneration", 0) or 0) >= gen


def rollout(obj: dict[str, Any]) -> tuple[int, int]:
    """(pods on the latest template, pods that should be) for a rolling update; a partition
    leaves the ordinals below it alone."""
    st = obj.get("status") or {}
    if obj.get("kind") == "DaemonSet":
        return (int(st.get("updatedNumberScheduled", 0) or 0),
                int(st.get("desiredNumberScheduled", 0) or 0))
    replicas = int(o.dig(obj, "spec.replicas", 1) or 0)
    partition = int(o.dig(obj, "spec.updateStrategy.rollingUpdate.partition", 0) or 0)
    if o.dig(obj, "spec.updateStrategy.type") == "OnDelete":
        return replicas, replicas  # nothing rolls until pods are deleted by hand
    return int(st.get("updatedReplicas", 0) or 0), max(0, replicas - partition)

