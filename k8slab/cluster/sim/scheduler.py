"""kube-scheduler: filter nodes, score the feasible ones, bind; or report why none fits.

Filters run in the default profile's order and the first failure per node is its reason:
NodeUnschedulable, TaintToleration, NodeAffinity (nodeSelector and required affinity),
NodePorts, NodeResourcesFit. Unbound immediate claims fail PreFilter for every node. The
FailedScheduling message is built the way the scheduler's FitError builds it: counts per reason,
sorted, then the preemption verdict, in kube-scheduler v1.37's words.

Per-node requested totals are kept incrementally from pod changes, so a scheduling attempt costs
O(nodes) and a DaemonSet pod pinned to one node costs O(1).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from k8slab.cluster.sim import quantity
from k8slab.cluster.sim.core import Controller, SyncKey
from k8slab.cluster.sim.nodes import allocatable
from k8slab.cluster.sim.predicates import (
    affinity_matches,
    host_ports,
    node_selector_matches,
    pinned_nodes,
    required_terms,
    untolerated_taint,
)
from k8slab.cluster.sim.store import Obj, timestamp

SCHEDULE_DELAY = 0.1  # from pod creation to the scheduler's attempt
RETRY_DELAY = 1.0  # from a cluster change to re-trying unschedulable pods (coalesced)

DEFAULT_CPU, DEFAULT_MEM = 100, 200 * 2**20  # scoring defaults for pods requesting nothing
NOT_HELPFUL = "Preemption is not helpful for scheduling"
NO_VICTIMS = "No preemption victims found for incoming pod"
AFFINITY_MISMATCH = "node(s) didn't match Pod's node affinity/selector"
# Nodes left out by NodeAffinity's PreFilter (a DaemonSet pod pinned to another node).
PREFILTER_MISMATCH = "node(s) didn't satisfy plugin(s) [NodeAffinity]"
UNTOLERATED = "node(s) had untolerated taint(s)"


@dataclass(slots=True)
class _Usage:
    cpu: int = 0
    mem: int = 0
    pods: int = 0
    score_cpu: int = 0  # with the scheduler's non-zero defaults (100m, 200Mi) for scoring
    score_mem: int = 0
    ports: Counter[tuple[str, int]] = field(default_factory=Counter)


def _active_on_node(pod: Obj | None) -> bool:
    if pod is None:
        return False
    return bool(pod["spec"].get("nodeName")) and (pod.get("status") or {}).get("phase") not in (
        "Succeeded", "Failed")


class Scheduler(Controller):
    """Places pending pods on nodes."""

    name = "default-scheduler"
    kinds = ("Pod", "Node", "PersistentVolumeClaim")
    component = "default-scheduler"

    def __init__(self, core: Any) -> None:
        super().__init__(core)
        self._usage: dict[str, _Usage] = defaultdict(_Usage)
        self._counted: dict[str, tuple[str, int, int, frozenset[tuple[str, int]], str]] = {}
        self._siblings: Counter[tuple[str, str]] = Counter()  # (owner uid, node) -> pods
        self._unschedulable: dict[SyncKey, None] = {}  # insertion-ordered set
        self._flush_key: SyncKey = ("", "\0retry-unschedulable")
        self._alloc: dict[str, tuple[str, tuple[int, int, int]]] = {}  # node -> (rv, alloc)
        self._tiebreak: dict[str, str] = {}
        self._next_start = 0
        self._node_list: list[Obj] | None = None  # nodes in creation order, until one changes

    def _allocatable(self, node: Obj) -> tuple[int, int, int]:
        md = node["metadata"]
        cached = self._alloc.get(md["name"])
        if cached is None or cached[0] != md["resourceVersion"]:
            cached = (md["resourceVersion"], allocatable(node))
            self._alloc[md["name"]] = cached
        return cached[1]

    # -- watching ---------------------------------------------------------------------------
    def keys_for(self, type_: str, old: Obj | None, new: Obj | None) -> Iterable[SyncKey]:
        obj = new if new is not None else old
        assert obj is not None
        kind = obj["kind"]
        if kind == "Pod":
            self._account(old, new if type_ != "DELETED" else None)
            md = obj["metadata"]
            key = (md["namespace"], md["name"])
            if type_ == "DELETED":
                self._unschedulable.pop(key, None)
                if _active_on_node(old):
                    self._retry_soon()
                return ()
            assert new is not None
            if _active_on_node(old) and not _active_on_node(new):
                self._retry_soon()
            if self._wants_scheduling(new) and (old is None or old["metadata"]["uid"]
                                                != md["uid"]):
                self.queue(key, SCHEDULE_DELAY)
            return ()
        if kind == "Node":
            self._node_list = None
        if kind == "Node" or (kind == "PersistentVolumeClaim" and new is not None and
                              (new.get("status") or {}).get("phase") == "Bound"):
            self._retry_soon()
        return ()

    def _wants_scheduling(self, pod: Obj) -> bool:
        spec = pod["spec"]
        return (not spec.get("nodeName") and not pod["metadata"].get("deletionTimestamp")
                and spec.get("schedulerName", "default-scheduler") == "default-scheduler"
                and (pod.get("status") or {}).get("phase", "Pending") == "Pending")

    def _retry_soon(self) -> None:
        if self._unschedulable:
            self.queue(self._flush_key, RETRY_DELAY)

    def _account(self, old: Obj | None, new: Obj | None) -> None:
        uid = (new or old or {})["metadata"]["uid"]
        if uid in self._counted and not _active_on_node(new):
            node, cpu, mem, ports, owner = self._counted.pop(uid)
            self._siblings[(owner, node)] -= 1
            u = self._usage[node]
            u.cpu, u.mem, u.pods = u.cpu - cpu, u.mem - mem, u.pods - 1
            u.score_cpu -= cpu or DEFAULT_CPU
            u.score_mem -= mem or DEFAULT_MEM
            u.ports.subtract(ports)
        elif uid not in self._counted and _active_on_node(new):
            assert new is not None
            spec = new["spec"]
            cpu, mem = quantity.pod_requests(spec)
            ports = frozenset(host_ports(spec))
            node = spec["nodeName"]
            owner = _controller_uid(new)
            self._counted[uid] = (node, cpu, mem, ports, owner)
            self._siblings[(owner, node)] += 1
            u = self._usage[node]
            u.cpu, u.mem, u.pods = u.cpu + cpu, u.mem + mem, u.pods + 1
            u.score_cpu += cpu or DEFAULT_CPU
            u.score_mem += mem or DEFAULT_MEM
            u.ports.update(ports)

    def usage(self, node: str) -> tuple[int, int, int]:
        """(millicpu, bytes, pods) requested by the active pods bound to `node`."""
        u = self._usage.get(node) or _Usage()
        return u.cpu, u.mem, u.pods

    # -- scheduling -------------------------------------------------------------------------
    def sync(self, key: SyncKey) -> None:
        if key == self._flush_key:
            pending = list(self._unschedulable)
            self._unschedulable.clear()
            for k in pending:
                self.schedule(k)
            return
        self.schedule(key)

    def schedule(self, key: SyncKey) -> None:
        """One scheduling attempt for the pod `key`."""
        pod = self.core.store.get("Pod", *key)
        if pod is None or not self._wants_scheduling(pod):
            self._unschedulable.pop(key, None)
            return
        total = self.core.store.count("Node")
        volume_problem = self._volume_problem(pod)
        if volume_problem:
            self._fail(pod, key, f"0/{total} nodes are available: {volume_problem}. "
                       f"preemption: 0/{total} nodes are available: {total} {NOT_HELPFUL}.")
            return
        spec = pod["spec"]
        pinned = pinned_nodes(spec)
        reasons: Counter[str] = Counter()
        resolvable: Counter[str] = Counter()
        feasible: list[Obj] = []
        if pinned is not None:
            store = self.core.store
            candidates = [n for n in (store.get("Node", "", nm) for nm in sorted(pinned))
                          if n is not None]
            skipped = total - len(candidates)
            if skipped:
                reasons[PREFILTER_MISMATCH] += skipped
                resolvable[NOT_HELPFUL] += skipped
        else:
            if self._node_list is None:
                self._node_list = self.core.store.list("Node")
            candidates = self._node_list
            # Like upstream, start where the last pod left off and stop once enough feasible
            # nodes are found (percentageOfNodesToScore's adaptive default).
            if candidates:
                start = self._next_start % len(candidates)
                candidates = candidates[start:] + candidates[:start]
        cpu, mem = quantity.pod_requests(spec)
        ports = host_ports(spec)
        want = _feasible_to_find(len(candidates))
        selective = bool(spec.get("nodeSelector")) or required_terms(spec) is not None
        checked = 0
        for node in candidates:
            if len(feasible) >= want:
                break
            checked += 1
            why, helpful = self._filter(spec, node, cpu, mem, ports, selective)
            if why is None:
                feasible.append(node)
            else:
                for w in why:
                    reasons[w] += 1
                resolvable[NO_VICTIMS if helpful else NOT_HELPFUL] += 1
        if pinned is None and candidates:
            self._next_start = (self._next_start + checked) % len(candidates)
        if not feasible:
            first = ", ".join(sorted(f"{n} {r}" for r, n in reasons.items()))
            second = ", ".join(sorted(f"{n} {r}" for r, n in resolvable.items()))
            self._fail(pod, key, f"0/{total} nodes are available: {first}. "
                       f"preemption: 0/{total} nodes are available: {second}.")
            return
        owner = _controller_uid(pod)
        best = max(feasible, key=lambda n: self._score(owner, n, cpu, mem))
        self._bind(pod, best["metadata"]["name"])

    def _filter(self, spec: dict[str, Any], node: Obj, cpu: int, mem: int,
                ports: set[tuple[str, int]], selective: bool = True
                ) -> tuple[list[str] | None, bool]:
        """None when the node fits, else (reasons, whether preemption could help)."""
        nspec = node.get("spec") or {}
        tols = spec.get("tolerations") or ()
        if nspec.get("unschedulable") and not any(
                t.get("key") == "node.kubernetes.io/unschedulable" or
                (not t.get("key") and t.get("operator") == "Exists") for t in tols):
            return ["node(s) were unschedulable"], False
        taints = nspec.get("taints")
        if taints:
            taint = untolerated_taint(tols, taints)
            if taint is not None:
                return [UNTOLERATED], False
        if selective and (not node_selector_matches(spec, node)
                          or not affinity_matches(spec, node)):
            return [AFFINITY_MISMATCH], False
        u = self._usage.get(node["metadata"]["name"]) or _Usage()
        if ports and any(u.ports.get(p, 0) > 0 for p in ports):
            return ["node(s) didn't have free ports for the requested pod ports"], True
        a_cpu, a_mem, a_pods = self._allocatable(node)
        why = []
        # A request beyond the node's whole allocatable is unresolvable: no preemption helps.
        unresolvable = False
        if u.pods + 1 > a_pods:
            why.append("Too many pods")
        if cpu and u.cpu + cpu > a_cpu:
            why.append("Insufficient cpu")
            unresolvable |= cpu > a_cpu
        if mem and u.mem + mem > a_mem:
            why.append("Insufficient memory")
            unresolvable |= mem > a_mem
        if why:
            return why, not unresolvable
        return None, False

    def _score(self, owner: str, node: Obj, cpu: int, mem: int) -> tuple[float, float, str]:
        name = node["metadata"]["name"]
        a_cpu, a_mem, _ = self._allocatable(node)
        u = self._usage.get(name) or _Usage()
        # NodeResourcesFit LeastAllocated, counting the scheduler's default 100m/200Mi for
        # pods that request nothing, so empty pods still spread.
        c = (u.score_cpu + (cpu or DEFAULT_CPU)) / a_cpu if a_cpu else 1.0
        m = (u.score_mem + (mem or DEFAULT_MEM)) / a_mem if a_mem else 1.0
        least_allocated = 1.0 - (c + m) / 2
        # PodTopologySpread's default constraint: prefer nodes with fewer pods of the same set.
        siblings = self._siblings.get((owner, name), 0) if owner else 0
        # Ties go to the node that sorts first, for determinism.
        tie = self._tiebreak.get(name)
        if tie is None:
            tie = self._tiebreak[name] = _neg(name)
        return (-siblings, least_allocated, tie)

    def _volume_problem(self, pod: Obj) -> str:
        ns = pod["metadata"]["namespace"]
        for v in pod["spec"].get("volumes") or ():
            claim = (v.get("persistentVolumeClaim") or {}).get("claimName")
            if not claim:
                continue
            pvc = self.core.store.get("PersistentVolumeClaim", ns, claim)
            if pvc is None:
                return f'persistentvolumeclaim "{claim}" not found'
            if pvc["metadata"].get("deletionTimestamp"):
                return f'persistentvolumeclaim "{claim}" is being deleted'
            if (pvc.get("status") or {}).get("phase") != "Bound":
                return "pod has unbound immediate PersistentVolumeClaims"
        return ""

    def _fail(self, pod: Obj, key: SyncKey, message: str) -> None:
        self._unschedulable[key] = None
        self.core.events.warning(pod, "FailedScheduling", message, component=self.component)
        status = pod.get("status") or {}
        cond = {"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                "message": message, "lastProbeTime": None,
                "lastTransitionTime": timestamp(self.core.clock.now)}
        old = next((c for c in status.get("conditions") or () if c["type"] == "PodScheduled"),
                   None)
        if old is not None and old.get("message") == message and old.get("status") == "False":
            return
        if old is not None and old.get("status") == "False":
            cond["lastTransitionTime"] = old.get("lastTransitionTime")
        others = [c for c in status.get("conditions") or () if c["type"] != "PodScheduled"]
        self.core.api.update_status({**pod, "status": {**status, "phase": "Pending",
                                                       "conditions": [*others, cond]}})

    def _bind(self, pod: Obj, node: str) -> None:
        md = pod["metadata"]
        status = pod.get("status") or {}
        now = timestamp(self.core.clock.now)
        others = [c for c in status.get("conditions") or () if c["type"] != "PodScheduled"]
        cond = {"type": "PodScheduled", "status": "True", "lastProbeTime": None,
                "lastTransitionTime": now}
        self._unschedulable.pop((md["namespace"], md["name"]), None)
        bound = self.core.api.update_status({
            **pod, "spec": {**pod["spec"], "nodeName": node},
            "status": {**status, "phase": "Pending", "conditions": [*others, cond]}})
        self.core.transitions += 1
        self.core.events.normal(bound, "Scheduled",
                                f"Successfully assigned {md['namespace']}/{md['name']} to {node}",
                                component=self.component)


def _feasible_to_find(nodes: int) -> int:
    """numFeasibleNodesToFind with the default adaptive percentageOfNodesToScore."""
    if nodes < 100:
        return nodes
    percentage = max(5, 50 - nodes // 125)
    return max(100, nodes * percentage // 100)


def _controller_uid(pod: Obj) -> str:
    for ref in pod["metadata"].get("ownerReferences") or ():
        if ref.get("controller"):
            return str(ref.get("uid", ""))
    return ""


def _neg(name: str) -> str:
    # max() picks the largest key; invert the name so that "worker-1" beats "worker-2".
    return "".join(chr(0x10FFFF - ord(ch)) for ch in name)
