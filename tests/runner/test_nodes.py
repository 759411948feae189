"""Lessons name the sim's nodes; on a cluster with other node names they map by role."""

from __future__ import annotations

import pytest

from k8slab.cluster.sim import SimCluster
from k8slab.errors import NotFound
from k8slab.runner.nodes import label, resolve_node


@pytest.fixture
def kind_like() -> SimCluster:
    """A cluster whose workers are named as kind names them."""
    sim = SimCluster("lab")
    sim.remove_node("worker-1")
    sim.remove_node("worker-2")
    sim.add_node("kind-worker")
    sim.add_node("kind-worker2")
    return sim


def test_existing_names_are_used_as_they_are() -> None:
    sim = SimCluster("lab")
    assert resolve_node(sim, "worker-2") == "worker-2"
    assert resolve_node(sim, "cp-0") == "cp-0"


def test_role_names_map_to_the_nth_node_of_that_role(kind_like: SimCluster) -> None:
    assert resolve_node(kind_like, "worker-1") == "kind-worker"
    assert resolve_node(kind_like, "worker-2") == "kind-worker2"
    assert resolve_node(kind_like, "cp-0") == "cp-0"


def test_a_role_position_the_cluster_lacks_names_the_real_nodes(kind_like: SimCluster) -> None:
    with pytest.raises(NotFound) as caught:
        resolve_node(kind_like, "worker-3")
    assert "kind-worker2" in (caught.value.hint or "")


def test_label_node_lands_on_the_mapped_node(kind_like: SimCluster) -> None:
    message = label(kind_like, {"node": "worker-1", "labels": {"gpu": "true"}})
    assert message == "node/kind-worker labeled gpu=true"
    assert kind_like.get("Node", "kind-worker")["metadata"]["labels"]["gpu"] == "true"
