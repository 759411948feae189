"""The sim's API server: defaulting, admission, validation, apply, patch, scale and deletion.

Users (through SimCluster) and controllers go through the same `create`/`update`/`delete`, so
a StatefulSet whose pods name a missing ServiceAccount fails to create them exactly as on a real
cluster. Controllers write status with `update_status`, which skips validation like the status
subresource does.
"""

from __future__ import annotations

from random import Random
from typing import TYPE_CHECKING, Any, Literal

from k8slab.cluster.kinds import KINDS, Kind, kind_of
from k8slab.cluster.protocol import AppliedObject
from k8slab.cluster.sim import defaults
from k8slab.cluster.sim.patch import json_patch, merge_patch, strategic_merge
from k8slab.cluster.sim.store import Obj, clone, not_found_message, timestamp
from k8slab.cluster.sim.validation import validate
from k8slab.errors import ClusterError, Forbidden, Invalid, NotFound

if TYPE_CHECKING:
    from k8slab.cluster.sim.core import SimCore

# Kinds whose objects carry a spec the user writes and a status the controllers write.
_SYSTEM_METADATA = ("uid", "resourceVersion", "creationTimestamp", "generation",
                    "deletionTimestamp", "deletionGracePeriodSeconds", "ownerReferences",
                    "finalizers", "managedFields")


def kind_info(kind: str) -> Kind:
    """The Kind for a name, plural or short name; unknown kinds raise a ClusterError."""
    try:
        return kind_of(kind)
    except Exception as exc:
        raise ClusterError(f'the server doesn\'t have a resource type "{kind}"',
                           hint=getattr(exc, "hint", None), reason="NotFound") from None


def qualified(kind: str) -> str:
    """`StatefulSet.apps` style name used at the start of Invalid messages."""
    k = KINDS.get(kind)
    return f"{kind}.{k.group}" if k is not None and k.group else kind


class ApiServer:
    """Create, update, apply, patch, scale and delete objects in the sim's store."""

    def __init__(self, core: SimCore) -> None:
        self.core = core
        self.store = core.store
        self._ips = Random(f"cluster-ips-{core.seed}")
        self._used_ips: set[str] = set()

    # -- create / update --------------------------------------------------------------------
    def create(self, obj: Obj, *, namespace: str | None = None, owned: bool = False) -> Obj:
        """Create an object as a client would (defaulting, admission, validation).

        `owned`: the caller hands over `obj` (a controller building a fresh dict); otherwise
        it is cloned first.
        """
        obj = obj if owned else clone(obj)
        kind = self._kind(obj)
        md = obj.setdefault("metadata", {})
        if kind.namespaced:
            md["namespace"] = md.get("namespace") or namespace or self.core.namespace
            self._require_namespace(md["namespace"], kind.kind, md.get("name", ""))
        else:
            md.pop("namespace", None)
        if not md.get("name") and md.get("generateName"):
            md["name"] = md["generateName"] + _suffix(self.core.rng_names)
        md["uid"] = self.store.new_uid()
        if kind.kind not in ("PersistentVolumeClaim", "Node", "PersistentVolume"):
            obj.pop("status", None)
        defaults.apply_defaults(obj, md["uid"])
        self._admit(obj, None)
        causes = validate(obj)
        if causes:
            raise _invalid(obj, causes)
        return self.store.create(obj)

    def update(self, obj: Obj, *, owned: bool = False) -> Obj:
        """Replace an object's spec and metadata as a client would (status is kept).

        The object is always copied first: defaulting fills it in place, and callers often
        pass dicts that share parts with the stored version.
        """
        obj = clone(obj)
        kind = self._kind(obj)
        md = obj["metadata"]
        ns = md.get("namespace", "") if kind.namespaced else ""
        old = self.store.must(kind.kind, ns or "", md["name"])
        defaults.apply_defaults(obj, old["metadata"]["uid"])
        if "status" in old:
            obj["status"] = old["status"]
        for f in _SYSTEM_METADATA:
            if f in old["metadata"] and f not in md:
                md[f] = old["metadata"][f]
        self._admit(obj, old)
        causes = validate(obj, old)
        if causes:
            raise _invalid(obj, causes)
        return self.store.update(obj)

    def update_status(self, obj: Obj) -> Obj:
        """Write an object as a controller does (no validation); returns the stored version."""
        return self.store.update(obj)

    def apply(self, obj: Obj, namespace: str | None = None) -> AppliedObject:
        """Create the object or update it to match the manifest (kubectl apply)."""
        obj = clone(obj)
        kind = self._kind(obj)
        md = obj.setdefault("metadata", {})
        if not md.get("name"):
            raise _invalid(obj, ["metadata.name: Required value: name or generateName is "
                                 "required"])
        ns = (md.get("namespace") or namespace or self.core.namespace) if kind.namespaced else ""
        if kind.namespaced:
            md["namespace"] = ns
        old = self.store.get(kind.kind, ns, md["name"])
        if old is None:
            self.create(obj, owned=True)
            return AppliedObject(kind.kind, md["name"], ns, "created")
        omd = old["metadata"]
        if omd.get("deletionTimestamp"):
            raise ClusterError(
                f'Operation cannot be fulfilled on {_plural(kind.kind)} "{md["name"]}": '
                "object is being deleted", reason="Conflict",
                hint="Wait until it is gone, then apply again.")
        new = {**old, **{k: v for k, v in obj.items() if k not in ("metadata", "status")}}
        new["metadata"] = {
            **omd,
            "labels": {**(omd.get("labels") or {}), **(md.get("labels") or {})},
            "annotations": {**(omd.get("annotations") or {}), **(md.get("annotations") or {})},
        }
        for k in ("labels", "annotations"):
            if not new["metadata"][k]:
                del new["metadata"][k]
        stored = self.update(new, owned=True)
        outcome: Literal["configured", "unchanged"] = (
            "unchanged" if stored is old else "configured")
        return AppliedObject(kind.kind, md["name"], ns, outcome)

    def patch(self, kind: str, name: str, namespace: str, patch: Any,
              patch_type: str = "strategic") -> Obj:
        """Patch an object (status changes are ignored, as on the main resource)."""
        k = kind_info(kind)
        ns = namespace if k.namespaced else ""
        old = self.store.get(k.kind, ns, name)
        if old is None:
            raise NotFound(not_found_message(k.kind, name), resource=f"{k.kind}/{name}")
        if patch_type == "json":
            if not isinstance(patch, list):
                raise ClusterError("a JSON patch must be a list of operations",
                                   reason="BadRequest")
            new = json_patch(old, patch)
        elif patch_type == "merge":
            new = merge_patch(old, patch)
        else:
            new = strategic_merge(old, patch)
        new = clone(new)
        new["kind"], new["apiVersion"] = old["kind"], old["apiVersion"]
        new["metadata"]["name"] = name
        if k.namespaced:
            new["metadata"]["namespace"] = ns
        if k.kind == "Node":
            # Node labels and taints are written by admins straight to the object.
            causes = validate(new, old)
            if causes:
                raise _invalid(new, causes)
            return self.store.update({**new, "status": old.get("status", {})})
        return self.update(new, owned=True)

    def scale(self, kind: str, name: str, namespace: str, replicas: int) -> Obj:
        """Set spec.replicas through the scale subresource."""
        k = kind_info(kind)
        if k.kind not in ("StatefulSet", "Deployment", "ReplicaSet"):
            raise ClusterError(f'{_plural(k.kind)} "{name}" cannot be scaled',
                               reason="NotFound",
                               hint="Only StatefulSets, Deployments and ReplicaSets scale.")
        if replicas < 0:
            raise Invalid(f'{qualified(k.kind)} "{name}" is invalid: spec.replicas: Invalid '
                          f"value: {replicas}: must be greater than or equal to 0",
                          causes=[f"spec.replicas: Invalid value: {replicas}: must be greater "
                                  "than or equal to 0"])
        old = self.store.must(k.kind, namespace, name)
        return self.store.update({**old, "spec": {**old["spec"], "replicas": int(replicas)}})

    # -- delete -----------------------------------------------------------------------------
    def delete(self, kind: str, name: str, namespace: str, *, grace: int | None = None,
               propagation: str = "Background") -> None:
        """Delete an object: pods terminate gracefully, claims in use wait for their pods,
        dependents are collected by the garbage collector (or orphaned)."""
        k = kind_info(kind)
        ns = namespace if k.namespaced else ""
        obj = self.store.get(k.kind, ns, name)
        if obj is None:
            raise NotFound(not_found_message(k.kind, name), resource=f"{k.kind}/{name}")
        if propagation == "Orphan":
            for dep in self.store.owned_by(obj["metadata"]["uid"]):
                refs = [r for r in dep["metadata"].get("ownerReferences") or ()
                        if r.get("uid") != obj["metadata"]["uid"]]
                self._set_owner_refs(dep, refs)
        if k.kind == "Pod":
            self._delete_pod(obj, grace)
        elif k.kind == "PersistentVolumeClaim":
            self._delete_pvc(obj)
        elif k.kind == "Namespace":
            self._delete_namespace(obj)
        else:
            self.store.remove(k.kind, ns, name)

    def _delete_pod(self, pod: Obj, grace: int | None) -> None:
        md, spec = pod["metadata"], pod["spec"]
        phase = (pod.get("status") or {}).get("phase", "Pending")
        if grace is None:
            grace = int(spec.get("terminationGracePeriodSeconds", 30))
        if grace <= 0 or not spec.get("nodeName") or phase in ("Succeeded", "Failed"):
            self.store.remove("Pod", md["namespace"], md["name"])
            return
        if md.get("deletionTimestamp"):
            current = int(md.get("deletionGracePeriodSeconds", grace))
            if grace >= current:
                return
        now = self.core.clock.now
        self.store.update({**pod, "metadata": {
            **md, "deletionTimestamp": timestamp(now + grace),
            "deletionGracePeriodSeconds": grace}})

    def _delete_pvc(self, pvc: Obj) -> None:
        md = pvc["metadata"]
        if md.get("deletionTimestamp"):
            return
        if self.claim_in_use(md["namespace"], md["name"]):
            # kubernetes.io/pvc-protection: the claim waits for the pods that use it.
            self.store.update({**pvc, "metadata": {
                **md, "deletionTimestamp": timestamp(self.core.clock.now),
                "deletionGracePeriodSeconds": 0,
                "finalizers": ["kubernetes.io/pvc-protection"]}})
            return
        self.store.remove("PersistentVolumeClaim", md["namespace"], md["name"])

    def claim_in_use(self, namespace: str, claim: str) -> bool:
        """Whether a pod that is not finished mounts this claim."""
        for pod in self.store.list("Pod", namespace):
            if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
                continue
            for v in pod["spec"].get("volumes") or ():
                if (v.get("persistentVolumeClaim") or {}).get("claimName") == claim:
                    return True
        return False

    def _delete_namespace(self, ns_obj: Obj) -> None:
        name = ns_obj["metadata"]["name"]
        if name in ("default", "kube-system", "kube-public", "kube-node-lease"):
            raise Forbidden(f'namespaces "{name}" is forbidden: this namespace may not be '
                            "deleted", resource=f"Namespace/{name}")
        self.store.update({**ns_obj, "metadata": {
            **ns_obj["metadata"], "deletionTimestamp": timestamp(self.core.clock.now)},
            "status": {"phase": "Terminating"}})
        for kind_name in list(self.store.kinds()):
            k = KINDS.get(kind_name)
            if k is None or not k.namespaced:
                continue
            for obj in self.store.list(kind_name, name):
                if self.store.get(kind_name, name, obj["metadata"]["name"]) is not None:
                    self.delete(kind_name, obj["metadata"]["name"], name)
        self.core.enqueue(self.core.controller("garbage-collector"), ("", name), 0.0)

    def _set_owner_refs(self, obj: Obj, refs: list[dict[str, Any]]) -> None:
        md = {**obj["metadata"], "ownerReferences": refs}
        if not refs:
            del md["ownerReferences"]
        self.store.update({**obj, "metadata": md})

    # -- admission --------------------------------------------------------------------------
    def _kind(self, obj: Obj) -> Kind:
        kind = obj.get("kind")
        if not kind:
            raise ClusterError("Object 'Kind' is missing in the manifest", reason="BadRequest",
                               hint="Every object needs apiVersion and kind.")
        k = kind_info(str(kind))
        api = obj.get("apiVersion")
        if api and api != k.api_version:
            raise ClusterError(
                f'no matches for kind "{kind}" in version "{api}"', reason="NotFound",
                hint=f"{kind} is served as apiVersion {k.api_version}.")
        obj["apiVersion"] = k.api_version
        obj["kind"] = k.kind
        return k

    def _require_namespace(self, ns: str, kind: str, name: str) -> None:
        ns_obj = self.store.get("Namespace", "", ns)
        if ns_obj is None:
            raise NotFound(f'namespaces "{ns}" not found', resource=f"Namespace/{ns}",
                           hint=f"Create it first: kubectl create namespace {ns}")
        if ns_obj["metadata"].get("deletionTimestamp"):
            raise Forbidden(
                f'{_plural(kind)} "{name}" is forbidden: unable to create new content in '
                f"namespace {ns} because it is being terminated", resource=f"{kind}/{name}")

    def _admit(self, obj: Obj, old: Obj | None) -> None:
        kind = obj["kind"]
        md = obj["metadata"]
        if kind == "Pod" and old is None:
            spec = obj["spec"]
            sa = spec.get("serviceAccountName") or spec.get("serviceAccount") or "default"
            spec["serviceAccountName"] = sa
            spec["serviceAccount"] = sa
            if self.store.get("ServiceAccount", md["namespace"], sa) is None:
                raise Forbidden(
                    f'pods "{md["name"]}" is forbidden: error looking up service account '
                    f'{md["namespace"]}/{sa}: serviceaccount "{sa}" not found',
                    resource=f"Pod/{md['name']}",
                    hint=f"Create the ServiceAccount {sa!r} in {md['namespace']} first.")
        elif kind == "PersistentVolumeClaim" and old is None:
            spec = obj["spec"]
            if "storageClassName" not in spec:
                default = self.default_storage_class()
                if default is not None:
                    spec["storageClassName"] = default
        elif kind == "Service":
            self._allocate_cluster_ip(obj, old)
        elif kind == "DaemonSet":
            # The DaemonSet strategy counts template changes in this annotation.
            ann = dict(md.get("annotations") or {})
            key = "deprecated.daemonset.template.generation"
            if old is None:
                ann[key] = "1"
            else:
                prev = (old["metadata"].get("annotations") or {}).get(key, "1")
                changed = obj["spec"].get("template") != old["spec"].get("template")
                ann[key] = str(int(prev) + 1) if changed else prev
            md["annotations"] = ann

    def default_storage_class(self) -> str | None:
        """The StorageClass annotated as the default, as DefaultStorageClass admission picks."""
        for sc in self.store.list("StorageClass"):
            ann = sc["metadata"].get("annotations") or {}
            if ann.get("storageclass.kubernetes.io/is-default-class") == "true":
                return str(sc["metadata"]["name"])
        return None

    def _allocate_cluster_ip(self, svc: Obj, old: Obj | None) -> None:
        spec = svc["spec"]
        if spec.get("type") == "ExternalName":
            return
        if old is not None and not spec.get("clusterIP"):
            spec["clusterIP"] = old["spec"].get("clusterIP")
        ip = spec.get("clusterIP")
        if ip == "None":
            spec["clusterIPs"] = ["None"]
            return
        if not ip:
            while True:
                n = self._ips.randrange(2, 65534)
                ip = f"10.96.{n // 256}.{n % 256}"
                if ip not in self._used_ips:
                    break
        self._used_ips.add(ip)
        spec["clusterIP"] = ip
        spec["clusterIPs"] = [ip]

    # -- bootstrap --------------------------------------------------------------------------
    def ensure_namespace(self, name: str, labels: dict[str, str] | None = None) -> None:
        """Create a namespace with its `default` ServiceAccount and root CA ConfigMap."""
        if self.store.get("Namespace", "", name) is None:
            self.create({"apiVersion": "v1", "kind": "Namespace",
                         "metadata": {"name": name, "labels": dict(labels or {})}}, owned=True)
        self.namespace_added(name)

    def namespace_added(self, name: str) -> None:
        """What the ServiceAccount and root-CA publisher controllers add to a new namespace."""
        if self.store.get("ServiceAccount", name, "default") is None:
            self.store.create({"apiVersion": "v1", "kind": "ServiceAccount",
                               "metadata": {"name": "default", "namespace": name}})
        if self.store.get("ConfigMap", name, "kube-root-ca.crt") is None:
            self.store.create({
                "apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": "kube-root-ca.crt", "namespace": name,
                             "annotations": {"kubernetes.io/description": (
                                 "Contains a CA bundle that can be used to verify the "
                                 "kube-apiserver when using internal endpoints such as the "
                                 "internal service IP or kubernetes.default.svc. No other "
                                 "usage is guaranteed across distributions of Kubernetes "
                                 "clusters.")}},
                "data": {"ca.crt": "-----BEGIN CERTIFICATE-----\n(k8slab sim)\n"
                                   "-----END CERTIFICATE-----\n"}})


def _plural(kind: str) -> str:
    k = KINDS.get(kind)
    return k.plural if k is not None else kind.lower() + "s"


def _suffix(rng: Random, n: int = 5) -> str:
    alphabet = "bcdfghjklmnpqrstvwxz2456789"
    return "".join(rng.choice(alphabet) for _ in range(n))


def random_suffix(rng: Random, n: int = 5) -> str:
    """A generateName-style suffix (`web-7c9f8`), from the same alphabet as the API server."""
    return _suffix(rng, n)


def _invalid(obj: Obj, causes: list[str]) -> Invalid:
    name = (obj.get("metadata") or {}).get("name", "")
    body = causes[0] if len(causes) == 1 else "[" + ", ".join(causes) + "]"
    return Invalid(f'{qualified(str(obj.get("kind")))} "{name}" is invalid: {body}',
                   resource=f"{obj.get('kind')}/{name}", causes=causes,
                   hint="Fix the manifest and apply it again.")
