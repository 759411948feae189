"""What apply sends: labelled objects, placed in the lab namespace deliberately."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from k8slab.cluster.kube.apply import prepare
from k8slab.cluster.kube.labels import (
    LAB_NAMESPACE,
    is_lab_object,
    lab_selector,
)
from k8slab.cluster.objects import parse_label_selector, selector_matches
from k8slab.errors import CrossNamespace, Invalid

LAB = "k8slab-day10"


def ds(namespace: str | None = None, **meta: Any) -> dict[str, Any]:
    m: dict[str, Any] = {"name": "fluentd", **meta}
    if namespace:
        m["namespace"] = namespace
    return {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": m,
            "spec": {"template": {"metadata": {"labels": {"app": "fluentd"}}}}}


def test_every_object_gets_the_lab_labels_but_templates_stay_as_written() -> None:
    original = ds(labels={"app": "fluentd"})
    (item,) = prepare([original], lab_namespace=LAB, lesson_id="day10")
    assert item.body["metadata"]["labels"] == {
        "app": "fluentd", "app.kubernetes.io/managed-by": "k8slab", "k8slab.io/lesson": "day10"}
    assert item.body["spec"]["template"]["metadata"]["labels"] == {"app": "fluentd"}
    assert item.namespace == LAB and item.note == ""
    assert "labels" in original["metadata"] and original == ds(labels={"app": "fluentd"})


def test_lab_selector_selects_exactly_the_lessons_objects() -> None:
    (item,) = prepare([ds()], lab_namespace=LAB, lesson_id="day10")
    labels = item.body["metadata"]["labels"]
    assert selector_matches(parse_label_selector(lab_selector("day10")), labels)
    assert not selector_matches(parse_label_selector(lab_selector("day11")), labels)
    assert is_lab_object(item.body, "day10") and not is_lab_object(ds(), "day10")


def test_another_namespace_is_moved_into_the_lab_by_default_and_says_so() -> None:
    (item,) = prepare([ds("kube-system")], lab_namespace=LAB, lesson_id="day10")
    assert item.namespace == LAB
    assert item.note == "moved from kube-system into the lab namespace"


def test_allow_leaves_it_there_marked_with_the_lab_namespace_for_reset() -> None:
    (item,) = prepare([ds("monitoring")], lab_namespace=LAB, lesson_id="day10",
                      policy="allow")
    assert item.namespace == "monitoring"
    assert item.body["metadata"]["labels"][LAB_NAMESPACE] == LAB
    assert item.note == "applied in monitoring, outside the lab namespace"


def test_ask_applies_nothing_and_lists_every_foreign_object() -> None:
    objs = [ds(LAB), ds("kube-system"), {**ds("monitoring"), "kind": "DaemonSet",
                                         "metadata": {"name": "node-exporter",
                                                      "namespace": "monitoring"}}]
    with pytest.raises(CrossNamespace) as caught:
        prepare(objs, lab_namespace=LAB, lesson_id="day10", policy="ask")
    assert caught.value.objects == [("DaemonSet", "fluentd", "kube-system"),
                                    ("DaemonSet", "node-exporter", "monitoring")]
    assert "daemonset/fluentd (kube-system)" in caught.value.message


def test_cluster_scoped_objects_lose_any_namespace_and_remember_the_lab() -> None:
    sc = {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
          "metadata": {"name": "fast", "namespace": "oops"}, "provisioner": "x"}
    (item,) = prepare([sc], lab_namespace=LAB, lesson_id="day10")
    assert "namespace" not in item.body["metadata"]
    assert item.body["metadata"]["labels"][LAB_NAMESPACE] == LAB


def test_a_namespace_object_is_not_created_when_everything_moves_into_the_lab() -> None:
    ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "monitoring"}}
    (item,) = prepare([ns], lab_namespace=LAB, lesson_id="day10")
    assert item.skip and item.note == f"not created: the lab works in namespace {LAB}"


def test_server_owned_fields_are_dropped() -> None:
    obj = ds(resourceVersion="12", uid="u", managedFields=[{}], creationTimestamp="t")
    obj["status"] = {"numberReady": 3}
    (item,) = prepare([copy.deepcopy(obj)], lab_namespace=LAB, lesson_id="day10")
    assert set(item.body["metadata"]) == {"name", "labels", "namespace"}
    assert "status" not in item.body


@pytest.mark.parametrize(("obj", "missing"), [
    ({"kind": "Pod", "metadata": {"name": "x"}}, "apiVersion"),
    ({"apiVersion": "v1", "kind": "Pod", "metadata": {}}, "metadata.name"),
    ({"apiVersion": "v1", "metadata": {"name": "x"}}, "kind"),
])
def test_incomplete_objects_are_invalid(obj: dict[str, Any], missing: str) -> None:
    with pytest.raises(Invalid) as caught:
        prepare([obj], lab_namespace=LAB, lesson_id="day10")
    assert caught.value.message == f"Object #1 has no {missing}."


def cronjob(schedule: str, namespace: str | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": "system-maintenance", "annotations": {"team": "ops"}}
    if namespace:
        meta["namespace"] = namespace
    return {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": meta,
            "spec": {"schedule": schedule, "timeZone": "Etc/UTC", "jobTemplate": {}}}


def test_fast_cron_runs_cronjobs_every_minute_and_keeps_the_lessons_schedule() -> None:
    original = cronjob("*/5 * * * *")
    (item,) = prepare([original], lab_namespace=LAB, lesson_id="day11", fast_cron=True)
    assert item.body["spec"]["schedule"] == "* * * * *"
    assert item.body["metadata"]["annotations"] == {
        "team": "ops", "k8slab.io/lesson-schedule": "*/5 * * * *"}
    assert item.note == "runs every minute instead of '*/5 * * * *' (--fast-cron)"
    assert original["spec"]["schedule"] == "*/5 * * * *"


def test_fast_cron_is_off_by_default_and_leaves_other_kinds_alone() -> None:
    (plain,) = prepare([cronjob("0 2 * * *")], lab_namespace=LAB, lesson_id="day11")
    assert plain.body["spec"]["schedule"] == "0 2 * * *" and plain.note == ""
    (other,) = prepare([ds()], lab_namespace=LAB, lesson_id="day10", fast_cron=True)
    assert "schedule" not in other.body.get("spec", {}) and other.note == ""


def test_fast_cron_notes_join_the_namespace_move_and_skip_every_minute_schedules() -> None:
    (moved,) = prepare([cronjob("@hourly", namespace="ops")], lab_namespace=LAB,
                       lesson_id="day11", fast_cron=True)
    assert moved.note == ("moved from ops into the lab namespace; runs every minute instead "
                          "of '@hourly' (--fast-cron)")
    (already,) = prepare([cronjob("*  * * * *")], lab_namespace=LAB, lesson_id="day11",
                         fast_cron=True)
    assert already.note == "" and "k8slab.io/lesson-schedule" not in \
        already.body["metadata"]["annotations"]
