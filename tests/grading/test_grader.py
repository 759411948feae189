"""The grader: items from checks and quiz answers, details and hints, incremental re-grading,
and the JSON and JUnit renderings."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from k8slab.grading import grader as grader_module
from k8slab.grading.export import report_json, report_junit
from k8slab.grading.grader import Grader, grade
from k8slab.lessons.model import Check, ChecklistItem, Lesson, Question
from tests.grading.builders import Lab, nodes3, service, statefulset, sts_pods

QUESTION = Question("when-sts", "When do you choose a StatefulSet?",
                    ("stateless web apps", "databases needing stable identity"), 1,
                    "Stable names and storage are what a StatefulSet adds.")
ITEMS = (
    ChecklistItem("headless", "Create StatefulSets with headless services",
                  checks=(Check("headless-service", {"statefulset": "web"}),
                          Check("statefulset-ready", {"statefulset": "web"})),
                  hint="Apply simple-statefulset.yaml."),
    ChecklistItem("explain", "Explain when to use a StatefulSet", quiz=(QUESTION,)),
    ChecklistItem("both", "Scale and explain",
                  checks=(Check("statefulset-ready", {"statefulset": "web"}),),
                  quiz=(QUESTION,)),
)
LESSON = Lesson("t", "test lesson", "", Path("lesson.yaml"), (), ITEMS, {})


def _web(lab: Lab) -> None:
    nodes3(lab)
    lab.put(service("web", {"app": "web"}))
    lab.put(statefulset("web"))
    sts_pods(lab, "web", range(3))


def test_nothing_passes_on_an_empty_cluster_without_answers() -> None:
    report = grade(LESSON, Lab().state)
    assert [i.passed for i in report.items] == [False, False, False]
    headless = report.item("headless")
    assert headless.detail == "statefulset/web does not exist in namespace lab"
    assert headless.hint == "apply the manifest that creates statefulset/web"
    assert report.item("explain").detail == "not answered yet"
    assert report.item("explain").hint == "answer the quiz in the lab (k8slab run)"


def test_an_item_passes_when_every_check_passes() -> None:
    lab = Lab()
    _web(lab)
    report = grade(LESSON, lab.state)
    item = report.item("headless")
    assert item.passed and item.auto and item.hint == ""
    assert item.detail.startswith("headless service web (clusterIP: None)")
    assert "3/3 replicas of web are Ready" in item.detail
    assert [c.passed for c in item.checks] == [True, True]


def test_quiz_items_are_graded_from_answers() -> None:
    state = Lab().state
    wrong = grade(LESSON, state, {"when-sts": 0}).item("explain")
    assert not wrong.passed
    assert wrong.detail == 'the answer "stateless web apps" is not right'
    assert wrong.hint == QUESTION.explanation
    right = grade(LESSON, state, {"when-sts": 1}).item("explain")
    assert right.passed and right.detail == "answered the question correctly"


def test_an_item_with_checks_and_a_quiz_needs_both() -> None:
    lab = Lab()
    _web(lab)
    assert not grade(LESSON, lab.state).item("both").passed
    assert grade(LESSON, lab.state, {"when-sts": 1}).item("both").passed
    empty = grade(LESSON, Lab().state, {"when-sts": 1}).item("both")
    assert not empty.passed and "does not exist" in empty.detail


def test_grading_is_cached_until_something_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real = grader_module.grade_item

    def counting(item: ChecklistItem, ctx: object) -> object:
        calls.append(item.id)
        return real(item, ctx)  # type: ignore[arg-type]

    monkeypatch.setattr(grader_module, "grade_item", counting)
    lab = Lab()
    g = Grader(LESSON, "sim", "lab")
    first = g.grade(lab.state)
    assert g.grade(lab.state) is first
    assert len(calls) == 3
    g.grade(lab.state, {"when-sts": 1})  # new answers
    assert len(calls) == 6
    _web(lab)  # new events
    assert g.grade(lab.state, {"when-sts": 1}).item("headless").passed
    assert len(calls) == 9


def test_json_report() -> None:
    lab = Lab()
    _web(lab)
    data = report_json(grade(LESSON, lab.state, {"when-sts": 1}, namespace="lab"))
    assert data["lesson"] == "t" and data["backend"] == "sim"
    assert data["passed"] == 3 and data["total"] == 3 and data["ok"] is True
    item = data["items"][0]
    assert item["id"] == "headless" and item["passed"] is True
    assert item["graded_by"] == "checks"
    assert [c["kind"] for c in item["checks"]] == ["headless-service", "statefulset-ready"]
    assert data["items"][1]["graded_by"] == "quiz"


def test_junit_report_marks_failed_items() -> None:
    xml = report_junit(grade(LESSON, Lab().state, {"when-sts": 1}), seconds=1.5)
    root = ET.fromstring(xml.split("\n", 1)[1])
    suite = root.find("testsuite")
    assert suite is not None and suite.get("tests") == "3" and suite.get("failures") == "2"
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    failed = cases["headless: Create StatefulSets with headless services"].find("failure")
    assert failed is not None
    assert failed.get("message") == "statefulset/web does not exist in namespace lab"
    assert "hint: apply the manifest" in (failed.text or "")
    assert cases["explain: Explain when to use a StatefulSet"].find("failure") is None


def test_junit_reports_an_unpassed_instructor_demo_as_skipped_not_failed() -> None:
    report = grade(LESSON, Lab().state, {"when-sts": 1})
    xml = report_junit(report, demo=frozenset({"headless"}))
    suite = ET.fromstring(xml.split("\n", 1)[1]).find("testsuite")
    assert suite is not None
    assert (suite.get("failures"), suite.get("skipped")) == ("1", "1")
    cases = {c.get("name", "").split(":")[0]: c for c in suite.findall("testcase")}
    skipped = cases["headless"].find("skipped")
    assert skipped is not None and cases["headless"].find("failure") is None
    assert skipped.get("message", "").startswith("an instructor's demonstration")
    assert cases["both"].find("failure") is not None  # not a demo: still the learner's
