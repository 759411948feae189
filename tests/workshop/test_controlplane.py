"""Workshops on a real API server: RBAC isolation, a learner's progress reaching the
instructor, idempotent create, and a delete that spares what it did not create."""

from __future__ import annotations

import json
import secrets
import stat
import urllib.error
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from k8slab.cli import main
from k8slab.cluster.kinds import KINDS
from k8slab.cluster.kube import KubeCluster
from k8slab.cluster.kube.errors import Call
from k8slab.cluster.kube.transport import collection_path, object_path, release
from k8slab.cluster.protocol import EventStream
from k8slab.errors import Forbidden, K8slabError
from k8slab.lessons import load_lesson
from k8slab.progress import Progress
from k8slab.workshop.admin import AdminClient
from k8slab.workshop.kubeconfig import parse_duration
from k8slab.workshop.monitor import WorkshopMonitor
from k8slab.workshop.plan import workshop_plan
from k8slab.workshop.progress_store import save_progress
from k8slab.workshop.provision import create_workshop, resolve_workshop
from tests.controlplane.plane import ControlPlane
from tests.workshop.provisioned import Provisioned, provisioned

pytestmark = pytest.mark.controlplane

T = TypeVar("T")
TIMEOUT = 90.0


@pytest.fixture(scope="module")
def live(controlplane: ControlPlane, tmp_path_factory: pytest.TempPathFactory
         ) -> Iterator[Provisioned]:
    """A Day 10 workshop on the control plane with learners ana and ben."""
    with provisioned(controlplane, tmp_path_factory.mktemp("kubeconfigs"), ["ana", "ben"]) as ws:
        yield ws


def wait_until(what: str, probe: Callable[[], T | None], stream: EventStream,
               timeout: float = TIMEOUT) -> T:
    """Re-check `probe` whenever the cluster reports a change (or every 2s) until it holds."""
    import time

    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        stream.get(timeout=2.0)
        stream.drain()
    pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}; last: {last!r}")


def forbidden(fn: Callable[[], Any]) -> Forbidden:
    with pytest.raises(Forbidden) as err:
        fn()
    return err.value


# -- what create made ---------------------------------------------------------------------

def test_kubeconfigs_are_private_and_scoped(live: Provisioned) -> None:
    path = Path(live.kubeconfig("ana"))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    ana = live.client("ana")
    assert ana.connection.namespace == live.ns("ana")
    assert ana.connection.server == live.cp.server
    pods, _ = ana.list("Pod", live.ns("ana"))
    assert pods == []


def test_learner_namespace_enforces_baseline_pod_security(live: Provisioned) -> None:
    # Even an admin cannot start a privileged pod there: the namespace refuses it.
    pod = {"apiVersion": "v1", "kind": "Pod",
           "metadata": {"name": "root", "namespace": live.ns("ana")},
           "spec": {"containers": [{"name": "c", "image": "busybox",
                                    "securityContext": {"privileged": True}}]}}
    with pytest.raises(urllib.error.HTTPError) as err:
        live.cp.request("POST", f"/api/v1/namespaces/{live.ns('ana')}/pods", pod)
    assert err.value.code == 403
    message = json.loads(err.value.read())["message"]
    assert 'violates PodSecurity "baseline:latest"' in message


# -- isolation ----------------------------------------------------------------------------

def test_learner_a_is_refused_in_learner_b_namespace(live: Provisioned) -> None:
    ana, own, other = live.client("ana"), live.ns("ana"), live.ns("ben")
    cm = KINDS["ConfigMap"]

    def get(ns: str) -> Any:
        return ana.get("ConfigMap", "k8slab-progress", ns)

    def list_(ns: str) -> Any:
        return ana.list("ConfigMap", ns)

    def watch(ns: str) -> Any:
        resp = ana.api.open_stream(collection_path(cm, ns), Call("watch", "configmaps"),
                                   query={"watch": True, "timeoutSeconds": 1},
                                   read_timeout=5)
        release(resp)  # abort the stream: an unread response must not go back to the pool
        return resp

    sts = {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "intruder"},
           "spec": {"serviceName": "x", "selector": {"matchLabels": {"a": "b"}},
                    "template": {"metadata": {"labels": {"a": "b"}},
                                 "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}}

    def create(ns: str) -> Any:
        k = KINDS["StatefulSet"]
        return ana.api.request("POST", collection_path(k, ns), Call("create", k.plural),
                               body={**sts, "metadata": {"name": "intruder", "namespace": ns}},
                               query={"dryRun": "All"})

    for verb in (get, list_, watch, create):
        verb(own)  # allowed at home: the credentials work
        err = forbidden(lambda verb=verb: verb(other))  # type: ignore[misc]
        assert f"system:serviceaccount:{own}:learner" in err.message or "not allowed" in \
            err.message


def test_learner_cannot_change_nodes_or_grant_rights(live: Provisioned) -> None:
    ana, own = live.client("ana"), live.ns("ana")
    nodes, _ = ana.list("Node")  # reading nodes is allowed: DaemonSet coverage
    assert {n["metadata"]["name"] for n in nodes} >= {"worker-1", "worker-2"}
    node = KINDS["Node"]
    forbidden(lambda: ana.api.request(
        "PATCH", object_path(node, "worker-1"), Call("patch", "nodes", "Node", "worker-1"),
        body={"metadata": {"labels": {"gpu": "true"}}},
        content_type="application/merge-patch+json"))
    binding = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
               "metadata": {"name": "escalate", "namespace": own},
               "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                           "name": "admin"},
               "subjects": [{"kind": "ServiceAccount", "name": "learner", "namespace": own}]}
    rb = KINDS["RoleBinding"]
    forbidden(lambda: ana.api.request("POST", collection_path(rb, own),
                                      Call("create", "rolebindings"), body=binding))
    forbidden(lambda: ana.get("Namespace", live.ns("ben")))
    forbidden(lambda: ana.list("Namespace"))


# -- progress the instructor can trust ----------------------------------------------------

def test_learner_completes_a_step_and_the_instructor_sees_it(
        live: Provisioned, capsys: pytest.CaptureFixture[str]) -> None:
    own = live.ns("ana")
    workshop = resolve_workshop(live.admin, live.name)
    monitor = WorkshopMonitor(live.admin, workshop, live.lesson)
    monitor.load()
    monitor.start()
    learner = KubeCluster(namespace=own, lesson_id="day10", kubeconfig=live.kubeconfig("ana"))
    try:
        stream = learner.watch()
        manifest = live.lesson.manifests["simple-statefulset.yaml"]
        applied = learner.apply(list(manifest.objects))
        assert {a.outcome for a in applied} == {"created"}
        item = live.lesson.item("headless-statefulsets")
        answers = {q.id: q.answer for q in item.quiz}
        save_progress(learner, own, "day10",
                      Progress("day10", "kube", own, step="statefulset-basics",
                               answers=answers))

        def dashboard_shows() -> Any:
            row = next(r for r in monitor.refresh().learners if r.learner == "ana")
            cell = row.items["headless-statefulsets"]
            return cell if cell.state == "passed" else None

        cell = wait_until("the dashboard to show ana's StatefulSet item", dashboard_shows,
                          stream)
        assert cell.source == "cluster"
        # By now every watch has listed: the Role covers everything the lab watches.
        assert learner.unwatched == {}

        capsys.readouterr()
        assert main(["workshop", "status", "--json", "--name", live.name,
                     "--kubeconfig", str(live.cp.kubeconfig)]) == 0
        data = json.loads(capsys.readouterr().out)
        rows = {r["learner"]: r for r in data["learners"]}
        assert rows["ana"]["items"]["headless-statefulsets"]["state"] == "passed"
        assert rows["ana"]["items"]["headless-statefulsets"]["source"] == "cluster"
        assert rows["ana"]["step"] == "statefulset-basics"
        assert rows["ben"]["items"]["headless-statefulsets"]["state"] == "todo"
        totals = {i["id"]: i["passed"] for i in data["items"]}
        assert totals["headless-statefulsets"] == 1
    finally:
        learner.close()
        monitor.stop()


def test_a_node_label_from_the_instructor_reaches_a_learner_daemonset(live: Provisioned) -> None:
    # A "demo" step that still counts: the instructor labels a shared node, the learner's own
    # DaemonSet follows, and the dashboard, which watched it happen, verifies the item.
    own = live.ns("ben")
    workshop = resolve_workshop(live.admin, live.name)
    monitor = WorkshopMonitor(live.admin, workshop, live.lesson)
    monitor.load()
    monitor.start()
    learner = KubeCluster(namespace=own, lesson_id="day10", kubeconfig=live.kubeconfig("ben"))
    node = KINDS["Node"]

    def label(value: str | None) -> None:
        live.admin.api.request("PATCH", object_path(node, "worker-1"),
                               Call("patch", "nodes", "Node", "worker-1"),
                               body={"metadata": {"labels": {"gpu": value}}},
                               content_type="application/merge-patch+json")

    try:
        stream = learner.watch()
        learner.apply(list(live.lesson.manifests["selective-daemonset.yaml"].objects))

        def pods_on_worker_1() -> list[Any]:
            monitor.refresh()
            state = monitor.state_of("ben")
            assert state is not None
            return [p for p in state.list("Pod", own)
                    if p["spec"].get("nodeName") == "worker-1"
                    and any(c.get("type") == "Ready" and c.get("status") == "True"
                            for c in p.get("status", {}).get("conditions", []))]

        label("true")
        wait_until("a gpu-monitor pod on worker-1", pods_on_worker_1, stream)
        label(None)

        def item_passed() -> Any:
            row = next(r for r in monitor.refresh().learners if r.learner == "ben")
            cell = row.items["node-selectors"]
            return cell if cell.state == "passed" else None

        cell = wait_until("node-selectors to pass on the dashboard", item_passed, stream)
        assert cell.source == "cluster"
        assert "worker-1" in cell.detail
    finally:
        label(None)
        learner.close()
        monitor.stop()


# -- idempotency and clean-up ---------------------------------------------------------------

def _identities(admin: AdminClient, live: Provisioned) -> dict[str, tuple[str, str]]:
    out = {}
    for plan in workshop_plan(live.name, ["ana", "ben"], live.lesson):
        for obj in plan.objects:
            found = admin.get(obj["kind"], obj["metadata"]["name"],
                              obj["metadata"].get("namespace"))
            meta = found["metadata"]
            out[f"{obj['kind']}/{meta.get('namespace', '')}/{meta['name']}"] = (
                meta["uid"], meta["resourceVersion"])
    return out


def test_create_twice_yields_the_same_objects(live: Provisioned,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    before = _identities(live.admin, live)
    old_token = Path(live.kubeconfig("ben")).read_text()
    capsys.readouterr()
    assert main(["workshop", "create", "day10", "--learners", "ana,ben", "--name", live.name,
                 "--kubeconfig", str(live.cp.kubeconfig), "--out", str(live.out),
                 "--duration", "1h"]) == 0
    out = capsys.readouterr().out
    assert "created" not in out and "configured" not in out
    assert out.count("9 unchanged") >= 2
    assert _identities(live.admin, live) == before
    assert Path(live.kubeconfig("ben")).read_text() != old_token  # a fresh token
    assert live.client("ben").list("Pod", live.ns("ben"))[0] == []


def test_create_repairs_what_was_changed(live: Provisioned) -> None:
    role = live.admin.get("Role", "learner", live.ns("ben"))
    live.admin.delete("LimitRange", "learner", live.ns("ben"))
    results = create_workshop(live.admin, live.lesson, live.name, ["ben"], live.out,
                              parse_duration("1h"))
    assert results[0].outcomes["LimitRange/learner"] == "created"
    assert results[0].outcomes["Role/learner"] == "unchanged"
    assert live.admin.get("Role", "learner", live.ns("ben"))["metadata"]["uid"] == \
        role["metadata"]["uid"]


def test_create_never_takes_over_a_namespace(live: Provisioned) -> None:
    live.cp.request("POST", "/api/v1/namespaces", {
        "apiVersion": "v1", "kind": "Namespace", "metadata": {"name": live.ns("carla")}})
    with pytest.raises(K8slabError, match="not part of workshop"):
        create_workshop(live.admin, live.lesson, live.name, ["carla"], live.out, 3600)
    live.cp.request("DELETE", f"/api/v1/namespaces/{live.ns('carla')}")


def test_delete_removes_only_the_workshop(controlplane: ControlPlane, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    admin = AdminClient(kubeconfig=str(controlplane.kubeconfig))
    name = f"del{secrets.token_hex(2)}"
    lesson = load_lesson("day11")
    create_workshop(admin, lesson, name, ["ana"], tmp_path, 3600)
    decoys = {
        f"{name}-mallory": {},  # looks like a learner namespace, carries no labels
        f"{name}x-eve": {"app.kubernetes.io/managed-by": "k8slab",
                         "k8slab.io/workshop": f"{name}x", "k8slab.io/learner": "eve"},
    }
    for ns, labels in decoys.items():
        controlplane.request("POST", "/api/v1/namespaces", {
            "apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": ns, "labels": labels}})
    try:
        kubeconfig = str(controlplane.kubeconfig)
        assert main(["workshop", "delete", "--name", name, "--kubeconfig", kubeconfig]) == 0
        out = capsys.readouterr().out
        assert f"namespace/{name}-ana deleted" in out
        assert f"workshop {name}: 1 namespace and 2 cluster-wide objects deleted" in out
        assert "clusterrolebinding/" in out and "clusterrole/" in out
        for ns in decoys:
            found = admin.get("Namespace", ns)
            assert "deletionTimestamp" not in found["metadata"], ns
        gone = admin.list("Namespace", label_selector=f"k8slab.io/workshop={name}")[0]
        assert all("deletionTimestamp" in ns["metadata"] for ns in gone)
        assert admin.list("ClusterRoleBinding",
                          label_selector=f"k8slab.io/workshop={name}")[0] == []
    finally:
        for ns in decoys:
            controlplane.request("DELETE", f"/api/v1/namespaces/{ns}")
