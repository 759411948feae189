"""The loader's public API: resolving lessons, rendering text, and the documented example."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from k8slab.errors import LessonError
from k8slab.lessons import discover, load_lesson, render_text, resolve, validate_paths
from k8slab.lessons.text import unknown_placeholders
from k8slab.paths import lessons_root

DOCS = Path(__file__).resolve().parents[2] / "docs" / "lesson-format.md"
CORPUS = Path(__file__).parent / "corpus"


def test_render_text_fills_in_the_namespace() -> None:
    text = "nslookup web-0.web.{{namespace}}.svc.{{ cluster_domain }}"
    assert render_text(text, namespace="k8slab-day10") == \
        "nslookup web-0.web.k8slab-day10.svc.cluster.local"
    assert render_text("{{namespace}}", namespace="alice", cluster_domain="corp") == "alice"


def test_unknown_placeholders_are_found() -> None:
    assert [m for _, m in unknown_placeholders("{{namespace}} {{ns}} {{}}")] == [
        "unknown placeholder {{ns}} (known: {{namespace}}, {{cluster_domain}})",
        "unknown placeholder {{}} (known: {{namespace}}, {{cluster_domain}})",
    ]


def test_an_id_resolves_under_the_lessons_root() -> None:
    assert resolve("day10") == lessons_root() / "day10" / "lesson.yaml"
    assert resolve(CORPUS / "valid") == CORPUS / "valid" / "lesson.yaml"
    assert [p.parent.name for p in discover()] == ["day10", "day11"]


def test_an_unknown_lesson_is_a_lesson_error() -> None:
    with pytest.raises(LessonError) as info:
        load_lesson("day99")
    assert info.value.problems[0].message == "no such lesson file"
    assert "day10" in (info.value.hint or "")


def test_validate_paths_collects_problems_from_every_lesson() -> None:
    problems = validate_paths([CORPUS / "unknown-key", CORPUS / "valid", CORPUS / "missing-step"])
    assert {Path(p.location.path).parent.name for p in problems} == {"unknown-key",
                                                                    "missing-step"}


def test_a_folder_of_lessons_is_expanded() -> None:
    problems = validate_paths([CORPUS])
    cases = {Path(p.location.path).parts[-2] for p in problems} | {
        Path(p.location.path).parts[-3] for p in problems}
    assert "valid" not in cases
    assert "unknown-kind" in cases


def test_the_documented_example_loads(tmp_path: Path) -> None:
    """docs/lesson-format.md's worked example is a valid lesson."""
    text = DOCS.read_text(encoding="utf-8")
    blocks = re.findall(r"````yaml\n(# lessons/agents/(\S+)\n.*?)````", text, re.S)
    assert [name for _, name in blocks] == ["lesson.yaml", "manifests/agent.yaml"]
    for body, name in blocks:
        target = tmp_path / "agents" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(body, encoding="utf-8")
    lesson = load_lesson(tmp_path / "agents")
    assert lesson.id == "agents"
    step = lesson.step("first-agent")
    assert [a.kind for a in step.actions] == ["apply", "delete-pod", "label-node"]
    assert step.cluster_admin  # label-node edits a node
    assert lesson.item("create-agent").quiz[0].answer == 0
    assert lesson.sim[0].ready_after == 3


def test_loaded_values_are_plain_python() -> None:
    """Nothing of ruamel leaks into the model: parameters are plain dicts, lists and str."""
    lesson = load_lesson(CORPUS / "valid")
    action = lesson.step("agent").actions[1]
    assert type(action.params) is dict and type(action.params["labels"]) is dict
    obj = lesson.manifests["web.yaml"].objects[1]
    assert type(obj) is dict and type(obj["spec"]["template"]["spec"]["containers"]) is list
    assert type(lesson.step("web").text) is str


def test_placeholders_in_action_parameters_are_checked(tmp_path: Path) -> None:
    folder = tmp_path / "lesson"
    shutil.copytree(CORPUS / "valid", folder)
    path = folder / "lesson.yaml"
    text = path.read_text(encoding="utf-8").replace(
        "          - delete-pod: {name: web-1}\n",
        "          - delete-pod: {name: web-1}\n"
        "          - exec: {pod: web-0, command: [nslookup, \"web-1.web.{{nmespace}}.svc\"]}\n")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(LessonError) as info:
        load_lesson(folder)
    [problem] = info.value.problems
    assert problem.location.line == 15
    assert problem.message.startswith("action exec: unknown placeholder {{nmespace}}")


def test_an_api_version_that_is_not_a_name_is_a_problem(tmp_path: Path) -> None:
    """Found by fuzzing: apiVersion text must never reach the schema lookup as a path."""
    folder = tmp_path / "lesson"
    shutil.copytree(CORPUS / "valid", folder)
    path = folder / "manifests" / "agent.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "apiVersion: apps/v1", "apiVersion: ../../apps/v1"), encoding="utf-8")
    with pytest.raises(LessonError) as info:
        load_lesson(folder)
    assert any(p.location.line == 2 and "has no kind 'DaemonSet' in apiVersion '../../apps/v1'"
               in p.message for p in info.value.problems)


@pytest.mark.parametrize("action, message", [
    ("{scheduled-times: 2}", "scheduled-times needs cronjob: whose schedule to follow"),
    ("{scheduled-times: 0, cronjob: nightly}", "scheduled-times must be positive"),
    ("{seconds: 60, scheduled-times: 1, cronjob: nightly}",
     "give one of seconds, to-next-cron: true or scheduled-times (with cronjob)"),
    ("{seconds: 60, cronjob: nightly}",
     "cronjob goes with to-next-cron: true or scheduled-times"),
    ("{scheduled-times: 1, cronjob: weekly}", "weekly"),
])
def test_advance_clock_forms_are_checked(tmp_path: Path, action: str, message: str) -> None:
    folder = tmp_path / "lesson"
    shutil.copytree(CORPUS / "valid", folder)
    path = folder / "lesson.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "          - delete-pod: {name: web-1}\n",
        f"          - delete-pod: {{name: web-1}}\n          - advance-clock: {action}\n"),
        encoding="utf-8")
    with pytest.raises(LessonError) as info:
        load_lesson(folder)
    [problem] = info.value.problems
    assert problem.location.line in (15, 16)
    assert problem.message.startswith("advance-clock: ") and message in problem.message
