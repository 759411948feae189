"""Storage and exec: provisioning, a missing class, data that survives (or not) a pod."""

from __future__ import annotations

from typing import Any

import pytest

from k8slab.errors import ClusterError
from tests.cluster.sim.simlab import SimLab, headless, pod, ready, statefulset, sts_ready


def _pvc(name: str, cls: str | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"accessModes": ["ReadWriteOnce"],
                            "resources": {"requests": {"storage": "1Gi"}}}
    if cls is not None:
        spec["storageClassName"] = cls
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": name},
            "spec": spec}


def test_claim_is_provisioned_and_bound() -> None:
    lab = SimLab()
    lab.apply(_pvc("data"))
    lab.run(2)
    pvc = lab.sim.get("PersistentVolumeClaim", "data")
    assert pvc["status"]["phase"] == "Bound"
    pv = lab.sim.get("PersistentVolume", pvc["spec"]["volumeName"])
    assert pv["spec"]["claimRef"]["name"] == "data"
    assert pv["spec"]["persistentVolumeReclaimPolicy"] == "Delete"
    assert [e["message"] for e in lab.events("ProvisioningSucceeded")] == [
        f"Successfully provisioned volume {pv['metadata']['name']}"]
    assert lab.history(kind="PersistentVolumeClaim", name="data", what="bound")


def test_missing_storage_class_stays_pending_with_an_event() -> None:
    lab = SimLab()
    lab.apply(_pvc("fast-data", "fast"))
    p = pod("user")
    p["spec"]["volumes"] = [{"name": "d", "persistentVolumeClaim": {"claimName": "fast-data"}}]
    lab.apply(p)
    lab.run(30)
    assert lab.sim.get("PersistentVolumeClaim", "fast-data")["status"]["phase"] == "Pending"
    events = lab.events("ProvisioningFailed")
    assert events[0]["type"] == "Warning"
    assert events[0]["message"] == 'storageclass.storage.k8s.io "fast" not found'
    cond = next(c for c in lab.sim.get("Pod", "user")["status"]["conditions"]
                if c["type"] == "PodScheduled")
    assert "pod has unbound immediate PersistentVolumeClaims" in cond["message"]
    # Creating the class lets the claim bind and the pod start.
    lab.apply({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
               "metadata": {"name": "fast"}, "provisioner": "k8s.io/minikube-hostpath"})
    lab.run_until(lambda lb: ready(lb, "user"))


def test_data_on_a_claim_survives_pod_deletion_but_container_files_do_not() -> None:
    lab = SimLab()
    lab.apply(headless(), statefulset(replicas=1))
    lab.run_until(lambda lb: sts_ready(lb, "web", 1))
    assert lab.sim.exec("web-0", ["sh", "-c", "echo test > /usr/share/nginx/html/file.txt"]
                        ).ok
    assert lab.sim.exec("web-0", ["sh", "-c", "echo scratch > /tmp/scratch.txt"]).ok
    assert lab.sim.exec("web-0", ["cat", "/tmp/scratch.txt"]).stdout == "scratch\n"
    old_uid = lab.sim.get("Pod", "web-0")["metadata"]["uid"]
    lab.sim.delete("Pod", "web-0")
    lab.run_until(lambda lb: ready(lb, "web-0") and lb.sim.get("Pod", "web-0")["metadata"][
        "uid"] != old_uid, limit=120)
    assert lab.sim.exec("web-0", ["cat", "/usr/share/nginx/html/file.txt"]).stdout == "test\n"
    gone = lab.sim.exec("web-0", ["cat", "/tmp/scratch.txt"])
    assert gone.exit_code == 1
    assert gone.stderr == "cat: can't open '/tmp/scratch.txt': No such file or directory\n"


def test_startup_files_from_the_command_land_in_the_volume() -> None:
    lab = SimLab()
    sts = statefulset(replicas=2)
    sts["spec"]["template"]["spec"]["containers"][0]["command"] = [
        "sh", "-c", 'echo "I am $(hostname)" > /usr/share/nginx/html/index.html\n'
        "nginx -g 'daemon off;'"]
    lab.apply(headless(), sts)
    lab.run_until(lambda lb: sts_ready(lb, "web", 2))
    assert lab.sim.exec("web-1", ["cat", "/usr/share/nginx/html/index.html"]).stdout == (
        "I am web-1\n")
    out = lab.sim.exec("web-0", ["sh", "-c", "wget -qO- http://web-1.web"])
    assert out.stdout == "I am web-1\n"


def test_exec_shell_features() -> None:
    lab = SimLab()
    lab.apply(pod("sh"))
    lab.run_until(lambda lb: ready(lb, "sh"))
    r = lab.sim.exec("sh", ["sh", "-c", "echo a > /x; echo b >> /x; cat /x; ls /; hostname"])
    assert r.stdout.splitlines()[:2] == ["a", "b"]
    assert "x" in r.stdout.splitlines() and r.stdout.endswith("sh\n")
    assert lab.sim.exec("sh", ["sh", "-c", "false && echo no || echo yes"]).stdout == "yes\n"
    missing = lab.sim.exec("sh", ["frobnicate", "--now"])
    assert missing.exit_code == 127 and missing.stderr == "sh: frobnicate: not found\n"
    assert lab.sim.exec("sh", ["sh", "-c", "echo $HOSTNAME"]).stdout == "sh\n"


def test_exec_into_a_pending_pod_fails_clearly() -> None:
    lab = SimLab()
    lab.apply(pod("p", nodeSelector={"none": "x"}))
    lab.run(5)
    with pytest.raises(ClusterError) as err:
        lab.sim.exec("p", ["ls"])
    assert 'container not found ("main")' in str(err.value)


def test_redis_cli_keeps_data_in_the_data_volume() -> None:
    lab = SimLab()
    sts = statefulset("redis", replicas=1, image="redis:alpine")
    c = sts["spec"]["template"]["spec"]["containers"][0]
    c["name"] = "redis"
    c["volumeMounts"] = [{"name": "www", "mountPath": "/data"}]
    lab.apply(headless("redis"), sts)
    lab.run_until(lambda lb: sts_ready(lb, "redis", 1))
    assert lab.sim.exec("redis-0", ["redis-cli", "SET", "greeting", "hello"]).stdout == "OK\n"
    lab.sim.delete("Pod", "redis-0")
    lab.run_until(lambda lb: ready(lb, "redis-0") and len(lb.history(
        kind="Pod", name="redis-0", what="created")) == 2, limit=120)
    assert lab.sim.exec("redis-0", ["redis-cli", "GET", "greeting"]).stdout == "hello\n"
