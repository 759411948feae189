"""The DaemonSet controller's node-by-node bookkeeping, so that a sync can look only at the
nodes whose pods, labels or taints changed.

A full pass over every node (what `DaemonSetController.sync` did on every pod change) costs a
few milliseconds per thousand nodes; a rolling update over 1,000 nodes makes thousands of pod
changes. `Tracked` keeps, per DaemonSet, what the last sync concluded about each node
(`NodeFacts`) and running totals of them, so that the status, the rolling update's
unavailable count and its candidates follow from the totals after re-reading only the changed
nodes. `PodIndex` keeps the daemon pods per (owner uid, node) from the store's change feed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from k8slab.cluster.sim.predicates import pinned_nodes
from k8slab.cluster.sim.store import Obj, parse_timestamp

REVISION_LABEL = "controller-revision-hash"

# A node's place in a rolling update (`DaemonSetController._rolling_update`'s classes).
NO_PODS = 0  # no pod at all, not even a terminating one: not counted
UNAVAILABLE = 1  # several live pods, only terminating ones, or a new pod not yet available
NEW_AVAILABLE = 2  # one live pod on the current revision, available
OLD_UNAVAILABLE = 3  # one live pod on an old revision, not available: replaced at once
OLD_AVAILABLE = 4  # one live pod on an old revision, available: replaced within the budget


def ready(pod: Obj) -> bool:
    """Whether the pod's Ready condition is True."""
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in (pod.get("status") or {}).get("conditions") or ())


def available(pod: Obj, min_ready: int, now: float) -> bool:
    """Ready for at least minReadySeconds, and not terminating."""
    if pod["metadata"].get("deletionTimestamp"):
        return False
    for c in (pod.get("status") or {}).get("conditions") or ():
        if c.get("type") == "Ready" and c.get("status") == "True":
            return parse_timestamp(c["lastTransitionTime"]) + min_ready <= now
    return False


def pod_node(pod: Obj) -> str:
    """The node a daemon pod belongs to: where it is bound, else where it is pinned."""
    spec = pod["spec"]
    return spec.get("nodeName") or next(iter(sorted(pinned_nodes(spec) or ())), "")


def revision(pod: Obj) -> Any:
    return (pod["metadata"].get("labels") or {}).get(REVISION_LABEL)


@dataclass(frozen=True, slots=True)
class NodeFacts:
    """What one node contributes to its DaemonSet's status and rolling update."""

    rolling: int = NO_PODS
    pod: Obj | None = None  # the old-revision pod, for OLD_AVAILABLE / OLD_UNAVAILABLE
    desired: int = 0
    current: int = 0
    misscheduled: int = 0
    ready: int = 0
    available: int = 0
    updated: int = 0
    outdated: int = 0  # pods (terminating ones too) not on the current revision
    revisions: tuple[Any, ...] = ()  # every pod's revision hash, for pruning


def node_facts(pods: list[Obj], h: str, min_ready: int, now: float, *,
               run: bool, is_node: bool) -> NodeFacts:
    """The facts of one node (`is_node` False: pods pinned to a node that does not exist)."""
    revs = tuple(revision(p) for p in pods)
    outdated = sum(1 for r in revs if r != h)
    if not is_node:
        return NodeFacts(outdated=outdated, revisions=revs)
    live = [p for p in pods if not p["metadata"].get("deletionTimestamp")]
    rolling, old = NO_PODS, None
    if pods:
        if len(live) != 1:
            rolling = UNAVAILABLE
        else:
            pod = live[0]
            ok = available(pod, min_ready, now)
            if revision(pod) == h:
                rolling = NEW_AVAILABLE if ok else UNAVAILABLE
            else:
                rolling, old = (OLD_AVAILABLE if ok else OLD_UNAVAILABLE), pod
    desired = current = misscheduled = is_ready = is_available = updated = 0
    if run:
        desired = 1
        if live:
            current = 1
            pod = live[0]
            if ready(pod):
                is_ready = 1
                is_available = int(available(pod, min_ready, now))
            updated = int(revision(pod) == h)
    elif live:
        misscheduled = 1
    return NodeFacts(rolling, old, desired, current, misscheduled, is_ready, is_available,
                     updated, outdated, revs)


_COUNTED = ("desired", "current", "misscheduled", "ready", "available", "updated", "outdated")


class Tracked:
    """What the last sync of one DaemonSet saw: its spec and revision, the node set, each
    node's plan (should run, should keep running) and facts, and their totals."""

    def __init__(self, uid: str, spec: Any, h: str, nodes: Iterable[str]) -> None:
        self.uid = uid
        self.spec = spec
        self.h = h
        self.nodes = set(nodes)
        self.plan: dict[str, tuple[bool, bool]] = {}
        self.facts: dict[str, NodeFacts] = {}
        self.totals = dict.fromkeys(_COUNTED, 0)
        self.unavailable = 0
        self.old_available: set[str] = set()
        self.old_unavailable: set[str] = set()
        self.revisions: Counter[Any] = Counter()

    def put(self, node: str, facts: NodeFacts) -> None:
        """Replace a node's facts, keeping the totals current."""
        before = self.facts.get(node)
        if before is not None:
            self._count(node, before, -1)
        self.facts[node] = facts
        self._count(node, facts, 1)

    def _count(self, node: str, facts: NodeFacts, sign: int) -> None:
        for name in _COUNTED:
            self.totals[name] += sign * getattr(facts, name)
        if facts.rolling == UNAVAILABLE:
            self.unavailable += sign
        for group, cls in ((self.old_available, OLD_AVAILABLE),
                           (self.old_unavailable, OLD_UNAVAILABLE)):
            if facts.rolling == cls:
                (group.add if sign > 0 else group.discard)(node)
        for r in facts.revisions:
            self.revisions[r] += sign

    def live_revisions(self) -> set[Any]:
        """The revision hashes some pod still carries."""
        return {r for r, n in self.revisions.items() if n > 0}


class PodIndex:
    """The daemon pods by owner uid and node, in creation order, kept from the change feed.

    Owners are any ownerReference of kind DaemonSet (as the store's owner index counts them).
    """

    def __init__(self) -> None:
        self._pods: dict[str, dict[str, dict[tuple[str, str], None]]] = {}

    @staticmethod
    def owners(pod: Obj) -> list[dict[str, Any]]:
        return [r for r in pod["metadata"].get("ownerReferences") or ()
                if r.get("kind") == "DaemonSet"]

    def change(self, old: Obj | None, new: Obj | None) -> bool:
        """Follow one pod change; False when the pod moved between nodes or owners (the
        creation order within a node is then no longer known: a full pass is due)."""
        before = self._places(old)
        after = self._places(new)
        if old is not None and new is not None and before == after:
            return True
        md = (new if new is not None else old)["metadata"]  # type: ignore[index]
        pid = (md.get("namespace", "") or "", md["name"])
        for uid, node in before - after:
            nodes = self._pods.get(uid, {})
            names = nodes.get(node, {})
            names.pop(pid, None)
            if not names:
                nodes.pop(node, None)
        for uid, node in after - before:
            self._pods.setdefault(uid, {}).setdefault(node, {})[pid] = None
        return old is None or new is None

    def _places(self, pod: Obj | None) -> set[tuple[str, str]]:
        if pod is None:
            return set()
        owners = self.owners(pod)
        if not owners:
            return set()
        node = pod_node(pod)
        return {(r.get("uid", ""), node) for r in owners}

    def keys(self, uid: str) -> dict[str, dict[tuple[str, str], None]]:
        """node -> pod (namespace, name) of one owner."""
        return self._pods.get(uid, {})

    def reset(self, uid: str, by_node: dict[str, list[Obj]]) -> None:
        """Replace one owner's pods with what a full pass read from the store."""
        self._pods[uid] = {
            node: {(p["metadata"].get("namespace", "") or "", p["metadata"]["name"]): None
                   for p in pods}
            for node, pods in by_node.items() if pods}

    def forget(self, uid: str) -> None:
        self._pods.pop(uid, None)
