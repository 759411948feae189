"""Every catalog check kind is implemented, and none passes on a cluster where nothing was done."""

from __future__ import annotations

import pytest

from k8slab.grading.catalog import CHECKS
from k8slab.grading.checks import REGISTRY, evaluate
from k8slab.grading.context import GradingContext
from tests.grading.builders import Lab, nodes3

# Parameters that name the objects of the lessons (none of which exist on a fresh cluster).
PARAMS = {
    "kind": "StatefulSet", "name": "web", "path": "spec.replicas", "value": 3,
    "daemonset": "node-logger", "reason": "taint", "label": "gpu=true",
    "statefulset": "web", "partition": 2, "job": "hello", "cronjob": "backup",
    "policy": "Forbid",
}


def _params(kind: str) -> dict[str, object]:
    out = {}
    for p in CHECKS[kind].params:
        if p.name in PARAMS and (p.required or p.name in ("reason", "policy")):
            value = PARAMS[p.name]
            if p.choices and value not in p.choices:
                value = p.choices[0]
            out[p.name] = value
    return out


def test_every_catalog_kind_has_an_implementation() -> None:
    assert set(REGISTRY) == set(CHECKS)


@pytest.mark.parametrize("kind", sorted(CHECKS))
def test_a_fresh_cluster_fails_every_check(kind: str) -> None:
    lab = Lab()
    nodes3(lab)
    result = evaluate(kind, _params(kind), GradingContext(lab.state, lab.ns))
    assert not result.passed, result.detail
    assert result.detail and result.hint, "a failure says what was seen and what to do"


def test_an_unknown_kind_fails_with_a_message_instead_of_raising() -> None:
    result = evaluate("no-such-check", {}, GradingContext(Lab().state, "lab"))
    assert not result.passed
    assert "no-such-check" in result.detail
