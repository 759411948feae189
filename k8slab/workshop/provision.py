"""Create, repair, find and delete workshops on a cluster, with the instructor's credentials.

`create_workshop` is idempotent: every object is server-side applied by one field manager, so a
second run changes nothing that is already right, repairs what was changed or deleted, and only
issues fresh tokens. `delete_workshop` removes only objects carrying the workshop's labels.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from k8slab.cluster import objects as o
from k8slab.errors import K8slabError, NotFound
from k8slab.lessons.model import Lesson
from k8slab.workshop import kubeconfig
from k8slab.workshop.admin import AdminClient
from k8slab.workshop.names import (
    LABEL_LEARNER,
    LABEL_MANAGED_BY,
    LABEL_WORKSHOP,
    MANAGED_BY,
    SERVICE_ACCOUNT,
    selector,
)
from k8slab.workshop.plan import LESSON_ANNOTATION, LearnerPlan, Limits, workshop_plan


@dataclass(frozen=True, slots=True)
class LearnerResult:
    """What `create` did for one learner."""

    learner: str
    namespace: str
    kubeconfig: Path
    expires: str
    outcomes: dict[str, str]  # "Kind/name" -> created | configured | unchanged

    def summary(self) -> str:
        counts = Counter(self.outcomes.values())
        return ", ".join(f"{n} {what}" for what in ("created", "configured", "unchanged")
                         if (n := counts.get(what)))


@dataclass(frozen=True, slots=True)
class Workshop:
    """A workshop found on the cluster: its lesson and its learners' namespaces."""

    name: str
    lesson: str
    learners: dict[str, str]  # learner -> namespace


@dataclass(slots=True)
class DeleteResult:
    namespaces: list[str] = field(default_factory=list)
    cluster_objects: list[str] = field(default_factory=list)


def create_workshop(admin: AdminClient, lesson: Lesson, workshop: str, learners: Sequence[str],
                    out_dir: Path, seconds: int, *, limits: Limits | None = None,
                    server: str | None = None,
                    progress: Callable[[LearnerResult], None] | None = None
                    ) -> list[LearnerResult]:
    """Provision every learner (see `k8slab.workshop.plan`) and write their kubeconfigs.

    Args:
        seconds: the tokens' lifetime.
        limits: quota and limits; default `Limits()` sized for the cluster's node count.
        server: the API server URL learners use, if not the instructor's.
        progress: called after each learner, for a live summary.

    Raises:
        K8slabError: a learner's namespace exists but is not this workshop's.
        ClusterError: the cluster refused (e.g. Forbidden without cluster-admin rights).
    """
    if limits is None:
        nodes, _ = admin.list("Node")
        limits = Limits().for_nodes(len(nodes))
    plans = workshop_plan(workshop, learners, lesson, limits)
    for plan in plans:
        _check_namespace_is_ours(admin, plan, workshop)
    endpoint = admin.endpoint()
    if server:
        from dataclasses import replace

        endpoint = replace(endpoint, server=server)
    results = []
    for plan in plans:
        outcomes: dict[str, str] = {}
        for obj in plan.objects:
            _, outcome = admin.apply(obj)
            outcomes[f"{obj['kind']}/{o.name(obj)}"] = outcome
        token, expires = admin.request_token(plan.namespace, SERVICE_ACCOUNT, seconds)
        creds = kubeconfig.LearnerCredentials(
            workshop, plan.learner, plan.namespace,
            f"system:serviceaccount:{plan.namespace}:{SERVICE_ACCOUNT}", token, expires)
        path = kubeconfig.write(kubeconfig.file_for(out_dir, plan.learner),
                                kubeconfig.render(endpoint, creds))
        result = LearnerResult(plan.learner, plan.namespace, path, expires, outcomes)
        results.append(result)
        if progress is not None:
            progress(result)
    return results


def _check_namespace_is_ours(admin: AdminClient, plan: LearnerPlan, workshop: str) -> None:
    try:
        ns = admin.get("Namespace", plan.namespace)
    except NotFound:
        return
    labels = o.labels(ns)
    if labels.get(LABEL_WORKSHOP) != workshop or labels.get(LABEL_MANAGED_BY) != MANAGED_BY:
        raise K8slabError(
            f"namespace {plan.namespace} already exists and is not part of workshop {workshop}",
            hint="choose another --name, or another learner name; k8slab never takes over a "
                 "namespace it did not create")
    if o.dig(ns, "metadata.deletionTimestamp"):
        raise K8slabError(f"namespace {plan.namespace} is still being deleted",
                          hint="wait until `kubectl get ns` no longer lists it, then run again")


def find_workshops(admin: AdminClient) -> dict[str, Workshop]:
    """Every workshop on the cluster, by name, from its namespaces' labels."""
    namespaces, _ = admin.list("Namespace",
                               label_selector=f"{LABEL_MANAGED_BY}={MANAGED_BY},{LABEL_WORKSHOP}")
    found: dict[str, Workshop] = {}
    for ns in namespaces:
        labels = o.labels(ns)
        name, learner = labels.get(LABEL_WORKSHOP, ""), labels.get(LABEL_LEARNER, "")
        if not name or not learner:
            continue
        lesson = o.annotations(ns).get(LESSON_ANNOTATION, "")
        ws = found.setdefault(name, Workshop(name, lesson, {}))
        ws.learners[learner] = o.name(ns)
    for ws in found.values():
        ws.learners.update(dict(sorted(ws.learners.items())))
    return dict(sorted(found.items()))


def resolve_workshop(admin: AdminClient, name: str | None) -> Workshop:
    """The workshop called `name`, or the only one on the cluster when `name` is None.

    Raises:
        K8slabError: no such workshop, or several and no `--name`.
    """
    found = find_workshops(admin)
    if name is not None:
        if name not in found:
            have = ", ".join(found) or "none"
            raise K8slabError(f"no workshop {name!r} on this cluster", hint=f"workshops: {have}")
        return found[name]
    if not found:
        raise K8slabError("there is no workshop on this cluster",
                          hint="create one: k8slab workshop create LESSON --learners N")
    if len(found) > 1:
        raise K8slabError("this cluster has several workshops",
                          hint=f"pick one with --name: {', '.join(found)}")
    return next(iter(found.values()))


def delete_workshop(admin: AdminClient, workshop: str) -> DeleteResult:
    """Delete the workshop's namespaces (and so everything in them) and its cluster-wide
    RBAC objects, selecting strictly by the workshop's labels."""
    result = DeleteResult()
    sel = selector(workshop)
    for kind in ("ClusterRoleBinding", "ClusterRole"):
        items, _ = admin.list(kind, label_selector=sel)
        for obj in items:
            _delete_quietly(admin, kind, o.name(obj))
            result.cluster_objects.append(f"{kind.lower()}/{o.name(obj)}")
    namespaces, _ = admin.list("Namespace", label_selector=sel)
    for ns in namespaces:
        _delete_quietly(admin, "Namespace", o.name(ns))
        result.namespaces.append(o.name(ns))
    return result


def _delete_quietly(admin: AdminClient, kind: str, name: str) -> None:
    with contextlib.suppress(NotFound):  # already gone: deleting twice is not an error
        admin.delete(kind, name)
