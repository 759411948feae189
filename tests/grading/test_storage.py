"""Storage checks: claims per replica, data persistence through exec, retained claims, and a
real database Ready with its storage."""

from __future__ import annotations

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

HTML = "/usr/share/nginx/html"


def _nginx_sts(lab: Lab, replicas: int = 3) -> None:
    nodes3(lab)
    lab.put(service("nginx-sts", {"app": "nginx-sts"}))
    lab.put(statefulset("nginx-sts", replicas=replicas, claims=["www"], mount_path=HTML))
    sts_pods(lab, "nginx-sts", range(replicas), claims=["www"])


# -- pvc-per-replica --------------------------------------------------------------------------

def test_one_bound_claim_per_replica() -> None:
    lab = Lab()
    _nginx_sts(lab)
    result = lab.check("pvc-per-replica", statefulset="nginx-sts")
    assert result.passed
    assert result.detail == ("www-nginx-sts-0, www-nginx-sts-1 and www-nginx-sts-2 are Bound, "
                             "one per replica")


def test_a_claim_for_a_missing_storage_class_fails_with_the_event_message() -> None:
    lab = Lab()
    _nginx_sts(lab, replicas=1)
    lab.edit("StatefulSet", "nginx-sts", lambda o: o["spec"].update(replicas=2))
    lab.put(pvc("www-nginx-sts-1", phase="Pending"))
    lab.put(event("PersistentVolumeClaim", "www-nginx-sts-1", "ProvisioningFailed",
                  'storageclass.storage.k8s.io "fast" not found'))
    result = lab.check("pvc-per-replica", statefulset="nginx-sts")
    assert not result.passed
    assert result.detail == ('claim www-nginx-sts-1 is Pending (storageclass.storage.k8s.io '
                             '"fast" not found)')


def test_a_statefulset_without_claim_templates_has_no_per_replica_storage() -> None:
    lab = Lab()
    nodes3(lab)
    lab.put(statefulset("web"))
    result = lab.check("pvc-per-replica", statefulset="web")
    assert not result.passed and "no volumeClaimTemplates" in result.detail


# -- data-persists ----------------------------------------------------------------------------

def _recreate(lab: Lab, name: str, ordinal: int) -> None:
    lab.delete("Pod", f"{name}-{ordinal}")
    sts_pods(lab, name, [ordinal], claims=["www"])


def test_data_written_on_the_claim_is_read_back_after_the_pod_is_recreated() -> None:
    lab = Lab()
    _nginx_sts(lab)
    lab.at(30).exec("nginx-sts-1", ["sh", "-c", f"echo 'Custom data for pod 1' >> "
                                                f"{HTML}/custom.txt"])
    halfway = lab.check("data-persists", statefulset="nginx-sts")
    assert not halfway.passed and "now delete the pod" in halfway.detail
    _recreate(lab.at(40), "nginx-sts", 1)
    lab.at(50).exec("nginx-sts-1", ["cat", f"{HTML}/custom.txt"], "Custom data for pod 1\n")
    result = lab.check("data-persists", statefulset="nginx-sts", path=f"{HTML}/custom.txt")
    assert result.passed
    assert result.detail == (f"data written to {HTML}/custom.txt in nginx-sts-1 ('Custom data "
                             f"for pod 1') was read back after nginx-sts-1 was re-created with "
                             f"a new UID")


def test_data_written_outside_the_claim_is_lost_with_the_pod() -> None:
    lab = Lab()
    _nginx_sts(lab)
    lab.at(30).exec("nginx-sts-1", ["sh", "-c", "echo 'Custom data' > /tmp/custom.txt"])
    _recreate(lab.at(40), "nginx-sts", 1)
    lab.at(50).exec("nginx-sts-1", ["cat", "/tmp/custom.txt"], "", exit_code=1)
    result = lab.check("data-persists", statefulset="nginx-sts")
    assert not result.passed
    assert result.detail == (f"/tmp/custom.txt is not on a PersistentVolumeClaim (the claim is "
                             f"mounted at {HTML}), so it was lost with the pod")


def test_reading_in_the_same_pod_proves_nothing() -> None:
    lab = Lab()
    _nginx_sts(lab)
    lab.at(30).exec("nginx-sts-0", ["sh", "-c", f"echo hello > {HTML}/x.txt"])
    lab.at(31).exec("nginx-sts-0", ["cat", f"{HTML}/x.txt"], "hello\n")
    assert not lab.check("data-persists", statefulset="nginx-sts").passed


# -- claims-retained --------------------------------------------------------------------------

def test_claims_of_removed_ordinals_are_kept_after_scale_down() -> None:
    lab = Lab()
    _nginx_sts(lab, replicas=5)
    assert not lab.check("claims-retained", statefulset="nginx-sts").passed
    lab.at(60).edit("StatefulSet", "nginx-sts", lambda o: o["spec"].update(replicas=3))
    lab.delete("Pod", "nginx-sts-4")
    lab.delete("Pod", "nginx-sts-3")
    result = lab.check("claims-retained", statefulset="nginx-sts")
    assert result.passed
    assert result.detail == ("www-nginx-sts-3 and www-nginx-sts-4 kept after nginx-sts was "
                             "scaled down to 3")


def test_claims_deleted_by_the_retention_policy_fail() -> None:
    lab = Lab()
    _nginx_sts(lab, replicas=5)
    lab.at(60).edit("StatefulSet", "nginx-sts", lambda o: o["spec"].update(
        replicas=3, persistentVolumeClaimRetentionPolicy={"whenScaled": "Delete"}))
    for i in (4, 3):
        lab.delete("Pod", f"nginx-sts-{i}")
        lab.delete("PersistentVolumeClaim", f"www-nginx-sts-{i}")
    result = lab.check("claims-retained", statefulset="nginx-sts")
    assert not result.passed
    assert "whenScaled is Delete" in result.detail


# -- stateful-app-ready -----------------------------------------------------------------------

def _mysql(lab: Lab, claim_phase: str = "Bound") -> None:
    nodes3(lab)
    lab.put(service("mysql", {"app": "mysql"}))
    lab.put(statefulset("mysql", replicas=1, image="mysql:8.0", claims=["data"],
                        mount_path="/var/lib/mysql"))
    lab.put(pvc("data-mysql-0", phase=claim_phase))
    ready = claim_phase == "Bound"
    lab.put(pod("mysql-0", owner=("StatefulSet", "mysql"), node_name="worker-1" if ready else "",
                phase="Running" if ready else "Pending", ready=ready,
                claims={"data": "data-mysql-0"}, image="mysql:8.0", container="nginx"))


def test_a_database_statefulset_ready_with_its_storage() -> None:
    lab = Lab()
    _mysql(lab)
    result = lab.check("stateful-app-ready")
    assert result.passed
    assert result.detail == "mysql (mysql) is Ready: 1/1 replicas, claims data-mysql-0 Bound"


def test_a_database_waiting_for_its_claim_is_not_ready() -> None:
    lab = Lab()
    _mysql(lab, claim_phase="Pending")
    result = lab.check("stateful-app-ready")
    assert not result.passed
    assert result.detail == "mysql-0 is Pending: claim data-mysql-0 is Pending"


def test_a_statefulset_of_another_image_does_not_count() -> None:
    lab = Lab()
    nodes3(lab)
    lab.put(statefulset("web"))
    sts_pods(lab, "web", range(3))
    result = lab.check("stateful-app-ready", apps=["postgres"])
    assert not result.passed
    assert result.detail == "no StatefulSet runs postgres in namespace lab"
