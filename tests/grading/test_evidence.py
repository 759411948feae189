"""Why a pod is not Ready, said the way kubectl and the scheduler say it."""

from __future__ import annotations

from k8slab.grading.context import GradingContext
from k8slab.grading.evidence import image_base, join, parse_time, pod_problem
from tests.grading.builders import Lab, event, pod, pvc


def _problem(lab: Lab, name: str) -> str:
    return pod_problem(GradingContext(lab.state, lab.ns), lab.get("Pod", name))


def test_unschedulable_pod_shows_the_scheduler_message_without_the_preemption_tail() -> None:
    lab = Lab()
    p = pod("hog-1", phase="Pending", ready=False)
    p["status"]["conditions"][0] = {
        "type": "PodScheduled", "status": "False", "reason": "Unschedulable",
        "message": "0/3 nodes are available: 1 node(s) had untolerated taint "
                   "{node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu. "
                   "preemption: 0/3 nodes are available: 3 No preemption victims found."}
    lab.put(p)
    assert _problem(lab, "hog-1") == (
        "Pending (0/3 nodes are available: 1 node(s) had untolerated taint "
        "{node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu)")


def test_a_pending_claim_is_named_with_its_event() -> None:
    lab = Lab()
    lab.put(pvc("www-web-0", phase="Pending"))
    lab.put(event("PersistentVolumeClaim", "www-web-0", "ProvisioningFailed",
                  'storageclass.storage.k8s.io "fast" not found'))
    lab.put(pod("web-0", phase="Pending", ready=False, claims={"www": "www-web-0"}))
    assert _problem(lab, "web-0") == ('Pending: claim www-web-0 is Pending '
                                      '(storageclass.storage.k8s.io "fast" not found)')


def test_crash_loop_says_the_exit_code_not_the_kubelet_boilerplate() -> None:
    lab = Lab()
    p = pod("exporter-x", node_name="worker-1", ready=False)
    p["status"]["containerStatuses"][0].update(
        restartCount=4, state={"waiting": {"reason": "CrashLoopBackOff", "message":
                                           "back-off 1m20s restarting failed container=c "
                                           "pod=exporter-x_lab(uid)"}},
        lastState={"terminated": {"exitCode": 1}})
    lab.put(p)
    assert _problem(lab, "exporter-x") == \
        "Running (CrashLoopBackOff: exited with code 1, restarted 4 times)"


def test_running_but_not_ready_and_terminating() -> None:
    lab = Lab()
    lab.put(pod("web-0", node_name="worker-1", ready=False))
    assert _problem(lab, "web-0") == "Running but not Ready yet"
    gone = pod("web-1", node_name="worker-1")
    gone["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:09Z"
    lab.put(gone)
    assert _problem(lab, "web-1") == "Terminating"


def test_small_helpers() -> None:
    assert image_base("docker.io/library/mysql:8.0@sha256:abc") == "mysql"
    assert image_base("prom/node-exporter:latest") == "node-exporter"
    assert join(["a", "b", "c"]) == "a, b and c"
    assert join(["a", "b"], word="or") == "a or b"
    assert join([f"p{i}" for i in range(6)]) == "p0, p1, p2 and 3 more"
    assert parse_time("1970-01-01T00:01:00Z") == 60.0
    assert parse_time("garbage") is None
