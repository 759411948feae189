"""Grading a learner's namespace with the instructor's view, and what is trusted from where."""

from __future__ import annotations

import dataclasses
import json

from k8slab.lessons.model import Check, ChecklistItem, Lesson, Part, Step
from k8slab.state.history import Transition
from k8slab.workshop.status import LearnerStatus, WorkshopStatus, grade_learner, state_from_objects
from tests.workshop.lessons import mini_lesson, statefulset_lesson
from tests.workshop.objects import (
    NOW,
    namespace,
    pod,
    progress,
    service,
    statefulset,
    warning,
    web_ready,
)

NS = "ws-ana"


def grade(objects: list[dict], lesson: Lesson | None = None, demo: set[str] | None = None,
          ) -> LearnerStatus:
    lesson = lesson or statefulset_lesson()
    state = state_from_objects(NS, [namespace(NS, NOW - 3600), *objects], NOW)
    return grade_learner(lesson, "ana", NS, state, demo=demo or set(), now=NOW)


def test_state_based_items_are_verified_on_the_cluster() -> None:
    row = grade(web_ready(NS))
    assert row.items["sts-created"].state == "passed"
    assert row.items["sts-created"].source == "cluster"
    assert row.items["sts-ready"].state == "passed"
    assert row.items["quiz"].state == "todo"
    assert (row.passed, row.earnable) == (2, 3)


def test_quiz_answers_come_from_the_learner() -> None:
    row = grade([*web_ready(NS), progress(NS, "day10", {"answers": {"identity": 1}})])
    assert row.items["quiz"].state == "passed"
    assert row.items["quiz"].source == "learner"
    wrong = grade([progress(NS, "day10", {"answers": {"identity": 0}})])
    assert wrong.items["quiz"].state == "progress"


def test_a_learner_cannot_claim_cluster_state() -> None:
    # A forged record saying every item passed does not make state-based items verified.
    forged = progress(NS, "day10", {"passed": {"sts-ready": 1.0, "sts-created": 1.0}})
    row = grade([forged])
    assert row.items["sts-ready"].state == "passed"
    assert row.items["sts-ready"].source == "learner"
    assert all(s.source != "cluster" for s in row.items.values())


def test_reported_history_is_regraded_against_the_real_state() -> None:
    lesson = statefulset_lesson()
    history = [Transition(NOW - 100, "Pod", NS, "web-0", "u", "created", {})]
    row = grade([*web_ready(NS), progress(NS, "day10", {}, history)], lesson)
    assert row.items["sts-ready"].source == "cluster"  # the history was not needed
    assert row.reported_at == NOW - 60


def test_failing_with_a_warning_event_and_stuck() -> None:
    objects = [statefulset(NS, ready=2), service(NS), pod(NS, "web-0"), pod(NS, "web-1"),
               pod(NS, "web-2", ready=False),
               warning(NS, "web-2", "FailedScheduling", "0/3 nodes are available: "
                                                        "3 Insufficient cpu.", NOW - 30)]
    row = grade(objects)
    assert row.items["sts-created"].state == "passed"
    assert row.items["sts-ready"].state == "failing"
    assert "FailedScheduling" in row.items["sts-ready"].detail
    assert row.stuck.startswith("Every replica Ready: FailedScheduling")


def test_in_progress_without_warnings() -> None:
    objects = [statefulset(NS, ready=1), service(NS), pod(NS, "web-0"),
               pod(NS, "web-1", ready=False)]
    row = grade(objects)
    assert row.items["sts-ready"].state == "progress"
    assert row.stuck == ""


def test_old_warnings_do_not_count() -> None:
    objects = [statefulset(NS, ready=2, created=NOW - 7200), service(NS),
               pod(NS, "web-0"), pod(NS, "web-1"), pod(NS, "web-2", ready=False),
               warning(NS, "web-2", "FailedScheduling", "0/3 nodes", NOW - 3000)]
    assert grade(objects).items["sts-ready"].state == "progress"


def test_stuck_after_a_quiet_spell() -> None:
    quiet = grade([statefulset(NS, ready=0, created=NOW - 1500), service(NS, created=NOW - 1600)])
    assert quiet.stuck == "nothing new for 25m"
    busy = grade([statefulset(NS, ready=0, created=NOW - 120), service(NS)])
    assert busy.stuck == ""


def test_demo_items_are_not_counted() -> None:
    row = grade([], mini_lesson(), demo={"fluentd"})
    assert row.items["fluentd"].state == "demo"
    assert row.earnable == len(mini_lesson().checklist) - 1


def test_json_has_totals_and_every_cell() -> None:
    lesson = statefulset_lesson()
    ana = grade(web_ready(NS))
    status = WorkshopStatus("ws", "day10", tuple((i.id, i.title) for i in lesson.checklist),
                            (ana,), NOW)
    data = json.loads(json.dumps(status.to_json()))
    assert [i["passed"] for i in data["items"]] == [1, 1, 0]
    cell = data["learners"][0]["items"]["sts-ready"]
    assert cell == {"state": "passed", "source": "cluster",
                    "detail": "3/3 replicas of web are Ready (web-0, web-1 and web-2)"}


def test_history_only_the_learner_saw_counts_as_learner_reported() -> None:
    # A pod deleted and replaced on its node: only a watch sees that. The instructor's listing
    # cannot, so the item passes on the learner's reported history and is marked as such.
    lesson = mini_lesson()
    item = ChecklistItem("replaced", "A DaemonSet pod comes back", "gpu",
                         checks=(Check("daemonset-pod-replaced", {"daemonset": "agent"}),))
    lesson = dataclasses.replace(lesson, checklist=(item,))
    ds = {"apiVersion": "apps/v1", "kind": "DaemonSet",
          "metadata": {"name": "agent", "namespace": NS, "uid": "ds", "resourceVersion": "1"},
          "spec": {"selector": {"matchLabels": {"app": "agent"}}}}
    detail = {"owner": "DaemonSet/agent", "node": "worker-1"}
    history = [Transition(NOW - 50, "Pod", NS, "agent-a", "a", what, detail)
               for what in ("created", "scheduled", "running", "ready", "deleted")]
    history += [Transition(NOW - 40, "Pod", NS, "agent-b", "b", what, detail)
                for what in ("created", "scheduled", "running", "ready")]
    without = grade([ds], lesson)
    assert without.items["replaced"].state != "passed"
    reported = grade([ds, progress(NS, "mini", {}, history)], lesson)
    assert reported.items["replaced"].state == "passed"
    assert reported.items["replaced"].source == "learner"


def test_items_of_later_steps_wait_for_the_learner() -> None:
    # `web` exists and is broken, but the learner's k8slab says they are still on an earlier
    # step than the item's: it is not theirs to fix yet.
    lesson = statefulset_lesson()
    later = ChecklistItem("later", "Scale web", "scale",
                          checks=(Check("statefulset-ready", {"statefulset": "web",
                                                              "replicas": 5}),))
    parts = (*lesson.parts, Part("more", "More", (Step("scale", "Scale", ""),)))
    lesson = dataclasses.replace(lesson, parts=parts, checklist=(*lesson.checklist, later))
    broken = [statefulset(NS, ready=0), service(NS), pod(NS, "web-0", ready=False),
              warning(NS, "web-0", "FailedScheduling", "0/3 nodes", NOW - 10)]
    early = grade([*broken, progress(NS, "day10", {"step": "simple-sts"})], lesson)
    assert early.items["sts-ready"].state == "failing"
    assert early.items["later"].state == "todo"
    there = grade([*broken, progress(NS, "day10", {"step": "scale"})], lesson)
    assert there.items["later"].state == "failing"


def test_objects_made_by_controllers_are_not_learner_activity() -> None:
    idle = grade([statefulset(NS, ready=3, created=NOW - 1500), service(NS, created=NOW - 1500),
                  pod(NS, "web-0", created=NOW - 30)])
    assert idle.last_activity == NOW - 1500
