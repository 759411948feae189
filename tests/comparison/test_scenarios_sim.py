"""The comparison scenarios on the sim alone: no control plane needed, so they run everywhere.

They hold the sim to what upstream does (each scenario's `expect`) between runs of the
real-cluster comparison, and check that a scenario's outcome does not depend on the seed.
"""

from __future__ import annotations

import pytest

from k8slab.cluster.sim import SimCluster
from tests.comparison import recorded
from tests.comparison.harness import END, cached_lesson, run
from tests.comparison.outcome import Outcome, differences, unmet
from tests.comparison.scenario import Scenario
from tests.comparison.scenarios import SCENARIOS


def on_sim(scenario: Scenario, seed: int) -> Outcome:
    hints = cached_lesson(scenario.lesson).sim
    return run(scenario, SimCluster("cmp", seed=seed, behaviours=hints))


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.id for s in SCENARIOS])
def test_scenario_on_the_sim_does_what_kubernetes_does(scenario: Scenario) -> None:
    outcome = on_sim(scenario, seed=0)
    missed = unmet(outcome, scenario.expect)
    assert not missed, f"{scenario.id}:\n" + "\n".join(missed)
    # Every scenario expects something, and ends with its workloads' events.
    events = next(v for k, v in outcome[END].items() if k.startswith("events"))
    assert scenario.expect and events


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.id for s in SCENARIOS])
def test_scenario_on_the_sim_matches_the_recorded_real_outcome(scenario: Scenario) -> None:
    """The whole outcome, as the real control plane produced it when last recorded."""
    found = recorded.load(scenario.id)
    assert found is not None, (f"no recorded real outcome for {scenario.id}: record it with "
                               f"{recorded.RECORD_ENV}=1 pytest tests/comparison -m controlplane")
    real, where = found
    disagreements = differences(on_sim(scenario, seed=0), real)
    assert not disagreements, (
        f"{scenario.id}: the sim no longer does what Kubernetes {where['kubernetes']} did:\n"
        + "\n".join(disagreements))


@pytest.mark.parametrize("scenario", SCENARIOS[:3] + SCENARIOS[-3:],
                         ids=[s.id for s in SCENARIOS[:3] + SCENARIOS[-3:]])
def test_outcome_does_not_depend_on_the_seed(scenario: Scenario) -> None:
    """Normalised outcomes are what both backends must agree on, whatever their timing; on
    the sim, a different seed changes pull times, names and uids, but not the outcome."""
    assert on_sim(scenario, seed=0) == on_sim(scenario, seed=7)
