"""StatefulSet fidelity: ordering, scaling, claims, retention, partitioned rolling updates."""

from __future__ import annotations

import pytest

from k8slab.errors import Invalid
from tests.cluster.sim.simlab import SimLab, headless, ready, statefulset, sts_ready

OWNER = "StatefulSet/web"


@pytest.fixture
def lab() -> SimLab:
    lab = SimLab(seed=3)
    lab.apply(headless(), statefulset())
    lab.run_until(lambda lb: sts_ready(lb, "web", 3))
    return lab


def _times(lab: SimLab, what: str) -> dict[str, float]:
    return {t.name: t.time for t in lab.history(kind="Pod", what=what, owner=OWNER)}


def test_ordered_ready_creates_each_ordinal_after_the_previous_is_ready(lab: SimLab) -> None:
    created = [t.name for t in lab.history(kind="Pod", what="created", owner=OWNER)]
    assert created == ["web-0", "web-1", "web-2"]
    c, r = _times(lab, "created"), _times(lab, "ready")
    assert c["web-1"] >= r["web-0"]
    assert c["web-2"] >= r["web-1"]
    # Each claim exists before its pod.
    claims = {t.name: t.time for t in lab.history(kind="PersistentVolumeClaim", what="created")}
    for i in range(3):
        assert claims[f"www-web-{i}"] <= c[f"web-{i}"]


def test_pods_have_stable_identity_labels_and_hostnames(lab: SimLab) -> None:
    pod = lab.sim.get("Pod", "web-1")
    labels = pod["metadata"]["labels"]
    assert labels["statefulset.kubernetes.io/pod-name"] == "web-1"
    assert labels["apps.kubernetes.io/pod-index"] == "1"
    sts = lab.sim.get("StatefulSet", "web")
    assert labels["controller-revision-hash"] == sts["status"]["updateRevision"]
    assert sts["status"]["updateRevision"].startswith("web-")
    assert pod["spec"]["hostname"] == "web-1" and pod["spec"]["subdomain"] == "web"
    # As on a real cluster (found by tests/comparison): named by ordinal, generateName set.
    assert pod["metadata"]["generateName"] == "web-"
    claim = next(v for v in pod["spec"]["volumes"] if v["name"] == "www")
    assert claim["persistentVolumeClaim"]["claimName"] == "www-web-1"
    pvc = lab.sim.get("PersistentVolumeClaim", "www-web-1")
    assert pvc["metadata"]["labels"] == {"app": "web"}
    assert pvc["status"]["phase"] == "Bound"
    assert pvc["spec"]["storageClassName"] == "standard"


def test_scale_up_in_order_and_down_highest_first_keeping_claims(lab: SimLab) -> None:
    lab.sim.scale("StatefulSet", "web", 5)
    lab.run_until(lambda lb: sts_ready(lb, "web", 5))
    start = lab.sim.now()
    lab.sim.scale("StatefulSet", "web", 3)
    lab.run_until(lambda lb: len(lb.pod_names(OWNER)) == 3 and sts_ready(lb, "web", 3))
    created = [t.name for t in lab.history(kind="Pod", what="created", owner=OWNER)]
    assert created[3:] == ["web-3", "web-4"]
    c, r = _times(lab, "created"), _times(lab, "ready")
    assert c["web-4"] >= r["web-3"]
    deleted = [t for t in lab.history(kind="Pod", what="deleted", owner=OWNER, since=start)]
    assert [t.name for t in deleted] == ["web-4", "web-3"]
    terminating = {t.name: t.time for t in lab.history(kind="Pod", what="terminating",
                                                        since=start)}
    # web-3 is only condemned once web-4 is gone.
    assert terminating["web-3"] >= deleted[0].time
    claims = sorted(p["metadata"]["name"] for p in lab.sim.list("PersistentVolumeClaim"))
    assert claims == [f"www-web-{i}" for i in range(5)]
    assert sorted(e["message"] for e in lab.events("SuccessfulDelete")) == [
        "Delete Pod web-3 in StatefulSet web successful",
        "Delete Pod web-4 in StatefulSet web successful"]


def test_parallel_creates_all_pods_at_once() -> None:
    lab = SimLab(seed=3)
    lab.apply(headless(), statefulset(podManagementPolicy="Parallel", replicas=4))
    lab.run_until(lambda lb: sts_ready(lb, "web", 4))
    created = lab.history(kind="Pod", what="created", owner=OWNER)
    assert sorted(t.name for t in created) == [f"web-{i}" for i in range(4)]
    assert len({t.time for t in created}) == 1
    start = lab.sim.now()
    lab.sim.scale("StatefulSet", "web", 1)
    lab.run(1.0)
    terminating = lab.history(kind="Pod", what="terminating", since=start)
    assert sorted(t.name for t in terminating) == ["web-1", "web-2", "web-3"]
    assert len({t.time for t in terminating}) == 1


def _set_image(lab: SimLab, image: str, partition: int) -> None:
    lab.sim.patch("StatefulSet", "web", {"spec": {
        "updateStrategy": {"rollingUpdate": {"partition": partition}},
        "template": {"spec": {"containers": [{"name": "nginx", "image": image}]}}}})


def test_partitioned_rolling_update(lab: SimLab) -> None:
    old_rev = lab.sim.get("StatefulSet", "web")["status"]["currentRevision"]
    start = lab.sim.now()
    _set_image(lab, "nginx:1.27", partition=2)
    lab.run(120)
    sts = lab.sim.get("StatefulSet", "web")
    new_rev = sts["status"]["updateRevision"]
    assert new_rev != old_rev
    revs = {p["metadata"]["name"]: p["metadata"]["labels"]["controller-revision-hash"]
            for p in lab.sim.list("Pod")}
    assert revs == {"web-0": old_rev, "web-1": old_rev, "web-2": new_rev}
    assert sts["status"]["currentRevision"] == old_rev
    assert sts["status"]["updatedReplicas"] == 1
    assert [t.name for t in lab.history(kind="Pod", what="terminating", since=start)] == [
        "web-2"]
    mid = lab.sim.now()
    lab.sim.patch("StatefulSet", "web", {"spec": {"updateStrategy": {
        "rollingUpdate": {"partition": 0}}}})
    lab.run_until(lambda lb: lb.sim.get("StatefulSet", "web")["status"].get(
        "currentRevision") == new_rev and sts_ready(lb, "web", 3))
    order = [t.name for t in lab.history(kind="Pod", what="terminating", since=mid)]
    assert order == ["web-1", "web-0"]
    # Each update waits for the previous pod to be Ready again.
    ready_again = {t.name: t.time for t in lab.history(kind="Pod", what="ready", since=mid)}
    term = {t.name: t.time for t in lab.history(kind="Pod", what="terminating", since=mid)}
    assert term["web-0"] >= ready_again["web-1"]
    assert all(p["spec"]["containers"][0]["image"] == "nginx:1.27"
               for p in lab.sim.list("Pod"))


def test_on_delete_updates_only_deleted_pods(lab: SimLab) -> None:
    lab.sim.patch("StatefulSet", "web", {"spec": {
        "updateStrategy": {"type": "OnDelete", "rollingUpdate": None},
        "template": {"spec": {"containers": [{"name": "nginx", "image": "nginx:1.27"}]}}}})
    lab.run(60)
    assert all(p["spec"]["containers"][0]["image"] == "nginx:alpine"
               for p in lab.sim.list("Pod"))
    lab.sim.delete("Pod", "web-1")
    lab.run_until(lambda lb: ready(lb, "web-1") and lb.sim.get("Pod", "web-1")["spec"][
        "containers"][0]["image"] == "nginx:1.27")
    images = {p["metadata"]["name"]: p["spec"]["containers"][0]["image"]
              for p in lab.sim.list("Pod")}
    assert images == {"web-0": "nginx:alpine", "web-1": "nginx:1.27", "web-2": "nginx:alpine"}


def test_deleted_pod_comes_back_with_same_name_and_claim(lab: SimLab) -> None:
    old_uid = lab.sim.get("Pod", "web-1")["metadata"]["uid"]
    lab.sim.delete("Pod", "web-1")
    lab.run_until(lambda lb: ready(lb, "web-1") and lb.sim.get("Pod", "web-1")["metadata"][
        "uid"] != old_uid)
    pod = lab.sim.get("Pod", "web-1")
    claim = next(v for v in pod["spec"]["volumes"] if v["name"] == "www")
    assert claim["persistentVolumeClaim"]["claimName"] == "www-web-1"
    assert len(lab.sim.list("PersistentVolumeClaim")) == 3


def test_retention_delete_on_scale_down_removes_condemned_claims() -> None:
    lab = SimLab(seed=3)
    lab.apply(headless(), statefulset(persistentVolumeClaimRetentionPolicy={
        "whenScaled": "Delete", "whenDeleted": "Retain"}))
    lab.run_until(lambda lb: sts_ready(lb, "web", 3))
    lab.sim.scale("StatefulSet", "web", 1)
    lab.run_until(lambda lb: len(lb.sim.list("PersistentVolumeClaim")) == 1, limit=300)
    assert [p["metadata"]["name"] for p in lab.sim.list("PersistentVolumeClaim")] == [
        "www-web-0"]
    deleted = [t.name for t in lab.history(kind="PersistentVolumeClaim", what="deleted")]
    assert deleted == ["www-web-2", "www-web-1"]
    # The provisioned volumes go with them (reclaim policy Delete).
    lab.run(5)
    assert len(lab.sim.list("PersistentVolume")) == 1


def test_retention_delete_when_set_deleted() -> None:
    lab = SimLab(seed=3)
    lab.apply(headless(), statefulset(persistentVolumeClaimRetentionPolicy={
        "whenDeleted": "Delete"}))
    lab.run_until(lambda lb: sts_ready(lb, "web", 3))
    owners = lab.sim.get("PersistentVolumeClaim", "www-web-0")["metadata"]["ownerReferences"]
    assert owners[0]["kind"] == "StatefulSet" and owners[0]["name"] == "web"
    lab.sim.delete("StatefulSet", "web")
    lab.run_until(lambda lb: not lb.sim.list("PersistentVolumeClaim") and not lb.sim.list(
        "Pod"), limit=300)


def test_retain_keeps_claims_after_set_deleted(lab: SimLab) -> None:
    lab.sim.delete("StatefulSet", "web")
    lab.run_until(lambda lb: not lb.sim.list("Pod"), limit=300)
    assert len(lab.sim.list("PersistentVolumeClaim")) == 3


def test_selector_mismatch_is_rejected_like_the_api_server() -> None:
    lab = SimLab()
    bad = statefulset()
    bad["spec"]["template"]["metadata"]["labels"] = {"app": "x"}
    with pytest.raises(Invalid) as err:
        lab.sim.apply([bad])
    assert str(err.value) == (
        'StatefulSet.apps "web" is invalid: spec.template.metadata.labels: Invalid value: '
        'map[string]string{"app":"x"}: `selector` does not match template `labels`')
    assert lab.sim.list("StatefulSet") == []


def test_immutable_fields_are_rejected(lab: SimLab) -> None:
    changed = statefulset()
    changed["spec"]["serviceName"] = "other"
    with pytest.raises(Invalid) as err:
        lab.sim.apply([changed])
    assert "spec: Forbidden: updates to statefulset spec for fields other than 'replicas'" in (
        err.value.causes[0])


def test_defaults_like_the_api_server(lab: SimLab) -> None:
    spec = lab.sim.get("StatefulSet", "web")["spec"]
    assert spec["podManagementPolicy"] == "OrderedReady"
    assert spec["updateStrategy"] == {"type": "RollingUpdate",
                                      "rollingUpdate": {"partition": 0}}
    assert spec["revisionHistoryLimit"] == 10
    assert spec["persistentVolumeClaimRetentionPolicy"] == {"whenDeleted": "Retain",
                                                            "whenScaled": "Retain"}
    pod_spec = spec["template"]["spec"]
    assert pod_spec["restartPolicy"] == "Always"
    assert pod_spec["terminationGracePeriodSeconds"] == 30
    # Pods share the template's parts; admission must not have written through them.
    assert "tolerations" not in pod_spec and "serviceAccountName" not in pod_spec


def test_controller_revisions_and_events(lab: SimLab) -> None:
    revs = lab.sim.list("ControllerRevision")
    assert len(revs) == 1 and revs[0]["revision"] == 1
    assert revs[0]["metadata"]["ownerReferences"][0]["name"] == "web"
    messages = [e["message"] for e in lab.events("SuccessfulCreate")
                if e["involvedObject"]["kind"] == "StatefulSet"]
    # Verbs title-cased as kube-controller-manager v1.37 writes them (found by tests/comparison).
    assert "Create Pod web-0 in StatefulSet web successful" in messages
    assert "Create Claim www-web-0 Pod web-0 in StatefulSet web success" in messages
