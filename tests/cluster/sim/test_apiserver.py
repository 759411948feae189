"""The sim's API server: errors a learner meets on a real cluster, apply, patch, defaulting."""

from __future__ import annotations

import pytest

from k8slab.cluster.protocol import WatchEvent
from k8slab.errors import AlreadyExists, Forbidden, Invalid, NotFound
from tests.cluster.sim.simlab import SimLab, pod, statefulset


def test_start_state_has_namespaces_service_accounts_nodes_and_storage_class() -> None:
    lab = SimLab()
    names = [n["metadata"]["name"] for n in lab.sim.list("Namespace")]
    assert names == ["default", "kube-node-lease", "kube-public", "kube-system", "lab"]
    for ns in names:
        assert lab.sim.get("ServiceAccount", "default", ns)["metadata"]["name"] == "default"
    cp = lab.sim.get("Node", "cp-0")
    assert cp["spec"]["taints"] == [{"key": "node-role.kubernetes.io/control-plane",
                                     "effect": "NoSchedule"}]
    assert cp["metadata"]["labels"]["node-role.kubernetes.io/control-plane"] == ""
    w = lab.sim.get("Node", "worker-1")
    assert w["status"]["allocatable"]["cpu"] == "4" and w["status"]["allocatable"]["pods"] == (
        "110")
    assert any(c["type"] == "Ready" and c["status"] == "True"
               for c in w["status"]["conditions"])
    sc = lab.sim.get("StorageClass", "standard")
    assert sc["metadata"]["annotations"][
        "storageclass.kubernetes.io/is-default-class"] == "true"


def test_missing_namespace_is_not_found() -> None:
    lab = SimLab()
    obj = pod("x")
    obj["metadata"]["namespace"] = "monitoring"
    with pytest.raises(NotFound) as err:
        lab.sim.apply([obj])
    assert str(err.value) == 'namespaces "monitoring" not found'


def test_missing_service_account_is_forbidden() -> None:
    lab = SimLab()
    with pytest.raises(Forbidden) as err:
        lab.sim.apply([pod("x", serviceAccountName="robot")])
    assert str(err.value) == ('pods "x" is forbidden: error looking up service account '
                              'lab/robot: serviceaccount "robot" not found')


def test_controller_reports_failed_create_for_missing_service_account() -> None:
    lab = SimLab()
    sts = statefulset(claims=False)
    sts["spec"]["template"]["spec"]["serviceAccountName"] = "robot"
    lab.apply(sts)
    lab.run(5)
    assert lab.sim.list("Pod") == []
    msgs = [e["message"] for e in lab.events("FailedCreate")]
    assert msgs == ['Create Pod web-0 in StatefulSet web failed error: pods "web-0" is '
                    "forbidden: error looking up service account lab/robot: serviceaccount "
                    '"robot" not found']


def test_missing_config_map_volume_keeps_pod_container_creating() -> None:
    lab = SimLab()
    p = pod("cm")
    p["spec"]["volumes"] = [{"name": "config", "configMap": {"name": "app-config"}}]
    p["spec"]["containers"][0]["volumeMounts"] = [{"name": "config", "mountPath": "/etc/app"}]
    lab.apply(p)
    lab.run(30)
    status = lab.sim.get("Pod", "cm")["status"]
    assert status["phase"] == "Pending"
    assert status["containerStatuses"][0]["state"] == {"waiting": {
        "reason": "ContainerCreating"}}
    assert [e["message"] for e in lab.events("FailedMount")] == [
        'MountVolume.SetUp failed for volume "config" : configmap "app-config" not found']
    lab.apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "app-config"},
               "data": {"app.conf": "x=1\n"}})
    lab.run(10)
    assert lab.sim.get("Pod", "cm")["status"]["phase"] == "Running"
    assert lab.sim.exec("cm", ["cat", "/etc/app/app.conf"]).stdout == "x=1\n"


def test_apply_reports_created_configured_unchanged() -> None:
    lab = SimLab()
    sts = statefulset()
    assert [str(a) for a in lab.sim.apply([sts])] == ["statefulset/web created"]
    assert [a.outcome for a in lab.sim.apply([sts])] == ["unchanged"]
    sts["spec"]["replicas"] = 4
    assert [a.outcome for a in lab.sim.apply([sts])] == ["configured"]
    assert lab.sim.get("StatefulSet", "web")["metadata"]["generation"] == 2


def test_create_twice_is_already_exists() -> None:
    lab = SimLab()
    lab.sim.core.api.create(pod("dup"))
    with pytest.raises(AlreadyExists) as err:
        lab.sim.core.api.create(pod("dup"))
    assert str(err.value) == 'pods "dup" already exists'


def test_get_missing_object_reads_like_the_api() -> None:
    lab = SimLab()
    with pytest.raises(NotFound) as err:
        lab.sim.get("sts", "nope")
    assert str(err.value) == 'statefulsets.apps "nope" not found'


def test_job_with_restart_policy_always_is_rejected() -> None:
    lab = SimLab()
    job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j"},
           "spec": {"template": {"spec": {"restartPolicy": "Always", "containers": [
               {"name": "c", "image": "busybox"}]}}}}
    with pytest.raises(Invalid) as err:
        lab.sim.apply([job])
    assert err.value.causes == ['spec.template.spec.restartPolicy: Required value: valid '
                                'values: "OnFailure", "Never"']


def test_patch_types() -> None:
    lab = SimLab()
    lab.apply(statefulset())
    out = lab.sim.patch("sts", "web", {"spec": {"updateStrategy": {"rollingUpdate": {
        "partition": 2}}}}, patch_type="merge")
    assert out["spec"]["updateStrategy"]["rollingUpdate"]["partition"] == 2
    out = lab.sim.patch("sts", "web", [{"op": "replace", "path": "/spec/replicas",
                                        "value": 5}], patch_type="json")
    assert out["spec"]["replicas"] == 5
    out = lab.sim.patch("sts", "web", {"spec": {"template": {"spec": {"containers": [
        {"name": "nginx", "image": "nginx:1.27"}]}}}})
    container = out["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "nginx:1.27" and container["ports"]  # merged by name


def test_watch_replays_existing_objects_then_changes_in_order() -> None:
    lab = SimLab()
    lab.apply(pod("a"))
    stream = lab.sim.watch(["Pod"])
    first = stream.drain()
    assert [(e.type, e.object["metadata"]["name"]) for e in first] == [("ADDED", "a")]
    lab.sim.delete("Pod", "a", grace_period=0)
    events: list[WatchEvent] = stream.drain()
    assert events[-1].type == "DELETED"
    rvs = [int(e.object["metadata"]["resourceVersion"]) for e in first + events]
    assert rvs == sorted(rvs)


def test_service_gets_a_cluster_ip_unless_headless() -> None:
    lab = SimLab()
    lab.apply({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "svc"},
               "spec": {"selector": {"app": "x"}, "ports": [{"port": 80}]}},
              {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "hl"},
               "spec": {"clusterIP": "None", "selector": {"app": "x"}}})
    ip = lab.sim.get("Service", "svc")["spec"]["clusterIP"]
    assert ip.startswith("10.96.")
    assert lab.sim.get("Service", "hl")["spec"]["clusterIP"] == "None"
    assert lab.sim.get("Service", "svc")["spec"]["ports"][0]["targetPort"] == 80


def test_pod_defaults() -> None:
    lab = SimLab()
    lab.apply(pod("d"))
    spec = lab.sim.get("Pod", "d")["spec"]
    assert spec["restartPolicy"] == "Always"
    assert spec["terminationGracePeriodSeconds"] == 30
    assert spec["serviceAccountName"] == "default"
    assert spec["containers"][0]["imagePullPolicy"] == "Always"  # untagged: latest
    assert {"key": "node.kubernetes.io/not-ready", "operator": "Exists",
            "effect": "NoExecute", "tolerationSeconds": 300} in spec["tolerations"]
