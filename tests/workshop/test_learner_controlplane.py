"""The learner's side on the real control plane, headless: `k8slab check --kube` with a
workshop kubeconfig reads and saves the learner's progress in their namespace, and the lab
namespace follows the kubeconfig context only for a workshop learner."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from k8slab.cli import main
from k8slab.cluster.factory import open_cluster
from k8slab.lessons import load_lesson
from k8slab.progress import Progress, ProgressStore
from k8slab.workshop.progress_store import save_progress
from tests.controlplane.plane import ControlPlane
from tests.workshop.lessons import mini_lesson
from tests.workshop.provisioned import Provisioned, provisioned

pytestmark = pytest.mark.controlplane

QUIZ_ITEM = "explain-controllers"  # Day 10's quiz-only item: five questions


@pytest.fixture(scope="module")
def workshop(controlplane: ControlPlane,
             tmp_path_factory: pytest.TempPathFactory) -> Iterator[Provisioned]:
    with provisioned(controlplane, tmp_path_factory.mktemp("kubeconfigs"),
                     ["ben", "dana"]) as ws:
        yield ws


def right_answers() -> dict[str, int]:
    return {q.id: q.answer for q in load_lesson("day10").item(QUIZ_ITEM).quiz}


def check(capsys: pytest.CaptureFixture[str], kubeconfig: str, *extra: str
          ) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["check", "day10", "--kube", "--kubeconfig", kubeconfig, *extra])
    out, err = capsys.readouterr()
    return code, out, err


def test_check_saves_the_learners_answers_for_the_instructor(
        workshop: Provisioned, capsys: pytest.CaptureFixture[str]) -> None:
    own = workshop.ns("ben")
    ProgressStore().save(Progress("day10", "kube", own, step="choosing-a-controller",
                                  answers=right_answers()))
    code, out, err = check(capsys, workshop.kubeconfig("ben"), "--json")
    report = json.loads(out)
    assert report["namespace"] == own, err
    assert report["workshop"] == {"name": workshop.name, "learner": "ben",
                                  "demo_items": ["host-paths"]}
    assert code == 1 and report["ok"] is False  # the cluster work is still to do
    item = next(i for i in report["items"] if i["id"] == QUIZ_ITEM)
    assert item["passed"], item

    record = workshop.record("ben", "day10")
    assert record is not None
    assert record.answers == right_answers()
    assert QUIZ_ITEM in record.passed
    assert record.step == "choosing-a-controller"


def test_check_reads_answers_back_from_the_namespace(
        workshop: Provisioned, capsys: pytest.CaptureFixture[str]) -> None:
    # Answered on another machine: nothing in this machine's progress files.
    own = workshop.ns("dana")
    lesson = load_lesson("day10")
    learner = open_cluster(lesson, kube=True, kubeconfig=workshop.kubeconfig("dana"))
    try:
        save_progress(learner, own, "day10",
                      Progress("day10", "kube", own, step="mysql", answers=right_answers()))
    finally:
        learner.close()
    assert not ProgressStore().load("day10", "kube", own).resumed

    code, out, err = check(capsys, workshop.kubeconfig("dana"))
    assert code == 1, err
    lines = out.splitlines()
    assert f"namespace {own} · workshop {workshop.name}" in lines[0]
    title = lesson.item(QUIZ_ITEM).title
    assert any(line.startswith(" ✓ ") and title in line for line in lines), out
    demo = lesson.item("host-paths").title
    assert any(line.startswith(" ◌ ") and demo in line and "(instructor demo)" in line
               for line in lines), out
    assert "1 shown by the instructor" in out
    record = workshop.record("dana", "day10")
    assert record is not None and record.answers == right_answers()
    assert record.step == "mysql"  # what the learner's lab last said, kept


QUIZLAB = """\
id: quizlab
title: A quiz only
summary: One question, nothing to apply.
parts:
  - id: only
    title: Only part
    steps:
      - id: think
        title: Think
        text: Which controller runs one pod per node?
checklist:
  - id: explain
    title: Explain when to use a DaemonSet
    step: think
    quiz:
      - id: q-daemonset
        prompt: You need a log agent on every node. Which controller?
        choices: [Deployment, DaemonSet, StatefulSet]
        answer: DaemonSet
"""


def test_check_solve_does_not_report_the_reference_answers(
        workshop: Provisioned, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    # --solve answers every question itself: those are not the learner's answers.
    folder = tmp_path / "quizlab"
    folder.mkdir()
    (folder / "lesson.yaml").write_text(QUIZLAB, encoding="utf-8")
    capsys.readouterr()
    code = main(["check", str(folder), "--kube", "--kubeconfig",
                 workshop.kubeconfig("dana"), "--solve", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    report = json.loads(out)
    assert report["workshop"]["learner"] == "dana"
    assert workshop.record("dana", "quizlab") is None
    assert workshop.record("dana", "day10") is not None  # another lesson's record, untouched


# -- the lab namespace --------------------------------------------------------------------

def test_a_workshop_kubeconfig_puts_the_lab_in_the_learners_namespace(
        workshop: Provisioned) -> None:
    cluster = open_cluster(load_lesson("day10"), kube=True,
                           kubeconfig=workshop.kubeconfig("dana"))
    try:
        assert cluster.namespace == workshop.ns("dana")
        assert cluster.namespace_created is False
    finally:
        cluster.close()


def test_an_ordinary_context_namespace_keeps_the_lab_namespace(
        controlplane: ControlPlane, tmp_path: Path) -> None:
    path = tmp_path / "admin-in-default.kubeconfig"
    controlplane.write_kubeconfig(path, "admin", controlplane.admin_token, namespace="default")
    lesson = mini_lesson()
    cluster: Any = open_cluster(lesson, kube=True, kubeconfig=str(path))
    try:
        assert cluster.connection.namespace == "default"
        assert cluster.namespace == lesson.default_namespace() == "k8slab-mini"
        assert cluster.namespace_created
    finally:
        cluster.close()
        controlplane.request("DELETE", "/api/v1/namespaces/k8slab-mini")
