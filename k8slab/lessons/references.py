"""Checking that actions, checks and sim hints name things the lesson really declares.

A `scale: {name: webb}` or `{kind: pvc-per-replica, statefulset: nginx}` that names no object
of the lesson's manifests would only fail when a learner presses the button; the loader says so
up front, with the closest name it knows.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from k8slab.lessons.manifests import pod_template_path
from k8slab.lessons.model import Manifest
from k8slab.lessons.source import as_list, as_map

# The sim's default topology; label-node and friends must name one of these or an added node.
DEFAULT_NODES = ("cp-0", "worker-1", "worker-2")

# Which object kind each check parameter names.
PARAM_KINDS = {"daemonset": "DaemonSet", "statefulset": "StatefulSet", "job": "Job",
               "cronjob": "CronJob"}

_SELECTOR_TERM = re.compile(
    r"^\s*(!?[A-Za-z0-9./_-]+)\s*(?:(=|==|!=)\s*([A-Za-z0-9._-]*)|\s+(in|notin)\s*\(([^)]*)\))?"
    r"\s*$")


@dataclass(frozen=True, slots=True)
class Declared:
    """An object a lesson declares, in a manifest or by an action (a Job made from a CronJob)."""

    kind: str
    name: str
    namespace: str | None  # None: the lab namespace
    obj: dict[str, Any]


class Catalogue:
    """Every object the lesson's manifests and actions declare, by kind and name."""

    def __init__(self, manifests: Iterable[Manifest]) -> None:
        self._objects: list[Declared] = []
        self.nodes: list[str] = list(DEFAULT_NODES)
        # Set when a manifest could not be read: objects it declares are unknown, so a name
        # that is not found is not reported (the manifest's own problem is).
        self.incomplete = False
        for manifest in manifests:
            for obj in manifest.objects:
                meta = obj.get("metadata")
                if not isinstance(meta, dict):
                    continue
                name, ns = meta.get("name"), meta.get("namespace")
                if isinstance(name, str):
                    self._objects.append(Declared(str(obj.get("kind")), name,
                                                  ns if isinstance(ns, str) else None, obj))

    def add(self, kind: str, name: str, obj: dict[str, Any] | None = None) -> None:
        self._objects.append(Declared(kind, name, None, obj or {}))

    def find(self, kind: str, name: str) -> list[Declared]:
        return [d for d in self._objects if d.kind == kind and d.name == name]

    def names(self, kind: str) -> list[str]:
        return sorted({d.name for d in self._objects if d.kind == kind})

    def all(self) -> list[Declared]:
        return list(self._objects)


def missing(kind: str, name: str, catalogue: Catalogue) -> str:
    """`no StatefulSet named 'webb' ...; did you mean 'web'?`"""
    names = catalogue.names(kind)
    close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
    if close:
        tip = f"; did you mean {close[0]!r}?"
    elif names:
        tip = f" (declared: {', '.join(names)})"
    else:
        tip = " (the lesson declares none)"
    return f"no {kind} named {name!r} in the lesson's manifests{tip}"


def reference_problem(kind: str, name: str, namespace: str | None,
                      catalogue: Catalogue) -> str | None:
    """Why `kind/name` (in `namespace`, None for the lab's) is not an object of the lesson."""
    found = catalogue.find(kind, name)
    if not found:
        return None if catalogue.incomplete else missing(kind, name, catalogue)
    spaces = {d.namespace for d in found}
    if namespace not in spaces:
        if namespace is None:
            other = sorted(s for s in spaces if s)[0]
            return (f"{kind} {name!r} is declared in namespace {other!r}; "
                    f"add namespace: {other}")
        return f"{kind} {name!r} is not declared in namespace {namespace!r}"
    return None


def template_of(obj: dict[str, Any]) -> dict[str, Any]:
    """The pod template of a workload object ({} if it has none)."""
    path = pod_template_path(str(obj.get("kind")))
    if path is None:
        return {}
    node: Any = obj
    for step in path:
        node = node.get(step) if isinstance(node, dict) else None
    return node if isinstance(node, dict) else {}


def containers_of(obj: dict[str, Any]) -> list[str]:
    """Names of a workload's containers and init containers."""
    spec = template_of(obj).get("spec")
    if not isinstance(spec, dict):
        return []
    out = []
    for section in ("initContainers", "containers"):
        for c in as_list(spec.get(section)):
            if isinstance(c, dict) and isinstance(c.get("name"), str):
                out.append(c["name"])
    return out


def pod_problem(pod: str, catalogue: Catalogue) -> str | None:
    """Why `pod` is not a pod name the lesson can predict: a StatefulSet's `<set>-<ordinal>`
    or a Pod it declares. (Other controllers' pods have random names: use a selector.)"""
    if catalogue.find("Pod", pod):
        return None
    m = re.match(r"^(.*)-(\d+)$", pod)
    if catalogue.incomplete or (m and catalogue.find("StatefulSet", m.group(1))):
        return None
    sets = catalogue.names("StatefulSet")
    return (f"pod {pod!r} is not <statefulset>-<ordinal> for a StatefulSet of the lesson "
            f"({', '.join(sets) or 'none'}); other pods have random names: use a selector")


def statefulset_of(pod: str, catalogue: Catalogue) -> Declared | None:
    m = re.match(r"^(.*)-(\d+)$", pod)
    found = catalogue.find("StatefulSet", m.group(1)) if m else []
    return found[0] if found else None


def selector_problem(selector: str, catalogue: Catalogue) -> str | None:
    """Why a label selector string is malformed or selects no pod template of the lesson."""
    # Commas separate terms, except inside the value list of `in (a, b)`.
    terms = [t for t in re.split(r",(?![^()]*\))", selector) if t.strip()]
    if not terms or any(not _SELECTOR_TERM.match(t) for t in terms):
        return f"cannot read label selector {selector!r} (write key=value[,key2=value2])"
    equal = {}
    for term in terms:
        m = _SELECTOR_TERM.match(term)
        assert m is not None
        if m.group(2) in ("=", "=="):
            equal[m.group(1)] = m.group(3)
    if not equal or catalogue.incomplete:
        return None
    for declared in catalogue.all():
        labels = as_map(as_map(template_of(declared.obj).get("metadata")).get("labels"))
        if isinstance(labels, dict) and all(labels.get(k) == v for k, v in equal.items()):
            return None
    return f"selector {selector!r} matches no pod template in the lesson's manifests"
