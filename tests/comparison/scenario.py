"""What a comparison scenario is: steps that run the same way on the sim and a real cluster.

A scenario is a list of steps, each one of:
- `Apply`: a lesson manifest, as the learner would apply it (an optional `edit`, the same on
  both backends, says why the lesson's file is changed);
- `Act`: one k8slab action (scale, label-node, delete-pod, set-image, patch, ...) run through
  `ActionRunner`, as the TUI's buttons and `check --solve` run it;
- `Wait`: until a condition holds on the mirrored state (virtual time on the sim, wall time
  with a generous timeout on the real cluster);
- `Observe`: record normalised aspects under a checkpoint label.

`expect` holds what Kubernetes is known to do (from the controllers' source and the lesson),
checkpoint -> aspect -> value, so that a sim and a cluster that agree on something wrong, or
on nothing at all, still fail.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from k8slab.state.mirror import ClusterState
from tests.comparison.outcome import Aspect

Edit = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Apply:
    """Apply the lesson's manifest file `manifest` (each object through `edit`, if given)."""

    manifest: str
    edit: Edit | None = None


@dataclass(frozen=True, slots=True)
class Act:
    """Run one action of k8slab's vocabulary (k8slab.actions.ACTIONS)."""

    kind: str
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Wait:
    """Wait until `until(state)` holds; `timeout` is wall seconds on a real cluster."""

    what: str
    until: Callable[[ClusterState], bool]
    timeout: float = 120.0


@dataclass(frozen=True, slots=True)
class Observe:
    """Record `aspects` under the checkpoint `label`."""

    label: str
    aspects: tuple[Aspect, ...]


Step = Apply | Act | Wait | Observe


@dataclass(frozen=True, slots=True)
class Scenario:
    """One lesson scenario to run on both backends.

    Attributes:
        id: a short name, used as the test id and in the namespace's name.
        lesson: the lesson whose manifests and sim hints it uses (`day10`, `day11`).
        compares: one sentence: what the scenario shows.
        steps: what to do, in order.
        expect: checkpoint -> aspect name -> value, checked on both backends.
        kwok_time_scale: how a sim hint's container duration maps to KWOK's run time on the
            real cluster (1.0 keeps it; 0.1 runs ten times faster). Orders and counts do not
            depend on it; a deadline scenario needs 1.0.
        pod_events: reasons of pod events to compare at the end (`FailedScheduling` where a
            pod stays unschedulable); other pod events depend on timing or on KWOK.
    """

    id: str
    lesson: str
    compares: str
    steps: tuple[Step, ...]
    expect: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    kwok_time_scale: float = 0.1
    pod_events: tuple[str, ...] = ()
