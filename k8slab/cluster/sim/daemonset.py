"""The DaemonSet controller, after pkg/controller/daemon (daemon_controller.go, update.go).

- One pod per node that should run it (`k8slab.cluster.coverage.should_run`, upstream's
  nodeShouldRunDaemonPod); pods are pinned with required node affinity
  `matchFields metadata.name In [node]` and get the controller's default tolerations, then go
  through the default scheduler (which may still find the node short of resources).
- Reacts to nodes being added, removed, labelled and tainted: a node that stops matching loses
  its pod (a NoSchedule taint alone lets a running pod stay, as upstream).
- Failed daemon pods are deleted and replaced; extra pods on a node are deleted (oldest kept).
- RollingUpdate with maxUnavailable (int or percent; surge not modelled): old pods that are not
  available go first, then up to maxUnavailable available ones; a node's new pod is created once
  its old pod is gone. OnDelete: only pods deleted by hand come back with the new template.
- ControllerRevisions with revision numbers, the `controller-revision-hash` and
  `pod-template-generation` pod labels, so rollout history and undo work.
- status: desiredNumberScheduled, currentNumberScheduled, numberMisscheduled, numberReady,
  numberAvailable, numberUnavailable, updatedNumberScheduled, observedGeneration.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from k8slab.cluster.coverage import DAEMON_TOLERATIONS, NETWORK_TOLERATION, should_run
from k8slab.cluster.sim.apiserver import random_suffix
from k8slab.cluster.sim.core import Controller, SimCore, SyncKey, owner_reference
from k8slab.cluster.sim.predicates import pinned_nodes
from k8slab.cluster.sim.revisions import prune, sync_revisions
from k8slab.cluster.sim.store import Obj, parse_timestamp
from k8slab.errors import ClusterError

REVISION_LABEL = "controller-revision-hash"
GENERATION_LABEL = "pod-template-generation"
GENERATION_ANNOTATION = "deprecated.daemonset.template.generation"
FAILED_POD_BACKOFF = 1.0


def _ready(pod: Obj) -> bool:
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in (pod.get("status") or {}).get("conditions") or ())


def _available(pod: Obj, min_ready: int, now: float) -> bool:
    if pod["metadata"].get("deletionTimestamp"):
        return False
    for c in (pod.get("status") or {}).get("conditions") or ():
        if c.get("type") == "Ready" and c.get("status") == "True":
            return parse_timestamp(c["lastTransitionTime"]) + min_ready <= now
    return False


def max_unavailable(ds: Obj, desired: int) -> int:
    """maxUnavailable as a number of nodes (percentages round up, at least 1 when surge is 0)."""
    ru = ((ds["spec"].get("updateStrategy") or {}).get("rollingUpdate") or {})
    value = ru.get("maxUnavailable", 1)
    if isinstance(value, str) and value.endswith("%"):
        n = math.ceil(desired * int(value[:-1]) / 100)
    else:
        n = int(value)
    return max(1, n)


class DaemonSetController(Controller):
    """Keeps one pod of each DaemonSet on every node that should run it."""

    name = "daemonset-controller"
    primary = "DaemonSet"
    kinds = ("Pod", "Node")
    component = "daemonset-controller"

    def keys_for(self, type_: str, old: Obj | None, new: Obj | None) -> Iterable[SyncKey]:
        obj = new if new is not None else old
        assert obj is not None
        if obj["kind"] == "Node":
            if type_ == "MODIFIED" and old is not None and new is not None and \
                    old["metadata"].get("labels") == new["metadata"].get("labels") and \
                    old.get("spec") == new.get("spec"):
                return ()
            return [(d["metadata"]["namespace"], d["metadata"]["name"])
                    for d in self.core.store.list("DaemonSet")]
        if obj["kind"] == "DaemonSet" and type_ == "MODIFIED" and old is not None and \
                new is not None and old.get("spec") == new.get("spec"):
            return ()  # our own status write
        return super().keys_for(type_, old, new)

    # -- sync -------------------------------------------------------------------------------
    def sync(self, key: SyncKey) -> None:
        store = self.core.store
        ds = store.get("DaemonSet", *key)
        if ds is None or ds["metadata"].get("deletionTimestamp"):
            return
        rev, _revs = sync_revisions(self.core, ds, hash_label=REVISION_LABEL,
                                    full_name_label=False)
        h = rev["metadata"]["name"][len(ds["metadata"]["name"]) + 1:]
        nodes = sorted(store.list("Node"), key=lambda n: n["metadata"]["name"])
        tmpl_spec = ds["spec"]["template"].get("spec") or {}
        plan = {n["metadata"]["name"]: should_run(tmpl_spec, n)[:2] for n in nodes}
        by_node = self._pods_by_node(ds)
        writes = store.changes
        self._manage(ds, nodes, plan, by_node, h)
        if store.changes != writes:
            by_node = self._pods_by_node(ds)
        strategy = (ds["spec"].get("updateStrategy") or {}).get("type", "RollingUpdate")
        outdated = any((p["metadata"].get("labels") or {}).get(REVISION_LABEL) != h
                       for pods in by_node.values() for p in pods)
        if strategy == "RollingUpdate" and outdated:
            writes = store.changes
            self._rolling_update(ds, nodes, plan, by_node, h)
            if store.changes != writes:
                by_node = self._pods_by_node(ds)
        self._status(ds, nodes, plan, by_node, h)
        live = {rev["metadata"]["name"]} | {
            f"{ds['metadata']['name']}-{p['metadata'].get('labels', {}).get(REVISION_LABEL)}"
            for pods in by_node.values() for p in pods}
        prune(self.core, ds, live)

    def _pods_by_node(self, ds: Obj) -> dict[str, list[Obj]]:
        """The set's pods by node, oldest first (the owner index is in creation order)."""
        out: dict[str, list[Obj]] = {}
        for pod in self.core.store.owned_by(ds["metadata"]["uid"], "Pod"):
            spec = pod["spec"]
            node = spec.get("nodeName") or next(iter(sorted(pinned_nodes(spec) or ())), "")
            out.setdefault(node, []).append(pod)
        return out

    def _manage(self, ds: Obj, nodes: list[Obj], plan: dict[str, tuple[bool, bool]],
                by_node: dict[str, list[Obj]], h: str) -> None:
        node_names = set()
        for node in nodes:
            name = node["metadata"]["name"]
            node_names.add(name)
            run, keep = plan[name]
            pods = by_node.get(name, [])
            if run and not pods:
                self._create(ds, name, h)
            elif keep:
                running = []
                for pod in pods:
                    if pod["metadata"].get("deletionTimestamp"):
                        continue
                    if (pod.get("status") or {}).get("phase") == "Failed":
                        self.core.events.warning(
                            ds, "FailedDaemonPod", f"Found failed daemon pod "
                            f"{pod['metadata']['namespace']}/{pod['metadata']['name']} on node "
                            f"{name}, will try to kill it", component=self.component)
                        self._delete(ds, pod)
                        continue
                    running.append(pod)
                for extra in running[1:]:
                    self._delete(ds, extra)
            else:
                for pod in pods:
                    if not pod["metadata"].get("deletionTimestamp"):
                        self._delete(ds, pod)
        for name, pods in by_node.items():
            if name not in node_names:
                for pod in pods:
                    if not pod["metadata"].get("deletionTimestamp"):
                        self._delete(ds, pod)

    def _rolling_update(self, ds: Obj, nodes: list[Obj], plan: dict[str, tuple[bool, bool]],
                        by_node: dict[str, list[Obj]], h: str) -> None:
        now = self.core.clock.now
        min_ready = int(ds["spec"].get("minReadySeconds", 0) or 0)
        desired = sum(1 for run, _ in plan.values() if run)
        limit = max_unavailable(ds, desired)
        unavailable = 0
        replace_now: list[Obj] = []
        candidates: list[Obj] = []
        for node in nodes:
            pods = [p for p in by_node.get(node["metadata"]["name"], [])
                    if not p["metadata"].get("deletionTimestamp")]
            if not by_node.get(node["metadata"]["name"]):
                continue
            new = [p for p in pods if (p["metadata"].get("labels") or {}).get(
                REVISION_LABEL) == h]
            old = [p for p in pods if p not in new]
            if len(pods) > 1 or not pods:
                unavailable += 1  # the manage loop sorts these out
                continue
            if new:
                if not _available(new[0], min_ready, now):
                    unavailable += 1
                continue
            if not _available(old[0], min_ready, now):
                replace_now.append(old[0])
            elif unavailable < limit:
                candidates.append(old[0])
        room = max(0, min(limit - unavailable, len(candidates)))
        for pod in replace_now + candidates[:room]:
            self._delete(ds, pod)
        if min_ready and (candidates or unavailable):
            self.queue((ds["metadata"]["namespace"], ds["metadata"]["name"]), float(min_ready))

    # -- pods -------------------------------------------------------------------------------
    def _create(self, ds: Obj, node: str, h: str) -> None:
        md = ds["metadata"]
        template = ds["spec"]["template"]
        tmd = template.get("metadata") or {}
        generation = (md.get("annotations") or {}).get(GENERATION_ANNOTATION, "1")
        # Share the (immutable, already defaulted) template parts; build what differs.
        spec = dict(template.get("spec") or {})
        affinity = dict(spec.get("affinity") or {})
        node_aff = dict(affinity.get("nodeAffinity") or {})
        node_aff["requiredDuringSchedulingIgnoredDuringExecution"] = {"nodeSelectorTerms": [
            {"matchFields": [{"key": "metadata.name", "operator": "In", "values": [node]}]}]}
        affinity["nodeAffinity"] = node_aff
        spec["affinity"] = affinity
        tols = list(spec.get("tolerations") or ())
        extra = list(DAEMON_TOLERATIONS) + ([NETWORK_TOLERATION] if spec.get("hostNetwork")
                                            else [])
        for t in extra:
            if not any(x.get("key") == t["key"] and x.get("effect") == t["effect"]
                       for x in tols):
                tols.append(dict(t))
        spec["tolerations"] = tols
        name = f"{md['name']}-{random_suffix(self.core.rng_names)}"
        pod = {
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {
                "name": name, "generateName": f"{md['name']}-", "namespace": md["namespace"],
                "labels": {**(tmd.get("labels") or {}), REVISION_LABEL: h,
                           GENERATION_LABEL: generation},
                **({"annotations": dict(tmd["annotations"])} if tmd.get("annotations") else {}),
                "ownerReferences": [owner_reference(ds)],
            },
            "spec": spec,
        }
        try:
            self.core.api.create(pod, owned=True)
        except ClusterError as exc:
            self.core.events.warning(ds, "FailedCreate", f"Error creating: {exc}",
                                     component=self.component)
            return
        self.core.events.normal(ds, "SuccessfulCreate", f"Created pod: {name}",
                                component=self.component)

    def _delete(self, ds: Obj, pod: Obj) -> None:
        md = pod["metadata"]
        try:
            self.core.api.delete("Pod", md["name"], md["namespace"])
        except ClusterError:
            return
        self.core.events.normal(ds, "SuccessfulDelete", f"Deleted pod: {md['name']}",
                                component=self.component)

    # -- status -----------------------------------------------------------------------------
    def _status(self, ds: Obj, nodes: list[Obj], plan: dict[str, tuple[bool, bool]],
                by_node: dict[str, list[Obj]], h: str) -> None:
        now = self.core.clock.now
        min_ready = int(ds["spec"].get("minReadySeconds", 0) or 0)
        desired = current = misscheduled = ready = available = updated = 0
        for node in nodes:
            run = plan[node["metadata"]["name"]][0]
            pods = [p for p in by_node.get(node["metadata"]["name"], [])
                    if not p["metadata"].get("deletionTimestamp")]
            if run:
                desired += 1
                if pods:
                    current += 1
                    pod = pods[0]
                    if _ready(pod):
                        ready += 1
                        if _available(pod, min_ready, now):
                            available += 1
                    if (pod["metadata"].get("labels") or {}).get(REVISION_LABEL) == h:
                        updated += 1
            elif pods:
                misscheduled += 1
        status: dict[str, Any] = {
            "currentNumberScheduled": current,
            "desiredNumberScheduled": desired,
            "numberMisscheduled": misscheduled,
            "numberReady": ready,
            "numberAvailable": available,
            "numberUnavailable": desired - available,
            "updatedNumberScheduled": updated,
            "observedGeneration": ds["metadata"].get("generation", 1),
        }
        # The API omits these three when zero (omitempty), as `kubectl get ds -o yaml` shows.
        if not available:
            del status["numberAvailable"]
        if desired - available <= 0:
            del status["numberUnavailable"]
        if not updated:
            del status["updatedNumberScheduled"]
        if (ds.get("status") or {}) != status:
            self.core.api.update_status({**ds, "status": status})


def register(core: SimCore) -> None:
    """Add the DaemonSet controller to a sim."""
    core.register(DaemonSetController(core))
