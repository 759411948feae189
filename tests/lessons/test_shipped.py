"""The shipped lessons load, follow the lab namespace, flag risky steps, and have solutions."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from k8slab.lessons import discover, load_lesson, validate_paths
from k8slab.lessons.model import Lesson

HISTORY_EVIDENCE = {
    # check kind -> the action that must come before a wait for it in the solution
    "ordered-scaling": "scale",
    "stable-identity": "delete-pod",
    "data-persists": "delete-pod",
    "daemonset-follows-labels": "unlabel-node",
    "partitioned-update": "set-image",
    "daemonset-pod-replaced": "delete-pod",
    "cronjob-suspend-resume": "resume-cronjob",
    "cronjob-manual-trigger": "trigger-cronjob",
}


@pytest.fixture(scope="module")
def lessons() -> list[Lesson]:
    return [load_lesson(path) for path in discover()]


def _texts(lesson: Lesson) -> list[str]:
    out = [lesson.summary]
    for step in lesson.steps:
        out += [step.text, *step.hints]
    for item in lesson.checklist:
        out.append(item.hint)
        for q in item.quiz:
            out += [q.prompt, *q.choices, q.explanation]
    return out


def test_the_shipped_lessons_are_day10_and_day11(lessons: list[Lesson]) -> None:
    assert [lesson.id for lesson in lessons] == ["day10", "day11"]
    assert validate_paths([]) == []


def test_text_follows_the_lab_namespace(lessons: list[Lesson]) -> None:
    for lesson in lessons:
        for text in _texts(lesson):
            assert not re.search(r"\.default\.svc|-n default\b|namespace[= ]default\b", text)
            # <pod>.<service>.<namespace>.svc: the namespace part is the placeholder (or the
            # word "namespace" where the text explains the pattern).
            for m in re.finditer(r"[\w-]+\.[\w-]+\.([\w{}-]+)\.svc\b", text):
                assert m.group(1) in ("{{namespace}}", "namespace"), m.group(0)
    day10 = next(lesson for lesson in lessons if lesson.id == "day10")
    assert "web-0.web.{{namespace}}.svc.{{cluster_domain}}" in day10.step("statefulset-dns").text


def test_manifest_risks_are_computed() -> None:
    day10 = load_lesson("day10")
    assert day10.manifests["log-collector-daemonset.yaml"].risks == ("kube-system", "hostPath")
    assert set(day10.manifests["node-monitor.yaml"].risks) == {
        "hostNetwork", "hostPID", "hostPath", "privileged"}
    assert day10.manifests["elasticsearch-statefulset.yaml"].risks == ("privileged",)
    assert day10.manifests["simple-statefulset.yaml"].risks == ()


def test_cluster_admin_steps_are_flagged() -> None:
    day10 = load_lesson("day10")
    flagged = {s.id for s in day10.steps if s.cluster_admin}
    assert {"log-collector", "node-selector", "node-monitor", "gpu-monitor",
            "homework-fluentd", "scenario-node-addition"} <= flagged
    assert not {"daemonset-basics", "statefulset-basics", "statefulset-persistence",
                "homework-redis"} & flagged
    assert not any(s.cluster_admin for s in load_lesson("day11").steps)


def test_every_step_with_actions_has_a_solution(lessons: list[Lesson]) -> None:
    for lesson in lessons:
        for step in lesson.steps:
            if step.actions:
                assert step.solution, step.id


def test_solutions_produce_history_before_waiting_for_it(lessons: list[Lesson]) -> None:
    """A history-based check is waited for only after an action that can produce it."""
    for lesson in lessons:
        done: set[str] = set()
        for step in lesson.steps:
            for action in step.solution:
                if action.kind == "wait":
                    needed = HISTORY_EVIDENCE.get(action.params["for"]["kind"])
                    assert needed is None or needed in done, (step.id, action.params)
                done.add(action.kind)


def test_every_checklist_check_is_waited_for_by_some_solution(lessons: list[Lesson]) -> None:
    for lesson in lessons:
        waited = [a.params["for"] for s in lesson.steps for a in s.solution if a.kind == "wait"]
        for item in lesson.checklist:
            for check in item.checks:
                same = [w for w in waited if w["kind"] == check.kind and all(
                    w.get(k) == v for k, v in check.params.items()
                    if k not in ("min-jobs", "apps", "replicas", "image"))]
                assert same, f"{lesson.id} {item.id}: nothing waits for {check.kind}"


def test_every_checklist_check_fails_on_an_empty_cluster(lessons: list[Lesson]) -> None:
    """No check is trivially true: on a cluster where nothing was done, all fail."""
    from k8slab.grading.checks import evaluate
    from k8slab.grading.context import GradingContext
    from k8slab.state.mirror import ClusterState

    for lesson in lessons:
        ctx = GradingContext(ClusterState(lesson.default_namespace()),
                             lesson.default_namespace())
        for item in lesson.checklist:
            for check in item.checks:
                assert not evaluate(check.kind, check.params, ctx).passed, (item.id, check)


def test_manifests_have_a_provenance_header(lessons: list[Lesson]) -> None:
    for lesson in lessons:
        for manifest in lesson.manifests.values():
            first, second = manifest.text.splitlines()[:2]
            assert first == f"# {manifest.name}"
            assert second.startswith(("# From ", "# Written for the lab"))


def test_lesson_files_are_clean_utf8() -> None:
    for path in Path(discover()[0]).parents[1].rglob("*.yaml"):
        path.read_bytes().decode("utf-8")
