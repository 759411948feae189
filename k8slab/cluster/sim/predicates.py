"""Pure placement predicates on plain-dict objects: taints and tolerations, node selectors
and required node affinity. The sim's scheduler and DaemonSet controller use them, and so does
`k8slab.cluster.coverage`, on objects from either backend."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def tolerates(toleration: Mapping[str, Any], taint: Mapping[str, Any]) -> bool:
    """Whether one toleration tolerates one taint (v1.Toleration.ToleratesTaint)."""
    effect = toleration.get("effect") or ""
    if effect and effect != taint.get("effect"):
        return False
    key = toleration.get("key") or ""
    op = toleration.get("operator") or "Equal"
    if not key:
        # An empty key with operator Exists matches every taint.
        return op == "Exists"
    if key != taint.get("key"):
        return False
    if op == "Exists":
        return True
    return (toleration.get("value") or "") == (taint.get("value") or "")


def untolerated_taint(tolerations: Iterable[Mapping[str, Any]],
                      taints: Iterable[Mapping[str, Any]],
                      effects: tuple[str, ...] = ("NoSchedule", "NoExecute")
                      ) -> Mapping[str, Any] | None:
    """The first taint with one of `effects` that no toleration tolerates, or None."""
    tols = list(tolerations)
    for taint in taints:
        if taint.get("effect") not in effects:
            continue
        if not any(tolerates(t, taint) for t in tols):
            return taint
    return None


def taint_text(taint: Mapping[str, Any]) -> str:
    """A taint as the scheduler prints it: `{key: value}`."""
    return "{" + f"{taint.get('key', '')}: {taint.get('value', '') or ''}" + "}"


def taint_spec(taint: Mapping[str, Any]) -> str:
    """A taint as kubectl writes it: `key=value:Effect` or `key:Effect`."""
    value = taint.get("value")
    return f"{taint.get('key')}{'=' + str(value) if value else ''}:{taint.get('effect')}"


def _expr_matches(expr: Mapping[str, Any], value: str | None) -> bool:
    op = expr.get("operator")
    values = [str(v) for v in expr.get("values") or ()]
    if op == "In":
        return value is not None and value in values
    if op == "NotIn":
        return value is None or value not in values
    if op == "Exists":
        return value is not None
    if op == "DoesNotExist":
        return value is None
    if op in ("Gt", "Lt"):
        if value is None or not values:
            return False
        try:
            a, b = int(value), int(values[0])
        except ValueError:
            return False
        return a > b if op == "Gt" else a < b
    return False


def term_matches(term: Mapping[str, Any], node: Mapping[str, Any]) -> bool:
    """Whether a NodeSelectorTerm (all its expressions and fields) matches a node.

    An empty term matches nothing, as in the API.
    """
    exprs = term.get("matchExpressions") or []
    fields = term.get("matchFields") or []
    if not exprs and not fields:
        return False
    md = node.get("metadata") or {}
    labels = md.get("labels") or {}
    for e in exprs:
        if not _expr_matches(e, labels.get(e.get("key"))):
            return False
    for f in fields:
        value = md.get("name") if f.get("key") == "metadata.name" else None
        if not _expr_matches(f, value):
            return False
    return True


def required_terms(pod_spec: Mapping[str, Any]) -> list[Mapping[str, Any]] | None:
    """The pod's required node-affinity terms, or None when it has none."""
    aff = ((pod_spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution")
    if not aff:
        return None
    return list(aff.get("nodeSelectorTerms") or [])


def node_selector_matches(pod_spec: Mapping[str, Any], node: Mapping[str, Any]) -> bool:
    """Whether the pod's nodeSelector matches the node's labels."""
    labels = (node.get("metadata") or {}).get("labels") or {}
    return all(labels.get(k) == v for k, v in (pod_spec.get("nodeSelector") or {}).items())


def affinity_matches(pod_spec: Mapping[str, Any], node: Mapping[str, Any]) -> bool:
    """Whether the pod's required node affinity (any one term) matches the node."""
    terms = required_terms(pod_spec)
    if terms is None:
        return True
    return any(term_matches(t, node) for t in terms)


def pinned_nodes(pod_spec: Mapping[str, Any]) -> set[str] | None:
    """Node names the pod's affinity pins it to (matchFields metadata.name In [...]), as the
    NodeAffinity PreFilter computes them; None when it is not pinned."""
    terms = required_terms(pod_spec)
    if not terms:
        return None
    names: set[str] = set()
    for t in terms:
        pinned = [f for f in t.get("matchFields") or ()
                  if f.get("key") == "metadata.name" and f.get("operator") == "In"]
        if not pinned:
            return None
        names.update(str(v) for f in pinned for v in f.get("values") or ())
    return names


def host_ports(pod_spec: Mapping[str, Any]) -> set[tuple[str, int]]:
    """The (protocol, hostPort) pairs a pod claims on its node."""
    out: set[tuple[str, int]] = set()
    for c in pod_spec.get("containers") or ():
        for p in c.get("ports") or ():
            hp = p.get("hostPort")
            if hp:
                out.add((p.get("protocol") or "TCP", int(hp)))
    if pod_spec.get("hostNetwork"):
        for c in pod_spec.get("containers") or ():
            for p in c.get("ports") or ():
                if p.get("containerPort"):
                    out.add((p.get("protocol") or "TCP", int(p["containerPort"])))
    return out
