"""The lesson scenarios run on both the sim and the real control plane.

Each one applies the lessons' own manifests (changed only where its `edit` says why) and the
lessons' own actions, waits for a settled state, and observes what a learner would look at.
`expect` is what upstream Kubernetes does, from the controllers' source and the lesson text.
"""

from __future__ import annotations

import copy
from typing import Any

from tests.comparison import conditions as c
from tests.comparison import outcome as a
from tests.comparison.scenario import Act, Apply, Observe, Scenario

CP_TAINT = ("cp-0 excluded: taint (taint node-role.kubernetes.io/control-plane:NoSchedule is "
            "not tolerated; no pod)")
# A node label no node has until a scenario sets it (and takes it off again).
PLACE_LABEL = "k8slab.dev/comparison"


def into_namespace(obj: dict[str, Any]) -> dict[str, Any]:
    """Drop `metadata.namespace`: log-collector names kube-system, and the comparison keeps
    every object in the scenario's own namespace on both backends."""
    out = copy.deepcopy(obj)
    out["metadata"].pop("namespace", None)
    return out


def parallel_and_unplaceable(obj: dict[str, Any]) -> dict[str, Any]:
    """web with `podManagementPolicy: Parallel`, and a nodeSelector no node matches yet.

    Unplaceable pods never become Ready, so "Parallel does not wait for its predecessor" is
    a settled state rather than a race against how fast KWOK marks a pod Ready.
    """
    if obj.get("kind") != "StatefulSet":
        return obj
    out = copy.deepcopy(obj)
    out["spec"]["podManagementPolicy"] = "Parallel"
    out["spec"]["template"]["spec"]["nodeSelector"] = {PLACE_LABEL: "parallel"}
    return out


def _sts_pods(sts: str, n: int, state: str = "Running ready") -> list[str]:
    return [f"{sts}-{i} {state}" for i in range(n)]


def _revs(sts: str, images: list[str], updated: list[bool]) -> dict[str, Any]:
    return {f"{sts}-{i}": {"revision image": f"app={img}", "pod image": f"app={img}",
                           "update revision": up}
            for i, (img, up) in enumerate(zip(images, updated, strict=True))}


SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "web-ordered-creation", "day10",
        "simple-statefulset: pods web-0, web-1, web-2 created in ordinal order, each only "
        "once its predecessor is Ready (OrderedReady).",
        (Apply("simple-statefulset.yaml"),
         c.sts_settled("web", 3),
         Observe("created", (a.pods("StatefulSet/web"), a.ordinals("web"), a.waits("web")))),
        expect={"created": {
            "pods of StatefulSet/web": _sts_pods("web", 3),
            "ordinals of web": ["+0", "+1", "+2"],
            "creation waits of web": ["1 after 0 ready", "2 after 1 ready"]}},
    ),
    Scenario(
        "web-scale-up-down", "day10",
        "scale web 3 → 5 → 3: web-3 then web-4 created, then web-4 then web-3 deleted.",
        (Apply("simple-statefulset.yaml"),
         c.sts_settled("web", 3),
         Act("scale", {"name": "web", "replicas": 5}),
         c.sts_settled("web", 5),
         Observe("scaled to 5", (a.pods("StatefulSet/web"), a.ordinals("web"),
                                 a.waits("web"))),
         Act("scale", {"name": "web", "replicas": 3}),
         c.sts_settled("web", 3),
         Observe("scaled to 3", (a.pods("StatefulSet/web"), a.ordinals("web")))),
        expect={
            "scaled to 5": {"pods of StatefulSet/web": _sts_pods("web", 5),
                            "ordinals of web": ["+0", "+1", "+2", "+3", "+4"]},
            "scaled to 3": {"pods of StatefulSet/web": _sts_pods("web", 3),
                            "ordinals of web": ["+0", "+1", "+2", "+3", "+4", "-4", "-3"]}},
    ),
    Scenario(
        "nginx-sts-claims", "day10",
        "statefulset-with-storage: claims www-nginx-sts-0..2, all Bound, one per pod; after "
        "scaling to 1 (deleting ordinals 2 then 1) all three claims are retained.",
        (Apply("statefulset-with-storage.yaml"),
         c.sts_settled("nginx-sts", 3),
         c.claims_bound(3),
         Observe("created", (a.claims(), a.mounts("nginx-sts"), a.ordinals("nginx-sts"))),
         Act("scale", {"name": "nginx-sts", "replicas": 1}),
         c.sts_settled("nginx-sts", 1),
         Observe("scaled to 1", (a.claims(), a.ordinals("nginx-sts"),
                                 a.pods("StatefulSet/nginx-sts")))),
        expect={
            "created": {
                "claims": {f"www-nginx-sts-{i}": "Bound" for i in range(3)},
                "claims mounted by nginx-sts": {f"nginx-sts-{i}": [f"www-nginx-sts-{i}"]
                                                for i in range(3)}},
            "scaled to 1": {
                "claims": {f"www-nginx-sts-{i}": "Bound" for i in range(3)},
                "ordinals of nginx-sts": ["+0", "+1", "+2", "-2", "-1"]}},
    ),
    Scenario(
        "nginx-sts-pod-recreated", "day10",
        "delete-pod nginx-sts-1: the controller re-creates a pod of the same name, which "
        "mounts the same claim.",
        (Apply("statefulset-with-storage.yaml"),
         c.sts_settled("nginx-sts", 3),
         c.claims_bound(3),
         Act("delete-pod", {"name": "nginx-sts-1"}),
         c.recreated("nginx-sts-1"),
         c.sts_settled("nginx-sts", 3),
         Observe("re-created", (a.ordinals("nginx-sts"), a.mounts("nginx-sts"), a.claims(),
                                a.pods("StatefulSet/nginx-sts")))),
        expect={"re-created": {
            "ordinals of nginx-sts": ["+0", "+1", "+2", "-1", "+1"],
            "claims mounted by nginx-sts": {f"nginx-sts-{i}": [f"www-nginx-sts-{i}"]
                                            for i in range(3)},
            "claims": {f"www-nginx-sts-{i}": "Bound" for i in range(3)}}},
    ),
    Scenario(
        "node-logger-coverage", "day10",
        "simple-daemonset: one pod on worker-1 and one on worker-2; cp-0 excluded for its "
        "untolerated control-plane taint.",
        (Apply("simple-daemonset.yaml"),
         c.ds_settled("node-logger"),
         Observe("settled", (a.covered("node-logger"), a.pods("DaemonSet/node-logger")))),
        expect={"settled": {
            "coverage of node-logger": [CP_TAINT, "worker-1 covered (pod Running ready)",
                                        "worker-2 covered (pod Running ready)"],
            "pods of DaemonSet/node-logger": ["node-logger-* Running ready"] * 2}},
    ),
    Scenario(
        "log-collector-tolerates-control-plane", "day10",
        "log-collector (moved out of kube-system into the scenario namespace) tolerates the "
        "control-plane taint, so it covers all three nodes.",
        (Apply("log-collector-daemonset.yaml", into_namespace),
         c.ds_settled("log-collector"),
         Observe("settled", (a.covered("log-collector"),))),
        expect={"settled": {"coverage of log-collector": [
            f"{n} covered (pod Running ready)" for n in ("cp-0", "worker-1", "worker-2")]}},
    ),
    Scenario(
        "gpu-monitor-node-labels", "day10",
        "selective-daemonset (gpu=true): no pods; worker-1 labelled gpu=true gets one; "
        "unlabelled, its pod is removed.",
        (Apply("selective-daemonset.yaml"),
         c.ds_settled("gpu-monitor"),
         Observe("no gpu node", (a.covered("gpu-monitor"), a.pods("DaemonSet/gpu-monitor"))),
         Act("label-node", {"node": "worker-1", "labels": {"gpu": "true"}}),
         c.node_labelled("worker-1", "gpu", "true"),
         c.ds_settled("gpu-monitor"),
         Observe("worker-1 labelled", (a.covered("gpu-monitor"),
                                       a.pods("DaemonSet/gpu-monitor"))),
         Act("unlabel-node", {"node": "worker-1", "keys": ["gpu"]}),
         c.node_labelled("worker-1", "gpu", None),
         c.ds_settled("gpu-monitor"),
         Observe("worker-1 unlabelled", (a.covered("gpu-monitor"),
                                         a.pods("DaemonSet/gpu-monitor"),
                                         a.pod_events("DaemonSet/gpu-monitor")))),
        expect={
            "no gpu node": {"pods of DaemonSet/gpu-monitor": []},
            "worker-1 labelled": {
                "pods of DaemonSet/gpu-monitor": ["gpu-monitor-* Running ready"],
                "coverage of gpu-monitor": [
                    "cp-0 excluded: nodeSelector (node has no label matching nodeSelector "
                    "gpu=true; no pod)",
                    "worker-1 covered (pod Running ready)",
                    "worker-2 excluded: nodeSelector (node has no label matching "
                    "nodeSelector gpu=true; no pod)"]},
            "worker-1 unlabelled": {
                "pods of DaemonSet/gpu-monitor": [],
                "pod events of DaemonSet/gpu-monitor": ["+gpu-monitor-*", "-gpu-monitor-*"]}},
    ),
    Scenario(
        "resource-hog-unschedulable", "day10",
        "resource-hog-daemonset asks for more than any node has: a Pending pod on each "
        "worker, excluded for `resources`; cp-0 excluded for its taint.",
        (Apply("resource-hog-daemonset.yaml"),
         c.ds_settled("resource-hog"),
         Observe("settled", (a.coverage_reasons("resource-hog"), a.covered("resource-hog"),
                             a.pods("DaemonSet/resource-hog")))),
        expect={"settled": {
            "coverage reasons of resource-hog": ["cp-0 excluded: taint",
                                                 "worker-1 excluded: resources",
                                                 "worker-2 excluded: resources"],
            "pods of DaemonSet/resource-hog": ["resource-hog-* Pending"] * 2}},
        pod_events=("FailedScheduling",),
    ),
    Scenario(
        "web-parallel-policy", "day10",
        "web with podManagementPolicy Parallel creates web-0, web-1 and web-2 at once, "
        "without waiting for a predecessor to be Ready.",
        (Apply("simple-statefulset.yaml", parallel_and_unplaceable),
         c.pods_unschedulable("StatefulSet/web", 3),
         Observe("unplaceable", (a.pods("StatefulSet/web"), a.ordinals("web", in_order=False),
                                 a.waits("web", in_order=False))),
         Act("label-node", {"node": "worker-2", "labels": {PLACE_LABEL: "parallel"}}),
         c.node_labelled("worker-2", PLACE_LABEL, "parallel"),
         c.sts_settled("web", 3),
         Observe("placed", (a.pods("StatefulSet/web"), a.ordinals("web", in_order=False))),
         Act("unlabel-node", {"node": "worker-2", "keys": [PLACE_LABEL]})),
        expect={
            "unplaceable": {"pods of StatefulSet/web": _sts_pods("web", 3, "Pending"),
                            "ordinals of web, any order": ["+0", "+1", "+2"],
                            "creation waits of web, any order": ["1 while 0 not ready",
                                                                 "2 while 1 not ready"]},
            "placed": {"pods of StatefulSet/web": _sts_pods("web", 3),
                       "ordinals of web, any order": ["+0", "+1", "+2"]}},
        pod_events=("FailedScheduling",),
    ),
    Scenario(
        "versioned-app-partition", "day10",
        "versioned-app (partition 2): a new image updates only versioned-app-2; lowering "
        "the partition to 0 rolls out 1 then 0.",
        (Apply("versioned-app.yaml"),
         c.sts_settled("versioned-app", 3),
         Act("set-image", {"kind": "StatefulSet", "name": "versioned-app", "container": "app",
                           "image": "busybox:1.36"}),
         c.sts_settled("versioned-app", 3, updated=1),
         Observe("partition 2", (a.revisions("versioned-app"), a.ordinals("versioned-app"))),
         Act("patch", {"kind": "StatefulSet", "name": "versioned-app",
                       "patch": {"spec": {"updateStrategy": {"rollingUpdate": {
                           "partition": 0}}}}}),
         c.sts_settled("versioned-app", 3, updated=3),
         Observe("partition 0", (a.revisions("versioned-app"), a.ordinals("versioned-app")))),
        expect={
            "partition 2": {
                "revisions of versioned-app": _revs(
                    "versioned-app", ["busybox:1.35", "busybox:1.35", "busybox:1.36"],
                    [False, False, True]),
                "ordinals of versioned-app": ["+0", "+1", "+2", "-2", "+2"]},
            "partition 0": {
                "revisions of versioned-app": _revs("versioned-app", ["busybox:1.36"] * 3,
                                                    [True] * 3),
                "ordinals of versioned-app": ["+0", "+1", "+2", "-2", "+2", "-1", "+1", "-0",
                                              "+0"]}},
    ),
    Scenario(
        "parallel-processor", "day11",
        "parallel-processor (completions 9, parallelism 3): 9 pods succeed, never more than "
        "3 at once, and the Job is Complete.",
        (Apply("parallel-processor.yaml"),
         c.job_finished("parallel-processor"),
         Observe("finished", (a.job("parallel-processor"), a.job_pods("parallel-processor"),
                              a.pods("Job/parallel-processor")))),
        expect={"finished": {
            "job parallel-processor": {
                "succeeded": 9, "failed": 0, "active": 0, "completions": 9, "parallelism": 3,
                "conditions": ["Complete=CompletionsReached",
                               "SuccessCriteriaMet=CompletionsReached"]},
            "pods of job parallel-processor": {"created": 9, "succeeded": 9, "failed": 0,
                                               "most at once": 3}}},
    ),
    Scenario(
        "hello-and-data-processor", "day11",
        "hello-job and data-processor: each Job runs one pod to success (succeeded=1).",
        (Apply("hello-job.yaml"),
         Apply("data-processor.yaml"),
         c.job_finished("hello"),
         c.job_finished("data-processor"),
         Observe("finished", (a.job("hello"), a.job_pods("hello"), a.job("data-processor"),
                              a.job_pods("data-processor")))),
        expect={"finished": {
            f"job {j}": {"succeeded": 1, "failed": 0, "active": 0, "completions": 1,
                         "parallelism": 1,
                         "conditions": ["Complete=CompletionsReached",
                                        "SuccessCriteriaMet=CompletionsReached"]}
            for j in ("hello", "data-processor")}},
    ),
    Scenario(
        "broken-import-backoff", "day11",
        "backoff-limit-job (always exits 1, backoffLimit 2): three failed pods, one at a "
        "time, then the Job Failed with BackoffLimitExceeded.",
        (Apply("backoff-limit-job.yaml"),
         c.job_finished("broken-import", timeout=240),
         Observe("finished", (a.job("broken-import"), a.job_pods("broken-import"),
                              a.pods("Job/broken-import")))),
        expect={"finished": {
            "job broken-import": {
                "succeeded": 0, "failed": 3, "active": 0, "completions": 1, "parallelism": 1,
                "conditions": ["Failed=BackoffLimitExceeded",
                               "FailureTarget=BackoffLimitExceeded"]},
            "pods of job broken-import": {"created": 3, "succeeded": 0, "failed": 3,
                                          "most at once": 1},
            "pods of Job/broken-import": ["broken-import-* Failed"] * 3}},
    ),
    Scenario(
        "slow-report-deadline", "day11",
        "deadline-job (60 s of work, activeDeadlineSeconds 20): the controller stops the "
        "pod and the Job Failed with DeadlineExceeded.",
        (Apply("deadline-job.yaml"),
         c.job_finished("slow-report"),
         Observe("finished", (a.job("slow-report"),))),
        expect={"finished": {"job slow-report": {
            "succeeded": 0, "failed": 1, "active": 0, "completions": 1, "parallelism": 1,
            "conditions": ["Failed=DeadlineExceeded", "FailureTarget=DeadlineExceeded"]}}},
        # The deadline only bites if the pod really runs longer than 20 s on KWOK too.
        kwok_time_scale=1.0,
    ),
    Scenario(
        "system-maintenance-manual-run", "day11",
        "system-maintenance triggered by hand (create job --from=cronjob): the Job it "
        "creates completes with succeeded=1.",
        (Apply("system-maintenance.yaml"),
         Act("trigger-cronjob", {"cronjob": "system-maintenance", "job": "manual-run"}),
         c.job_finished("manual-run"),
         Observe("finished", (a.job("manual-run"), a.job_pods("manual-run")))),
        expect={"finished": {
            "job manual-run": {"succeeded": 1, "failed": 0, "active": 0, "completions": 1,
                               "parallelism": 1,
                               "conditions": ["Complete=CompletionsReached",
                                              "SuccessCriteriaMet=CompletionsReached"]},
            "pods of job manual-run": {"created": 1, "succeeded": 1, "failed": 0,
                                       "most at once": 1}}},
    ),
)

BY_ID = {s.id: s for s in SCENARIOS}
