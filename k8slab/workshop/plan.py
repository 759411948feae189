"""What a workshop creates for each learner, computed from the lesson: pure, no cluster access.

Per learner, in apply order:

1. Namespace `<workshop>-<learner>`, labelled with the workshop and learner, enforcing the
   `baseline` Pod Security level (no hostPath, privileged or host-namespace pods).
2. ServiceAccount `learner`: the identity in the learner's kubeconfig.
3. Role `learner` + RoleBinding: read everything the lab shows, write only the kinds the
   lesson's manifests declare and the subresources its actions use (see `role_rules`).
4. ClusterRole + ClusterRoleBinding `k8slab-workshop:<workshop>:<learner>`: read-only nodes,
   PersistentVolumes and StorageClasses (DaemonSet coverage, claim binding), and `get` on the
   learner's own Namespace only.
5. ResourceQuota and LimitRange from `Limits` (the numbers are documented there).
6. ConfigMap `k8slab-progress`, empty; the learner may patch only this one ConfigMap unless
   the lesson itself needs ConfigMaps.

Rules come out sorted, so the same lesson always yields byte-identical objects and a second
`workshop create` is a no-op for the API server.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from k8slab.cluster.kinds import KINDS, Kind
from k8slab.lessons.model import Lesson
from k8slab.workshop.adapt import object_risks
from k8slab.workshop.names import (
    PROGRESS_CONFIGMAP,
    SERVICE_ACCOUNT,
    cluster_binding_name,
    namespace_for,
    workshop_labels,
)

READ = ("get", "list", "watch")
WRITE = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
RBAC_GROUP = "rbac.authorization.k8s.io"

# What the lab watches and shows: readable in every lesson.
READ_KINDS = ("Pod", "Service", "Endpoints", "EndpointSlice", "ConfigMap",
              "PersistentVolumeClaim", "Event", "StatefulSet", "DaemonSet",
              "ControllerRevision", "Job", "CronJob", "ResourceQuota", "LimitRange",
              "ServiceAccount", "Deployment", "ReplicaSet", "Role", "RoleBinding")
# Also read-only, so `kubectl get all` and `k8slab reset` work without a wall of 403s.
EXTRA_READ = (("", "replicationcontrollers"), ("autoscaling", "horizontalpodautoscalers"))


@dataclass(frozen=True, slots=True)
class Limits:
    """A learner namespace's ResourceQuota and LimitRange.

    Sized for Day 10 and Day 11 with room to experiment: the largest exercise keeps about 15
    pods at once (a StatefulSet scaled to 5, three database StatefulSets of 1 to 3, DaemonSets);
    Jobs with parallelism 3 and CronJobs with history limits add a handful more. Every pod gets
    a default request of 50m CPU / 64Mi memory and a limit of 500m / 256Mi (the quota needs
    both), no container may ask for more than 2 CPU / 2Gi, and a claim is 100Mi to 5Gi.
    `pods` grows by two per node so DaemonSets fit on big clusters (see `for_nodes`).
    """

    pods: int = 30
    requests_cpu: str = "3"
    requests_memory: str = "3Gi"
    limits_cpu: str = "6"
    limits_memory: str = "6Gi"
    claims: int = 10
    storage: str = "20Gi"
    services: int = 10
    configmaps: int = 20
    secrets: int = 20
    jobs: int = 30
    cronjobs: int = 10
    default_request_cpu: str = "50m"
    default_request_memory: str = "64Mi"
    default_limit_cpu: str = "500m"
    default_limit_memory: str = "256Mi"
    max_cpu: str = "2"
    max_memory: str = "2Gi"
    claim_min: str = "100Mi"
    claim_max: str = "5Gi"

    def for_nodes(self, nodes: int) -> Limits:
        """These limits with room for one pod per node for two DaemonSets at once."""
        from dataclasses import replace

        return replace(self, pods=self.pods + 2 * max(0, nodes))

    def quota(self) -> dict[str, str]:
        return {
            "pods": str(self.pods),
            "requests.cpu": self.requests_cpu,
            "requests.memory": self.requests_memory,
            "limits.cpu": self.limits_cpu,
            "limits.memory": self.limits_memory,
            "persistentvolumeclaims": str(self.claims),
            "requests.storage": self.storage,
            "services": str(self.services),
            "services.nodeports": "0",
            "services.loadbalancers": "0",
            "configmaps": str(self.configmaps),
            "secrets": str(self.secrets),
            "count/jobs.batch": str(self.jobs),
            "count/cronjobs.batch": str(self.cronjobs),
        }


# -- RBAC -------------------------------------------------------------------------------------

@dataclass(slots=True)
class _Grants:
    """(api group, resource) → verbs, plus resource names for narrow grants."""

    verbs: dict[tuple[str, str], set[str]] = field(default_factory=lambda: defaultdict(set))
    named: dict[tuple[str, str, str], set[str]] = field(default_factory=lambda: defaultdict(set))

    def allow(self, group: str, resource: str, verbs: Iterable[str]) -> None:
        self.verbs[(group, resource)].update(verbs)

    def allow_named(self, group: str, resource: str, name: str, verbs: Iterable[str]) -> None:
        self.named[(group, resource, name)].update(verbs)

    def rules(self) -> list[dict[str, Any]]:
        by_verbs: dict[tuple[str, tuple[str, ...]], list[str]] = defaultdict(list)
        for (group, resource), verbs in self.verbs.items():
            by_verbs[(group, tuple(sorted(verbs)))].append(resource)
        out = [{"apiGroups": [g], "resources": sorted(res), "verbs": list(verbs)}
               for (g, verbs), res in sorted(by_verbs.items())]
        for (group, resource, name), verbs in sorted(self.named.items()):
            if self.verbs.get((group, resource), set()) >= verbs:
                continue  # already allowed for every name
            out.append({"apiGroups": [group], "resources": [resource], "resourceNames": [name],
                        "verbs": sorted(verbs)})
        return out


def _kind_meta(kind: str, api_version: str = "") -> Kind:
    known = KINDS.get(kind)
    if known is not None:
        return known
    # A kind k8slab does not list (e.g. a custom resource): its conventional plural.
    return Kind(kind, api_version or "v1", kind.lower() + "s", True)


def _manifest_kinds(lesson: Lesson) -> Iterator[Kind]:
    for manifest in lesson.manifests.values():
        for obj in manifest.objects:
            kind = _kind_meta(str(obj.get("kind", "")), str(obj.get("apiVersion", "")))
            if kind.namespaced and not any(r.startswith("cluster-scoped:")
                                           for r in object_risks(obj)):
                yield kind


def role_rules(lesson: Lesson) -> list[dict[str, Any]]:
    """The learner Role's rules for `lesson`: exactly what it needs inside one namespace.

    - read (get/list/watch) every kind the lab shows, what `kubectl get all` lists, the
      namespace's own Roles and RoleBindings (to see why something is refused), events in
      both API groups, and pod logs; never Secrets;
    - write every namespaced kind the lesson's manifests declare (kube-system objects included:
      they are rewritten into the learner's namespace), and delete the claims their
      StatefulSets' volumeClaimTemplates stamp out;
    - per action: `scale` → `<kind>/scale`, `delete-pod` → delete pods, `exec` → `pods/exec`,
      `trigger-cronjob` → create jobs, `set-image`/`patch`/`suspend`/`resume`/`rollout-undo`
      → patch the kind, `delete` → delete the kind;
    - the progress ConfigMap: get/patch/update on that one name.

    Node actions (`label-node`, ...) grant nothing: RBAC keeps learners off the nodes.
    """
    g = _Grants()
    for name in READ_KINDS:
        k = KINDS[name]
        g.allow(k.group, k.plural, READ)
    for group, resource in EXTRA_READ:
        g.allow(group, resource, READ)
    g.allow("events.k8s.io", "events", READ)
    g.allow("", "pods/log", ("get",))
    for k in _manifest_kinds(lesson):
        g.allow(k.group, k.plural, WRITE)
    if any(obj.get("kind") == "StatefulSet" and (obj.get("spec") or {}).get("volumeClaimTemplates")
           for m in lesson.manifests.values() for obj in m.objects):
        # The controller creates the claims and keeps them on scale-down; the learner (and
        # `k8slab reset`) cleans them up.
        g.allow("", "persistentvolumeclaims", ("delete", "deletecollection", *READ))
    for step in lesson.steps:
        for action in (*step.actions, *step.solution):
            _grant_action(g, action.kind, action.params)
    g.allow_named("", "configmaps", PROGRESS_CONFIGMAP, ("get", "patch", "update"))
    return g.rules()


def _grant_action(g: _Grants, action: str, params: dict[str, Any]) -> None:
    def kind(name: str | None, default: str) -> Kind:
        return _kind_meta(KINDS[default].kind if not name else _resolve(name))

    if action == "scale":
        k = kind(params.get("kind"), "StatefulSet")
        g.allow(k.group, k.plural, ("get", "patch", "update"))
        g.allow(k.group, f"{k.plural}/scale", ("get", "patch", "update"))
    elif action == "delete-pod":
        g.allow("", "pods", ("delete", "get", "list"))
    elif action == "exec":
        # `create` is what the API authorizes; websocket upgrades also check `get`.
        g.allow("", "pods/exec", ("create", "get"))
    elif action == "trigger-cronjob":
        g.allow("batch", "cronjobs", READ)
        g.allow("batch", "jobs", ("create", "delete", "get", "list", "watch"))
    elif action in ("suspend-cronjob", "resume-cronjob"):
        g.allow("batch", "cronjobs", ("get", "patch", "update"))
    elif action in ("set-image", "patch", "rollout-undo"):
        default = "DaemonSet" if action == "rollout-undo" else "StatefulSet"
        k = kind(params.get("kind"), default)
        g.allow(k.group, k.plural, ("get", "patch", "update"))
        if action == "rollout-undo":
            g.allow("apps", "controllerrevisions", READ)
    elif action == "delete":
        k = kind(params.get("kind"), "Pod")
        if k.namespaced:
            g.allow(k.group, k.plural, ("delete", "get", "list"))


def _resolve(name: str) -> str:
    from k8slab.cluster.kinds import kind_of
    from k8slab.errors import K8slabError

    try:
        return kind_of(name).kind
    except K8slabError:
        return name


def cluster_rules(namespace: str) -> list[dict[str, Any]]:
    """The learner's read-only cluster access: nodes, PVs, StorageClasses, and their own
    Namespace (so the lab can confirm it exists without listing anyone else's)."""
    return [
        {"apiGroups": [""], "resources": ["nodes", "persistentvolumes"], "verbs": list(READ)},
        {"apiGroups": ["storage.k8s.io"], "resources": ["storageclasses"], "verbs": list(READ)},
        {"apiGroups": [""], "resources": ["namespaces"], "resourceNames": [namespace],
         "verbs": ["get", "watch"]},
    ]


# -- objects ----------------------------------------------------------------------------------

POD_SECURITY = {
    "pod-security.kubernetes.io/enforce": "baseline",
    "pod-security.kubernetes.io/enforce-version": "latest",
    "pod-security.kubernetes.io/warn": "baseline",
    "pod-security.kubernetes.io/warn-version": "latest",
}
LESSON_ANNOTATION = "k8slab.io/lesson"


@dataclass(frozen=True, slots=True)
class LearnerPlan:
    """Everything one learner gets, as API objects in apply order."""

    learner: str
    namespace: str
    objects: tuple[dict[str, Any], ...]


def _meta(name: str, labels: dict[str, str], namespace: str | None = None,
          annotations: dict[str, str] | None = None) -> dict[str, Any]:
    m: dict[str, Any] = {"name": name, "labels": dict(labels)}
    if namespace is not None:
        m["namespace"] = namespace
    if annotations:
        m["annotations"] = dict(annotations)
    return m


def learner_plan(workshop: str, learner: str, lesson: Lesson, limits: Limits = Limits(),
                 rules: list[dict[str, Any]] | None = None) -> LearnerPlan:
    """The objects for one learner (see the module docstring)."""
    ns = namespace_for(workshop, learner)
    labels = workshop_labels(workshop, learner)
    rbac = f"{RBAC_GROUP}/v1"
    subject = [{"kind": "ServiceAccount", "name": SERVICE_ACCOUNT, "namespace": ns}]
    cluster_name = cluster_binding_name(workshop, learner)
    objects: list[dict[str, Any]] = [
        {"apiVersion": "v1", "kind": "Namespace",
         "metadata": _meta(ns, {**labels, **POD_SECURITY}, None,
                           {LESSON_ANNOTATION: lesson.id})},
        {"apiVersion": "v1", "kind": "ServiceAccount",
         "metadata": _meta(SERVICE_ACCOUNT, labels, ns), "automountServiceAccountToken": False},
        {"apiVersion": rbac, "kind": "Role", "metadata": _meta("learner", labels, ns),
         "rules": rules if rules is not None else role_rules(lesson)},
        {"apiVersion": rbac, "kind": "RoleBinding", "metadata": _meta("learner", labels, ns),
         "roleRef": {"apiGroup": RBAC_GROUP, "kind": "Role", "name": "learner"},
         "subjects": subject},
        {"apiVersion": rbac, "kind": "ClusterRole", "metadata": _meta(cluster_name, labels),
         "rules": cluster_rules(ns)},
        {"apiVersion": rbac, "kind": "ClusterRoleBinding",
         "metadata": _meta(cluster_name, labels),
         "roleRef": {"apiGroup": RBAC_GROUP, "kind": "ClusterRole", "name": cluster_name},
         "subjects": subject},
        {"apiVersion": "v1", "kind": "ResourceQuota", "metadata": _meta("learner", labels, ns),
         "spec": {"hard": limits.quota()}},
        {"apiVersion": "v1", "kind": "LimitRange", "metadata": _meta("learner", labels, ns),
         "spec": {"limits": [
             {"type": "Container",
              "default": {"cpu": limits.default_limit_cpu,
                          "memory": limits.default_limit_memory},
              "defaultRequest": {"cpu": limits.default_request_cpu,
                                 "memory": limits.default_request_memory},
              "max": {"cpu": limits.max_cpu, "memory": limits.max_memory}},
             {"type": "PersistentVolumeClaim",
              "min": {"storage": limits.claim_min}, "max": {"storage": limits.claim_max}},
         ]}},
        {"apiVersion": "v1", "kind": "ConfigMap",
         "metadata": _meta(PROGRESS_CONFIGMAP, labels, ns)},
    ]
    return LearnerPlan(learner, ns, tuple(objects))


def workshop_plan(workshop: str, learners: Iterable[str], lesson: Lesson,
                  limits: Limits = Limits()) -> list[LearnerPlan]:
    """Every learner's plan; the Role's rules are derived once and shared."""
    rules = role_rules(lesson)
    return [learner_plan(workshop, learner, lesson, limits, rules) for learner in learners]
