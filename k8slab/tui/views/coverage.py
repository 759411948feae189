"""The DaemonSet coverage grid: every node against every DaemonSet, covered or why not.

The eligibility rules themselves (nodeSelector, affinity, taints and tolerations, resources)
live in `k8slab.cluster.coverage`, shared with the grader; this module lays them out as a grid.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from k8slab.cluster import objects as o
from k8slab.cluster.coverage import NodeCoverage, coverage, pinned_nodes
from k8slab.cluster.protocol import WatchEvent
from k8slab.state.mirror import ClusterState
from k8slab.tui.views.pods import pod_status
from k8slab.tui.views.tones import Tone


@dataclass(frozen=True, slots=True)
class CoverageCell:
    """One node x DaemonSet: the pod running there, or the reason there is none."""

    label: str  # "Ready", "Pending", "taint", "nodeSelector", "missing"
    tone: Tone
    detail: str
    pod: str


@dataclass(frozen=True, slots=True)
class NodeLine:
    """A node and what each DaemonSet does on it."""

    node: str
    roles: str
    taints: tuple[str, ...]
    cells: tuple[CoverageCell, ...]


@dataclass(frozen=True, slots=True)
class CoverageGrid:
    daemonsets: tuple[str, ...]
    nodes: tuple[NodeLine, ...]

    def excluded(self, daemonset: str) -> int:
        i = self.daemonsets.index(daemonset)
        return sum(1 for n in self.nodes if n.cells[i].tone == "idle")


def _roles(node: dict[str, Any]) -> str:
    prefix = "node-role.kubernetes.io/"
    roles = [k[len(prefix):] for k in o.labels(node) if k.startswith(prefix)]
    return ",".join(sorted(roles)) or "worker"


def _taints(node: dict[str, Any]) -> tuple[str, ...]:
    return tuple(f"{t.get('key')}{'=' + t['value'] if t.get('value') else ''}:{t.get('effect')}"
                 for t in o.dig(node, "spec.taints", []) or [])


def coverage_grid(state: ClusterState) -> CoverageGrid:
    """Nodes (by name) x DaemonSets of the lab namespace and any the lab moved elsewhere."""
    daemonsets = state.list("DaemonSet", "*")
    nodes = state.list("Node")
    columns = _columns(state, daemonsets, nodes)
    return CoverageGrid(tuple(o.name(ds) for ds in daemonsets),
                        tuple(_line(node, columns) for node in nodes))


def daemonset_marks(state: ClusterState) -> tuple[tuple[str, str, int], ...]:
    """What the grid's lines depend on in the DaemonSets: each one's name, uid and spec
    generation. Their status, rewritten at every step of a rollout, does not count."""
    return tuple((o.name(ds), o.uid(ds), int(o.meta(ds).get("generation") or 0))
                 for ds in state.list("DaemonSet", "*"))


def touched_nodes(batch: Iterable[WatchEvent]) -> set[str] | None:
    """The nodes whose lines a batch of watch events can change (those of the pods in it), or
    None when any line may have changed (a Node did)."""
    touched: set[str] = set()
    for event in batch:
        kind = event.object.get("kind")
        if kind == "Node":
            return None
        if kind == "Pod":
            spec = event.object.get("spec") or {}
            if spec.get("nodeName"):
                touched.add(str(spec["nodeName"]))
            touched |= pinned_nodes(spec) or set()
    return touched


def update_grid(grid: CoverageGrid, state: ClusterState, nodes: set[str]) -> CoverageGrid:
    """`grid` with the lines of `nodes` computed again from `state`, when neither the nodes nor
    the DaemonSets' specs changed since it was made (see touched_nodes, daemonset_marks).

    Each line depends only on its node, the DaemonSets' templates and their pods on that node,
    so this equals `coverage_grid(state)` at a fraction of the cost on a big cluster.
    """
    index = {line.node: i for i, line in enumerate(grid.nodes)}
    found = [state.get("Node", n) for n in sorted(nodes) if n in index]
    objs = [node for node in found if node is not None]
    if not objs:
        return grid
    columns = _columns(state, state.list("DaemonSet", "*"), objs)
    lines = list(grid.nodes)
    for node in objs:
        lines[index[o.name(node)]] = _line(node, columns)
    return CoverageGrid(grid.daemonsets, tuple(lines))


def _columns(state: ClusterState, daemonsets: list[dict[str, Any]],
             nodes: list[dict[str, Any]]) -> list[dict[str, CoverageCell]]:
    """For each DaemonSet, the cell of each of `nodes`."""
    columns: list[dict[str, CoverageCell]] = []
    for ds in daemonsets:
        pods = state.list("Pod", o.namespace(ds), owner=f"DaemonSet/{o.name(ds)}")
        by_name = {o.name(p): p for p in pods}
        cells: dict[str, CoverageCell] = {}
        for nc in coverage(ds, nodes, pods):
            cells[nc.node] = _cell(nc, by_name.get(nc.pod or ""))
        columns.append(cells)
    return columns


def _line(node: dict[str, Any], columns: list[dict[str, CoverageCell]]) -> NodeLine:
    n = o.name(node)
    return NodeLine(node=n, roles=_roles(node), taints=_taints(node),
                    cells=tuple(col.get(n, CoverageCell("?", "idle", "", "")) for col in columns))


def _cell(nc: NodeCoverage, pod: dict[str, Any] | None) -> CoverageCell:
    pod_name = nc.pod or ""
    if not nc.eligible:
        if nc.reason == "resources":
            # Eligible by its labels and taints, but the scheduler finds no room.
            return CoverageCell("resources", "bad", nc.detail, pod_name)
        # A pod still on an ineligible node is on its way out.
        tone: Tone = "gone" if pod_name else "idle"
        return CoverageCell(nc.reason or "excluded", tone, nc.detail, pod_name)
    if pod is None:
        return CoverageCell("no pod yet", "wait", nc.detail or "the controller will create one",
                            pod_name)
    status = pod_status(pod)
    return CoverageCell(status.label, status.tone, nc.detail, pod_name)
