"""Kubeconfig loading errors read as sentences: a missing file, a missing context."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from k8slab.cluster.kube import config
from k8slab.cluster.kube.pods import check_running, exit_code
from k8slab.errors import ClusterError

KUBECONFIG = """apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: "https://127.0.0.1:1"}
users:
- name: u
  user: {token: abc}
contexts:
- name: kind-lab
  context: {cluster: c, user: u, namespace: team}
- name: minikube
  context: {cluster: c, user: u}
current-context: kind-lab
"""


@pytest.fixture
def kubeconfig(tmp_path: Path) -> str:
    path = tmp_path / "config"
    path.write_text(KUBECONFIG)
    return str(path)


def test_the_current_context_is_used_by_default(kubeconfig: str) -> None:
    conn = config.load(kubeconfig)
    assert (conn.context, conn.server, conn.user, conn.namespace) == (
        "kind-lab", "https://127.0.0.1:1", "u", "team")
    assert conn.configuration.connection_pool_maxsize >= 32


def test_kubeconfig_env_is_honoured(kubeconfig: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBECONFIG", kubeconfig)
    assert config.load(context="minikube").context == "minikube"


def test_a_missing_context_lists_the_available_ones(kubeconfig: str) -> None:
    with pytest.raises(ClusterError) as caught:
        config.load(kubeconfig, "prod")
    assert caught.value.message == (f"Context prod not found in kubeconfig {kubeconfig}; "
                                    "available: kind-lab, minikube.")


def test_no_kubeconfig_at_all_says_where_it_looked(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    missing = tmp_path / "nope"
    with pytest.raises(ClusterError) as caught:
        config.load(str(missing))
    assert caught.value.message == f"No kubeconfig found at {missing}."
    assert caught.value.hint is not None and "--kube" in caught.value.hint


def test_a_malformed_kubeconfig_is_reported_not_raised_raw(tmp_path: Path) -> None:
    bad = tmp_path / "config"
    bad.write_text("clusters: [\n")
    with pytest.raises(ClusterError) as caught:
        config.load(str(bad))
    assert caught.value.message.startswith(f"Cannot use kubeconfig {bad}")


def test_exec_exit_codes_come_from_the_error_channel() -> None:
    assert exit_code('{"metadata":{},"status":"Success"}') == 0
    assert exit_code('{"status":"Failure","reason":"NonZeroExitCode","details":{"causes":'
                     '[{"reason":"ExitCode","message":"3"}]}}') == 3
    with pytest.raises(ClusterError) as caught:
        exit_code('{"status":"Failure","message":"executable file not found in $PATH"}', "w-0")
    assert caught.value.message == ("The command could not run in pod w-0: executable file not "
                                    "found in $PATH.")


def test_exec_that_cannot_reach_the_kubelet_names_the_node() -> None:
    status = {"status": "Failure", "reason": "InternalError", "message":
              'Internal error occurred: error sending request: Post "https://worker-2:10250/exec/'
              'ns/web-0/nginx?command=cat&error=1&output=1": dial tcp: lookup worker-2: no such '
              "host"}
    with pytest.raises(ClusterError) as caught:
        exit_code(json.dumps(status), "web-0")
    assert caught.value.message == (
        "The cluster could not exec into pod/web-0: the API server could not reach the kubelet "
        "on node worker-2 (dial tcp: lookup worker-2: no such host).")
    assert caught.value.reason == "KubeletUnreachable"


def test_exec_into_a_pending_pod_is_refused_before_dialing() -> None:
    pod = {"metadata": {"name": "web-1", "namespace": "lab"},
           "spec": {"containers": [{"name": "nginx"}]}, "status": {"phase": "Pending"}}
    with pytest.raises(ClusterError) as caught:
        check_running(pod, None)
    assert caught.value.message == "Pod web-1 is Pending, not Running, so exec cannot reach it."
    with pytest.raises(ClusterError) as caught:
        check_running({**pod, "status": {"phase": "Running"}}, "sidecar")
    assert caught.value.message == "Pod web-1 has no container sidecar; it has nginx."
