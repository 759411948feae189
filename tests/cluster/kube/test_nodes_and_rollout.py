"""Node labels the lab adds are recorded and undone; rollout undo picks kubectl's revision."""

from __future__ import annotations

import json
from typing import Any

import pytest

from k8slab.cluster.kube import nodes
from k8slab.cluster.kube.labels import ADDED_LABELS, ADDED_TAINTS
from k8slab.cluster.kube.reset import stamped_by
from k8slab.cluster.kube.rollout import previous_revision, template_matches
from k8slab.errors import ClusterError


def node(labels: dict[str, str], taints: list[dict[str, str]] | None = None,
         notes: dict[str, str] | None = None) -> dict[str, Any]:
    return {"kind": "Node", "metadata": {"name": "worker-1", "resourceVersion": "7",
                                         "labels": labels, "annotations": notes or {}},
            "spec": {"taints": taints or []}}


GPU = {"key": "gpu", "value": "true", "effect": "NoSchedule"}


def test_added_labels_and_taints_are_recorded_for_the_lesson() -> None:
    before = node({"kubernetes.io/hostname": "worker-1"})
    after = node({"kubernetes.io/hostname": "worker-1", "disktype": "ssd"}, [GPU])
    patch = nodes.record_patch(before, after, "day10")
    assert patch == {"metadata": {"annotations": {ADDED_LABELS: '{"disktype":"day10"}',
                                                  ADDED_TAINTS: '{"gpu:NoSchedule":"day10"}'}}}


def test_a_label_that_was_already_there_is_never_recorded() -> None:
    before = node({"disktype": "hdd"})
    assert nodes.record_patch(before, node({"disktype": "ssd"}), "day10") is None


def test_removing_a_recorded_label_forgets_it() -> None:
    notes = {ADDED_LABELS: json.dumps({"disktype": "day10", "zone": "day11"})}
    before = node({"disktype": "ssd", "zone": "a"}, notes=notes)
    after = node({"zone": "a"}, notes=notes)
    patch = nodes.record_patch(before, after, "day10")
    assert patch == {"metadata": {"annotations": {ADDED_LABELS: '{"zone":"day11"}'}}}


def test_undo_removes_only_this_lessons_additions_guarded_by_resource_version() -> None:
    notes = {ADDED_LABELS: json.dumps({"disktype": "day10", "zone": "day11"}),
             ADDED_TAINTS: json.dumps({"gpu:NoSchedule": "day10"})}
    keep = {"key": "dedicated", "value": "x", "effect": "NoExecute"}
    n = node({"disktype": "ssd", "zone": "a", "kubernetes.io/os": "linux"}, [GPU, keep], notes)
    patch = nodes.undo_patch(n, "day10")
    assert patch == {
        "metadata": {"resourceVersion": "7", "labels": {"disktype": None},
                     "annotations": {ADDED_LABELS: '{"zone":"day11"}', ADDED_TAINTS: None}},
        "spec": {"taints": [keep]}}
    assert nodes.undone(n, "day10") == ["label disktype", "taint gpu:NoSchedule"]
    assert nodes.undo_patch(n, "day12") is None


def test_an_unreadable_record_is_treated_as_empty() -> None:
    n = node({"disktype": "ssd"}, notes={ADDED_LABELS: "not json"})
    assert nodes.undo_patch(n, "day10") is None


def revision(n: int, image: str, owner: str = "ds-uid") -> dict[str, Any]:
    return {"kind": "ControllerRevision", "revision": n,
            "metadata": {"name": f"fluentd-{n}",
                         "ownerReferences": [{"uid": owner, "controller": True}]},
            "data": {"spec": {"template": {"$patch": "replace", "spec": {
                "containers": [{"name": "fluentd", "image": image}]}}}}}


DS = {"kind": "DaemonSet", "metadata": {"name": "fluentd", "uid": "ds-uid"},
      "spec": {"template": {"spec": {"containers": [{"name": "fluentd", "image": "v3"}]}}}}


def test_undo_goes_to_the_newest_revision_but_one_among_its_own() -> None:
    revs = [revision(3, "v3"), revision(1, "v1"), revision(2, "v2"), revision(9, "x", "other")]
    target = previous_revision(DS, revs)
    assert target["revision"] == 2
    assert not template_matches(DS, target)
    assert template_matches(DS, revision(3, "v3"))


def test_undo_finds_the_previous_template_when_the_controller_reused_a_number() -> None:
    """A controller whose cache lagged its own write numbers the new revision 1 again."""
    current = revision(1, "v3")
    current["metadata"]["creationTimestamp"] = "2026-01-01T10:00:09Z"
    older = revision(1, "v1")
    older["metadata"]["creationTimestamp"] = "2026-01-01T10:00:01Z"
    assert previous_revision(DS, [current, older])["data"] == older["data"]
    assert previous_revision(DS, [older, current])["data"] == older["data"]


def test_undo_without_history_explains_itself() -> None:
    with pytest.raises(ClusterError) as caught:
        previous_revision(DS, [revision(1, "v1")])
    assert caught.value.message == "daemonset/fluentd has no previous revision to roll back to."


STS = {"kind": "StatefulSet",
       "metadata": {"name": "web", "creationTimestamp": "2026-01-01T10:00:00Z"},
       "spec": {"selector": {"matchLabels": {"app": "nginx"}},
                "volumeClaimTemplates": [{"metadata": {"name": "www"}}]}}


def claim(name: str, labels: dict[str, str], born: str = "2026-01-01T10:00:05Z"
          ) -> dict[str, Any]:
    return {"metadata": {"name": name, "labels": labels, "creationTimestamp": born}}


@pytest.mark.parametrize(("c", "expected"), [
    (claim("www-web-0", {"app": "nginx"}), True),
    (claim("www-web-12", {"app": "nginx"}), True),
    (claim("www-web-x", {"app": "nginx"}), False),  # not an ordinal
    (claim("data-web-0", {"app": "nginx"}), False),  # another template
    (claim("www-web-0", {"app": "other"}), False),  # not the set's selector labels
    (claim("www-web-0", {"app": "nginx"}, "2025-12-31T00:00:00Z"), False),  # older than set
])
def test_reset_recognises_the_claims_a_statefulset_stamped_out(c: dict[str, Any],
                                                               expected: bool) -> None:
    assert stamped_by(c, STS) is expected
