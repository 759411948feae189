"""`k8slab check`: the lessons' reference solutions pass their own checklists on the sim, a
fresh sim passes no auto-graded item, and the JSON, JUnit and exit codes are what CI needs."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from k8slab.cli import main
from k8slab.lessons import load_lesson
from k8slab.progress import Progress, ProgressStore


def check(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any], str]:
    code = main(["check", *args, "--json"])
    out, err = capsys.readouterr()
    return code, json.loads(out), err


@pytest.mark.parametrize("lesson", ["day10", "day11"])
def test_the_reference_solution_passes_every_item(capsys: pytest.CaptureFixture[str],
                                                  lesson: str) -> None:
    code, report, err = check(capsys, lesson, "--solve")
    failed = [f"{i['id']}: {i['detail']}" for i in report["items"] if not i["passed"]]
    assert not failed, err + "\n".join(failed)
    assert code == 0
    assert report["passed"] == report["total"] == len(load_lesson(lesson).checklist)
    assert report["ok"] is True
    assert report["solution"]["failed"] == []


@pytest.mark.parametrize("lesson", ["day10", "day11"])
def test_a_fresh_sim_passes_no_item(capsys: pytest.CaptureFixture[str], lesson: str) -> None:
    code, report, _ = check(capsys, lesson)
    assert code == 1
    auto = [i for i in report["items"] if i["graded_by"] == "checks"]
    assert auto, "the lesson has auto-graded items"
    assert [i["id"] for i in report["items"] if i["passed"]] == []
    assert all(i["detail"] and i["hint"] for i in auto)


def test_the_json_object_has_the_documented_fields(capsys: pytest.CaptureFixture[str]) -> None:
    _, report, _ = check(capsys, "day11")
    assert {"lesson", "backend", "passed", "total", "items"} <= set(report)
    assert report["lesson"] == "day11" and report["backend"] == "sim"
    assert isinstance(report["passed"], int) and report["total"] == len(report["items"])
    for item in report["items"]:
        assert {"id", "title", "passed", "detail"} <= set(item)
        assert isinstance(item["passed"], bool)


def test_quiz_answers_come_from_saved_progress(capsys: pytest.CaptureFixture[str]) -> None:
    lesson = load_lesson("day10")
    quiz_only = next(i for i in lesson.checklist if i.quiz and not i.checks)
    progress = Progress(lesson="day10", backend="sim", namespace="k8slab-day10",
                        answers={q.id: q.answer for q in quiz_only.quiz})
    ProgressStore().save(progress)
    _, report, _ = check(capsys, "day10")
    item = next(i for i in report["items"] if i["id"] == quiz_only.id)
    assert item["passed"], item["detail"]
    assert item["graded_by"] == "quiz"


def test_junit_has_one_testcase_per_item(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "reports" / "day11.xml"
    code = main(["check", "day11", "--junit", str(out)])
    printed = capsys.readouterr().out
    assert code == 1
    assert "✗" in printed and "0/10 passed" in printed
    suite = ET.parse(out).getroot().find("testsuite")
    assert suite is not None
    cases = suite.findall("testcase")
    assert len(cases) == len(load_lesson("day11").checklist) == int(suite.get("tests", 0))
    failures = [c.find("failure") for c in cases]
    assert all(f is not None and f.get("message") for f in failures)
    assert int(suite.get("failures", 0)) == len(cases)


def test_an_unknown_lesson_is_an_error_not_a_failure(capsys: pytest.CaptureFixture[str]
                                                     ) -> None:
    code = main(["check", "day99", "--json"])
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    assert "day99" in err and "Traceback" not in err


def test_an_unwritable_junit_path_is_an_error(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    code = main(["check", "day11", "--junit", str(blocker / "out.xml")])
    err = capsys.readouterr().err
    assert code == 2 and "could not write" in err


@pytest.mark.controlplane
def test_grading_after_the_fact_on_a_real_cluster(controlplane: Any, controlplane_namespace: str,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """Work done before k8slab started watching is graded from the objects themselves."""
    from k8slab.actions import Action
    from k8slab.cluster.factory import open_cluster
    from k8slab.runner import ActionRunner
    from k8slab.state.mirror import ClusterState

    kube = ["--kube", "--kubeconfig", str(controlplane.kubeconfig),
            "--namespace", controlplane_namespace]
    code, fresh, _ = check(capsys, "day10", *kube)
    assert code == 1 and fresh["backend"] == "kube" and fresh["passed"] == 0
    lesson = load_lesson("day10")
    cluster = open_cluster(lesson, kube=True, kubeconfig=str(controlplane.kubeconfig),
                           namespace=controlplane_namespace)
    try:
        runner = ActionRunner(cluster, lesson, ClusterState(cluster.namespace))
        for action in (Action("apply", {"manifest": "simple-statefulset.yaml"}),
                       Action("wait", {"for": {"kind": "statefulset-ready",
                                               "statefulset": "web"}, "timeout": 120})):
            assert runner.run(action).ok
    finally:
        cluster.close()
    _, report, _ = check(capsys, "day10", *kube)
    item = next(i for i in report["items"] if i["id"] == "headless-statefulsets")
    assert [c["passed"] for c in item["checks"]] == [True, True], item
    assert not item["passed"] and item["detail"] == "not answered yet"
