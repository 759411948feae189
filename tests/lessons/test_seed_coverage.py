"""Every exercise of the seed documents is in the lessons, and Day 10's checklist is the seed's.

The seeds are copied under tests/lessons/seeds/; 004 is stored mis-encoded, as received.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from k8slab.lessons import load_lesson
from k8slab.lessons.model import Lesson

SEEDS = Path(__file__).parent / "seeds"

# Every exercise, by the manifest file that carries it: (lesson, file, kind, object name).
EXERCISES = [
    # seed 004, Day 10 Parts 2-3
    ("day10", "simple-daemonset.yaml", "DaemonSet", "node-logger"),
    ("day10", "log-collector-daemonset.yaml", "DaemonSet", "log-collector"),
    ("day10", "selective-daemonset.yaml", "DaemonSet", "gpu-monitor"),
    ("day10", "simple-statefulset.yaml", "StatefulSet", "web"),
    ("day10", "simple-statefulset.yaml", "Service", "web"),
    ("day10", "statefulset-with-storage.yaml", "StatefulSet", "nginx-sts"),
    ("day10", "mysql-statefulset.yaml", "StatefulSet", "mysql"),
    ("day10", "mysql-statefulset.yaml", "ConfigMap", "mysql-config"),
    # seed 004, Day 10 homework exercises 1-5
    ("day10", "node-exporter-daemonset.yaml", "DaemonSet", "node-exporter"),
    ("day10", "postgres-cluster.yaml", "StatefulSet", "postgres"),
    ("day10", "fluentd-daemonset.yaml", "DaemonSet", "fluentd"),
    ("day10", "elasticsearch-statefulset.yaml", "StatefulSet", "elasticsearch"),
    ("day10", "redis-statefulset.yaml", "StatefulSet", "redis"),
    # seed 000, StatefulSet and DaemonSet workshops
    ("day10", "distributed-db.yaml", "StatefulSet", "distributed-db"),
    ("day10", "distributed-db.yaml", "Service", "database-service"),
    ("day10", "versioned-app.yaml", "StatefulSet", "versioned-app"),
    ("day10", "node-monitor.yaml", "DaemonSet", "node-monitor"),
    ("day10", "gpu-monitor.yaml", "DaemonSet", "gpu-monitor"),
    # seed 000, Jobs and CronJobs workshop
    ("day11", "hello-job.yaml", "Job", "hello"),
    ("day11", "data-processor.yaml", "Job", "data-processor"),
    ("day11", "parallel-processor.yaml", "Job", "parallel-processor"),
    ("day11", "queue-processor.yaml", "Job", "queue-processor"),
    ("day11", "resilient-job.yaml", "Job", "resilient-job"),
    ("day11", "system-maintenance.yaml", "CronJob", "system-maintenance"),
    ("day11", "database-backup.yaml", "CronJob", "database-backup"),
    ("day11", "log-rotation.yaml", "CronJob", "log-rotation"),
    # seed 004's Day 11 sneak peek
    ("day11", "day11-preview.yaml", "Job", "data-processor"),
    ("day11", "day11-preview.yaml", "CronJob", "backup"),
]

# seed 000's imperative exercises: (lesson, action kind, a parameter value it must carry).
ACTION_EXERCISES = [
    ("day11", "trigger-cronjob", "manual-maintenance"),   # kubectl create job --from=cronjob
    ("day11", "suspend-cronjob", "system-maintenance"),
    ("day11", "resume-cronjob", "system-maintenance"),
    ("day10", "set-image", "node-logger"),                 # DaemonSet update
    ("day10", "rollout-undo", "node-logger"),
    ("day10", "scale", "distributed-db"),
    ("day10", "patch", "versioned-app"),
    ("day10", "label-node", "worker-1"),
]

# Manifests the lessons changed to run in a lab, and why (the step text says so too).
ADJUSTED = {
    ("DaemonSet", "node-exporter"): "namespace `monitoring` dropped: it does not exist",
}


def seed_004() -> str:
    raw = (SEEDS / "004_8b503ae8231d263d.txt").read_text(encoding="utf-8")
    return raw.encode("mac_roman").decode("utf-8")


def seed_000() -> str:
    return (SEEDS / "000_ecdb454eb11d1ba3.txt").read_text(encoding="utf-8")


def seed_objects() -> list[dict[str, Any]]:
    """Every complete Kubernetes object in the seeds' YAML blocks."""
    out = []
    for text in (seed_004(), seed_000()):
        for block in re.findall(r"```yaml\n(.*?)```", text, re.S):
            for doc in YAML(typ="safe").load_all(block):
                if isinstance(doc, dict) and doc.get("apiVersion") and doc.get("kind") \
                        and isinstance(doc.get("metadata"), dict):
                    out.append(doc)
    return out


@pytest.fixture(scope="module")
def lessons() -> dict[str, Lesson]:
    return {lid: load_lesson(lid) for lid in ("day10", "day11")}


def _used_by(lesson: Lesson, manifest: str) -> list[str]:
    return [s.id for s in lesson.steps if manifest in s.manifests]


@pytest.mark.parametrize(("lesson_id", "file", "kind", "name"), EXERCISES,
                         ids=[f"{e[1]}:{e[3]}" for e in EXERCISES])
def test_every_seed_exercise_is_present_and_used(lessons: dict[str, Lesson], lesson_id: str,
                                                 file: str, kind: str, name: str) -> None:
    lesson = lessons[lesson_id]
    assert file in lesson.manifests, f"{file} is missing from {lesson_id}"
    declared = [(o["kind"], o["metadata"]["name"]) for o in lesson.manifests[file].objects]
    assert (kind, name) in declared
    assert _used_by(lesson, file), f"no step of {lesson_id} uses {file}"


def test_every_exercise_manifest_is_applied_by_an_action(lessons: dict[str, Lesson]) -> None:
    for lesson_id, file, _, _ in EXERCISES:
        if file == "day11-preview.yaml":  # placeholder images: shown, not applied
            continue
        applied = {a.params["manifest"] for s in lessons[lesson_id].steps for a in s.actions
                   if a.kind == "apply"}
        assert file in applied, f"{file}: no button applies it"


@pytest.mark.parametrize(("lesson_id", "kind", "value"), ACTION_EXERCISES)
def test_every_imperative_exercise_is_an_action(lessons: dict[str, Lesson], lesson_id: str,
                                                kind: str, value: str) -> None:
    actions = [a for s in lessons[lesson_id].steps for a in s.actions if a.kind == kind]
    assert any(value in map(str, a.params.values()) for a in actions)


def test_every_named_object_of_the_seeds_is_declared(lessons: dict[str, Lesson]) -> None:
    declared = {(o["kind"], o["metadata"]["name"]) for lesson in lessons.values()
                for m in lesson.manifests.values() for o in m.objects}
    missing = {(o["kind"], o["metadata"]["name"]) for o in seed_objects()} - declared
    assert not missing


def test_exercise_manifests_are_the_seeds_objects(lessons: dict[str, Lesson]) -> None:
    """The lessons keep the seeds' YAML: every exercise object equals a seed object, except
    for the documented adjustments."""
    seeds = seed_objects()
    for lesson_id, file, kind, name in EXERCISES:
        if file == "hello-job.yaml":  # the seed creates it with kubectl create job
            continue
        obj = next(o for o in lessons[lesson_id].manifests[file].objects
                   if o["kind"] == kind and o["metadata"]["name"] == name)
        twins = [s for s in seeds if s["kind"] == kind and s["metadata"]["name"] == name]
        if (kind, name) in ADJUSTED:
            assert twins and all(s != obj for s in twins)
            continue
        assert obj in twins, f"{file}: {kind} {name} differs from the seed"


def test_day10_checklist_is_the_seeds_in_order(lessons: dict[str, Lesson]) -> None:
    section = seed_004().split("## ✅ Day 10 Checklist", 1)[1].split("\n---", 1)[0]
    seed_items = re.findall(r"^- \[ \] (.+)$", section, re.M)
    assert len(seed_items) == 13
    assert [i.title for i in lessons["day10"].checklist] == seed_items


DAY11_TOPICS = {
    "Job completion": ["job-complete"],
    "parallelism and completions": ["job-parallelism"],
    "retries and deadlines": ["job-retries", "job-failed"],
    "TTL clean-up": ["job-ttl-cleanup"],
    "cron syntax": ["cronjob-schedules"],
    "concurrencyPolicy": ["cronjob-concurrency"],
    "history limits": ["cronjob-history-limits"],
    "suspend and resume": ["cronjob-suspend-resume"],
    "the manual trigger": ["cronjob-manual-trigger"],
}


def test_day11_checklist_covers_every_topic(lessons: dict[str, Lesson]) -> None:
    checklist = lessons["day11"].checklist
    assert len(checklist) >= 8
    kinds = {c.kind for item in checklist for c in item.checks}
    for topic, needed in DAY11_TOPICS.items():
        assert set(needed) <= kinds, topic
    cron = lessons["day11"].item("cron-syntax")
    assert len(cron.quiz) >= 3


def test_explain_and_understand_items_have_quizzes(lessons: dict[str, Lesson]) -> None:
    for lesson in lessons.values():
        for item in lesson.checklist:
            if item.title.startswith(("Explain", "Understand")):
                assert item.quiz, item.title


def test_the_decision_tree_and_comparison_table_are_taught(lessons: dict[str, Lesson]) -> None:
    text = lessons["day10"].step("choosing-a-controller").text
    assert "Decision tree" in text and "| Pod names |" in text
    prompts = " ".join(q.prompt for q in lessons["day10"].item("explain-controllers").quiz)
    assert "decision tree" in prompts and "comparison table" in prompts
