"""StatefulSet checks over hand-built histories: each passes on the right history and fails,
with a detail that says why, on a wrong one."""

from __future__ import annotations

from typing import Any

from tests.grading.builders import (
    Lab,
    event,
    nodes3,
    pod,
    pvc,
    service,
    statefulset,
    sts_pods,
)


def _web(lab: Lab, replicas: int = 3, **kw: Any) -> None:
    nodes3(lab)
    lab.put(service("web", {"app": "web"}))
    lab.put(statefulset("web", replicas=replicas, **kw))
    sts_pods(lab, "web", range(replicas))


# -- statefulset-ready ------------------------------------------------------------------------

def test_ready_when_every_ordinal_is_ready() -> None:
    lab = Lab()
    _web(lab)
    result = lab.check("statefulset-ready", statefulset="web")
    assert result.passed
    assert result.detail == "3/3 replicas of web are Ready (web-0, web-1 and web-2)"


def test_ready_names_the_pending_pod_and_its_claims_problem() -> None:
    lab = Lab()
    nodes3(lab)
    lab.put(service("nginx-sts", {"app": "nginx-sts"}))
    lab.put(statefulset("nginx-sts", claims=["www"]))
    sts_pods(lab, "nginx-sts", [0], claims=["www"])
    lab.put(pvc("www-nginx-sts-1", phase="Pending"))
    lab.put(event("PersistentVolumeClaim", "www-nginx-sts-1", "ProvisioningFailed",
                  'storageclass.storage.k8s.io "fast" not found'))
    lab.put(pod("nginx-sts-1", owner=("StatefulSet", "nginx-sts"), phase="Pending",
                ready=False, claims={"www": "www-nginx-sts-1"}))
    result = lab.check("statefulset-ready", statefulset="nginx-sts")
    assert not result.passed
    assert result.detail.startswith("nginx-sts-1 is Pending: claim www-nginx-sts-1 is Pending "
                                    '(storageclass.storage.k8s.io "fast" not found)')


def test_ready_with_more_replicas_asked_than_the_set_has() -> None:
    lab = Lab()
    _web(lab)
    result = lab.check("statefulset-ready", statefulset="web", replicas=5)
    assert not result.passed and result.detail == "web has 3 replicas (want 5)"


# -- headless-service -------------------------------------------------------------------------

def test_headless_service_passes_when_it_governs_the_pods() -> None:
    lab = Lab()
    _web(lab)
    result = lab.check("headless-service", statefulset="web")
    assert result.passed
    assert "headless service web (clusterIP: None)" in result.detail


def test_a_statefulset_without_its_headless_service_fails() -> None:
    lab = Lab()
    nodes3(lab)
    lab.put(statefulset("web"))
    sts_pods(lab, "web", range(3))
    result = lab.check("headless-service", statefulset="web")
    assert not result.passed
    assert result.detail == "service web, named by web's serviceName, does not exist"


def test_a_cluster_ip_service_is_not_headless() -> None:
    lab = Lab()
    lab.put(statefulset("web"))
    lab.put(service("web", {"app": "web"}, headless=False))
    result = lab.check("headless-service", statefulset="web")
    assert not result.passed
    assert "not headless: its clusterIP is 10.96.0.42 (want None)" in result.detail


def test_a_service_selecting_other_labels_fails() -> None:
    lab = Lab()
    lab.put(statefulset("web"))
    lab.put(service("web", {"app": "nginx"}))
    result = lab.check("headless-service", statefulset="web")
    assert not result.passed
    assert result.detail == "service web selects app=nginx, but web's pods carry app=web"


# -- ordered-creation -------------------------------------------------------------------------

def test_ordered_creation_passes_when_each_pod_waits_for_its_predecessor() -> None:
    lab = Lab()
    _web(lab)
    result = lab.check("ordered-creation", statefulset="web")
    assert result.passed
    assert result.detail == "web-0 → web-1 → web-2: each created after its predecessor was Ready"


def test_pods_created_together_fail_ordered_creation() -> None:
    lab = Lab()
    nodes3(lab)
    lab.put(statefulset("web"))
    for i in range(3):  # all at once, as a Parallel policy (or a Deployment-like bug) does
        lab.at(0).put(pod(f"web-{i}", owner=("StatefulSet", "web"), phase="Pending",
                          ready=False))
    for i in range(3):
        lab.at(5 + i).put(pod(f"web-{i}", owner=("StatefulSet", "web"), node_name="worker-1",
                              ready_at=5 + i))
    result = lab.check("ordered-creation", statefulset="web")
    assert not result.passed
    assert result.detail == "web-1 was created before web-0 was Ready"


def test_same_instant_ties_are_settled_by_the_objects_timestamps() -> None:
    # A list of pods that already existed: every transition arrives at the same instant.
    lab = Lab()
    nodes3(lab)
    lab.put(statefulset("web", replicas=2))
    lab.at(100)
    lab.put(pod("web-0", owner=("StatefulSet", "web"), node_name="worker-1", ready_at=60)
            | {"metadata": {"name": "web-0", "creationTimestamp": "2026-01-01T00:00:00Z",
                            "ownerReferences": [{"kind": "StatefulSet", "name": "web",
                                                 "controller": True}]}})
    lab.put(pod("web-1", owner=("StatefulSet", "web"), node_name="worker-1", ready_at=70)
            | {"metadata": {"name": "web-1", "creationTimestamp": "2026-01-01T00:00:30Z",
                            "ownerReferences": [{"kind": "StatefulSet", "name": "web",
                                                 "controller": True}]}})
    result = lab.check("ordered-creation", statefulset="web")
    assert not result.passed, "web-1 (created at 30s) predates web-0 being Ready (60s)"


def test_parallel_policy_fails_ordered_creation() -> None:
    lab = Lab()
    _web(lab, policy="Parallel")
    result = lab.check("ordered-creation", statefulset="web")
    assert not result.passed and "podManagementPolicy Parallel" in result.detail


# -- stable-identity --------------------------------------------------------------------------

def test_a_deleted_pod_that_comes_back_with_a_new_uid_shows_stable_identity() -> None:
    lab = Lab()
    _web(lab)
    assert not lab.check("stable-identity", statefulset="web").passed
    lab.at(40).delete("Pod", "web-1")
    waiting = lab.check("stable-identity", statefulset="web")
    assert not waiting.passed
    assert waiting.detail == "web-1 was deleted and has not come back yet"
    sts_pods(lab.at(41), "web", [1])
    result = lab.check("stable-identity", statefulset="web")
    assert result.passed
    assert result.detail == "web-1 was deleted and came back as web-1 (new UID)"


# -- dns-resolves -----------------------------------------------------------------------------

def test_each_ready_pod_name_resolves_through_the_headless_service() -> None:
    lab = Lab()
    _web(lab)
    result = lab.check("dns-resolves", statefulset="web")
    assert result.passed
    assert "web-0.web.lab.svc.cluster.local" in result.detail


def test_names_do_not_resolve_without_the_headless_service() -> None:
    lab = Lab()
    nodes3(lab)
    lab.put(statefulset("web"))
    sts_pods(lab, "web", range(3))
    result = lab.check("dns-resolves", statefulset="web")
    assert not result.passed
    assert result.detail == ("web-0.web.lab.svc.cluster.local does not resolve: service web, "
                             "named by web's serviceName, does not exist")


# -- ordered-scaling --------------------------------------------------------------------------

def _scale(lab: Lab, replicas: int) -> None:
    lab.edit("StatefulSet", "web", lambda o: o["spec"].update(replicas=replicas))


def test_scale_up_in_order_and_down_highest_first() -> None:
    lab = Lab()
    _web(lab)
    lab.at(20)
    _scale(lab, 5)
    sts_pods(lab, "web", [3, 4])
    assert not lab.check("ordered-scaling", statefulset="web").passed  # not down yet
    lab.at(40)
    _scale(lab, 3)
    lab.at(41).delete("Pod", "web-4")
    lab.at(45).delete("Pod", "web-3")
    result = lab.check("ordered-scaling", statefulset="web")
    assert result.passed
    assert result.detail == ("scale-up 3→5 added web-3 → web-4; "
                             "scale-down 5→3 removed web-4 → web-3")


def test_a_scale_down_that_removes_the_lower_ordinal_first_fails() -> None:
    lab = Lab()
    _web(lab)
    lab.at(20)
    _scale(lab, 5)
    sts_pods(lab, "web", [3, 4])
    lab.at(40)
    _scale(lab, 3)
    lab.at(41).delete("Pod", "web-3")
    lab.at(45).delete("Pod", "web-4")
    result = lab.check("ordered-scaling", statefulset="web")
    assert not result.passed
    assert result.detail == "web-3 was removed before web-4"


# -- partitioned-update and statefulset-rolled-out --------------------------------------------

def _partition(lab: Lab, value: int) -> None:
    lab.edit("StatefulSet", "web", lambda o: o["spec"].update(
        updateStrategy={"type": "RollingUpdate", "rollingUpdate": {"partition": value}}))


def _set_image(lab: Lab, image: str) -> None:
    def change(o: dict[str, Any]) -> None:
        o["spec"]["template"]["spec"]["containers"][0]["image"] = image
        o["metadata"]["generation"] += 1
        o["status"]["observedGeneration"] = o["metadata"]["generation"]
        o["status"]["updateRevision"] = "r2"
        o["status"]["currentRevision"] = "r1"
    lab.edit("StatefulSet", "web", change)


def _replace(lab: Lab, ordinal: int, revision: str, image: str) -> None:
    lab.delete("Pod", f"web-{ordinal}")
    lab.put(pod(f"web-{ordinal}", owner=("StatefulSet", "web"), node_name="worker-1",
                revision=revision, image=image, labels={"app": "web"}, container="nginx"))


def test_a_partitioned_update_touches_only_ordinals_at_or_above_the_partition() -> None:
    lab = Lab()
    _web(lab)
    lab.at(30)
    _partition(lab, 2)
    _set_image(lab, "nginx:1.21")
    assert not lab.check("partitioned-update", statefulset="web", partition=2).passed
    lab.at(35)
    _replace(lab, 2, "r2", "nginx:1.21")
    result = lab.check("partitioned-update", statefulset="web", partition=2)
    assert result.passed
    assert result.detail == ("with partition 2, web-2 got the new revision while web-0 and "
                             "web-1 kept the old one")
    rolled = lab.check("statefulset-rolled-out", statefulset="web")
    assert not rolled.passed
    assert rolled.detail == "web-0 and web-1 still run the old revision (the partition is 2)"


def test_an_update_that_also_replaced_a_lower_ordinal_fails() -> None:
    lab = Lab()
    _web(lab)
    lab.at(30)
    _partition(lab, 2)
    _set_image(lab, "nginx:1.21")
    lab.at(35)
    _replace(lab, 2, "r2", "nginx:1.21")
    _replace(lab, 1, "r2", "nginx:1.21")
    result = lab.check("partitioned-update", statefulset="web", partition=2)
    assert not result.passed
    assert result.detail == "web-1 got the new revision while the partition was 2"


def test_rolled_out_once_every_replica_runs_the_update_revision() -> None:
    lab = Lab()
    _web(lab)
    lab.at(30)
    _set_image(lab, "nginx:1.21")
    for i in (2, 1, 0):
        _replace(lab, i, "r2", "nginx:1.21")
    result = lab.check("statefulset-rolled-out", statefulset="web")
    assert result.passed
    assert result.detail == "all 3 replicas of web run the latest revision r2 (nginx:1.21)"
