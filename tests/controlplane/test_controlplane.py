"""Smoke tests of the real control plane: the real controllers, driven through KWOK's fake nodes."""

from __future__ import annotations

import time
import urllib.error
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pytest
from kubernetes import client, watch

from tests.controlplane.plane import ControlPlane, built_versions, pid_alive, port_is_listening

pytestmark = pytest.mark.controlplane

T = TypeVar("T")
TIMEOUT = 60.0


def wait_for(what: str, probe: Callable[[], T | None], timeout: float = TIMEOUT) -> T:
    """Poll `probe` until it returns something truthy; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(0.2)
    pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}; last value: {last!r}")


def conditions(obj: Any) -> dict[str, str]:
    return {c.type: c.status for c in (obj.status.conditions or [])}


# The API objects are typed Any: these tests read the client's models loosely, like a user would.
@pytest.fixture
def core(controlplane_client: Any) -> Any:
    return client.CoreV1Api(controlplane_client)


@pytest.fixture
def apps(controlplane_client: Any) -> Any:
    return client.AppsV1Api(controlplane_client)


@pytest.fixture
def batch(controlplane_client: Any) -> Any:
    return client.BatchV1Api(controlplane_client)


def container(name: str = "main") -> dict[str, Any]:
    return {"name": name, "image": "registry.k8s.io/pause:3.10"}


def test_version_is_the_built_one(controlplane: ControlPlane) -> None:
    expected = built_versions(controlplane.bin_dir)["kubernetes"]
    info = controlplane.get("/version")
    assert info["gitVersion"] == expected == controlplane.version
    major, minor = expected.lstrip("v").split(".")[:2]
    assert (info["major"], info["minor"]) == (major, minor)
    assert info["gitTreeState"] == "clean"


def test_nodes_ready_and_control_plane_tainted(core: Any) -> None:
    nodes = {n.metadata.name: n for n in core.list_node().items}
    assert set(nodes) == {"cp-0", "worker-1", "worker-2"}
    for node in nodes.values():
        assert conditions(node)["Ready"] == "True", node.metadata.name
        assert node.metadata.labels["kubernetes.io/os"] == "linux"
        assert node.status.allocatable["pods"] == "110"
    cp_taints = [(t.key, t.effect) for t in nodes["cp-0"].spec.taints or []]
    assert cp_taints == [("node-role.kubernetes.io/control-plane", "NoSchedule")]
    assert "node-role.kubernetes.io/control-plane" in nodes["cp-0"].metadata.labels
    for worker in ("worker-1", "worker-2"):
        assert not nodes[worker].spec.taints


def test_statefulset_creates_pods_in_order_with_bound_claims(
    core: Any, apps: Any, controlplane_namespace: str
) -> None:
    ns = controlplane_namespace
    core.create_namespaced_service(
        ns,
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "nginx", "labels": {"app": "nginx"}},
            "spec": {
                "clusterIP": "None",
                "selector": {"app": "nginx"},
                "ports": [{"port": 80, "name": "web"}],
            },
        },
    )
    start_rv = core.list_namespaced_pod(ns).metadata.resource_version
    apps.create_namespaced_stateful_set(
        ns,
        {
            "apiVersion": "apps/v1",
            "kind": "StatefulSet",
            "metadata": {"name": "web"},
            "spec": {
                "serviceName": "nginx",
                "replicas": 3,
                "selector": {"matchLabels": {"app": "nginx"}},
                "template": {
                    "metadata": {"labels": {"app": "nginx"}},
                    "spec": {
                        "containers": [
                            {
                                **container("nginx"),
                                "volumeMounts": [
                                    {"name": "www", "mountPath": "/usr/share/nginx/html"}
                                ],
                            }
                        ]
                    },
                },
                "volumeClaimTemplates": [
                    {
                        "metadata": {"name": "www"},
                        "spec": {
                            "accessModes": ["ReadWriteOnce"],
                            "resources": {"requests": {"storage": "1Gi"}},
                        },
                    }
                ],
            },
        },
    )

    # Watch from before the StatefulSet existed: the order of events is the order of creation.
    created: list[str] = []
    ready_when_next_created: dict[str, bool] = {}
    ready: set[str] = set()
    w = watch.Watch()
    for event in w.stream(
        core.list_namespaced_pod, ns, resource_version=start_rv, timeout_seconds=int(TIMEOUT)
    ):
        pod = event["object"]
        name = pod.metadata.name
        if event["type"] == "ADDED" and name not in created:
            if created:
                ready_when_next_created[created[-1]] = created[-1] in ready
            created.append(name)
        if conditions(pod).get("Ready") == "True":
            ready.add(name)
        if len(ready) == 3:
            w.stop()
    assert created == ["web-0", "web-1", "web-2"]
    assert ready == {"web-0", "web-1", "web-2"}
    # OrderedReady: each pod was created only once its predecessor was Ready.
    assert ready_when_next_created == {"web-0": True, "web-1": True}

    def claims_bound() -> dict[str, str] | None:
        phases = {
            c.metadata.name: c.status.phase
            for c in core.list_namespaced_persistent_volume_claim(ns).items
        }
        return phases if phases and all(p == "Bound" for p in phases.values()) else None

    phases = wait_for("PVCs Bound", claims_bound)
    assert sorted(phases) == ["www-web-0", "www-web-1", "www-web-2"]
    claims = core.list_namespaced_persistent_volume_claim(ns).items
    assert {c.spec.storage_class_name for c in claims} == {"standard"}
    pods = {p.metadata.name: p for p in core.list_namespaced_pod(ns).items}
    assert all(p.spec.node_name in ("worker-1", "worker-2") for p in pods.values())
    assert all(p.status.pod_ip for p in pods.values())


def test_daemonset_covers_workers_not_control_plane(
    core: Any, apps: Any, controlplane_namespace: str
) -> None:
    ns = controlplane_namespace
    apps.create_namespaced_daemon_set(
        ns,
        {
            "apiVersion": "apps/v1",
            "kind": "DaemonSet",
            "metadata": {"name": "agent"},
            "spec": {
                "selector": {"matchLabels": {"app": "agent"}},
                "template": {
                    "metadata": {"labels": {"app": "agent"}},
                    "spec": {"containers": [container()]},
                },
            },
        },
    )

    def rolled_out() -> Any:
        ds = apps.read_namespaced_daemon_set("agent", ns)
        s = ds.status
        done = s.desired_number_scheduled == 2 and s.number_ready == 2 and s.number_available == 2
        return ds if done else None

    wait_for("DaemonSet agent ready on 2 nodes", rolled_out)
    pods = core.list_namespaced_pod(ns, label_selector="app=agent").items
    assert sorted(p.spec.node_name for p in pods) == ["worker-1", "worker-2"]
    assert all(p.status.phase == "Running" for p in pods)


def test_job_runs_all_completions(core: Any, batch: Any, controlplane_namespace: str) -> None:
    ns = controlplane_namespace
    batch.create_namespaced_job(
        ns,
        {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {"name": "pi"},
            "spec": {
                "completions": 3,
                "parallelism": 2,
                "template": {"spec": {"restartPolicy": "Never", "containers": [container()]}},
            },
        },
    )

    def complete() -> Any:
        job = batch.read_namespaced_job("pi", ns)
        return job if conditions(job).get("Complete") == "True" else None

    job = wait_for("Job pi Complete", complete)
    assert job.status.succeeded == 3
    assert not job.status.failed
    pods = core.list_namespaced_pod(ns, label_selector="job-name=pi").items
    assert [p.status.phase for p in pods] == ["Succeeded"] * 3


def test_job_pod_exit_code_annotation_fails_the_job(
    core: Any, batch: Any, controlplane_namespace: str
) -> None:
    ns = controlplane_namespace
    batch.create_namespaced_job(
        ns,
        {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {"name": "flaky"},
            "spec": {
                "backoffLimit": 0,
                "template": {
                    "metadata": {
                        "annotations": {"k8slab.dev/exit-code": "3", "k8slab.dev/duration": "100ms"}
                    },
                    "spec": {"restartPolicy": "Never", "containers": [container()]},
                },
            },
        },
    )

    def failed() -> Any:
        job = batch.read_namespaced_job("flaky", ns)
        return job if conditions(job).get("Failed") == "True" else None

    job = wait_for("Job flaky Failed", failed)
    assert job.status.failed == 1
    pod = core.list_namespaced_pod(ns, label_selector="job-name=flaky").items[0]
    assert pod.status.container_statuses[0].state.terminated.exit_code == 3


def test_released_volume_returns_to_the_pool(core: Any, controlplane_namespace: str) -> None:
    ns = controlplane_namespace
    core.create_namespaced_persistent_volume_claim(
        ns,
        {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {"name": "data"},
            "spec": {
                "accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": "1Gi"}},
            },
        },
    )

    def bound_volume() -> str | None:
        pvc = core.read_namespaced_persistent_volume_claim("data", ns)
        return pvc.spec.volume_name if pvc.status.phase == "Bound" else None

    pv_name = wait_for("PVC data Bound", bound_volume)
    core.delete_namespaced_persistent_volume_claim("data", ns)

    def available_again() -> bool:
        pv = core.read_persistent_volume(pv_name)
        return pv.status.phase == "Available" and pv.spec.claim_ref is None

    wait_for(f"{pv_name} Available again", available_again)


def test_rbac_applies_to_users_and_service_accounts(
    controlplane: ControlPlane, controlplane_namespace: str
) -> None:
    ns = controlplane_namespace
    learner = controlplane.token_for("learner")
    controlplane.request(
        "POST",
        f"/api/v1/namespaces/{ns}/serviceaccounts",
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "bot"}},
    )
    sa_token = controlplane.service_account_token(ns, "bot")

    def status_of(token: str) -> int:
        try:
            controlplane.request("GET", f"/api/v1/namespaces/{ns}/pods", token=token)
        except urllib.error.HTTPError as e:
            return e.code
        return 200

    assert (status_of(learner), status_of(sa_token)) == (403, 403)
    controlplane.request(
        "POST",
        f"/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/rolebindings",
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": "view"},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": "view",
            },
            "subjects": [
                {
                    "kind": "Group",
                    "name": "k8slab:learners",
                    "apiGroup": "rbac.authorization.k8s.io",
                },
                {"kind": "ServiceAccount", "name": "bot", "namespace": ns},
            ],
        },
    )
    wait_for(
        "RBAC to allow the learner and the bot",
        lambda: status_of(learner) == status_of(sa_token) == 200,
    )
    kubeconfig = controlplane.kubeconfig_for_service_account(ns, "bot")
    assert f'namespace: "{ns}"' in kubeconfig.read_text()


@pytest.fixture
def second_plane(controlplane: ControlPlane) -> Iterator[ControlPlane]:
    """A separate plane, so that restarting and stopping it does not disturb the session's."""
    cp = ControlPlane(bin_dir=controlplane.bin_dir).start()
    try:
        yield cp
    finally:
        cp.stop()


def test_restart_apiserver_then_stop_leaves_nothing(second_plane: ControlPlane) -> None:
    cp = second_plane
    # restart_apiserver: same port, new process, same etcd data.
    port = cp.ports["apiserver"]
    old_pid = cp.pids()["apiserver"]
    cp.request(
        "POST",
        "/api/v1/namespaces/default/configmaps",
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "survivor"},
            "data": {"a": "1"},
        },
    )
    cp.restart_apiserver()
    assert cp.ports["apiserver"] == port
    assert cp.pids()["apiserver"] != old_pid
    assert cp.get("/api/v1/namespaces/default/configmaps/survivor")["data"] == {"a": "1"}

    # stop: no process, no listening port, no work directory left.
    components = list(cp.components.values())
    assert all(c.alive() for c in components)
    pids = [(c.pid, c.start_time) for c in components]
    ports = list(cp.ports.values())
    cp.stop()
    assert [pid for pid, start in pids if pid is not None and pid_alive(pid, start)] == []
    assert [p for p in ports if port_is_listening(p)] == []
    assert not cp.workdir.exists()
