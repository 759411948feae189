"""The kube backend against a real kube-apiserver, controller-manager, scheduler and KWOK.

Waits block on the backend's own watch stream (see `Follower`), never on sleeps.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from k8slab.cluster import objects as o
from k8slab.cluster.kinds import KINDS
from k8slab.cluster.kube import KubeCluster
from k8slab.cluster.kube.labels import ADDED_LABELS
from k8slab.cluster.kube.watch import KindWatcher, WatchGroup
from k8slab.cluster.protocol import EventStream
from k8slab.errors import ClusterError, CrossNamespace, Forbidden, Invalid, NotFound
from k8slab.state.mirror import ClusterState
from tests.cluster.kube.conftest import Follower, manifest

pytestmark = pytest.mark.controlplane

LAB = {"app.kubernetes.io/managed-by": "k8slab", "k8slab.io/lesson": "day10"}


@pytest.fixture
def open_lab(controlplane: Any, lab_namespace: str) -> Iterator[Callable[..., KubeCluster]]:
    opened: list[KubeCluster] = []

    def make(lesson: str = "day10", namespace: str | None = None, kubeconfig: Any = None,
             **kwargs: Any) -> KubeCluster:
        kube = KubeCluster(namespace=namespace or lab_namespace, lesson_id=lesson,
                           kubeconfig=str(kubeconfig or controlplane.kubeconfig), **kwargs)
        opened.append(kube)
        return kube

    yield make
    for kube in opened:
        kube.close()


def ready(state: ClusterState, *names: str) -> bool:
    return all((p := state.get("Pod", n)) is not None and o.pod_ready(p) for n in names)


def pods_named(state: ClusterState) -> list[str]:
    return [o.name(p) for p in state.list("Pod")]


def test_day10_simple_statefulset_comes_up_in_ordinal_order(
        open_lab: Callable[..., KubeCluster], lab_namespace: str) -> None:
    kube = open_lab()
    assert kube.namespace_created
    assert LAB.items() <= o.labels(kube.get("Namespace", lab_namespace)).items()
    follow = Follower(kube.watch(["Pod", "StatefulSet", "Service"]), lab_namespace)
    applied = kube.apply(manifest("day10", "simple-statefulset.yaml"))
    assert [str(a) for a in applied] == ["service/web created", "statefulset/web created"]

    follow.until("web-0, web-1 and web-2 Ready", lambda s: ready(s, "web-0", "web-1", "web-2"))
    history = follow.state.history
    assert [t.name for t in history.select(kind="Pod", what="created")] == [
        "web-0", "web-1", "web-2"]
    order = [(t.name, t.what) for t in history.select(kind="Pod", what=("created", "ready"))]
    # OrderedReady: each ordinal is created only once its predecessor is Ready.
    assert order.index(("web-0", "ready")) < order.index(("web-1", "created"))
    assert order.index(("web-1", "ready")) < order.index(("web-2", "created"))
    sts = kube.get("sts", "web")
    assert o.labels(sts) == LAB
    assert o.dig(sts, "spec.template.metadata.labels") == {"app": "nginx"}
    assert [str(a) for a in kube.apply(manifest("day10", "simple-statefulset.yaml"))] == [
        "service/web unchanged", "statefulset/web unchanged"]


def test_reset_deletes_only_what_the_lab_labelled(
        open_lab: Callable[..., KubeCluster], lab_namespace: str, controlplane: Any) -> None:
    kube = open_lab()
    follow = Follower(kube.watch(["Pod", "PersistentVolumeClaim", "StatefulSet", "ConfigMap"]),
                      lab_namespace)
    kube.apply(manifest("day10", "statefulset-with-storage.yaml"))
    decoy = {"apiVersion": "v1", "kind": "ConfigMap",
             "metadata": {"name": "decoy", "labels": {"k8slab.io/lesson": "day10"}},
             "data": {"owner": "someone else"}}
    controlplane.request("POST", f"/api/v1/namespaces/{lab_namespace}/configmaps", decoy)
    key = f"test.k8slab.io/{lab_namespace}"
    kube.patch("Node", "worker-1", {"metadata": {"labels": {key: "ssd"}}})
    assert json.loads(o.annotations(kube.get("Node", "worker-1"))[ADDED_LABELS])[key] == "day10"
    claims = ["www-nginx-sts-0", "www-nginx-sts-1", "www-nginx-sts-2"]
    follow.until("three Bound claims", lambda s: [
        o.dig(c, "status.phase") for c in s.list("PersistentVolumeClaim")] == ["Bound"] * 3)

    report = kube.reset(wait=True)

    assert sorted(report.deleted) == sorted(
        ["service/nginx-sts", "statefulset/nginx-sts"]
        + [f"persistentvolumeclaim/{c}" for c in claims])
    assert report.nodes == [f"worker-1: label {key}"]
    assert not report.namespace_deleted
    assert report.notes == [f"kept namespace {lab_namespace}: it holds 1 object(s) k8slab did "
                            "not create (configmap/decoy)"]
    follow.until("the lab's pods, claims and set gone", lambda s: not s.list("Pod")
                 and not s.list("PersistentVolumeClaim") and not s.list("StatefulSet"))
    assert o.dig(kube.get("ConfigMap", "decoy"), "data.owner") == "someone else"
    node = kube.get("Node", "worker-1")
    assert key not in o.labels(node) and ADDED_LABELS not in o.annotations(node)

    kube.delete("ConfigMap", "decoy")
    report = kube.reset(wait=True)
    assert report.namespace_deleted and report.deleted == []
    with pytest.raises(NotFound):
        kube.get("Namespace", lab_namespace)


def test_a_namespace_the_lab_did_not_create_is_never_deleted(
        open_lab: Callable[..., KubeCluster], controlplane_namespace: str) -> None:
    kube = open_lab(namespace=controlplane_namespace)
    assert not kube.namespace_created
    kube.apply(manifest("day10", "simple-statefulset.yaml"))
    report = kube.reset(wait=True)
    assert sorted(report.deleted) == ["service/web", "statefulset/web"]
    assert report.notes == [f"kept namespace {controlplane_namespace}: k8slab did not create it"]
    assert kube.get("Namespace", controlplane_namespace)


def test_restarting_the_apiserver_mid_watch_loses_and_repeats_nothing(
        open_lab: Callable[..., KubeCluster], lab_namespace: str, controlplane: Any) -> None:
    kube = open_lab()
    follow = Follower(kube.watch(["Pod", "StatefulSet"]), lab_namespace)
    kube.apply(manifest("day10", "simple-statefulset.yaml"))
    follow.until("web-0 Ready", lambda s: ready(s, "web-0"))

    controlplane.kill_apiserver()
    follow.until("the stream to say it is reconnecting",
                 lambda s: follow.stream.status.startswith("reconnecting"), timeout=30)
    controlplane.start_apiserver(wait=True)
    # Changes land while the watches are still backing off; they must be replayed.
    kube.scale("StatefulSet", "web", 4)
    follow.until("web-0..3 Ready", lambda s: ready(s, "web-0", "web-1", "web-2", "web-3"))
    kube.scale("StatefulSet", "web", 1)
    follow.until("scaled down to web-0", lambda s: pods_named(s) == ["web-0"]
                 and o.dig(s.get("StatefulSet", "web"), "status.replicas") == 1)
    follow.until("a healthy stream", lambda s: follow.stream.status == "")

    assert any(s.startswith("reconnecting (attempt") for s in follow.statuses)
    for kind in ("Pod", "StatefulSet"):  # the mirror ends exactly where the cluster is
        fresh = {o.name(x): o.meta(x)["resourceVersion"] for x in kube.list(kind)}
        follow.until(f"the mirror's {kind}s to catch up", lambda s, k=kind, f=fresh: {
            o.name(x): o.meta(x)["resourceVersion"] for x in s.list(k)} == f, timeout=10)
    pods = follow.state.history.select(kind="Pod")
    per_pod = Counter((t.name, t.uid, t.what) for t in pods)
    assert [k for k, n in per_pod.items() if n > 1] == []  # no duplicates
    whats = {name: [t.what for t in pods if t.name == name]
             for name in ("web-0", "web-1", "web-2", "web-3")}
    assert whats["web-0"][:3] == ["created", "scheduled", "running"]
    for name in ("web-1", "web-2", "web-3"):  # no gaps: each whole life, in order
        life = whats[name]
        assert life[0] == "created" and life[-1] == "deleted", (name, life)
        assert "ready" in life, (name, life)
    assert [t.name for t in follow.state.history.select(kind="Pod", what="deleted")] == [
        "web-3", "web-2", "web-1"]


def test_a_quiet_watch_sends_no_requests(open_lab: Callable[..., KubeCluster],
                                         lab_namespace: str) -> None:
    kube = open_lab()
    follow = Follower(kube.watch(), lab_namespace)  # every kind the lessons watch
    kube.apply(manifest("day10", "simple-statefulset.yaml"))
    follow.until("web-0..2 Ready", lambda s: ready(s, "web-0", "web-1", "web-2"))
    before = kube.api.requests
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        follow.pump(0.5)  # blocks on the stream
    assert kube.api.requests == before  # no polling: the open watches carry everything
    assert follow.stream.status == ""


def test_an_expired_resource_version_is_recovered_by_relisting(
        open_lab: Callable[..., KubeCluster], lab_namespace: str, controlplane: Any) -> None:
    kube = open_lab()
    kube.apply([cm("a", "1"), cm("b", "1")])
    # The controller-manager adds kube-root-ca.crt to new namespaces; let it land first.
    Follower(kube.watch(["ConfigMap"]), lab_namespace).until(
        "kube-root-ca.crt", lambda s: s.get("ConfigMap", "kube-root-ca.crt"))
    stream = EventStream()
    group = WatchGroup(stream)
    watcher = KindWatcher(kube.api, KINDS["ConfigMap"], lab_namespace, group)
    group.watchers.append(watcher)
    watcher.relist()  # what a consumer was told before losing track
    assert {("ADDED", "a"), ("ADDED", "b")} <= {
        (e.type, o.name(e.object)) for e in stream.drain()}
    kube.apply([cm("a", "2"), cm("c", "1")])
    kube.delete("ConfigMap", "b")
    # A restarted API server rebuilds its watch cache from now: older versions are Gone.
    controlplane.restart_apiserver()
    group.start()
    try:
        got = collect(stream, 3)
    finally:
        group.stop()
    assert watcher.relists == 1
    assert sorted((e.type, o.name(e.object)) for e in got) == [
        ("ADDED", "c"), ("DELETED", "b"), ("MODIFIED", "a")]
    assert stream.get(timeout=1) is None  # and nothing else: a is not repeated


def collect(stream: EventStream, count: int, timeout: float = 60) -> list[Any]:
    """The next `count` events of `stream`, blocking on it."""
    deadline = time.monotonic() + timeout
    got = []
    while len(got) < count and time.monotonic() < deadline:
        event = stream.get(timeout=deadline - time.monotonic())
        if event is not None:
            got.append(event)
    assert len(got) == count, f"only {len(got)} of {count} events: {got}"
    return got


def cm(name: str, value: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name},
            "data": {"value": value}}


def test_a_user_without_rbac_gets_the_forbidden_sentence(
        open_lab: Callable[..., KubeCluster], controlplane: Any,
        controlplane_namespace: str) -> None:
    ns = controlplane_namespace
    controlplane.request("POST", f"/api/v1/namespaces/{ns}/serviceaccounts",
                         {"apiVersion": "v1", "kind": "ServiceAccount",
                          "metadata": {"name": "learner"}})
    config = controlplane.kubeconfig_for_service_account(ns, "learner")
    kube = open_lab(namespace=ns, kubeconfig=config)  # may not read namespaces: assumed
    with pytest.raises(Forbidden) as caught:
        kube.apply(manifest("day10", "simple-statefulset.yaml"))
    assert caught.value.message == (
        f"You are not allowed to apply services web in namespace {ns} "
        f"(as system:serviceaccount:{ns}:learner).")
    assert caught.value.hint is not None and "'patch' on services" in caught.value.hint
    with pytest.raises(Forbidden) as caught:
        kube.list("Pod")
    assert caught.value.message.startswith(f"You are not allowed to list pods in namespace {ns}")
    follow = Follower(kube.watch(["Pod"]), ns)
    follow.until("the pod watch to give up", lambda s: "Pod" in kube.unwatched)
    assert kube.unwatched["Pod"].startswith("You are not allowed to list pods")


def test_a_terminating_namespace_is_refused_clearly(
        open_lab: Callable[..., KubeCluster], controlplane: Any, lab_namespace: str) -> None:
    kube = open_lab()
    held = {**cm("held", "1"), "metadata": {"name": "held", "finalizers": ["k8slab.io/test"]}}
    controlplane.request("POST", f"/api/v1/namespaces/{lab_namespace}/configmaps", held)
    kube.close()
    controlplane.request("DELETE", f"/api/v1/namespaces/{lab_namespace}")
    try:
        with pytest.raises(ClusterError) as caught:
            open_lab()
        assert caught.value.reason == "NamespaceTerminating"
        assert caught.value.message == (f"Namespace {lab_namespace} is being deleted, so the "
                                        "lab cannot use it yet.")
        with pytest.raises(ClusterError) as caught:
            kube2 = open_lab(ensure_namespace=False)
            kube2.apply([cm("new", "1")])
        assert caught.value.reason == "NamespaceTerminating"
    finally:
        controlplane.request("PATCH", f"/api/v1/namespaces/{lab_namespace}/configmaps/held",
                             {"metadata": {"finalizers": None}},
                             content_type="application/merge-patch+json")


def test_invalid_objects_carry_the_servers_field_messages(
        open_lab: Callable[..., KubeCluster]) -> None:
    kube = open_lab()
    broken = manifest("day10", "simple-statefulset.yaml")[1]
    broken["spec"]["selector"]["matchLabels"] = {"app": "other"}
    with pytest.raises(Invalid) as caught:
        kube.apply([broken])
    assert any("`selector` does not match template `labels`" in c for c in caught.value.causes)
    assert caught.value.message.startswith("The cluster rejected statefulset/web: spec.template")


def test_other_namespaces_are_moved_in_or_asked_about(
        open_lab: Callable[..., KubeCluster], lab_namespace: str) -> None:
    kube = open_lab()
    logger = manifest("day10", "simple-daemonset.yaml")[0]
    logger["metadata"]["namespace"] = "kube-system"
    with pytest.raises(CrossNamespace) as caught:
        kube.apply([logger], cross_namespace="ask")
    assert caught.value.objects == [("DaemonSet", "node-logger", "kube-system")]
    with pytest.raises(NotFound):
        kube.get("DaemonSet", "node-logger")  # nothing was applied
    (applied,) = kube.apply([logger])
    assert str(applied) == ("daemonset/node-logger created (moved from kube-system into the lab "
                            "namespace)")
    assert o.namespace(kube.get("DaemonSet", "node-logger")) == lab_namespace


def test_rollout_undo_restores_the_previous_template(
        open_lab: Callable[..., KubeCluster], lab_namespace: str) -> None:
    kube = open_lab()
    follow = Follower(kube.watch(["ControllerRevision", "DaemonSet"]), lab_namespace)
    kube.apply(manifest("day10", "simple-daemonset.yaml"))
    follow.until("revision 1", lambda s: len(s.list("ControllerRevision")) == 1)
    kube.patch("DaemonSet", "node-logger", {"spec": {"template": {"spec": {"containers": [
        {"name": "logger", "image": "busybox:1.37"}]}}}})
    # The controller may number the new revision 1 as well (its cache had not seen revision 1
    # yet); undo must still find the previous template.
    follow.until("revision 2", lambda s: len(s.list("ControllerRevision")) == 2)
    revisions = [(r["revision"], o.container_images(o.dig(r, "data.spec.template.spec")))
                 for r in kube.list("ControllerRevision")]
    assert kube.rollout_undo("DaemonSet", "node-logger") == (
        "daemonset/node-logger rolled back to revision 1"), revisions
    images = o.container_images(o.dig(kube.get("ds", "node-logger"), "spec.template.spec"))
    assert images == {"logger": "busybox"}


def test_logs_on_kwok_pods_fail_with_a_sentence(
        open_lab: Callable[..., KubeCluster], lab_namespace: str) -> None:
    """KWOK plays no container logs (exec it plays: tests/cluster/kube/test_exec_live.py)."""
    kube = open_lab()
    follow = Follower(kube.watch(["Pod"]), lab_namespace)
    kube.apply(manifest("day10", "simple-statefulset.yaml"))
    follow.until("web-0 Ready", lambda s: ready(s, "web-0"))
    with pytest.raises(ClusterError) as caught:
        kube.logs("web-0")
    assert caught.value.message == (
        "The cluster could not read the logs of pod/web-0: no logs found for container "
        f'"nginx" in pod "{lab_namespace}/web-0".')
    with pytest.raises(NotFound) as missing:
        kube.exec("web-9", ["true"])
    assert missing.value.message == f"Pod web-9 was not found in namespace {lab_namespace}."


def _kubeconfig(path: Any, server: str, token: str, ca: str | None) -> str:
    cluster = {"server": server}
    if ca:
        cluster["certificate-authority"] = ca
    config = {"apiVersion": "v1", "kind": "Config", "current-context": "lab",
              "clusters": [{"name": "c", "cluster": cluster}],
              "users": [{"name": "u", "user": {"token": token}}],
              "contexts": [{"name": "lab", "context": {"cluster": "c", "user": "u"}}]}
    path.write_text(json.dumps(config))
    return str(path)


@pytest.mark.parametrize(("case", "reason", "message"), [
    ("bad-token", "Unauthorized", "The cluster at {server} rejected your credentials."),
    ("no-ca", "Unavailable", "The TLS handshake with {server} failed: "),
    ("closed-port", "Unavailable", "Cannot connect to the cluster at https://127.0.0.1:{port}: "
                                   "connection refused."),
    ("context", "BadConfig", "Context prod not found in kubeconfig {path}; available: lab."),
])
def test_connection_failures_are_one_sentence(controlplane: Any, tmp_path: Any, case: str,
                                              reason: str, message: str) -> None:
    from tests.controlplane.process import free_port

    port = free_port()
    server = f"https://127.0.0.1:{port}" if case == "closed-port" else controlplane.server
    token = "bogus" if case == "bad-token" else controlplane.admin_token
    ca = None if case == "no-ca" else str(controlplane.ca_file)
    path = _kubeconfig(tmp_path / "config", server, token, ca)
    with pytest.raises(ClusterError) as caught:
        KubeCluster(namespace="k8slab-unused", lesson_id="day10", kubeconfig=path,
                    context="prod" if case == "context" else None)
    assert caught.value.reason == reason
    assert caught.value.message.startswith(message.format(server=server, port=port, path=path))
    assert caught.value.hint


def test_reset_never_deletes_a_workshop_learner_namespace(
        open_lab: Callable[..., KubeCluster], lab_namespace: str, controlplane: Any) -> None:
    """An instructor's credentials can delete anything; reset must still spare the namespace
    `k8slab workshop create` made for a learner, even though it carries k8slab's labels."""
    controlplane.request("POST", "/api/v1/namespaces", {
        "apiVersion": "v1", "kind": "Namespace",
        "metadata": {"name": lab_namespace,
                     "labels": {**LAB, "k8slab.io/workshop": "ws", "k8slab.io/learner": "ana"}}})
    kube = open_lab()
    assert not kube.namespace_created
    kube.apply(manifest("day10", "simple-daemonset.yaml"))

    report = kube.reset(wait=True)

    assert report.deleted == ["daemonset/node-logger"]
    assert not report.namespace_deleted
    assert any("workshop ws" in note for note in report.notes)
    assert o.name(kube.get("Namespace", lab_namespace)) == lab_namespace
