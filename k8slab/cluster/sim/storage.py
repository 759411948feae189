"""Storage: the default StorageClass, dynamic provisioning and binding, claim protection.

Like minikube's `standard` class (volumeBindingMode Immediate): a claim is provisioned and bound
shortly after it is created. A pre-created Available PersistentVolume that fits is bound
instead of provisioning. A claim naming a class that does not exist stays Pending with a
`ProvisioningFailed` event. A claim being deleted while a pod uses it waits (the
`kubernetes.io/pvc-protection` finalizer); when it goes, a provisioned volume with reclaim
policy Delete goes too, and its data with it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from k8slab.cluster.sim import quantity
from k8slab.cluster.sim.core import Controller, SyncKey
from k8slab.cluster.sim.store import Obj

PROVISION_DELAY = 0.05  # bound before the scheduler first looks (0.1), as a fast provisioner
PROVISIONER = "k8s.io/minikube-hostpath"

STANDARD_CLASS: Obj = {
    "apiVersion": "storage.k8s.io/v1",
    "kind": "StorageClass",
    "metadata": {"name": "standard", "annotations": {
        "storageclass.kubernetes.io/is-default-class": "true"},
        "labels": {"addonmanager.kubernetes.io/mode": "EnsureExists"}},
    "provisioner": PROVISIONER,
    "reclaimPolicy": "Delete",
    "volumeBindingMode": "Immediate",
}


class StorageController(Controller):
    """The PV controller and the hostpath provisioner together, keyed by claim."""

    name = "persistentvolume-controller"
    primary = "PersistentVolumeClaim"
    kinds = ("StorageClass", "Pod", "PersistentVolume")
    component = "persistentvolume-controller"

    def keys_for(self, type_: str, old: Obj | None, new: Obj | None) -> Iterable[SyncKey]:
        obj = new if new is not None else old
        assert obj is not None
        kind = obj["kind"]
        store = self.core.store
        if kind == "PersistentVolumeClaim":
            md = obj["metadata"]
            if type_ == "DELETED":
                self._claim_gone(obj)
                return ()
            return [(md["namespace"], md["name"])]
        if kind == "StorageClass" and type_ == "ADDED":
            return [(p["metadata"]["namespace"], p["metadata"]["name"])
                    for p in store.list("PersistentVolumeClaim")
                    if (p.get("status") or {}).get("phase") == "Pending"]
        if kind == "Pod":
            # A pod that finished or went away may release a claim waiting to be deleted.
            gone = type_ == "DELETED" or (new is not None and (new.get("status") or {}).get(
                "phase") in ("Succeeded", "Failed"))
            if not gone:
                return ()
            ns = obj["metadata"]["namespace"]
            out = []
            for v in obj["spec"].get("volumes") or ():
                claim = (v.get("persistentVolumeClaim") or {}).get("claimName")
                if claim:
                    pvc = store.get("PersistentVolumeClaim", ns, claim)
                    if pvc is not None and pvc["metadata"].get("deletionTimestamp"):
                        out.append((ns, claim))
            return out
        return ()

    def sync(self, key: SyncKey) -> None:
        pvc = self.core.store.get("PersistentVolumeClaim", *key)
        if pvc is None:
            return
        if pvc["metadata"].get("deletionTimestamp"):
            if not self.core.api.claim_in_use(*key):
                self.core.store.remove("PersistentVolumeClaim", *key)
            return
        if (pvc.get("status") or {}).get("phase") == "Bound":
            return
        spec = pvc["spec"]
        cls_name = spec.get("storageClassName")
        static = self._find_static(pvc)
        if static is not None:
            self._bind(pvc, static)
            return
        if cls_name == "":
            self.core.events.normal(
                pvc, "FailedBinding",
                "no persistent volumes available for this claim and no storage class is set",
                component=self.component)
            return
        if cls_name is None:
            self.core.events.normal(
                pvc, "FailedBinding",
                "no persistent volumes available for this claim and no storage class is set",
                component=self.component)
            return
        sc = self.core.store.get("StorageClass", "", cls_name)
        if sc is None:
            self.core.events.warning(pvc, "ProvisioningFailed",
                                     f'storageclass.storage.k8s.io "{cls_name}" not found',
                                     component=self.component)
            return
        md = pvc["metadata"]
        ann = dict(md.get("annotations") or {})
        if ann.get("volume.kubernetes.io/storage-provisioner") != sc.get("provisioner"):
            ann["volume.beta.kubernetes.io/storage-provisioner"] = sc.get("provisioner", "")
            ann["volume.kubernetes.io/storage-provisioner"] = sc.get("provisioner", "")
            pvc = self.core.api.update_status({**pvc, "metadata": {**md, "annotations": ann}})
            self.core.events.normal(
                pvc, "ExternalProvisioning", "Waiting for a volume to be created either by the "
                f"external provisioner '{sc.get('provisioner')}' or manually by the system "
                "administrator. If volume creation is delayed, please verify that the "
                "provisioner is running and correctly registered.", component=self.component)
            self.core.events.normal(
                pvc, "Provisioning", f'External provisioner is provisioning volume for claim '
                f'"{md["namespace"]}/{md["name"]}"', component=sc.get("provisioner", ""))
        self.core.clock.after(PROVISION_DELAY, lambda: self._provision(key, md["uid"], sc),
                              f"provision {key[1]}")

    def _provision(self, key: SyncKey, uid: str, sc: Obj) -> None:
        pvc = self.core.store.get("PersistentVolumeClaim", *key)
        if pvc is None or pvc["metadata"]["uid"] != uid or (pvc.get("status") or {}).get(
                "phase") == "Bound":
            return
        spec = pvc["spec"]
        name = f"pvc-{uid}"
        if self.core.store.get("PersistentVolume", "", name) is not None:
            return
        storage = ((spec.get("resources") or {}).get("requests") or {}).get("storage", "1Gi")
        pv = {
            "apiVersion": "v1",
            "kind": "PersistentVolume",
            "metadata": {"name": name, "annotations": {
                "hostPathProvisionerIdentity": "minikube",
                "pv.kubernetes.io/provisioned-by": sc.get("provisioner", "")},
                "finalizers": ["kubernetes.io/pv-protection"]},
            "spec": {
                "accessModes": list(spec.get("accessModes") or ["ReadWriteOnce"]),
                "capacity": {"storage": storage},
                "claimRef": self._claim_ref(pvc),
                "hostPath": {"path": f"/tmp/hostpath-provisioner/{key[0]}/{key[1]}", "type": ""},
                "persistentVolumeReclaimPolicy": sc.get("reclaimPolicy", "Delete"),
                "storageClassName": sc["metadata"]["name"],
                "volumeMode": spec.get("volumeMode", "Filesystem"),
            },
            "status": {"phase": "Bound"},
        }
        pv = self.core.store.create(pv)
        self.core.events.normal(pvc, "ProvisioningSucceeded",
                                f"Successfully provisioned volume {name}",
                                component=sc.get("provisioner", ""))
        self._bind(pvc, pv)

    def _claim_ref(self, pvc: Obj) -> dict[str, Any]:
        md = pvc["metadata"]
        return {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "name": md["name"],
                "namespace": md["namespace"], "uid": md["uid"],
                "resourceVersion": md["resourceVersion"]}

    def _find_static(self, pvc: Obj) -> Obj | None:
        spec = pvc["spec"]
        want = quantity.parse(((spec.get("resources") or {}).get("requests") or {}).get(
            "storage", "0"))
        modes = set(spec.get("accessModes") or ())
        cls = spec.get("storageClassName") or ""
        best: Obj | None = None
        for pv in self.core.store.list("PersistentVolume"):
            pspec = pv.get("spec") or {}
            if (pv.get("status") or {}).get("phase", "Available") != "Available":
                continue
            if pspec.get("claimRef") and pspec["claimRef"].get("uid") not in (
                    None, pvc["metadata"]["uid"]):
                ref = pspec["claimRef"]
                if (ref.get("name"), ref.get("namespace")) != (
                        pvc["metadata"]["name"], pvc["metadata"]["namespace"]):
                    continue
            if (pspec.get("storageClassName") or "") != cls:
                continue
            if not modes <= set(pspec.get("accessModes") or ()):
                continue
            size = quantity.parse((pspec.get("capacity") or {}).get("storage", "0"))
            if size < want:
                continue
            if best is None or size < quantity.parse(best["spec"]["capacity"]["storage"]):
                best = pv
        return best

    def _bind(self, pvc: Obj, pv: Obj) -> None:
        store = self.core.store
        if (pv.get("status") or {}).get("phase") != "Bound" or \
                (pv["spec"].get("claimRef") or {}).get("uid") != pvc["metadata"]["uid"]:
            pv = store.update({**pv, "spec": {**pv["spec"], "claimRef": self._claim_ref(pvc)},
                               "status": {"phase": "Bound"}})
        md = pvc["metadata"]
        ann = {**(md.get("annotations") or {}), "pv.kubernetes.io/bind-completed": "yes",
               "pv.kubernetes.io/bound-by-controller": "yes"}
        store.update({
            **pvc,
            "metadata": {**md, "annotations": ann,
                         "finalizers": ["kubernetes.io/pvc-protection"]},
            "spec": {**pvc["spec"], "volumeName": pv["metadata"]["name"]},
            "status": {"phase": "Bound",
                       "accessModes": list(pv["spec"].get("accessModes") or ()),
                       "capacity": dict(pv["spec"].get("capacity") or {})},
        })

    def _claim_gone(self, pvc: Obj) -> None:
        name = (pvc.get("spec") or {}).get("volumeName")
        if not name:
            return
        pv = self.core.store.get("PersistentVolume", "", name)
        if pv is None:
            return
        if pv["spec"].get("persistentVolumeReclaimPolicy", "Retain") == "Delete":
            def reclaim() -> None:
                if self.core.store.remove("PersistentVolume", "", name) is not None:
                    self.core.files.drop_prefix(f"pv:{name}")

            self.core.clock.after(PROVISION_DELAY, reclaim, f"reclaim {name}")
        else:
            self.core.store.update({**pv, "status": {"phase": "Released"}})
