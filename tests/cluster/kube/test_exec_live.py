"""`kubectl exec` through the real API server, as the kube backend does it.

The API server dials the node's kubelet, which on the test control plane is KWOK's server;
KWOK starts the command as the container shell, which runs the sim's exec interpreter over
the real objects (tests/controlplane/README.md, "How exec is played"). What a learner sees
must hold here as on a real cluster: a file on a claim outlives its pod, one in the
container's own filesystem does not, and a StatefulSet pod's DNS name answers its own IP.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from k8slab.cluster import objects as o
from k8slab.cluster.kube import KubeCluster
from k8slab.errors import ClusterError, NotFound
from k8slab.state.mirror import ClusterState
from tests.cluster.kube.conftest import Follower, manifest

pytestmark = pytest.mark.controlplane

HTML = "/usr/share/nginx/html"


@pytest.fixture
def kube(controlplane_exec: Any, lab_namespace: str) -> Iterator[KubeCluster]:
    cluster = KubeCluster(namespace=lab_namespace, lesson_id="day10",
                          kubeconfig=str(controlplane_exec.kubeconfig))
    yield cluster
    cluster.close()


def ready(state: ClusterState, name: str, not_uid: str = "") -> bool:
    pod = state.get("Pod", name)
    return pod is not None and o.pod_ready(pod) and o.uid(pod) != not_uid


def test_a_file_on_the_claim_outlives_the_pod_and_one_in_the_container_does_not(
        kube: KubeCluster, lab_namespace: str) -> None:
    follow = Follower(kube.watch(["Pod"]), lab_namespace)
    kube.apply(manifest("day10", "statefulset-with-storage.yaml"))
    follow.until("nginx-sts-1 Ready", lambda s: ready(s, "nginx-sts-1"))
    wrote = kube.exec("nginx-sts-1", ["sh", "-c", f"echo 'Custom data for pod 1' >> "
                                      f"{HTML}/custom.txt; echo scratch > /tmp/scratch.txt"])
    assert (wrote.stdout, wrote.stderr, wrote.exit_code) == ("", "", 0)
    assert kube.exec("nginx-sts-1", ["cat", "/tmp/scratch.txt"]).stdout == "scratch\n"
    old = o.uid(kube.get("Pod", "nginx-sts-1"))

    kube.delete("Pod", "nginx-sts-1")
    follow.until("nginx-sts-1 re-created and Ready", lambda s: ready(s, "nginx-sts-1", old))
    read = kube.exec("nginx-sts-1", ["cat", f"{HTML}/custom.txt"])
    assert (read.stdout, read.exit_code) == ("Custom data for pod 1\n", 0)
    assert kube.exec("nginx-sts-1", ["ls", HTML]).stdout == "custom.txt\n"
    scratch = kube.exec("nginx-sts-1", ["sh", "-c", "cat /tmp/scratch.txt || true"])
    assert (scratch.stdout, scratch.stderr) == (
        "", "cat: can't open '/tmp/scratch.txt': No such file or directory\n")
    # Each replica has a claim of its own.
    other = kube.exec("nginx-sts-0", ["sh", "-c", f"cat {HTML}/custom.txt || true"])
    assert "No such file or directory" in other.stderr


def test_a_pods_dns_name_answers_its_own_ip(kube: KubeCluster, lab_namespace: str) -> None:
    follow = Follower(kube.watch(["Pod"]), lab_namespace)
    kube.apply(manifest("day10", "simple-statefulset.yaml"))
    follow.until("web-0 and web-1 Ready", lambda s: ready(s, "web-0") and ready(s, "web-1"))
    ip = o.dig(kube.get("Pod", "web-1"), "status.podIP")
    assert ip and ip.startswith("10.244.")  # KWOK's, from the plane's pod CIDR
    fqdn = f"web-1.web.{lab_namespace}.svc.cluster.local"
    for name in ("web-1.web", fqdn):
        answer = kube.exec("web-0", ["nslookup", name])
        assert f"Name:\t{fqdn}\nAddress: {ip}\n" in answer.stdout, answer
    missing = kube.exec("web-0", ["sh", "-c", "nslookup web-7.web || true"]).stdout
    assert f"** server can't find web-7.web.{lab_namespace}.svc.cluster.local: NXDOMAIN" in missing
    assert kube.exec("web-1", ["hostname"]).stdout == "web-1\n"


def test_exec_where_nothing_can_run_says_why(kube: KubeCluster, lab_namespace: str) -> None:
    follow = Follower(kube.watch(["Pod"]), lab_namespace)
    kube.apply(manifest("day10", "simple-statefulset.yaml"))
    follow.until("web-0 Ready", lambda s: ready(s, "web-0"))
    with pytest.raises(NotFound) as missing:
        kube.exec("web-9", ["true"])
    assert missing.value.message == f"Pod web-9 was not found in namespace {lab_namespace}."
    with pytest.raises(ClusterError) as container:
        kube.exec("web-0", ["true"], container="sidecar")
    assert container.value.message == "Pod web-0 has no container sidecar; it has nginx."
    with pytest.raises(ClusterError) as unknown:
        kube.exec("web-0", ["python3", "-V"])
    assert 'exec: "python3": executable file not found in $PATH' in unknown.value.message
    # KWOK reports a non-zero exit as a failure to run, without the code (see the README).
    with pytest.raises(ClusterError) as failed:
        kube.exec("web-0", ["cat", "/nope"])
    assert failed.value.message.endswith("cat /nope: exit status 1.")


def test_an_absolute_path_runs_the_container_shell_not_the_hosts(
        kube: KubeCluster, lab_namespace: str, tmp_path: Path) -> None:
    follow = Follower(kube.watch(["Pod"]), lab_namespace)
    kube.apply(manifest("day10", "simple-statefulset.yaml"))
    follow.until("web-0 Ready", lambda s: ready(s, "web-0"))
    host_file = tmp_path / "written-from-a-pod"
    assert kube.exec("web-0", ["/bin/sh", "-c", f"echo inside > {host_file}"]).exit_code == 0
    assert not host_file.exists()
    assert kube.exec("web-0", ["/bin/cat", str(host_file)]).stdout == "inside\n"
    with pytest.raises(ClusterError) as host_binary:
        kube.exec("web-0", ["/usr/bin/id"])
    assert "/usr/bin/id: no such file or directory" in host_binary.value.message
