"""The Kubernetes kinds k8slab knows, with what a client needs to address them."""

from __future__ import annotations

from dataclasses import dataclass

from k8slab.errors import K8slabError


@dataclass(frozen=True, slots=True)
class Kind:
    """One API kind: how it is named, grouped and addressed."""

    kind: str
    api_version: str
    plural: str
    namespaced: bool
    short_names: tuple[str, ...] = ()

    @property
    def group(self) -> str:
        return self.api_version.rpartition("/")[0] if "/" in self.api_version else ""

    @property
    def version(self) -> str:
        return self.api_version.rpartition("/")[2]


_ALL = [
    Kind("Namespace", "v1", "namespaces", False, ("ns",)),
    Kind("Node", "v1", "nodes", False, ("no",)),
    Kind("Pod", "v1", "pods", True, ("po",)),
    Kind("Service", "v1", "services", True, ("svc",)),
    Kind("Endpoints", "v1", "endpoints", True, ("ep",)),
    Kind("ConfigMap", "v1", "configmaps", True, ("cm",)),
    Kind("Secret", "v1", "secrets", True),
    Kind("ServiceAccount", "v1", "serviceaccounts", True, ("sa",)),
    Kind("PersistentVolumeClaim", "v1", "persistentvolumeclaims", True, ("pvc",)),
    Kind("PersistentVolume", "v1", "persistentvolumes", False, ("pv",)),
    Kind("Event", "v1", "events", True, ("ev",)),
    Kind("ResourceQuota", "v1", "resourcequotas", True, ("quota",)),
    Kind("LimitRange", "v1", "limitranges", True, ("limits",)),
    Kind("StorageClass", "storage.k8s.io/v1", "storageclasses", False, ("sc",)),
    Kind("StatefulSet", "apps/v1", "statefulsets", True, ("sts",)),
    Kind("DaemonSet", "apps/v1", "daemonsets", True, ("ds",)),
    Kind("Deployment", "apps/v1", "deployments", True, ("deploy",)),
    Kind("ReplicaSet", "apps/v1", "replicasets", True, ("rs",)),
    Kind("ControllerRevision", "apps/v1", "controllerrevisions", True),
    Kind("Job", "batch/v1", "jobs", True),
    Kind("CronJob", "batch/v1", "cronjobs", True, ("cj",)),
    Kind("EndpointSlice", "discovery.k8s.io/v1", "endpointslices", True),
    Kind("Role", "rbac.authorization.k8s.io/v1", "roles", True),
    Kind("RoleBinding", "rbac.authorization.k8s.io/v1", "rolebindings", True),
    Kind("ClusterRole", "rbac.authorization.k8s.io/v1", "clusterroles", False),
    Kind("ClusterRoleBinding", "rbac.authorization.k8s.io/v1", "clusterrolebindings", False),
]

KINDS: dict[str, Kind] = {k.kind: k for k in _ALL}

# What a watch-driven view needs, in the order a human reads a cluster.
WATCHED_KINDS: tuple[str, ...] = (
    "Node", "Pod", "PersistentVolumeClaim", "PersistentVolume", "Service", "StatefulSet",
    "DaemonSet", "ControllerRevision", "Job", "CronJob", "Event", "ConfigMap",
)

_BY_ALIAS: dict[str, Kind] = {}
for _k in _ALL:
    for alias in (_k.kind.lower(), _k.plural, *_k.short_names):
        _BY_ALIAS[alias] = _k


def kind_of(name: str) -> Kind:
    """Look a kind up by its name, plural or short name (`sts`, `statefulsets`, `StatefulSet`).

    Raises:
        K8slabError: the kind is not one k8slab knows.
    """
    found = KINDS.get(name) or _BY_ALIAS.get(name.lower())
    if found is None:
        raise K8slabError(
            f"unknown kind {name!r}",
            hint="k8slab knows: " + ", ".join(sorted(KINDS)),
        )
    return found
