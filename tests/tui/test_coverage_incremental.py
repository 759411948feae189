"""The coverage grid computed line by line from each batch of watch events equals the grid
computed from scratch, through everything a DaemonSet's life throws at it on the sim."""

from __future__ import annotations

from typing import Any

from k8slab.cluster.sim import SimCluster
from k8slab.state.mirror import ClusterState
from k8slab.tui.views.coverage import (
    CoverageGrid,
    coverage_grid,
    daemonset_marks,
    touched_nodes,
    update_grid,
)

NS = "lab"


def daemonset(image: str, selector: dict[str, str] | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"containers": [{"name": "c", "image": image,
                                            "command": ["/bin/sh", "-c", "sleep 3600"]}],
                            "terminationGracePeriodSeconds": 2}
    if selector:
        spec["nodeSelector"] = selector
    return {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "agent"},
            "spec": {"selector": {"matchLabels": {"app": "agent"}},
                     "updateStrategy": {"rollingUpdate": {"maxUnavailable": 2}},
                     "template": {"metadata": {"labels": {"app": "agent"}}, "spec": spec}}}


class Follower:
    """Keeps a grid up to date the way the pane does, and checks it after every batch."""

    def __init__(self, sim: SimCluster) -> None:
        self.sim = sim
        self.stream = sim.watch()
        self.state = ClusterState(NS)
        self.grid: CoverageGrid | None = None
        self.marks: tuple[tuple[str, str, int], ...] = ()
        self.partial = 0  # batches handled line by line

    def step(self, seconds: float = 0.5) -> None:
        self.sim.advance(seconds)
        batch = self.stream.drain()
        self.state.apply_all(batch)
        marks = daemonset_marks(self.state)
        touched = touched_nodes(batch) if marks == self.marks else None
        self.marks = marks
        if self.grid is None or touched is None:
            self.grid = coverage_grid(self.state)
        else:
            self.grid = update_grid(self.grid, self.state, touched)
            self.partial += 1
        assert self.grid == coverage_grid(self.state)


def test_line_by_line_equals_from_scratch_through_a_daemonsets_life() -> None:
    sim = SimCluster(NS, seed=3)
    for i in range(12):
        sim.add_node(f"node-{i:02d}", labels={"disk": "ssd" if i % 3 else "hdd"})
    follow = Follower(sim)
    follow.step()
    sim.apply([daemonset("busybox:1.36")])
    for _ in range(20):
        follow.step()
    assert sum(1 for line in follow.grid.nodes if line.cells[0].tone == "ok") == 14
    sim.apply([daemonset("busybox:1.37")])  # a rolling update: status writes, pod churn
    for _ in range(60):
        follow.step()
    sim.delete("Pod", sim.list("Pod")[0]["metadata"]["name"])  # self-healing
    for _ in range(10):
        follow.step()
    sim.apply([daemonset("busybox:1.37", {"disk": "ssd"})])  # spec change: nodes drop out
    for _ in range(20):
        follow.step()
    sim.add_node("node-late", labels={"disk": "ssd"})  # a node joins
    sim.patch("Node", "node-01", {"spec": {"taints": [{"key": "x", "effect": "NoExecute"}]}})
    for _ in range(20):
        follow.step()
    sim.delete("DaemonSet", "agent")
    for _ in range(10):
        follow.step()
    assert follow.partial > 50  # most batches were handled line by line


def test_touched_nodes_names_the_pods_nodes_and_gives_up_on_node_changes() -> None:
    sim = SimCluster(NS, seed=1)
    stream = sim.watch()
    stream.drain()
    sim.apply([daemonset("busybox:1.36")])
    sim.advance(5)
    batch = stream.drain()
    nodes = {n["metadata"]["name"] for n in sim.list("Node")}
    covered = touched_nodes(batch)
    assert covered is not None and covered and covered <= nodes
    sim.add_node("extra")
    assert touched_nodes(stream.drain()) is None
