"""The StatefulSet controller, after pkg/controller/statefulset (stateful_set_control.go).

- Pods are `<set>-<ordinal>` with the labels `statefulset.kubernetes.io/pod-name`,
  `apps.kubernetes.io/pod-index` and `controller-revision-hash`, hostname = pod name and
  subdomain = serviceName; one claim per volumeClaimTemplate, `<template>-<set>-<ordinal>`,
  labelled with the selector's labels and created before the pod.
- OrderedReady: ordinals are created in order, each only when every lower one is Running and
  Ready; scale-down deletes the highest ordinal first and waits for it to be gone. Parallel:
  all at once, both ways.
- Failed (or succeeded) pods are deleted and recreated with the same name and claims.
- RollingUpdate: from the highest ordinal down to the partition, one pod at a time, each
  update waiting for the pods to be Running and Ready again; below the partition pods keep
  the current revision, even when recreated. OnDelete: new pods get the new revision only when
  deleted by hand.
- persistentVolumeClaimRetentionPolicy: whenDeleted Delete puts an ownerReference to the set on
  each claim; whenScaled Delete puts an ownerReference to the pod on the claims of condemned
  ordinals, so the garbage collector removes them with the pod. Retain (the default) leaves
  the claims alone.
- status: replicas, readyReplicas, availableReplicas, currentReplicas, updatedReplicas,
  currentRevision, updateRevision, observedGeneration, collisionCount.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from k8slab.cluster.objects import ordinal as ordinal_of
from k8slab.cluster.sim.core import Controller, SimCore, SyncKey, owner_reference
from k8slab.cluster.sim.revisions import prune, revision_template, sync_revisions
from k8slab.cluster.sim.store import Obj, clone, parse_timestamp
from k8slab.errors import ClusterError

POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name"
POD_INDEX_LABEL = "apps.kubernetes.io/pod-index"
REVISION_LABEL = "controller-revision-hash"


def running_and_ready(pod: Obj) -> bool:
    status = pod.get("status") or {}
    if status.get("phase") != "Running" or pod["metadata"].get("deletionTimestamp"):
        return False
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in status.get("conditions") or ())


def _running_ready_status(pod: Obj) -> bool:
    status = pod.get("status") or {}
    return status.get("phase") == "Running" and any(
        c.get("type") == "Ready" and c.get("status") == "True"
        for c in status.get("conditions") or ())


def _available(pod: Obj, min_ready: int, now: float) -> bool:
    if not running_and_ready(pod):
        return False
    if min_ready <= 0:
        return True
    for c in (pod.get("status") or {}).get("conditions") or ():
        if c.get("type") == "Ready":
            return parse_timestamp(c["lastTransitionTime"]) + min_ready <= now
    return False


def _terminal(pod: Obj) -> bool:
    return (pod.get("status") or {}).get("phase") in ("Failed", "Succeeded")


def _terminating(pod: Obj) -> bool:
    return bool(pod["metadata"].get("deletionTimestamp"))


class StatefulSetController(Controller):
    """Creates, deletes and updates the pods and claims of StatefulSets."""

    name = "statefulset-controller"
    primary = "StatefulSet"
    kinds = ("Pod", "PersistentVolumeClaim")
    component = "statefulset-controller"

    def __init__(self, core: SimCore) -> None:
        super().__init__(core)
        self._when_deleted: dict[str, bool] = {}  # set uid -> whenDeleted is Delete

    def keys_for(self, type_: str, old: Obj | None, new: Obj | None) -> Iterable[SyncKey]:
        if (new or old or {}).get("kind") == "PersistentVolumeClaim":
            if type_ != "DELETED" or old is None:
                return ()
            # A claim a set was waiting to reuse is gone: let the sets in its namespace retry.
            ns = old["metadata"]["namespace"]
            return [(ns, s["metadata"]["name"])
                    for s in self.core.store.list("StatefulSet", ns)
                    if s["spec"].get("volumeClaimTemplates")]
        if type_ == "MODIFIED" and old is not None and new is not None and \
                new["kind"] == "StatefulSet" and old.get("spec") == new.get("spec") and \
                old["metadata"].get("generation") == new["metadata"].get("generation"):
            return ()  # our own status write
        return super().keys_for(type_, old, new)

    # -- sync -------------------------------------------------------------------------------
    def sync(self, key: SyncKey) -> None:
        store = self.core.store
        sts = store.get("StatefulSet", *key)
        if sts is None or sts["metadata"].get("deletionTimestamp"):
            return
        update_rev, revs = sync_revisions(self.core, sts,
                                          hash_label="controller.kubernetes.io/hash",
                                          full_name_label=True)
        status = sts.get("status") or {}
        current_name = status.get("currentRevision") or update_rev["metadata"]["name"]
        current_rev = next((r for r in revs if r["metadata"]["name"] == current_name),
                           update_rev)
        pods = self._pods(sts)
        self._update_claim_owners(sts, pods)
        self._sync_pods(sts, pods, current_rev, update_rev)
        pods = self._pods(sts)
        self._status(sts, pods, current_rev, update_rev)
        live = {current_rev["metadata"]["name"], update_rev["metadata"]["name"]}
        live |= {p["metadata"].get("labels", {}).get(REVISION_LABEL, "") for p in pods.values()}
        prune(self.core, sts, live)

    def _pods(self, sts: Obj) -> dict[int, Obj]:
        name = sts["metadata"]["name"]
        out: dict[int, Obj] = {}
        for pod in self.core.store.owned_by(sts["metadata"]["uid"], "Pod"):
            i = ordinal_of(pod["metadata"]["name"], name)
            if i is not None:
                out[i] = pod
        return out

    def _sync_pods(self, sts: Obj, pods: dict[int, Obj], current_rev: Obj,
                   update_rev: Obj) -> None:
        spec = sts["spec"]
        replicas = int(spec.get("replicas", 1))
        start = int((spec.get("ordinals") or {}).get("start", 0))
        monotonic = spec.get("podManagementPolicy", "OrderedReady") != "Parallel"
        now = self.core.clock.now
        min_ready = int(spec.get("minReadySeconds", 0) or 0)
        wanted = range(start, start + replicas)
        condemned = sorted((i for i in pods if i not in wanted), reverse=True)
        # The first pod, in ordinal order, that is not Running and Ready blocks OrderedReady.
        unhealthy = next((i for i in sorted(pods) if not running_and_ready(pods[i])), None)

        for i in wanted:
            pod = pods.get(i)
            if pod is not None and _terminal(pod) and not _terminating(pod):
                phase = str((pod.get("status") or {}).get("phase", "Failed"))
                smd = sts["metadata"]
                self._delete_pod(sts, pod, f"StatefulSet {smd['namespace']}/{smd['name']} is "
                                 f"recreating {'failed' if phase == 'Failed' else 'terminated'}"
                                 f" Pod {pod['metadata']['name']}")
                if monotonic:
                    return
                continue
            if pod is None:
                if not self._create(sts, i, current_rev, update_rev):
                    return
                if monotonic:
                    return
                continue
            if _terminating(pod) and monotonic:
                return  # wait for it to go, then recreate it
            if not _available(pod, min_ready, now) and monotonic:
                if running_and_ready(pod) and min_ready:
                    self.queue((sts["metadata"]["namespace"], sts["metadata"]["name"]),
                               float(min_ready))
                return

        for i in condemned:
            pod = pods[i]
            if _terminating(pod):
                if monotonic:
                    return
                continue
            if monotonic and not running_and_ready(pod) and i != unhealthy:
                return
            self._condemn_claims(sts, pod, i)
            self._delete_pod(sts, pod)
            if monotonic:
                return

        strategy = spec.get("updateStrategy") or {}
        if strategy.get("type") != "RollingUpdate":
            return
        partition = int((strategy.get("rollingUpdate") or {}).get("partition", 0) or 0)
        update_name = update_rev["metadata"]["name"]
        for i in sorted((i for i in pods if i in wanted), reverse=True):
            if i < start + partition:
                break
            pod = pods[i]
            revision = (pod["metadata"].get("labels") or {}).get(REVISION_LABEL)
            if revision != update_name and not _terminating(pod):
                self._delete_pod(sts, pod, "")
                return
            if not running_and_ready(pod):
                return

    # -- pods and claims --------------------------------------------------------------------
    def _template_for(self, sts: Obj, i: int, current_rev: Obj, update_rev: Obj
                      ) -> tuple[dict[str, Any], Obj]:
        spec = sts["spec"]
        strategy = spec.get("updateStrategy") or {}
        start = int((spec.get("ordinals") or {}).get("start", 0))
        # newVersionedStatefulSetPod: below the partition (or, without rollingUpdate, below
        # currentReplicas) a recreated pod keeps the current revision; OnDelete always
        # recreates from the update revision.
        use_current = False
        if strategy.get("type") == "RollingUpdate":
            ru = strategy.get("rollingUpdate")
            if ru is None:
                current = int((sts.get("status") or {}).get("currentReplicas", 0) or 0)
                use_current = i < start + current
            else:
                use_current = i < start + int(ru.get("partition", 0) or 0)
        rev = current_rev if use_current else update_rev
        if rev is update_rev:
            return spec["template"], rev
        return revision_template(rev), rev

    def _claims(self, sts: Obj, i: int) -> list[Obj]:
        md, spec = sts["metadata"], sts["spec"]
        selector_labels = (spec.get("selector") or {}).get("matchLabels") or {}
        retention = spec.get("persistentVolumeClaimRetentionPolicy") or {}
        out = []
        for t in spec.get("volumeClaimTemplates") or ():
            tmd = t.get("metadata") or {}
            claim_md: dict[str, Any] = {
                "name": f"{tmd.get('name', '')}-{md['name']}-{i}",
                "namespace": md["namespace"],
                "labels": {**(tmd.get("labels") or {}), **selector_labels},
            }
            if tmd.get("annotations"):
                claim_md["annotations"] = dict(tmd["annotations"])
            if retention.get("whenDeleted") == "Delete":
                claim_md["ownerReferences"] = [owner_reference(sts, controller=True)]
            out.append({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                        "metadata": claim_md, "spec": clone(t.get("spec") or {})})
        return out

    def _create(self, sts: Obj, i: int, current_rev: Obj, update_rev: Obj) -> bool:
        """Create ordinal i's missing claims and then its pod; False when blocked."""
        md = sts["metadata"]
        ns, set_name = md["namespace"], md["name"]
        store = self.core.store
        pod_name = f"{set_name}-{i}"
        for claim in self._claims(sts, i):
            cname = claim["metadata"]["name"]
            existing = store.get("PersistentVolumeClaim", ns, cname)
            if existing is not None:
                if existing["metadata"].get("deletionTimestamp"):
                    return False  # the claim is going; wait for it before reusing the name
                continue
            try:
                self.core.api.create(claim, owned=True)
            except ClusterError as exc:
                self.core.events.warning(
                    sts, "FailedCreate", f"Create Claim {cname} for Pod {pod_name} in "
                    f"StatefulSet {set_name} failed error: {exc}", component=self.component)
                return False
            self.core.events.normal(
                sts, "SuccessfulCreate", f"Create Claim {cname} Pod {pod_name} in "
                f"StatefulSet {set_name} success", component=self.component)
        template, rev = self._template_for(sts, i, current_rev, update_rev)
        pod = self._new_pod(sts, i, template, rev["metadata"]["name"])
        try:
            self.core.api.create(pod, owned=True)
        except ClusterError as exc:
            self.core.events.warning(
                sts, "FailedCreate", f"Create Pod {pod_name} in StatefulSet {set_name} failed "
                f"error: {exc}", component=self.component)
            return False
        self.core.events.normal(
            sts, "SuccessfulCreate", f"Create Pod {pod_name} in StatefulSet {set_name} "
            "successful", component=self.component)
        return True

    def _new_pod(self, sts: Obj, i: int, template: dict[str, Any], revision: str) -> Obj:
        md, spec = sts["metadata"], sts["spec"]
        name = f"{md['name']}-{i}"
        tmd = template.get("metadata") or {}
        labels = {**(tmd.get("labels") or {}), POD_NAME_LABEL: name, POD_INDEX_LABEL: str(i),
                  REVISION_LABEL: revision}
        pod_spec = dict(template.get("spec") or {})
        claim_vols = []
        for t in spec.get("volumeClaimTemplates") or ():
            tname = (t.get("metadata") or {}).get("name", "")
            claim_vols.append({"name": tname, "persistentVolumeClaim": {
                "claimName": f"{tname}-{md['name']}-{i}"}})
        if claim_vols:
            names = {v["name"] for v in claim_vols}
            pod_spec["volumes"] = [v for v in pod_spec.get("volumes") or ()
                                   if v.get("name") not in names] + claim_vols
        pod_spec["hostname"] = name
        if spec.get("serviceName"):
            pod_spec["subdomain"] = spec["serviceName"]
        # The real controller builds the pod from the template as every controller does
        # (generateName `<set>-`), then names it after its ordinal.
        pod_md: dict[str, Any] = {"name": name, "generateName": f"{md['name']}-",
                                  "namespace": md["namespace"], "labels": labels,
                                  "ownerReferences": [owner_reference(sts)]}
        if tmd.get("annotations"):
            pod_md["annotations"] = dict(tmd["annotations"])
        # pod_spec shares the template's (immutable, defaulted) parts.
        return {"apiVersion": "v1", "kind": "Pod", "metadata": pod_md, "spec": pod_spec}

    def _delete_pod(self, sts: Obj, pod: Obj, why: str = "") -> None:
        md = pod["metadata"]
        if why:
            reason = "RecreatingFailedPod" if (pod.get("status") or {}).get(
                "phase") == "Failed" else "RecreatingTerminatedPod"
            self.core.events.warning(sts, reason, why, component=self.component)
        try:
            self.core.api.delete("Pod", md["name"], md["namespace"])
        except ClusterError:
            return
        self.core.events.normal(
            sts, "SuccessfulDelete", f"Delete Pod {md['name']} in StatefulSet "
            f"{sts['metadata']['name']} successful", component=self.component)

    def _condemn_claims(self, sts: Obj, pod: Obj, i: int) -> None:
        """whenScaled: Delete — make the pod own its claims so they go with it."""
        retention = sts["spec"].get("persistentVolumeClaimRetentionPolicy") or {}
        if retention.get("whenScaled") != "Delete":
            return
        store = self.core.store
        for claim in self._claims(sts, i):
            cmd = claim["metadata"]
            existing = store.get("PersistentVolumeClaim", cmd["namespace"], cmd["name"])
            if existing is None:
                continue
            refs = [r for r in existing["metadata"].get("ownerReferences") or ()
                    if r.get("uid") != pod["metadata"]["uid"]]
            refs.append(owner_reference(pod, controller=False))
            store.update({**existing, "metadata": {**existing["metadata"],
                                                   "ownerReferences": refs}})

    def _update_claim_owners(self, sts: Obj, pods: dict[int, Obj]) -> None:
        """Keep claims' ownerReferences in line with the retention policy (as upstream's
        updatePersistentVolumeClaimRetentionPolicy does when the policy changes)."""
        retention = sts["spec"].get("persistentVolumeClaimRetentionPolicy") or {}
        want_set = retention.get("whenDeleted") == "Delete"
        store = self.core.store
        uid = sts["metadata"]["uid"]
        # Claims are created with the right references; only a policy change needs a pass.
        if self._when_deleted.get(uid, want_set) == want_set:
            self._when_deleted[uid] = want_set
            return
        self._when_deleted[uid] = want_set
        for i in pods:
            for claim in self._claims(sts, i):
                cmd = claim["metadata"]
                existing = store.get("PersistentVolumeClaim", cmd["namespace"], cmd["name"])
                if existing is None:
                    continue
                refs = list(existing["metadata"].get("ownerReferences") or ())
                has = any(r.get("uid") == uid for r in refs)
                if want_set and not has:
                    refs.append(owner_reference(sts))
                elif not want_set and has:
                    refs = [r for r in refs if r.get("uid") != uid]
                else:
                    continue
                new_md = {**existing["metadata"], "ownerReferences": refs}
                if not refs:
                    del new_md["ownerReferences"]
                store.update({**existing, "metadata": new_md})

    # -- status -----------------------------------------------------------------------------
    def _status(self, sts: Obj, pods: dict[int, Obj], current_rev: Obj, update_rev: Obj
                ) -> None:
        spec = sts["spec"]
        now = self.core.clock.now
        min_ready = int(spec.get("minReadySeconds", 0) or 0)
        cur_name, upd_name = current_rev["metadata"]["name"], update_rev["metadata"]["name"]
        live = [p for p in pods.values() if not _terminating(p)]
        # As computeReplicaStatus: every created pod counts, terminating ones too, until gone.
        ready = sum(1 for p in pods.values() if _running_ready_status(p))
        available = sum(1 for p in pods.values() if _running_ready_status(p) and (
            _terminating(p) or _available(p, min_ready, now)))
        current = sum(1 for p in live if (p["metadata"].get("labels") or {}).get(
            REVISION_LABEL) == cur_name)
        updated = sum(1 for p in live if (p["metadata"].get("labels") or {}).get(
            REVISION_LABEL) == upd_name)
        replicas = int(spec.get("replicas", 1))
        status: dict[str, Any] = {
            "observedGeneration": sts["metadata"].get("generation", 1),
            "replicas": len(pods),
            "readyReplicas": ready,
            "availableReplicas": available,
            "currentReplicas": current,
            "updatedReplicas": updated,
            "currentRevision": cur_name,
            "updateRevision": upd_name,
            "collisionCount": 0,
        }
        # completeRollingUpdate: once every replica runs the update revision and is ready.
        if (spec.get("updateStrategy") or {}).get("type") == "RollingUpdate" and \
                updated == replicas and ready == replicas and len(live) == replicas:
            status["currentRevision"] = upd_name
            status["currentReplicas"] = updated
        old = sts.get("status") or {}
        if old != status:
            self.core.api.update_status({**sts, "status": status})
        if status["currentRevision"] != cur_name:
            # The current revision moved; pods may now need nothing, but keep the set synced.
            self.queue((sts["metadata"]["namespace"], sts["metadata"]["name"]))


def register(core: SimCore) -> None:
    """Add the StatefulSet controller to a sim."""
    core.register(StatefulSetController(core))
