"""Small lessons built in code for the workshop tests, with real manifests where it matters."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from k8slab.actions import Action
from k8slab.lessons.model import Check, ChecklistItem, Lesson, Manifest, Part, Question, Step

ROOT = Path(__file__).resolve().parents[2]
SIMPLE_STATEFULSET = ROOT / "lessons" / "day10" / "manifests" / "simple-statefulset.yaml"


def manifest(name: str, *objects: dict[str, Any], risks: tuple[str, ...] = ()) -> Manifest:
    return Manifest(name, Path(name), "", tuple(objects), risks)


def load_manifest(path: Path) -> Manifest:
    text = path.read_text(encoding="utf-8")
    objects = tuple(d for d in YAML(typ="safe", pure=True).load_all(text) if d)
    return Manifest(path.name, path, text, objects)


def pod_template(labels: dict[str, str], **spec: Any) -> dict[str, Any]:
    return {"metadata": {"labels": labels},
            "spec": {"containers": [{"name": "main", "image": "busybox"}], **spec}}


def daemonset(name: str, namespace: str | None = None, **spec: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    return {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": meta,
            "spec": {"selector": {"matchLabels": {"app": name}},
                     "template": pod_template({"app": name}, **spec)}}


def web() -> Manifest:
    return manifest("web.yaml",
                    {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
                     "spec": {"clusterIP": "None", "selector": {"app": "web"}}},
                    {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "web"},
                     "spec": {"serviceName": "web", "replicas": 3,
                              "selector": {"matchLabels": {"app": "web"}},
                              "template": pod_template({"app": "web"})}})


def act(action: str, /, **params: Any) -> Action:
    return Action(action, params)


def mini_lesson() -> Lesson:
    """A lesson with one step of each workshop kind: ok, rewritten and three demos."""
    manifests = {m.name: m for m in [
        web(),
        manifest("fluentd.yaml", daemonset(
            "fluentd", "kube-system",
            volumes=[{"name": "log", "hostPath": {"path": "/var/log"}}])),
        manifest("agent.yaml", daemonset("agent", "kube-system")),
        manifest("gpu.yaml", daemonset("gpu-monitor", nodeSelector={"gpu": "true"})),
        manifest("hello.yaml", {"apiVersion": "batch/v1", "kind": "CronJob",
                                "metadata": {"name": "hello"},
                                "spec": {"schedule": "*/1 * * * *", "jobTemplate": {"spec": {
                                    "template": pod_template({}, restartPolicy="Never")}}}}),
        manifest("fast.yaml", {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
                               "metadata": {"name": "fast"}, "provisioner": "x"}),
    ]}
    steps = (
        Step("web", "StatefulSet", "", manifests=("web.yaml",),
             actions=(act("apply", manifest="web.yaml"),
                      act("scale", kind="StatefulSet", name="web", replicas=5),
                      act("exec", pod="web-0", command=["hostname"]),
                      act("delete-pod", name="web-1"))),
        Step("fluentd", "Log collector", "", actions=(act("apply", manifest="fluentd.yaml"),)),
        Step("agent", "Agent", "", actions=(act("apply", manifest="agent.yaml"),)),
        Step("gpu", "GPU monitor", "",
             actions=(act("apply", manifest="gpu.yaml"),
                      act("label-node", labels={"gpu": "true"}))),
        Step("cron", "CronJob", "",
             actions=(act("apply", manifest="hello.yaml"),
                      act("trigger-cronjob", cronjob="hello", job="hello-now"),
                      act("suspend-cronjob", cronjob="hello"))),
        Step("storage", "Storage classes", "", actions=(act("apply", manifest="fast.yaml"),)),
        Step("taints", "Taints", "", cluster_admin=True),
    )
    checklist = (
        ChecklistItem("web-exists", "Create the web StatefulSet", "web",
                      checks=(Check("exists", {"kind": "StatefulSet", "name": "web"}),)),
        ChecklistItem("web-ready", "All web replicas Ready", "web",
                      checks=(Check("statefulset-ready", {"statefulset": "web"}),)),
        ChecklistItem("fluentd", "Collect node logs", "fluentd",
                      checks=(Check("daemonset-hostpath", {"daemonset": "fluentd"}),)),
        ChecklistItem("gpu", "DaemonSet follows node labels", "gpu",
                      checks=(Check("exists", {"kind": "DaemonSet", "name": "gpu-monitor"}),)),
        ChecklistItem("why", "Explain ordered creation", None,
                      quiz=(Question("why-q", "Why?", ("a", "b"), 1),)),
    )
    return Lesson("mini", "Mini", "", Path("mini/lesson.yaml"),
                  (Part("p", "Part", steps),), checklist, manifests)


def statefulset_lesson() -> Lesson:
    """Day 10's simple StatefulSet, from the real manifest file, with two checks."""
    m = load_manifest(SIMPLE_STATEFULSET)
    step = Step("simple-sts", "A simple StatefulSet", "", manifests=(m.name,),
                actions=(act("apply", manifest=m.name),))
    checklist = (
        ChecklistItem("sts-created", "Create the web StatefulSet", "simple-sts",
                      checks=(Check("exists", {"kind": "StatefulSet", "name": "web"}),
                              Check("headless-service", {"statefulset": "web"}))),
        ChecklistItem("sts-ready", "Every replica Ready", "simple-sts",
                      checks=(Check("statefulset-ready", {"statefulset": "web"}),)),
        ChecklistItem("quiz", "Explain stable identity", None,
                      quiz=(Question("identity", "What survives?", ("IP", "name"), 1),)),
    )
    return Lesson("day10", "Day 10", "", SIMPLE_STATEFULSET.parent.parent / "lesson.yaml",
                  (Part("sts", "StatefulSets", (step,)),), checklist, {m.name: m})
