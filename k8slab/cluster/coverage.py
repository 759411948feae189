"""Which nodes a DaemonSet covers, and why it skips the others: a pure function of objects.

It follows the DaemonSet controller's `nodeShouldRunDaemonPod`: a node is eligible when the
pod template's nodeSelector and required node affinity match it and every NoSchedule/NoExecute
taint on it is tolerated, counting the tolerations the controller adds to every daemon pod
(not-ready, unreachable, disk/memory/pid-pressure, unschedulable, and network-unavailable for
hostNetwork pods) but not the control-plane taint. An eligible node whose pod the scheduler
cannot place for lack of CPU, memory or pod slots is reported with reason `resources`.

It works on objects from either backend (the sim or a real API server), so the grader and the
TUI use it for both.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from k8slab.cluster.sim.predicates import (
    affinity_matches,
    node_selector_matches,
    pinned_nodes,
    taint_spec,
    untolerated_taint,
)

Obj = Mapping[str, Any]

# What the DaemonSet controller adds to every daemon pod (util.AddOrUpdateDaemonPodTolerations).
DAEMON_TOLERATIONS: tuple[dict[str, Any], ...] = (
    {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute"},
    {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute"},
    {"key": "node.kubernetes.io/disk-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/memory-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/pid-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"},
)
NETWORK_TOLERATION = {"key": "node.kubernetes.io/network-unavailable", "operator": "Exists",
                      "effect": "NoSchedule"}

REASONS = ("nodeSelector", "affinity", "taint", "resources")


@dataclass(frozen=True, slots=True)
class NodeCoverage:
    """One node's place in a DaemonSet's coverage.

    Attributes:
        node: the node's name.
        eligible: the DaemonSet runs (or is about to run) a pod here.
        reason: why not: `nodeSelector`, `affinity`, `taint` or `resources`; "" when eligible.
        detail: a sentence for a learner, e.g. "taint node-role.kubernetes.io/control-plane:
            NoSchedule is not tolerated".
        pod: the name of the DaemonSet's pod on this node, or None.
        phase: that pod's phase ("" without a pod); `ready` whether it is Ready.
    """

    node: str
    eligible: bool
    reason: str = ""
    detail: str = ""
    pod: str | None = None
    phase: str = ""
    ready: bool = False


def daemon_tolerations(pod_spec: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The pod template's tolerations plus the ones the DaemonSet controller adds."""
    tols: list[Mapping[str, Any]] = list(pod_spec.get("tolerations") or ())
    tols += DAEMON_TOLERATIONS
    if pod_spec.get("hostNetwork"):
        tols.append(NETWORK_TOLERATION)
    return tols


def should_run(pod_spec: Mapping[str, Any], node: Obj) -> tuple[bool, bool, str, str]:
    """(should run, should continue running, reason, detail) for a daemon pod on a node.

    As upstream: an untolerated NoSchedule taint stops new pods but lets a running one stay;
    an untolerated NoExecute taint evicts it too.
    """
    if not node_selector_matches(pod_spec, node):
        sel = ", ".join(f"{k}={v}" for k, v in (pod_spec.get("nodeSelector") or {}).items())
        return False, False, "nodeSelector", f"node has no label matching nodeSelector {sel}"
    if not affinity_matches(pod_spec, node):
        return False, False, "affinity", "required node affinity does not match the node"
    taints = (node.get("spec") or {}).get("taints") or ()
    tols = daemon_tolerations(pod_spec)
    taint = untolerated_taint(tols, taints)
    if taint is not None:
        evicting = untolerated_taint(tols, taints, ("NoExecute",))
        return (False, evicting is None, "taint",
                f"taint {taint_spec(taint)} is not tolerated")
    return True, True, "", ""


def _owned_by(pod: Obj, ds: Obj) -> bool:
    dmd = ds.get("metadata") or {}
    for ref in (pod.get("metadata") or {}).get("ownerReferences") or ():
        if ref.get("kind") == "DaemonSet" and ref.get("controller"):
            if dmd.get("uid") and ref.get("uid"):
                return bool(ref.get("uid") == dmd.get("uid"))
            return bool(ref.get("name") == dmd.get("name"))
    return False


def _pod_node(pod: Obj) -> str:
    spec = pod.get("spec") or {}
    if spec.get("nodeName"):
        return str(spec["nodeName"])
    pinned = pinned_nodes(spec)
    return sorted(pinned)[0] if pinned else ""


def _ready(pod: Obj) -> bool:
    if (pod.get("metadata") or {}).get("deletionTimestamp"):
        return False
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in (pod.get("status") or {}).get("conditions") or ())


def _starved(pod: Obj) -> str:
    """The scheduler's message when it could not place the pod for lack of resources."""
    for c in (pod.get("status") or {}).get("conditions") or ():
        if c.get("type") == "PodScheduled" and c.get("reason") == "Unschedulable":
            msg = str(c.get("message", ""))
            if any(w in msg for w in ("Insufficient", "Too many pods")):
                return msg
    return ""


def coverage(daemonset: Obj, nodes: Iterable[Obj], pods: Iterable[Obj]) -> list[NodeCoverage]:
    """Every node (sorted by name) with whether the DaemonSet covers it, and why not."""
    ds_ns = (daemonset.get("metadata") or {}).get("namespace", "")
    tmpl_spec = ((daemonset.get("spec") or {}).get("template") or {}).get("spec") or {}
    by_node: dict[str, list[Obj]] = {}
    for p in pods:
        if (p.get("metadata") or {}).get("namespace", "") != ds_ns or not _owned_by(p,
                                                                                  daemonset):
            continue
        by_node.setdefault(_pod_node(p), []).append(p)
    out = []
    for node in sorted(nodes, key=lambda n: str((n.get("metadata") or {}).get("name", ""))):
        name = str((node.get("metadata") or {}).get("name", ""))
        run, keep, reason, detail = should_run(tmpl_spec, node)
        here = sorted(by_node.get(name, []), key=lambda p: (
            bool((p.get("metadata") or {}).get("deletionTimestamp")),
            str((p.get("metadata") or {}).get("name", ""))))
        pod = here[0] if here else None
        pod_name = str(pod["metadata"]["name"]) if pod is not None else None
        phase = str((pod.get("status") or {}).get("phase", "Pending")) if pod else ""
        ready = _ready(pod) if pod is not None else False
        if run or (keep and pod is not None):
            starved = _starved(pod) if pod is not None else ""
            if starved:
                out.append(NodeCoverage(name, False, "resources",
                                        "the scheduler cannot place the pod: " + starved,
                                        pod_name, phase, ready))
                continue
            detail = "" if run else detail + " (the running pod may stay)"
            out.append(NodeCoverage(name, True, "" if run else reason, detail, pod_name,
                                    phase, ready))
            continue
        out.append(NodeCoverage(name, False, reason, detail, pod_name, phase, ready))
    return out
