"""Node actions as `kubectl label` and `kubectl taint` make them (JSON merge patches on the
Node), and adding or removing nodes where the backend can."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from k8slab.cluster import objects as o
from k8slab.cluster.protocol import Cluster
from k8slab.errors import NotFound, Unsupported

CONTROL_PLANE = "node-role.kubernetes.io/control-plane"


def is_control_plane(node: Mapping[str, Any]) -> bool:
    if CONTROL_PLANE in o.labels(node) or "node-role.kubernetes.io/master" in o.labels(node):
        return True
    return any(t.get("key") == CONTROL_PLANE for t in o.dig(node, "spec.taints", []) or [])


def first_worker(cluster: Cluster) -> str:
    """The first node by name that is not a control-plane node (or the first node at all).

    Raises:
        NotFound: the cluster has no nodes.
    """
    nodes = sorted(cluster.list("Node"), key=o.name)
    if not nodes:
        raise NotFound("The cluster has no nodes.", "Check the cluster: kubectl get nodes")
    workers = [n for n in nodes if not is_control_plane(n)]
    return o.name((workers or nodes)[0])


def resolve_node(cluster: Cluster, wanted: str) -> str:
    """The real node a lesson means by `wanted`.

    Lessons are written for the sim's topology (`cp-0`, `worker-1`, `worker-2`). On a real
    cluster whose nodes have other names (kind, minikube, cloud), `cp-N` means the N-th
    control-plane node and `worker-N` the N-th worker, both by name; a name that exists is
    used as it is.

    Raises:
        NotFound: no node has that name or role position.
    """
    nodes = sorted(cluster.list("Node"), key=o.name)
    names = [o.name(n) for n in nodes]
    if wanted in names:
        return wanted
    role, _, index = wanted.rpartition("-")
    if role in ("cp", "worker") and index.isdigit():
        pool = [n for n in nodes if is_control_plane(n) == (role == "cp")]
        position = int(index) - (1 if role == "worker" else 0)
        if 0 <= position < len(pool):
            return o.name(pool[position])
    raise NotFound(f'node "{wanted}" not found',
                   "the cluster's nodes are: " + (", ".join(names) or "none"),
                   resource=f"node/{wanted}")


def label_patch(labels: Mapping[str, Any]) -> dict[str, Any]:
    """Set labels (values become strings, as labels are)."""
    return {"metadata": {"labels": {str(k): _label_value(v) for k, v in labels.items()}}}


def _label_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def unlabel_patch(keys: Sequence[str]) -> dict[str, Any]:
    """Remove labels: null in a JSON merge patch deletes the key."""
    return {"metadata": {"labels": {str(k): None for k in keys}}}


def taint_patch(node: Mapping[str, Any], key: str, value: str | None, effect: str
                ) -> dict[str, Any]:
    """Add or replace the taint `key[=value]:effect` (replacing one with the same key and
    effect, as `kubectl taint --overwrite` does). Merge patches replace the whole list."""
    taints = [dict(t) for t in o.dig(node, "spec.taints", []) or []
              if not (t.get("key") == key and t.get("effect") == effect)]
    taint: dict[str, Any] = {"key": key, "effect": effect}
    if value:
        taint["value"] = value
    taints.append(taint)
    return {"spec": {"taints": taints}}


def untaint_patch(node: Mapping[str, Any], key: str) -> tuple[dict[str, Any], int]:
    """Remove every taint with `key`; returns the patch and how many were removed."""
    before = [dict(t) for t in o.dig(node, "spec.taints", []) or []]
    after = [t for t in before if t.get("key") != key]
    return {"spec": {"taints": after or None}}, len(before) - len(after)


# -- the node actions -------------------------------------------------------------------------

def label(cluster: Cluster, p: Mapping[str, Any]) -> str:
    """`label-node`: on the named node, or the first worker."""
    node = resolve_node(cluster, p["node"]) if p.get("node") else first_worker(cluster)
    cluster.patch("Node", node, label_patch(p["labels"]), patch_type="merge")
    shown = ",".join(f"{k}={_label_value(v)}" for k, v in p["labels"].items())
    return f"node/{node} labeled {shown}"


def unlabel(cluster: Cluster, p: Mapping[str, Any]) -> str:
    """`unlabel-node`: on the named node, or on every node carrying one of the keys."""
    keys = [str(k) for k in p["keys"]]
    if p.get("node"):
        targets = [resolve_node(cluster, str(p["node"]))]
    else:
        targets = [o.name(n) for n in cluster.list("Node") if any(k in o.labels(n) for k in keys)]
        if not targets:
            return f"no node has label {', '.join(keys)}"
    for node in targets:
        cluster.patch("Node", node, unlabel_patch(keys), patch_type="merge")
    return f"node/{', '.join(targets)} unlabeled {','.join(k + '-' for k in keys)}"


def taint(cluster: Cluster, p: Mapping[str, Any]) -> str:
    """`taint-node`, replacing a taint with the same key and effect."""
    name = resolve_node(cluster, p["node"])
    node = cluster.get("Node", name)
    effect = p.get("effect") or "NoSchedule"
    cluster.patch("Node", name, taint_patch(node, p["key"], p.get("value"), effect),
                  patch_type="merge")
    value = f"={p['value']}" if p.get("value") else ""
    return f"node/{name} tainted {p['key']}{value}:{effect}"


def untaint(cluster: Cluster, p: Mapping[str, Any]) -> str:
    """`untaint-node`: remove every taint with the key.

    Raises:
        NotFound: the node has no such taint (as `kubectl taint ... key-` reports).
    """
    name = resolve_node(cluster, p["node"])
    node = cluster.get("Node", name)
    patch, removed = untaint_patch(node, p["key"])
    if not removed:
        raise NotFound(f'node/{name} has no taint "{p["key"]}"',
                       "kubectl describe node shows its taints")
    cluster.patch("Node", name, patch, patch_type="merge")
    return f"node/{name} untainted {p['key']}-"


def _editor(cluster: Cluster, method: str) -> Callable[..., Any]:
    fn = getattr(cluster, method, None)
    if fn is None or not cluster.capabilities.edit_nodes:
        raise Unsupported(f"{method.replace('_', ' ')} works only on the embedded sim; a real "
                          f"cluster's nodes come from its own tooling",
                          "with minikube: minikube node add")
    return fn


def add(cluster: Cluster, p: Mapping[str, Any]) -> str:
    """`add-node` (sim only)."""
    _editor(cluster, "add_node")(p["name"], labels=dict(p.get("labels") or {}),
                                 cpu=str(p.get("cpu") or "4"),
                                 memory=str(p.get("memory") or "8Gi"))
    return f"node/{p['name']} added"


def remove(cluster: Cluster, p: Mapping[str, Any]) -> str:
    """`remove-node` (sim only)."""
    _editor(cluster, "remove_node")(p["name"])
    return f"node/{p['name']} removed"
