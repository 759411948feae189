"""Each lesson scenario on the embedded sim and on the real control plane: the outcomes agree.

The real side is a KubeCluster on the `controlplane` fixture (kube-apiserver, the real
controllers and scheduler, KWOK's nodes), in a fresh namespace per scenario. A disagreement is
a bug in the sim: fix the sim, and the scenario stays here as the regression test. What is
normalised away, and why, is said in outcome.py and harness.kwok_hints.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator
from typing import Any

import pytest

from k8slab.cluster.kube import KubeCluster
from k8slab.cluster.sim import SimCluster
from k8slab.errors import ClusterError
from tests.comparison import recorded
from tests.comparison.harness import cached_lesson, run
from tests.comparison.outcome import Outcome, differences, unmet
from tests.comparison.scenario import Scenario
from tests.comparison.scenarios import SCENARIOS

pytestmark = pytest.mark.controlplane


def on_sim(scenario: Scenario) -> Outcome:
    hints = cached_lesson(scenario.lesson).sim
    sim = SimCluster(f"cmp-{scenario.id}"[:63], seed=0, behaviours=hints)
    try:
        return run(scenario, sim)
    finally:
        sim.close()


@pytest.fixture
def on_real(controlplane: Any) -> Iterator[Any]:
    """Runs a scenario on the real control plane in a namespace of its own; afterwards the
    lab's objects and node labels are reset and the namespace is deleted (without waiting)."""
    opened: list[KubeCluster] = []

    def go(scenario: Scenario, sim: Outcome) -> Outcome:
        namespace = f"cmp-{scenario.id[:40]}-{secrets.token_hex(2)}"
        kube = KubeCluster(namespace=namespace, lesson_id=scenario.lesson,
                           kubeconfig=str(controlplane.kubeconfig))
        opened.append(kube)
        return run(scenario, kube, settle_to=sim)

    yield go
    for kube in opened:
        # reset() takes off node labels a failed scenario left behind.
        with contextlib.suppress(ClusterError):
            kube.reset()
        kube.close()
        with contextlib.suppress(OSError):
            controlplane.request("DELETE", f"/api/v1/namespaces/{kube.namespace}")


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.id for s in SCENARIOS])
def test_sim_and_real_cluster_agree(scenario: Scenario, on_real: Any, controlplane: Any
                                     ) -> None:
    sim = on_sim(scenario)
    real = on_real(scenario, sim)

    disagreements = differences(sim, real)
    assert not disagreements, (
        f"{scenario.id}: the sim and the real control plane disagree (a sim bug, unless it is "
        "a KWOK artefact to normalise in tests/comparison):\n" + "\n".join(disagreements))
    missed = unmet(real, scenario.expect)
    assert not missed, f"{scenario.id}: both backends did this, not what Kubernetes does:\n" \
        + "\n".join(missed)
    if recorded.recording():
        recorded.save(scenario.id, real, str(controlplane.version))
