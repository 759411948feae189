"""What `k8slab doctor --kube` finds out about a cluster, without changing anything on it.

Which cluster and context, the server version, the nodes and their taints, whether a default
StorageClass exists, whether each permission the lessons need is granted (by
SelfSubjectAccessReview), and what will therefore not work, and why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from k8slab.cluster.kinds import KINDS
from k8slab.cluster.kube import config
from k8slab.cluster.kube.errors import Call
from k8slab.cluster.kube.labels import is_lab_object
from k8slab.cluster.kube.transport import Api, collection_path, object_path
from k8slab.errors import ClusterError, Forbidden, NotFound

ALL = ("get", "list", "watch", "create", "patch", "delete")
# (API group, resource[/subresource], verbs) the lessons use in the lab namespace.
NAMESPACED: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("apps", "statefulsets", ALL),
    ("apps", "statefulsets/scale", ("patch",)),
    ("apps", "daemonsets", ALL),
    ("apps", "controllerrevisions", ("list", "watch")),
    ("batch", "jobs", ALL),
    ("batch", "cronjobs", ALL),
    ("", "pods", ("get", "list", "watch", "delete")),
    ("", "pods/exec", ("create",)),
    ("", "pods/log", ("get",)),
    ("", "persistentvolumeclaims", ("get", "list", "watch", "delete")),
    ("", "services", ALL),
    ("", "configmaps", ALL),
    ("", "events", ("list", "watch")),
)
CLUSTER: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("", "nodes", ("list", "watch", "patch")),
    ("", "persistentvolumes", ("list", "watch")),
    ("storage.k8s.io", "storageclasses", ("list",)),
)
# What is lost when a permission is missing, worded for the learner.
CONSEQUENCES = {
    "statefulsets": "the StatefulSet exercises (Day 10) cannot run",
    "statefulsets/scale": "scaling a StatefulSet is not allowed: the scale-up and scale-down "
                          "steps fail",
    "daemonsets": "the DaemonSet exercises (Day 10) cannot run",
    "controllerrevisions": "rollout history is hidden and rollout undo cannot work",
    "jobs": "the Job exercises (Day 11) cannot run",
    "cronjobs": "the CronJob exercises (Day 11) cannot run",
    "pods": "the live views cannot follow pods, and deleting a pod to watch it come back "
            "is not possible",
    "pods/exec": "exec is not allowed: the steps that write data into a pod's volume cannot run",
    "pods/log": "container logs cannot be shown",
    "persistentvolumeclaims": "the per-replica PVC view stays empty and reset cannot remove "
                              "claims",
    "services": "the headless Service that gives StatefulSet pods their DNS names cannot be "
                "created",
    "configmaps": "exercises that use a ConfigMap cannot run",
    "events": "the Events pane stays empty",
    "nodes/patch": "labelling nodes is not allowed: the DaemonSet nodeSelector and taint steps "
                   "become read-only demonstrations",
    "nodes": "the DaemonSet coverage grid cannot show nodes",
    "persistentvolumes": "claims are shown without the volumes they bind to",
    "storageclasses": "k8slab cannot see whether a default StorageClass exists",
    "namespaces": "the lab namespace does not exist and you may not create it: ask an admin "
                  "to create it, or pass --namespace",
}
DEFAULT_CLASS = "storageclass.kubernetes.io/is-default-class"
KWOK_NODE = "kwok.x-k8s.io/node"


@dataclass(frozen=True, slots=True)
class Permission:
    group: str
    resource: str
    verb: str
    namespace: str  # "" for cluster-wide
    allowed: bool


@dataclass(frozen=True, slots=True)
class NodeInfo:
    name: str
    ready: bool
    taints: tuple[str, ...]
    fake: bool  # played by KWOK: no real containers

    @property
    def schedulable(self) -> bool:
        return self.ready and not any(t.endswith((":NoSchedule", ":NoExecute"))
                                      for t in self.taints)


@dataclass
class Diagnosis:
    """Everything doctor reports. `problems` is what will not work, each with its reason."""

    server: str
    context: str
    source: str
    namespace: str
    user: str = ""
    version: str = ""
    namespace_state: str = ""
    nodes: list[NodeInfo] | None = None  # None: may not list nodes
    storage_classes: list[str] | None = None
    default_class: str | None = None
    permissions: list[Permission] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def diagnose(namespace: str, *, context: str | None = None, kubeconfig: str | None = None
             ) -> Diagnosis:
    """Look at the cluster; raises ClusterError only when it cannot be reached at all."""
    conn = config.load(kubeconfig, context)
    api = Api(conn.configuration)
    try:
        d = Diagnosis(server=conn.server, context=conn.context, source=conn.source,
                      namespace=namespace, user=conn.user)
        d.version = str(api.request("GET", "/version", Call("get", "version"), timeout=15)
                        .get("gitVersion") or "")
        d.user = _whoami(api) or conn.user
        missing_ns = _namespace(api, d)
        _nodes(api, d)
        _storage(api, d)
        _permissions(api, d, missing_ns)
        _consequences(d, missing_ns)
        return d
    finally:
        api.close()


def _whoami(api: Api) -> str:
    body = {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"}
    try:
        found = api.request("POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews",
                            Call("create", "selfsubjectreviews"), body=body)
    except ClusterError:
        return ""
    return str(((found or {}).get("status") or {}).get("userInfo", {}).get("username") or "")


def _namespace(api: Api, d: Diagnosis) -> bool:
    """Describe the lab namespace; True when it does not exist yet."""
    try:
        ns = api.request("GET", object_path(KINDS["Namespace"], d.namespace),
                         Call("get", "namespaces", "Namespace", d.namespace))
    except NotFound:
        d.namespace_state = "does not exist yet: the lab creates it"
        return True
    except Forbidden:
        d.namespace_state = "cannot be read with these credentials (assumed to exist)"
        return False
    if (ns.get("status") or {}).get("phase") == "Terminating":
        d.namespace_state = "is being deleted"
        d.problems.append(f"namespace {d.namespace} is being deleted: wait until it is gone, "
                          "or pass another --namespace")
    else:
        d.namespace_state = "exists (created by k8slab)" if is_lab_object(ns) else "exists"
    return False


def _nodes(api: Api, d: Diagnosis) -> None:
    try:
        found = api.request("GET", collection_path(KINDS["Node"]), Call("list", "nodes"))
    except Forbidden:
        return
    nodes = []
    for n in found.get("items") or []:
        meta = n.get("metadata") or {}
        ready = any(c.get("type") == "Ready" and c.get("status") == "True"
                    for c in (n.get("status") or {}).get("conditions") or [])
        taints = tuple(f"{t.get('key')}{'=' + t['value'] if t.get('value') else ''}:"
                       f"{t.get('effect')}" for t in (n.get("spec") or {}).get("taints") or [])
        fake = (meta.get("annotations") or {}).get(KWOK_NODE) == "fake"
        nodes.append(NodeInfo(str(meta.get("name")), ready, taints, fake))
    d.nodes = sorted(nodes, key=lambda n: n.name)


def _storage(api: Api, d: Diagnosis) -> None:
    try:
        found = api.request("GET", collection_path(KINDS["StorageClass"]),
                            Call("list", "storageclasses"))
    except Forbidden:
        return
    classes = found.get("items") or []
    d.storage_classes = sorted(str((c.get("metadata") or {}).get("name")) for c in classes)
    for c in classes:
        notes = (c.get("metadata") or {}).get("annotations") or {}
        if notes.get(DEFAULT_CLASS) == "true":
            d.default_class = str(c["metadata"]["name"])


def _permissions(api: Api, d: Diagnosis, missing_ns: bool) -> None:
    wanted = [(g, r, v, d.namespace) for g, r, verbs in NAMESPACED for v in verbs]
    wanted += [(g, r, v, "") for g, r, verbs in CLUSTER for v in verbs]
    if missing_ns:
        wanted.append(("", "namespaces", "create", ""))
    for group, resource, verb, ns in wanted:
        d.permissions.append(Permission(group, resource, verb, ns,
                                        can_i(api, verb, group, resource, ns)))


def can_i(api: Api, verb: str, group: str, resource: str, namespace: str) -> bool:
    """`kubectl auth can-i` through a SelfSubjectAccessReview."""
    res, _, sub = resource.partition("/")
    attrs = {"verb": verb, "group": group, "resource": res}
    if sub:
        attrs["subresource"] = sub
    if namespace:
        attrs["namespace"] = namespace
    body = {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
            "spec": {"resourceAttributes": attrs}}
    found: Any = api.request("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
                             Call("create", "selfsubjectaccessreviews"), body=body)
    return bool(((found or {}).get("status") or {}).get("allowed"))


def _consequences(d: Diagnosis, missing_ns: bool) -> None:
    denied: dict[str, list[str]] = {}
    for p in d.permissions:
        if not p.allowed:
            denied.setdefault(p.resource, []).append(p.verb)
    for resource, verbs in denied.items():
        if resource == "nodes" and "patch" in verbs:
            d.problems.append(CONSEQUENCES["nodes/patch"])
            verbs = [v for v in verbs if v != "patch"]
            if not verbs:
                continue
        why = CONSEQUENCES.get(resource, f"{resource} cannot be used")
        d.problems.append(f"{why} (not allowed: {', '.join(verbs)} {resource})")
    if d.nodes is not None:
        if not any(n.schedulable for n in d.nodes):
            d.problems.append("no node accepts ordinary pods (all are tainted or not Ready): "
                              "every pod would stay Pending")
        elif sum(n.schedulable for n in d.nodes) == 1:
            d.notes.append("only one node takes ordinary pods: a DaemonSet runs a single pod, "
                           "and node-selection exercises have less to show")
        if any(n.fake for n in d.nodes):
            d.problems.append("the nodes are simulated by KWOK, so containers never really run: "
                              "exec and logs work only where KWOK is set up to play them "
                              "(k8slab's test control plane plays exec, not logs)")
    if d.storage_classes is not None and d.default_class is None:
        d.problems.append("there is no default StorageClass: the claims of StatefulSet "
                          "volumeClaimTemplates stay Pending, so the storage steps cannot "
                          "progress (install one, for example local-path-provisioner)")
    d.notes.append("a real cluster's clock cannot jump to the next CronJob run: Day 11's "
                   "CronJobs run every 5 minutes, hourly and daily; add --fast-cron to `run` or "
                   "`check` to have the lab's CronJobs run every minute")
    minor = _minor(d.version)
    if minor is not None and minor < 27:
        d.problems.append(f"Kubernetes {d.version} is older than 1.27: StatefulSet PVC "
                          "retention policies are not available")


def _minor(version: str) -> int | None:
    parts = version.lstrip("v").split(".")
    try:
        return int(parts[1].rstrip("+"))
    except (IndexError, ValueError):
        return None
