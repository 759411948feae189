"""Undo what a lesson did to a real cluster, and nothing else.

Deleted: objects labelled `app.kubernetes.io/managed-by=k8slab,k8slab.io/lesson=<id>` in the
lab namespace (and, labelled with that lab namespace, outside it), the PersistentVolumeClaims
their StatefulSets stamped out, the node labels and taints the lesson recorded adding, and
the namespace itself only if the lab created it and nothing it did not create is left in it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from k8slab.cluster import objects as o
from k8slab.cluster.kinds import KINDS, Kind
from k8slab.cluster.kube import nodes
from k8slab.cluster.kube.errors import Call
from k8slab.cluster.kube.labels import is_lab_object, lab_selector
from k8slab.cluster.kube.transport import Api, collection_path, object_path
from k8slab.errors import ClusterError, Conflict, Forbidden, NotFound

# Workloads first, so their controllers stop replacing pods; claims last.
ORDER = ("CronJob", "Job", "StatefulSet", "DaemonSet", "Deployment", "ReplicaSet", "Pod",
         "Service", "ConfigMap", "Secret", "ServiceAccount", "RoleBinding", "Role",
         "ResourceQuota", "LimitRange", "PersistentVolumeClaim")
CLUSTER_KINDS = ("ClusterRoleBinding", "ClusterRole", "StorageClass", "PersistentVolume",
                 "Namespace")
# A workshop's learner namespaces belong to `k8slab workshop`, never to a learner's reset.
WORKSHOP = "k8slab.io/workshop"

# What Kubernetes puts in every namespace by itself; it does not keep a namespace alive.
_AUTOMATIC = {("ServiceAccount", "default"), ("ConfigMap", "kube-root-ca.crt")}
_DERIVED = ("Event", "Endpoints", "EndpointSlice", "ControllerRevision")


@dataclass
class ResetReport:
    """What a reset did, for the command to print."""

    namespace: str
    deleted: list[str] = field(default_factory=list)  # "statefulset/web", "pvc/www-web-0"
    nodes: list[str] = field(default_factory=list)  # "worker-1: label disktype"
    namespace_deleted: bool = False
    notes: list[str] = field(default_factory=list)  # what was kept or could not be done

    def lines(self) -> list[str]:
        out = [f"deleted {d}" for d in self.deleted]
        out += [f"removed from node {n}" for n in self.nodes]
        if self.namespace_deleted:
            out.append(f"deleted namespace {self.namespace}")
        return out + self.notes


def reset_lab(api: Api, namespace: str, lesson_id: str, *, propagation: str = "Background",
              wait: bool = False, timeout: float = 120.0) -> ResetReport:
    """Delete what `lesson_id` created in (and for) `namespace`. See the module docstring."""
    report = ResetReport(namespace)
    selector = lab_selector(lesson_id)
    doomed: list[tuple[Kind, dict[str, Any]]] = []
    for kind_name in ORDER:
        kind = KINDS[kind_name]
        doomed += [(kind, obj) for obj in _list(api, kind, namespace, selector, report)]
    outside = lab_selector(lesson_id, namespace)
    for kind_name in ORDER + CLUSTER_KINDS:
        kind = KINDS[kind_name]
        for obj in _list(api, kind, None, outside, report, quiet=True):
            if not (kind.namespaced and o.namespace(obj) == namespace):
                doomed.append((kind, obj))
    claims = _stamped_claims(api, namespace, [obj for k, obj in doomed
                                              if k.kind == "StatefulSet"], report)
    for kind, obj in doomed + claims:
        _delete(api, kind, obj, propagation, report)
    _undo_nodes(api, lesson_id, report)
    ns_obj = _get(api, KINDS["Namespace"], namespace, None)
    if ns_obj is not None and WORKSHOP in o.labels(ns_obj):
        report.notes.append(f"kept namespace {namespace}: it belongs to workshop "
                            f"{o.labels(ns_obj)[WORKSHOP]} (k8slab workshop delete removes it)")
    elif ns_obj is not None and is_lab_object(ns_obj, lesson_id):
        foreign = _foreign(api, namespace, lesson_id)
        if foreign:
            shown = ", ".join(foreign[:5]) + (" ..." if len(foreign) > 5 else "")
            report.notes.append(f"kept namespace {namespace}: it holds {len(foreign)} "
                                f"object(s) k8slab did not create ({shown})")
        else:
            _delete(api, KINDS["Namespace"], ns_obj, propagation, report, record=False)
            report.namespace_deleted = True
    elif ns_obj is not None:
        report.notes.append(f"kept namespace {namespace}: k8slab did not create it")
    if wait:
        _wait_gone(api, [*doomed, *claims], namespace if report.namespace_deleted else None,
                   timeout, report)
    return report


def _list(api: Api, kind: Kind, namespace: str | None, selector: str, report: ResetReport,
          quiet: bool = False) -> list[dict[str, Any]]:
    call = Call("list", kind.plural, kind.kind, namespace=namespace or "")
    try:
        page = api.request("GET", collection_path(kind, namespace), call,
                           query={"labelSelector": selector})
    except NotFound:
        return []
    except Forbidden as exc:
        if not quiet:
            report.notes.append(f"could not look for {kind.plural}: {exc.message}")
        return []
    items = page.get("items") or []
    for item in items:
        item.setdefault("kind", kind.kind)
    return list(items)


def _get(api: Api, kind: Kind, name: str, namespace: str | None) -> dict[str, Any] | None:
    try:
        return dict(api.request("GET", object_path(kind, name, namespace),
                                Call("get", kind.plural, kind.kind, name, namespace or "")))
    except (NotFound, Forbidden):
        return None


def _stamped_claims(api: Api, namespace: str, sets: list[dict[str, Any]], report: ResetReport
                    ) -> list[tuple[Kind, dict[str, Any]]]:
    """The claims the lab's StatefulSets created from their volumeClaimTemplates.

    They carry no k8slab label (the controller makes them), so they are recognised by name
    (`<template>-<set>-<ordinal>`), by the set's selector labels the controller copies onto
    them, and by being no older than the set.
    """
    if not sets:
        return []
    pvc = KINDS["PersistentVolumeClaim"]
    claims = _list(api, pvc, namespace, "", report)
    out = []
    for claim in claims:
        if o.labels(claim).get("app.kubernetes.io/managed-by") == "k8slab":
            continue  # already on the list
        if any(stamped_by(claim, sts) for sts in sets):
            out.append((pvc, claim))
    return out


def stamped_by(claim: Mapping[str, Any], sts: Mapping[str, Any]) -> bool:
    """Whether `claim` is one that StatefulSet `sts` created for one of its replicas."""
    set_name = o.name(sts)
    for tmpl in o.dig(sts, "spec.volumeClaimTemplates", []) or []:
        prefix = f"{o.name(tmpl)}-"
        cname = o.name(claim)
        if not cname.startswith(prefix):
            continue
        if o.ordinal(cname[len(prefix):], set_name) is None:
            continue
        wanted = o.dig(sts, "spec.selector.matchLabels", {}) or {}
        if any(o.labels(claim).get(k) != v for k, v in wanted.items()):
            continue
        born, set_born = o.dig(claim, "metadata.creationTimestamp", ""), o.dig(
            sts, "metadata.creationTimestamp", "")
        if born and set_born and str(born) < str(set_born):
            continue
        return True
    return False


def _delete(api: Api, kind: Kind, obj: Mapping[str, Any], propagation: str,
            report: ResetReport, record: bool = True) -> None:
    name, ns = o.name(obj), o.namespace(obj) or None
    call = Call("delete", kind.plural, kind.kind, name, ns or "")
    body: dict[str, Any] = {"apiVersion": "v1", "kind": "DeleteOptions",
                            "propagationPolicy": propagation}
    if o.uid(obj):
        body["preconditions"] = {"uid": o.uid(obj)}
    try:
        api.request("DELETE", object_path(kind, name, ns), call, body=body)
    except NotFound:
        return
    except Conflict:
        return  # the uid precondition failed: that name now belongs to something else
    except ClusterError as exc:
        report.notes.append(f"could not delete {kind.kind.lower()}/{name}: {exc.message}")
        return
    if record:
        where = f" in {ns}" if ns and o.namespace(obj) != report.namespace else ""
        report.deleted.append(f"{kind.kind.lower()}/{name}{where}")


def _undo_nodes(api: Api, lesson_id: str, report: ResetReport) -> None:
    kind = KINDS["Node"]
    try:
        found = api.request("GET", collection_path(kind), Call("list", "nodes", "Node"))
    except Forbidden:
        report.notes.append("could not check nodes for labels the lab added: not allowed to "
                            "list nodes")
        return
    for node in found.get("items") or []:
        for _ in range(3):  # retry on a concurrent update of the node
            patch = nodes.undo_patch(node, lesson_id)
            if patch is None:
                break
            what = nodes.undone(node, lesson_id)
            call = Call("patch", "nodes", "Node", o.name(node))
            try:
                api.request("PATCH", object_path(kind, o.name(node)), call, body=patch,
                            content_type="application/merge-patch+json")
            except Conflict:
                node = api.request("GET", object_path(kind, o.name(node)),
                                   Call("get", "nodes", "Node", o.name(node)))
                continue
            except ClusterError as exc:
                report.notes.append(f"could not restore node {o.name(node)}: {exc.message}")
                break
            report.nodes += [f"{o.name(node)}: {w}" for w in what]
            break


def _foreign(api: Api, namespace: str, lesson_id: str) -> list[str]:
    """Objects in the namespace that k8slab did not create (and that are not automatic)."""
    out = []
    for kind in KINDS.values():
        if not kind.namespaced or kind.kind in _DERIVED:
            continue
        for obj in _list(api, kind, namespace, "", ResetReport(namespace), quiet=True):
            if is_lab_object(obj) or o.meta(obj).get("ownerReferences"):
                continue
            if o.meta(obj).get("deletionTimestamp") or (kind.kind, o.name(obj)) in _AUTOMATIC:
                continue
            if kind.kind == "Secret" and obj.get("type") == "kubernetes.io/service-account-token":
                continue
            out.append(f"{kind.kind.lower()}/{o.name(obj)}")
    return out


def _wait_gone(api: Api, doomed: list[tuple[Kind, dict[str, Any]]], namespace: str | None,
               timeout: float, report: ResetReport,
               clock: Callable[[], float] = time.monotonic) -> None:
    deadline = clock() + timeout
    pending = list(doomed)
    while pending and clock() < deadline:
        pending = [(k, obj) for k, obj in pending
                   if _get(api, k, o.name(obj), o.namespace(obj) or None) is not None]
        if pending:
            time.sleep(0.5)
    while namespace and clock() < deadline and _get(api, KINDS["Namespace"], namespace,
                                                    None) is not None:
        time.sleep(0.5)
    if pending:
        report.notes.append(f"{len(pending)} object(s) were still being deleted after "
                            f"{timeout:g}s")
