"""The action runner against the embedded sim: every action, its outcome and its History
record; waits on the virtual clock; failures as clear outcomes, never exceptions."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

import pytest

from k8slab.actions import Action
from k8slab.cluster import objects as o
from k8slab.cluster.factory import open_cluster
from k8slab.cluster.protocol import Capabilities
from k8slab.lessons import load_lesson
from k8slab.lessons.model import Lesson
from k8slab.runner import ActionRunner
from k8slab.state.mirror import ClusterState


@functools.cache
def _lesson(lesson_id: str) -> Lesson:
    return load_lesson(lesson_id)  # lessons are immutable: load each once


def _runner(lesson_id: str) -> Iterator[ActionRunner]:
    lesson = _lesson(lesson_id)
    cluster = open_cluster(lesson)
    try:
        yield ActionRunner(cluster, lesson, ClusterState(cluster.namespace))
    finally:
        cluster.close()


@pytest.fixture
def day10() -> Iterator[ActionRunner]:
    yield from _runner("day10")


@pytest.fixture
def day11() -> Iterator[ActionRunner]:
    yield from _runner("day11")


def act(runner: ActionRunner, action: str, /, **params: Any) -> Any:
    return runner.run(Action(action, {k.replace("_", "-"): v for k, v in params.items()}))


def ready(runner: ActionRunner, sts: str, timeout: float = 300) -> None:
    out = act(runner, "wait", timeout=timeout,
              **{"for": {"kind": "statefulset-ready", "statefulset": sts}})
    assert out.ok, out.message


def test_apply_then_wait_runs_on_the_virtual_clock(day10: ActionRunner) -> None:
    applied = act(day10, "apply", manifest="simple-statefulset.yaml")
    assert applied.ok
    assert applied.message == "service/web created\nstatefulset/web created"
    assert day10.cluster.now() == 0.0
    waited = act(day10, "wait", **{"for": {"statefulset-ready": {"statefulset": "web"}}})
    assert waited.ok
    assert waited.message.startswith("statefulset-ready: 3/3 replicas of web are Ready")
    assert day10.cluster.now() > 0.0, "the sim's clock moved, not the wall clock"
    pods = day10.state.list("Pod", owner="StatefulSet/web")
    assert [o.name(p) for p in pods] == ["web-0", "web-1", "web-2"]


def test_a_wait_that_times_out_says_what_it_last_saw(day10: ActionRunner) -> None:
    out = act(day10, "wait", timeout=30, **{"for": {"kind": "statefulset-ready",
                                                      "statefulset": "nope"}})
    assert not out.ok
    assert out.message == ("timed out after 30s waiting for statefulset-ready: "
                           "statefulset/nope does not exist in namespace k8slab-day10")
    assert day10.cluster.now() >= 30.0


def test_a_wait_for_an_unknown_check_is_a_clear_failure(day10: ActionRunner) -> None:
    out = act(day10, "wait", **{"for": {"kind": "statefulset-happy", "statefulset": "web"}})
    assert not out.ok and "unknown check kind 'statefulset-happy'" in out.message


def test_failures_are_outcomes_recorded_in_history(day10: ActionRunner) -> None:
    out = act(day10, "scale", kind="StatefulSet", name="ghost", replicas=2)
    assert not out.ok
    assert "ghost" in out.message and "not found" in out.message
    record = day10.state.history.select(kind="Lab", what="action")[-1]
    assert record.detail["action"] == "scale"
    assert record.detail["ok"] is False
    assert record.detail["message"] == out.message


def test_an_unknown_manifest_is_named(day10: ActionRunner) -> None:
    out = act(day10, "apply", manifest="nope.yaml")
    assert not out.ok and out.message == "lesson day10 has no manifest 'nope.yaml'"


def test_scale_and_delete_pod_by_selector(day10: ActionRunner) -> None:
    act(day10, "apply", manifest="simple-statefulset.yaml")
    ready(day10, "web")
    assert act(day10, "scale", name="web", replicas=4).message == \
        "statefulset.apps/web scaled to 4"
    ready(day10, "web")
    out = act(day10, "delete-pod", selector="app=nginx")
    assert out.ok and out.message == 'pod "web-0" deleted'
    assert day10.state.history.select(kind="Pod", name="web-0", what="terminating")
    none = act(day10, "delete-pod", selector="app=nothing")
    assert not none.ok and "No running pod matches app=nothing" in none.message


def test_label_and_unlabel_the_first_worker(day10: ActionRunner) -> None:
    out = act(day10, "label-node", labels={"gpu": "true"})
    assert out.ok and out.message == "node/worker-1 labeled gpu=true"
    assert o.labels(day10.cluster.get("Node", "worker-1"))["gpu"] == "true"
    out = act(day10, "unlabel-node", keys=["gpu"])
    assert out.ok and out.message == "node/worker-1 unlabeled gpu-"
    assert "gpu" not in o.labels(day10.cluster.get("Node", "worker-1"))
    kinds = [t.what for t in day10.state.history.select(kind="Node", name="worker-1")]
    assert "labelled" in kinds and "unlabelled" in kinds


def test_taint_and_untaint(day10: ActionRunner) -> None:
    out = act(day10, "taint-node", node="worker-2", key="dedicated", value="db",
              effect="NoSchedule")
    assert out.ok and out.message == "node/worker-2 tainted dedicated=db:NoSchedule"
    taints = o.dig(day10.cluster.get("Node", "worker-2"), "spec.taints")
    assert {"key": "dedicated", "value": "db", "effect": "NoSchedule"} in taints
    assert act(day10, "untaint-node", node="worker-2", key="dedicated").ok
    assert not o.dig(day10.cluster.get("Node", "worker-2"), "spec.taints")
    missing = act(day10, "untaint-node", node="worker-2", key="dedicated")
    assert not missing.ok and missing.message == 'node/worker-2 has no taint "dedicated"'


def test_add_and_remove_nodes_on_the_sim(day10: ActionRunner) -> None:
    act(day10, "apply", manifest="simple-daemonset.yaml")
    out = act(day10, "add-node", name="worker-3", labels={"disk": "ssd"})
    assert out.ok and out.message == "node/worker-3 added"
    covered = act(day10, "wait", **{"for": {"kind": "daemonset-covers",
                                              "daemonset": "node-logger"}})
    assert covered.ok and "3 eligible nodes" in covered.message
    assert act(day10, "remove-node", name="worker-3").ok
    assert day10.state.get("Node", "worker-3") is None


def test_node_edits_are_unsupported_where_the_backend_cannot(day10: ActionRunner,
                                                              monkeypatch: pytest.MonkeyPatch
                                                              ) -> None:
    monkeypatch.setattr(day10.cluster, "capabilities", Capabilities(edit_nodes=False))
    out = act(day10, "add-node", name="worker-9")
    assert not out.ok
    assert out.message.startswith("add node works only on the embedded sim")


def test_set_image_names_a_missing_container(day10: ActionRunner) -> None:
    act(day10, "apply", manifest="simple-daemonset.yaml")
    bad = act(day10, "set-image", kind="DaemonSet", name="node-logger", container="loger",
              image="busybox:1.36")
    assert not bad.ok
    assert bad.message == 'daemonset.apps/node-logger has no container named "loger"'
    assert bad.hint == "its containers: logger"
    good = act(day10, "set-image", kind="DaemonSet", name="node-logger", container="logger",
               image="busybox:1.36")
    assert good.ok
    ds = day10.cluster.get("DaemonSet", "node-logger")
    assert o.dig(ds, "spec.template.spec.containers.0.image") == "busybox:1.36"


def test_rollout_undo_restores_the_previous_template(day10: ActionRunner) -> None:
    act(day10, "apply", manifest="simple-daemonset.yaml")
    before = o.dig(day10.cluster.get("DaemonSet", "node-logger"),
                   "spec.template.spec.containers.0.image")
    act(day10, "wait", **{"for": {"kind": "daemonset-covers", "daemonset": "node-logger"}})
    act(day10, "set-image", kind="DaemonSet", name="node-logger", container="logger",
        image="busybox:1.36")
    act(day10, "wait", **{"for": {"kind": "daemonset-rolled-out", "daemonset": "node-logger",
                                  "image": "busybox:1.36"}})
    out = act(day10, "rollout-undo", kind="DaemonSet", name="node-logger")
    assert out.ok and "rolled back" in out.message
    after = o.dig(day10.cluster.get("DaemonSet", "node-logger"),
                  "spec.template.spec.containers.0.image")
    assert after == before


def test_patch_a_partition(day10: ActionRunner) -> None:
    act(day10, "apply", manifest="simple-statefulset.yaml")
    out = act(day10, "patch", kind="StatefulSet", name="web",
              patch={"spec": {"updateStrategy": {"rollingUpdate": {"partition": 2}}}})
    assert out.ok and out.message == "statefulset.apps/web patched"
    assert day10.state.history.select(kind="StatefulSet", name="web",
                                      what="partition-changed")


def test_exec_is_recorded_on_the_pod_and_expect_checks_the_output(day10: ActionRunner) -> None:
    act(day10, "apply", manifest="statefulset-with-storage.yaml")
    ready(day10, "nginx-sts")
    path = "/usr/share/nginx/html/custom.txt"
    write = act(day10, "exec", pod="nginx-sts-0",
                command=["sh", "-c", f"echo 'Custom data for pod 0' >> {path}"])
    assert write.ok
    read = act(day10, "exec", pod="nginx-sts-0", command=["cat", path], expect="pod 0")
    assert read.ok and "Custom data for pod 0" in read.message
    wrong = act(day10, "exec", pod="nginx-sts-0", command=["cat", path], expect="pod 7")
    assert not wrong.ok
    assert wrong.message.startswith(f"nginx-sts-0: the output of `cat {path}` does not "
                                    f"contain 'pod 7'")
    execs = day10.state.history.select(kind="Pod", name="nginx-sts-0", what="exec")
    uid = o.uid(day10.cluster.get("Pod", "nginx-sts-0"))
    assert [t.uid for t in execs] == [uid, uid, uid]
    assert execs[1].detail["command"] == ["cat", path]
    assert "Custom data for pod 0" in execs[1].detail["stdout"]
    assert execs[1].detail["exit_code"] == 0


def test_exec_fills_in_the_namespace(day10: ActionRunner) -> None:
    act(day10, "apply", manifest="simple-statefulset.yaml")
    ready(day10, "web")
    out = act(day10, "exec", pod="web-0",
              command=["nslookup", "web-1.web.{{namespace}}.svc.cluster.local"])
    assert out.ok, out.message
    ip = o.dig(day10.cluster.get("Pod", "web-1"), "status.podIP")
    assert ip in out.message


def test_exec_in_a_missing_pod_fails_cleanly(day10: ActionRunner) -> None:
    out = act(day10, "exec", pod="ghost-0", command=["hostname"])
    assert not out.ok and 'pods "ghost-0" not found' in out.message


def test_trigger_cronjob_builds_what_kubectl_create_job_from_builds(day11: ActionRunner) -> None:
    assert act(day11, "apply", manifest="system-maintenance.yaml").ok
    out = act(day11, "trigger-cronjob", cronjob="system-maintenance", job="manual-maintenance")
    assert out.ok and out.message == "job.batch/manual-maintenance created"
    job = day11.cluster.get("Job", "manual-maintenance")
    cj = day11.cluster.get("CronJob", "system-maintenance")
    assert o.annotations(job)["cronjob.kubernetes.io/instantiate"] == "manual"
    ref = o.owner(job)
    assert ref is not None and ref["kind"] == "CronJob" and ref["uid"] == o.uid(cj)
    assert o.labels(job)["cronjob"] == "system-maintenance"
    again = act(day11, "trigger-cronjob", cronjob="system-maintenance",
                job="manual-maintenance")
    assert not again.ok and again.message == 'jobs.batch "manual-maintenance" already exists'


def test_suspend_and_resume(day11: ActionRunner) -> None:
    act(day11, "apply", manifest="system-maintenance.yaml")
    assert act(day11, "suspend-cronjob", cronjob="system-maintenance").ok
    assert o.dig(day11.cluster.get("CronJob", "system-maintenance"), "spec.suspend") is True
    assert act(day11, "resume-cronjob", cronjob="system-maintenance").ok
    whats = [t.what for t in day11.state.history.select(kind="CronJob")]
    assert whats[-2:] == ["suspended", "resumed"]


def test_advance_clock_and_jump_to_the_next_cron_run(day11: ActionRunner) -> None:
    act(day11, "apply", manifest="system-maintenance.yaml")
    out = act(day11, "advance-clock", seconds=42)
    assert out.ok and day11.cluster.now() == pytest.approx(42.0)
    jumped = act(day11, "advance-clock", to_next_cron=True)
    assert jumped.ok, jumped.message
    assert day11.cluster.now() >= 300.0, "*/5 runs at 00:05"
    jobs = day11.state.list("Job", owner="CronJob/system-maintenance")
    assert len(jobs) == 1


def test_scheduled_times_pass_while_a_cronjob_is_suspended(day11: ActionRunner) -> None:
    act(day11, "apply", manifest="system-maintenance.yaml")
    act(day11, "advance-clock", seconds=42)
    act(day11, "suspend-cronjob", cronjob="system-maintenance")
    out = act(day11, "advance-clock", scheduled_times=2, cronjob="system-maintenance")
    assert out.ok, out.message
    assert day11.cluster.now() == pytest.approx(601.0)  # past 00:05 and 00:10
    assert out.message == ("advanced the clock 559s, past 2 of CronJob "
                           "system-maintenance's scheduled times")
    assert day11.state.list("Job", owner="CronJob/system-maintenance") == []


def test_advance_clock_jumps_even_when_a_ui_drives_the_clock() -> None:
    lesson = _lesson("day11")
    cluster = open_cluster(lesson, realtime=True)
    try:
        runner = ActionRunner(cluster, lesson, ClusterState(cluster.namespace))
        act(runner, "apply", manifest="hello-job.yaml")
        out = act(runner, "advance-clock", seconds=120)
        assert out.ok and cluster.now() == pytest.approx(120.0)
        assert runner.state.history.select(kind="Job", name="hello", what="complete")
    finally:
        cluster.close()


def test_advance_clock_needs_a_duration(day11: ActionRunner) -> None:
    out = act(day11, "advance-clock", seconds=0)
    assert not out.ok and "seconds greater than 0" in out.message


def test_answers_by_item_or_question(day10: ActionRunner) -> None:
    lesson: Lesson = day10.lesson
    item = next(i for i in lesson.checklist if len(i.quiz) == 1)
    q = item.quiz[0]
    assert act(day10, "answer", item=item.id, choice=q.answer).ok
    assert day10.answers[q.id] == q.answer
    bad = act(day10, "answer", item=q.id, choice=99)
    assert not bad.ok and f"question {q.id} has no choice 99" == bad.message


def test_solve_answers_every_question(day10: ActionRunner) -> None:
    day10.answer_all()
    questions = [q for item in day10.lesson.checklist for q in item.quiz]
    assert questions and all(day10.answers[q.id] == q.answer for q in questions)


# -- on a real API server ---------------------------------------------------------------------

@pytest.fixture
def kube10(controlplane: Any, controlplane_namespace: str) -> Iterator[ActionRunner]:
    lesson = _lesson("day10")
    cluster = open_cluster(lesson, kube=True, kubeconfig=str(controlplane.kubeconfig),
                           namespace=controlplane_namespace)
    try:
        runner = ActionRunner(cluster, lesson, ClusterState(cluster.namespace))
        runner.settle()
        yield runner
    finally:
        cluster.close()


@pytest.mark.controlplane
def test_kube_apply_and_wait_in_real_time(kube10: ActionRunner) -> None:
    assert act(kube10, "apply", manifest="simple-statefulset.yaml").ok
    out = act(kube10, "wait", timeout=120, **{"for": {"kind": "statefulset-ready",
                                                        "statefulset": "web"}})
    assert out.ok, out.message
    grade = act(kube10, "wait", timeout=30, **{"for": {"kind": "ordered-creation",
                                                         "statefulset": "web"}})
    assert grade.ok, grade.message


@pytest.mark.controlplane
def test_kube_manual_trigger_matches_kubectl(controlplane: Any,
                                             controlplane_namespace: str) -> None:
    lesson = _lesson("day11")
    cluster = open_cluster(lesson, kube=True, kubeconfig=str(controlplane.kubeconfig),
                           namespace=controlplane_namespace)
    try:
        runner = ActionRunner(cluster, lesson, ClusterState(cluster.namespace))
        assert act(runner, "apply", manifest="system-maintenance.yaml").ok
        out = act(runner, "trigger-cronjob", cronjob="system-maintenance",
                  job="manual-maintenance")
        assert out.ok, out.message
        job = cluster.get("Job", "manual-maintenance")
        ref = o.owner(job)
        assert ref is not None and ref["kind"] == "CronJob"
        assert ref["uid"] == o.uid(cluster.get("CronJob", "system-maintenance"))
        assert o.annotations(job)["cronjob.kubernetes.io/instantiate"] == "manual"
        seen = act(runner, "wait", timeout=30, **{"for": {
            "kind": "cronjob-manual-trigger", "cronjob": "system-maintenance"}})
        assert seen.ok, seen.message
        too_long = act(runner, "advance-clock", seconds=3600)
        assert not too_long.ok and "cannot be moved" in too_long.message
        hours = act(runner, "advance-clock", scheduled_times=13, cronjob="system-maintenance")
        assert not hours.ok and hours.skipped and "longer than k8slab waits" in hours.message
        assert hours.hint.startswith("add --fast-cron")
        nodes = act(runner, "add-node", name="worker-9")
        assert not nodes.ok and "only on the embedded sim" in nodes.message
    finally:
        cluster.close()


@pytest.mark.controlplane
def test_kube_node_labels_and_taints(kube10: ActionRunner) -> None:
    node = sorted(o.name(n) for n in kube10.cluster.list("Node")
                  if "node-role.kubernetes.io/control-plane" not in o.labels(n))[0]
    try:
        assert act(kube10, "label-node", node=node, labels={"k8slab-test": "yes"}).ok
        assert o.labels(kube10.cluster.get("Node", node))["k8slab-test"] == "yes"
        assert act(kube10, "taint-node", node=node, key="k8slab-test", value="x").ok
        taints = o.dig(kube10.cluster.get("Node", node), "spec.taints") or []
        assert any(t["key"] == "k8slab-test" for t in taints)
    finally:
        act(kube10, "untaint-node", node=node, key="k8slab-test")
        act(kube10, "unlabel-node", node=node, keys=["k8slab-test"])
    assert "k8slab-test" not in o.labels(kube10.cluster.get("Node", node))
    assert not any(t.get("key") == "k8slab-test"
                   for t in o.dig(kube10.cluster.get("Node", node), "spec.taints") or [])


def test_the_lab_watch_sees_kube_system_on_the_sim(day10: ActionRunner) -> None:
    """log-collector stays in kube-system on the sim; the runner's watch must see it."""
    assert act(day10, "apply", manifest="log-collector-daemonset.yaml").ok
    out = act(day10, "wait", **{"for": {"kind": "daemonset-hostpath",
                                          "daemonset": "log-collector",
                                          "namespace": "kube-system"}})
    assert out.ok, out.message
    assert day10.state.get("DaemonSet", "log-collector", "kube-system") is not None
