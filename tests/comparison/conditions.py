"""Conditions a scenario waits for: settled states both backends must reach.

Each returns a `Wait`. A condition describes a state that no longer changes by itself (every
pod Ready, the set's status caught up, the Job finished), so the observation that follows it
reads the same thing on both backends whatever their timing.
"""

from __future__ import annotations

from k8slab.cluster import objects as o
from k8slab.cluster.coverage import coverage
from k8slab.state.mirror import ClusterState
from tests.comparison.scenario import Wait


def _caught_up(obj: dict | None) -> bool:
    return obj is not None and (o.dig(obj, "status.observedGeneration", 0) or 0) >= (
        o.dig(obj, "metadata.generation", 0) or 0)


def sts_settled(sts: str, replicas: int, *, updated: int | None = None,
                timeout: float = 120.0) -> Wait:
    """Exactly `sts-0..replicas-1` exist, all Ready, none terminating, the status caught up;
    with `updated`, that many pods carry the update revision."""

    def done(s: ClusterState) -> bool:
        obj = s.get("StatefulSet", sts)
        pods = s.list("Pod", owner=f"StatefulSet/{sts}")
        if not _caught_up(obj) or [o.name(p) for p in pods] != sorted(
                f"{sts}-{i}" for i in range(replicas)):
            return False
        st = (obj or {}).get("status") or {}
        if not all(o.pod_ready(p) for p in pods) or st.get("readyReplicas", 0) != replicas \
                or st.get("replicas", 0) != replicas:
            return False
        if updated is None:
            return True
        update = st.get("updateRevision", "")
        return sum(o.labels(p).get("controller-revision-hash") == update
                   for p in pods) == updated and st.get("updatedReplicas", 0) == updated

    extra = f", {updated} updated" if updated is not None else ""
    return Wait(f"{sts} settled at {replicas} Ready pods{extra}", done, timeout)


def pods_unschedulable(owner: str, count: int, *, timeout: float = 120.0) -> Wait:
    """`count` pods of `owner` exist and the scheduler has marked each Unschedulable."""

    def done(s: ClusterState) -> bool:
        pods = s.list("Pod", owner=owner)
        return len(pods) == count and all(
            (o.condition(p, "PodScheduled") or {}).get("reason") == "Unschedulable"
            for p in pods)

    return Wait(f"{count} unschedulable pods of {owner}", done, timeout)


def claims_bound(count: int, *, timeout: float = 120.0) -> Wait:
    """`count` claims in the namespace, every one Bound."""

    def done(s: ClusterState) -> bool:
        found = s.list("PersistentVolumeClaim")
        return len(found) == count and all(o.dig(c, "status.phase") == "Bound" for c in found)

    return Wait(f"{count} Bound claims", done, timeout)


def ds_settled(ds: str, *, timeout: float = 120.0) -> Wait:
    """Every node the DaemonSet should run on has its Ready pod (or, with reason `resources`,
    its unschedulable one); no other node has one; the status caught up."""

    def done(s: ClusterState) -> bool:
        obj = s.get("DaemonSet", ds)
        if not _caught_up(obj) or obj is None:
            return False
        pods = s.list("Pod", owner=f"DaemonSet/{ds}")
        cov = coverage(obj, s.list("Node"), pods)
        for c in cov:
            if c.eligible and not c.ready:
                return False
            if not c.eligible and (c.reason != "resources") == (c.pod is not None):
                return False
        st = obj.get("status") or {}
        want = sum(1 for c in cov if c.eligible or c.reason == "resources")
        return len(pods) == want and st.get("desiredNumberScheduled", -1) == want \
            and st.get("numberReady", -1) == sum(1 for c in cov if c.eligible)

    return Wait(f"{ds} settled on its nodes", done, timeout)


def job_finished(name: str, *, timeout: float = 120.0) -> Wait:
    """The Job is Complete or Failed and none of its pods is still running."""

    def done(s: ClusterState) -> bool:
        obj = s.get("Job", name)
        if obj is None or not (o.condition_true(obj, "Complete")
                               or o.condition_true(obj, "Failed")):
            return False
        return not any(o.pod_phase(p) in ("Pending", "Running")
                       for p in s.list("Pod", owner=f"Job/{name}"))

    return Wait(f"Job {name} finished", done, timeout)


def recreated(pod: str, *, times: int = 2) -> Wait:
    """`pod` was created `times` times (deleted and re-created) and its newest copy is Ready."""

    def done(s: ClusterState) -> bool:
        made = s.history.select(kind="Pod", name=pod, what="created")
        current = s.get("Pod", pod)
        return len(made) >= times and current is not None and o.pod_ready(current)

    return Wait(f"{pod} re-created and Ready", done)


def node_labelled(node: str, key: str, value: str | None) -> Wait:
    """The mirror shows `node` with label `key=value` (None: without `key`).

    A node action's watch event can arrive after the action returns; without this wait, a
    settled-looking but stale mirror would be observed."""

    def done(s: ClusterState) -> bool:
        obj = s.get("Node", node)
        return obj is not None and o.labels(obj).get(key) == value

    shown = f"{key}={value}" if value is not None else f"without {key}"
    return Wait(f"{node} {shown}", done)
