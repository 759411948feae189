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

import heapq
import math
from collections.abc import Iterable
from typing import Any

from k8slab.cluster.coverage import DAEMON_TOLERATIONS, NETWORK_TOLERATION, should_run
from k8slab.cluster.sim.apiserver import random_suffix
from k8slab.cluster.sim.core import Controller, SimCore, SyncKey, owner_reference
from k8slab.cluster.sim.daemonset_nodes import (
    REVISION_LABEL,
    PodIndex,
    Tracked,
    node_facts,
    pod_node,
)
from k8slab.cluster.sim.daemonset_nodes import available as _available
from k8slab.cluster.sim.revisions import prune, sync_revisions
from k8slab.cluster.sim.store import Obj, clone
from k8slab.errors import ClusterError

GENERATION_LABEL = "pod-template-generation"
GENERATION_ANNOTATION = "deprecated.daemonset.template.generation"
FAILED_POD_BACKOFF = 1.0


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
    """Keeps one pod of each DaemonSet on every node that should run it.

    A sync after pod changes, or after nodes were relabelled or tainted, reconciles only those
    nodes, and takes the status and the rolling update's budget from per-node totals
    (`daemonset_nodes.Tracked`). A full pass over every node happens when the DaemonSet's spec
    or revision changed, a node was added or removed, a pod moved between nodes, or the set has
    minReadySeconds (availability then changes with the clock alone). `incremental = False`
    makes every sync a full pass; the tests compare the two.
    """

    name = "daemonset-controller"
    primary = "DaemonSet"
    kinds = ("Pod", "Node")
    component = "daemonset-controller"
    incremental = True

    def __init__(self, core: SimCore) -> None:
        super().__init__(core)
        self._tracked: dict[SyncKey, Tracked] = {}
        self._dirty: dict[SyncKey, set[str] | None] = {}  # None: a full pass is due
        self._index = PodIndex()

    def _mark(self, key: SyncKey, node: str | None) -> None:
        """Note a node to reconcile at the key's next sync (None: every node)."""
        if node is None:
            self._dirty[key] = None
            return
        nodes = self._dirty.setdefault(key, set())
        if nodes is not None:
            nodes.add(node)

    def keys_for(self, type_: str, old: Obj | None, new: Obj | None) -> Iterable[SyncKey]:
        obj = new if new is not None else old
        assert obj is not None
        kind = obj["kind"]
        if kind == "Node":
            if type_ == "MODIFIED" and old is not None and new is not None and \
                    old["metadata"].get("labels") == new["metadata"].get("labels") and \
                    old.get("spec") == new.get("spec"):
                return ()
            keys = [(d["metadata"]["namespace"], d["metadata"]["name"])
                    for d in self.core.store.list("DaemonSet")]
            node = obj["metadata"]["name"] if type_ == "MODIFIED" else None
            for key in keys:
                self._mark(key, node)
            return keys
        if kind == "DaemonSet":
            if type_ == "MODIFIED" and old is not None and new is not None and \
                    old.get("spec") == new.get("spec"):
                return ()  # our own status write
            key = (obj["metadata"].get("namespace", "") or "", obj["metadata"]["name"])
            self._mark(key, None)
            return [key]
        in_place = self._index.change(old, new)
        for pod in (old, new):
            if pod is None:
                continue
            owners = PodIndex.owners(pod)
            if owners:
                node = pod_node(pod) if in_place else None
                ns = pod["metadata"].get("namespace", "") or ""
                for ref in owners:
                    self._mark((ns, ref["name"]), node)
        return super().keys_for(type_, old, new)

    # -- sync -------------------------------------------------------------------------------
    def sync(self, key: SyncKey) -> None:
        store = self.core.store
        dirty = self._dirty.pop(key, set())
        ds = store.get("DaemonSet", *key)
        if ds is None or ds["metadata"].get("deletionTimestamp"):
            gone = self._tracked.pop(key, None)
            if gone is not None:
                self._index.forget(gone.uid)
            return
        rev, _revs = sync_revisions(self.core, ds, hash_label=REVISION_LABEL,
                                    full_name_label=False)
        h = rev["metadata"]["name"][len(ds["metadata"]["name"]) + 1:]
        st = self._tracked.get(key)
        spec = ds["spec"]
        if not self.incremental or dirty is None or st is None or \
                st.uid != ds["metadata"]["uid"] or st.h != h or \
                int(spec.get("minReadySeconds", 0) or 0) or st.spec != spec:
            self._full_sync(key, ds, rev, h)
        else:
            self._sync_nodes(key, ds, rev, h, st, dirty)

    def _full_sync(self, key: SyncKey, ds: Obj, rev: Obj, h: str) -> None:
        """Reconcile every node, then start tracking the set node by node."""
        store = self.core.store
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
        now = self.core.clock.now
        min_ready = int(ds["spec"].get("minReadySeconds", 0) or 0)
        st = Tracked(ds["metadata"]["uid"], clone(ds["spec"]), h, plan)
        st.plan = plan
        for name, (run, _keep) in plan.items():
            st.put(name, node_facts(by_node.get(name, []), h, min_ready, now, run=run,
                                    is_node=True))
        for name, pods in by_node.items():
            if name not in plan:
                st.put(name, node_facts(pods, h, min_ready, now, run=False, is_node=False))
        self._index.reset(st.uid, by_node)
        self._tracked[key] = st
        self._finish(ds, rev, st)

    def _sync_nodes(self, key: SyncKey, ds: Obj, rev: Obj, h: str, st: Tracked,
                    dirty: set[str]) -> None:
        """Reconcile the nodes in `dirty` only; everything else is as the last sync left it
        (a node nothing happened to needs nothing done)."""
        store = self.core.store
        now = self.core.clock.now
        tmpl_spec = ds["spec"]["template"].get("spec") or {}
        changed = sorted(dirty)
        on_nodes = [n for n in changed if n in st.nodes]
        for name in on_nodes:
            node = store.get("Node", "", name)
            if node is None:  # removed without our noticing: start over
                self._full_sync(key, ds, rev, h)
                return
            st.plan[name] = should_run(tmpl_spec, node)[:2]
        retry = []
        for name in on_nodes:
            run, keep = st.plan[name]
            if not self._manage_node(ds, name, run, keep, self._pods_on(st, name), h):
                retry.append(name)
        for name in changed:
            if name not in st.nodes and not self._delete_live(ds, self._pods_on(st, name)):
                retry.append(name)
        for name in changed:
            self._refresh(st, name, now)
        strategy = (ds["spec"].get("updateStrategy") or {}).get("type", "RollingUpdate")
        if strategy == "RollingUpdate" and st.totals["outdated"]:
            # As _rolling_update: replace unavailable old pods now, and available ones while
            # fewer than maxUnavailable nodes are unavailable, in node order.
            limit = max_unavailable(ds, st.totals["desired"])
            names = sorted(st.old_unavailable)
            if st.unavailable < limit:
                names += heapq.nsmallest(limit - st.unavailable, st.old_available)
            for pod in [st.facts[n].pod for n in names]:
                assert pod is not None
                self._delete(ds, pod)
            for name in names:
                self._refresh(st, name, now)
        for name in retry:  # a failed create or delete is tried again at the next sync
            self._mark(key, name)
        self._finish(ds, rev, st)

    def _pods_on(self, st: Tracked, node: str) -> list[Obj]:
        store = self.core.store
        pods = (store.get("Pod", *k) for k in self._index.keys(st.uid).get(node, ()))
        return [p for p in pods if p is not None]

    def _refresh(self, st: Tracked, node: str, now: float) -> None:
        is_node = node in st.nodes
        run = is_node and st.plan[node][0]
        st.put(node, node_facts(self._pods_on(st, node), st.h, 0, now, run=run,
                                is_node=is_node))

    def _finish(self, ds: Obj, rev: Obj, st: Tracked) -> None:
        """Write the status from the totals and prune revisions no pod uses."""
        self._status(ds, st)
        live = {rev["metadata"]["name"]} | {
            f"{ds['metadata']['name']}-{r}" for r in st.live_revisions()}
        prune(self.core, ds, live)

    def _pods_by_node(self, ds: Obj) -> dict[str, list[Obj]]:
        """The set's pods by node, oldest first (the owner index is in creation order)."""
        out: dict[str, list[Obj]] = {}
        for pod in self.core.store.owned_by(ds["metadata"]["uid"], "Pod"):
            out.setdefault(pod_node(pod), []).append(pod)
        return out

    def _manage(self, ds: Obj, nodes: list[Obj], plan: dict[str, tuple[bool, bool]],
                by_node: dict[str, list[Obj]], h: str) -> None:
        node_names = set()
        for node in nodes:
            name = node["metadata"]["name"]
            node_names.add(name)
            run, keep = plan[name]
            self._manage_node(ds, name, run, keep, by_node.get(name, []), h)
        for name, pods in by_node.items():
            if name not in node_names:
                self._delete_live(ds, pods)

    def _manage_node(self, ds: Obj, name: str, run: bool, keep: bool, pods: list[Obj],
                     h: str) -> bool:
        """Create, replace or delete the set's pods on one node; False if a write failed."""
        ok = True
        if run and not pods:
            ok = self._create(ds, name, h)
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
                    ok = self._delete(ds, pod) and ok
                    continue
                running.append(pod)
            for extra in running[1:]:
                ok = self._delete(ds, extra) and ok
        else:
            ok = self._delete_live(ds, pods)
        return ok

    def _delete_live(self, ds: Obj, pods: list[Obj]) -> bool:
        ok = True
        for pod in pods:
            if not pod["metadata"].get("deletionTimestamp"):
                ok = self._delete(ds, pod) and ok
        return ok

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
    def _create(self, ds: Obj, node: str, h: str) -> bool:
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
            return False
        self.core.events.normal(ds, "SuccessfulCreate", f"Created pod: {name}",
                                component=self.component)
        return True

    def _delete(self, ds: Obj, pod: Obj) -> bool:
        md = pod["metadata"]
        try:
            self.core.api.delete("Pod", md["name"], md["namespace"])
        except ClusterError:
            return False
        self.core.events.normal(ds, "SuccessfulDelete", f"Deleted pod: {md['name']}",
                                component=self.component)
        return True

    # -- status -----------------------------------------------------------------------------
    def _status(self, ds: Obj, st: Tracked) -> None:
        t = st.totals
        desired, current, misscheduled = t["desired"], t["current"], t["misscheduled"]
        ready, available, updated = t["ready"], t["available"], t["updated"]
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
