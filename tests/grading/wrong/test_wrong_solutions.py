"""Deliberately wrong solutions, run on the embedded sim: the matching check fails, and its
detail says why. Scenarios live in the YAML files beside this module, at least one per check
kind; `passes-with` scenarios show the same check passing when the work is done right."""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from k8slab.actions import ACTIONS, Action
from k8slab.cluster.factory import open_cluster
from k8slab.grading.catalog import CHECKS
from k8slab.grading.checks import evaluate
from k8slab.grading.context import GradingContext
from k8slab.lessons import load_lesson
from k8slab.lessons.model import Lesson, Manifest
from k8slab.runner import ActionRunner
from k8slab.runner.clock import parse_check
from k8slab.state.mirror import ClusterState

HERE = Path(__file__).parent


def _yaml() -> YAML:
    return YAML(typ="safe", pure=True)


def _load() -> list[tuple[str, dict[str, Any], dict[str, str]]]:
    out = []
    for path in sorted(HERE.glob("*.yaml")):
        data = _yaml().load(path.read_text(encoding="utf-8"))
        manifests = dict(data.get("manifests") or {})
        for scenario in data["scenarios"]:
            out.append((f"{path.stem}: {scenario['name']}", scenario, manifests))
    return out


SCENARIOS = _load()


@functools.cache
def _shipped(lesson_id: str) -> Lesson:
    return load_lesson(lesson_id)


def _lesson(inline: dict[str, str], actions: list[Action]) -> Lesson:
    manifests: dict[str, Manifest] = {}
    for name, text in inline.items():
        objects = tuple(d for d in _yaml().load_all(text) if d)
        manifests[name] = Manifest(name, HERE / name, text, objects)
    for action in actions:  # `apply: day10/simple-statefulset.yaml` names a shipped manifest
        ref = str(action.params.get("manifest") or "")
        if "/" in ref:
            lesson_id, name = ref.split("/", 1)
            shipped = _shipped(lesson_id).manifests[name]
            manifests[ref] = Manifest(ref, shipped.path, shipped.text, shipped.objects)
    return Lesson(id="wrong", title="wrong solutions", summary="", path=HERE, parts=(),
                  checklist=(), manifests=manifests)


def _action(entry: dict[str, Any]) -> tuple[Action, bool]:
    entry = dict(entry)
    may_fail = bool(entry.pop("may-fail", False))
    ((kind, value),) = entry.items()
    spec = ACTIONS[kind]
    params = dict(value) if isinstance(value, dict) else {spec.shorthand: value}
    assert not spec.problems(params), spec.problems(params)
    return Action(kind, spec.with_defaults(params)), may_fail


@pytest.mark.parametrize(("scenario", "manifests"), [(s, m) for _, s, m in SCENARIOS],
                         ids=[i for i, _, _ in SCENARIOS])
def test_wrong_solution(scenario: dict[str, Any], manifests: dict[str, str]) -> None:
    steps = [_action(a) for a in scenario["actions"]]
    lesson = _lesson(manifests, [a for a, _ in steps])
    cluster = open_cluster(lesson)
    try:
        runner = ActionRunner(cluster, lesson, ClusterState(cluster.namespace))
        for action, may_fail in steps:
            outcome = runner.run(action)
            assert outcome.ok or may_fail, f"{action.label()}: {outcome.message}"
        kind, params = parse_check(scenario["check"])
        result = evaluate(kind, params, GradingContext(runner.state, cluster.namespace))
    finally:
        cluster.close()
    if "passes-with" in scenario:
        assert result.passed, result.detail
        assert _words(scenario["passes-with"]) in result.detail
        return
    assert not result.passed, f"a wrong solution passed: {result.detail}"
    if "fails-with-pattern" in scenario:
        assert re.search(_words(scenario["fails-with-pattern"]), result.detail), result.detail
    else:
        assert _words(scenario["fails-with"]) in result.detail
    assert result.hint


def _words(text: str) -> str:
    """YAML folds long expected details over lines; compare them as single spaced."""
    return " ".join(text.split())


def test_every_check_kind_has_a_wrong_solution() -> None:
    wrong = {parse_check(s["check"])[0] for _, s, _ in SCENARIOS if "passes-with" not in s}
    assert wrong == set(CHECKS)
