"""Learner names, namespaces and the labels that find a workshop's objects again."""

from __future__ import annotations

import pytest

from k8slab.errors import K8slabError
from k8slab.workshop.names import namespace_for, parse_learners, selector, workshop_labels


def test_a_count_numbers_the_learners() -> None:
    assert parse_learners("3") == ["learner-1", "learner-2", "learner-3"]
    twelve = parse_learners("12")
    assert twelve[0] == "learner-01" and twelve[-1] == "learner-12" and len(twelve) == 12


def test_names_are_kept_in_order() -> None:
    assert parse_learners(" ana, ben ,carla ") == ["ana", "ben", "carla"]


@pytest.mark.parametrize(("spec", "message"), [
    ("0", "1 to 200"),
    ("ana,Ana", "not a valid name"),
    ("ana,ana", "listed twice"),
    ("ana,-bad", "not a valid name"),
    (",", "empty"),
])
def test_bad_learners_are_explained(spec: str, message: str) -> None:
    with pytest.raises(K8slabError, match=message) as err:
        parse_learners(spec)
    assert err.value.hint is None or err.value.hint


def test_namespace_is_checked() -> None:
    assert namespace_for("ws-day10", "ana") == "ws-day10-ana"
    with pytest.raises(K8slabError, match="not a valid name"):
        namespace_for("w" * 30, "l" * 40)


def test_selector_matches_the_labels() -> None:
    labels = workshop_labels("ws", "ana")
    for part in selector("ws", "ana").split(","):
        key, value = part.split("=")
        assert labels[key] == value
