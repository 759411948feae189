"""Kubelet fidelity: lifecycle, status fields, init containers, restarts and back-off,
readiness probes, graceful termination, logs and behaviour hints."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from k8slab.cluster.sim.store import parse_timestamp
from k8slab.lessons.model import SimBehaviour
from tests.cluster.sim.simlab import SimLab, pod, ready, statefulset, sts_ready


def _status(lab: SimLab, name: str) -> dict[str, Any]:
    return dict(lab.sim.get("Pod", name)["status"])


def test_lifecycle_and_status_fields() -> None:
    lab = SimLab()
    lab.apply(pod("p"))
    lab.run(0.2)
    st = _status(lab, "p")
    assert st["phase"] == "Pending"
    assert st["containerStatuses"][0]["state"] == {"waiting": {"reason": "ContainerCreating"}}
    lab.run_until(lambda lb: ready(lb, "p"))
    st = _status(lab, "p")
    cs = st["containerStatuses"][0]
    assert st["phase"] == "Running" and st["podIP"].startswith("10.244.")
    assert st["hostIP"].startswith("172.18.0.")
    assert cs["ready"] and cs["started"] and cs["restartCount"] == 0
    assert "running" in cs["state"] and cs["containerID"].startswith("containerd://")
    assert cs["image"] == "docker.io/library/busybox:latest"
    assert [c["type"] for c in st["conditions"]] == [
        "PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled"]
    reasons = [e["reason"] for e in lab.sim.list("Event")
               if e["involvedObject"]["name"] == "p"]
    assert reasons == ["Scheduled", "Pulling", "Pulled", "Created", "Started"]
    whats = [t.what for t in lab.history(kind="Pod", name="p")]
    assert whats == ["created", "scheduled", "running", "ready"]


def test_init_containers_run_first_in_order() -> None:
    lab = SimLab()
    p = pod("init", script="sleep 3600")
    p["spec"]["initContainers"] = [
        {"name": "one", "image": "busybox", "command": ["sh", "-c", "sleep 4"]},
        {"name": "two", "image": "busybox", "command": ["sysctl", "-w", "vm.max_map_count=1"]},
    ]
    lab.apply(p)
    lab.run(3)
    st = _status(lab, "init")
    assert st["phase"] == "Pending"
    assert st["initContainerStatuses"][0]["state"].get("running")
    assert st["containerStatuses"][0]["state"] == {"waiting": {"reason": "PodInitializing"}}
    lab.run_until(lambda lb: ready(lb, "init"))
    st = _status(lab, "init")
    inits = st["initContainerStatuses"]
    assert [s["state"]["terminated"]["reason"] for s in inits] == ["Completed", "Completed"]
    first_done = parse_timestamp(inits[0]["state"]["terminated"]["finishedAt"])
    second_start = parse_timestamp(inits[1]["state"]["terminated"]["startedAt"])
    app_start = parse_timestamp(st["containerStatuses"][0]["state"]["running"]["startedAt"])
    assert first_done <= second_start <= app_start


def test_crash_loop_back_off_doubles() -> None:
    lab = SimLab()
    lab.apply(pod("crash", script="echo boom; exit 2"))
    lab.run(200)
    restarts = [t.time for t in lab.history(kind="Pod", name="crash", what="restarted")]
    gaps = [round(b - a) for a, b in pairwise(restarts)]
    assert gaps[:3] == [10, 20, 40]
    cs = _status(lab, "crash")["containerStatuses"][0]
    assert cs["lastState"]["terminated"]["exitCode"] == 2
    assert cs["lastState"]["terminated"]["reason"] == "Error"
    waiting = cs["state"].get("waiting") or {}
    assert waiting.get("reason") == "CrashLoopBackOff"
    assert waiting["message"].startswith("back-off ")
    assert lab.events("BackOff")[0]["message"].startswith(
        "Back-off restarting failed container main in pod crash_lab(")


def test_restart_policies() -> None:
    lab = SimLab()
    lab.apply(pod("never", script="exit 3", restartPolicy="Never"),
              pod("onfail", script="sleep 2; exit 1", restartPolicy="OnFailure"),
              pod("ok", script="sleep 2", restartPolicy="OnFailure"))
    lab.run(60)
    never = _status(lab, "never")
    assert never["phase"] == "Failed"
    assert never["containerStatuses"][0]["state"]["terminated"]["exitCode"] == 3
    assert _status(lab, "onfail")["containerStatuses"][0]["restartCount"] >= 2
    assert _status(lab, "ok")["phase"] == "Succeeded"
    assert [t.what for t in lab.history(kind="Pod", name="ok")][-2:] == ["succeeded",
                                                                          "unready"]


def test_readiness_probe_delay() -> None:
    lab = SimLab()
    p = pod("probe", image="nginx:alpine", script=None)
    p["spec"]["containers"][0]["readinessProbe"] = {
        "httpGet": {"path": "/", "port": 80}, "initialDelaySeconds": 5, "periodSeconds": 10}
    lab.apply(p)
    lab.run_until(lambda lb: ready(lb, "probe"))
    running = lab.history(kind="Pod", name="probe", what="running")[0].time
    became = lab.history(kind="Pod", name="probe", what="ready")[0].time
    assert became - running == 5


def test_database_becomes_ready_when_its_probe_first_passes() -> None:
    lab = SimLab()
    p = pod("db", image="mysql:8.0", script=None)
    p["spec"]["containers"][0]["readinessProbe"] = {
        "exec": {"command": ["mysqladmin", "ping"]}, "initialDelaySeconds": 5,
        "periodSeconds": 2}
    lab.apply(p)
    lab.run_until(lambda lb: ready(lb, "db"))
    running = lab.history(kind="Pod", name="db", what="running")[0].time
    became = lab.history(kind="Pod", name="db", what="ready")[0].time
    assert became - running == 9  # mysqld serves after ~8s: probes at 5, 7, 9


def test_graceful_termination() -> None:
    lab = SimLab()
    lab.apply(pod("shell"), pod("server", image="nginx:alpine", script=None))
    lab.run_until(lambda lb: ready(lb, "shell") and ready(lb, "server"))
    start = lab.sim.now()
    lab.sim.delete("Pod", "shell")
    lab.sim.delete("Pod", "server")
    lab.run_until(lambda lb: not lb.sim.list("Pod"), limit=60)
    gone = {t.name: t.time - start for t in lab.history(kind="Pod", what="deleted")}
    # nginx exits on SIGTERM; a shell as PID 1 ignores it and is killed after 30s.
    assert gone["server"] < 2
    assert gone["shell"] == 30
    failed = lab.history(kind="Pod", name="shell", what="failed")
    assert failed and failed[0].detail["exit_code"] == 137
    assert [e["message"] for e in lab.events("Killing")] == ["Stopping container main"] * 2


def test_logs_expand_environment_and_loop() -> None:
    lab = SimLab()
    p = pod("logger", script='echo "Logger started on node: $(hostname)"\n'
            'while true; do\n  echo "Node: $NODE_NAME IP: $NODE_IP"\n  sleep 30\ndone')
    p["spec"]["containers"][0]["env"] = [
        {"name": "NODE_NAME", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
        {"name": "NODE_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.hostIP"}}}]
    lab.apply(p)
    lab.run_until(lambda lb: ready(lb, "logger"))
    lab.run(65)
    node = lab.sim.get("Pod", "logger")["spec"]["nodeName"]
    ip = _status(lab, "logger")["hostIP"]
    lines = lab.sim.logs("logger").splitlines()
    assert lines[0] == "Logger started on node: logger"
    assert lines[1:] == [f"Node: {node} IP: {ip}"] * 3
    assert lab.sim.logs("logger", tail=1) == f"Node: {node} IP: {ip}\n"


def test_random_failure_idiom_uses_the_seed() -> None:
    def outcomes(seed: int) -> list[str]:
        lab = SimLab(seed=seed)
        lab.apply(*(pod(f"r{i}", restartPolicy="Never",
                        script="sleep 1; if [ $((RANDOM % 2)) -eq 0 ]; then exit 1; fi")
                    for i in range(8)))
        lab.run(30)
        return [_status(lab, f"r{i}")["phase"] for i in range(8)]

    first = outcomes(7)
    assert first == outcomes(7)
    assert set(first) == {"Succeeded", "Failed"}


def test_behaviour_hint_matches_the_owner_chain() -> None:
    hint = SimBehaviour(match={"kind": "StatefulSet", "name": "web"}, ready_after=20.0,
                        logs=("hello from the hint",))
    lab = SimLab(behaviours=(hint,))
    sts = statefulset(replicas=1, claims=False)
    sts["spec"]["template"]["spec"]["containers"][0]["readinessProbe"] = {
        "tcpSocket": {"port": 80}, "periodSeconds": 5}
    lab.apply(sts)
    lab.run_until(lambda lb: sts_ready(lb, "web", 1))
    running = lab.history(kind="Pod", name="web-0", what="running")[0].time
    became = lab.history(kind="Pod", name="web-0", what="ready")[0].time
    assert became - running == 20
    assert lab.sim.logs("web-0") == "hello from the hint\n"


def test_fail_first_hint_fails_the_first_runs_then_succeeds() -> None:
    hint = SimBehaviour(match={"kind": "Pod", "name": "retry"}, fail_first=2, exit_code=0,
                        duration=1.0)
    lab = SimLab(behaviours=(hint,))
    lab.apply(pod("retry", restartPolicy="OnFailure"))
    lab.run_until(lambda lb: _status(lb, "retry")["phase"] == "Succeeded", limit=120)
    assert _status(lab, "retry")["containerStatuses"][0]["restartCount"] == 2
