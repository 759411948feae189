"""The one vocabulary of things a learner (or a reference solution) does to a cluster.

The TUI's buttons, `check --solve` and both backends share these. A lesson writes an action as
a one-key mapping, `- scale: {statefulset: web, replicas: 5}`, or with a shorthand scalar,
`- apply: simple-statefulset.yaml`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from k8slab.params import Param, Spec

_NS = Param("namespace", "str", help="namespace; default the lab namespace")

ACTIONS: dict[str, Spec] = {s.kind: s for s in [
    Spec("apply", (Param("manifest", "str", True, help="manifest file in the lesson"),),
         "Apply a manifest file of the lesson to the lab namespace.", shorthand="manifest"),
    Spec("delete", (Param("kind", "str", True), Param("name", "str", True), _NS),
         "Delete one object."),
    Spec("delete-manifest", (Param("manifest", "str", True),),
         "Delete every object a manifest file declares.", shorthand="manifest"),
    Spec("scale", (Param("kind", "str", default="StatefulSet"), Param("name", "str", True),
                   Param("replicas", "int", True)),
         "Set the replicas of a StatefulSet (kubectl scale)."),
    Spec("delete-pod", (Param("name", "str", help="pod name"),
                        Param("selector", "str", help="label selector; deletes the first match")),
         "Delete a pod, by name or the first pod matching a selector."),
    Spec("label-node", (Param("node", "str", help="node name; default the first worker"),
                        Param("labels", "map", True)),
         "Add or change node labels (kubectl label nodes).", cluster_admin=True),
    Spec("unlabel-node", (Param("node", "str"), Param("keys", "list", True)),
         "Remove node labels (kubectl label nodes NODE key-).", cluster_admin=True),
    Spec("taint-node", (Param("node", "str", True), Param("key", "str", True),
                        Param("value", "str"),
                        Param("effect", "str", default="NoSchedule",
                              choices=("NoSchedule", "PreferNoSchedule", "NoExecute"))),
         "Taint a node.", cluster_admin=True),
    Spec("untaint-node", (Param("node", "str", True), Param("key", "str", True)),
         "Remove a taint from a node.", cluster_admin=True),
    Spec("add-node", (Param("name", "str", True), Param("labels", "map"),
                      Param("cpu", "str", default="4"), Param("memory", "str", default="8Gi")),
         "Add a worker node (sim only: minikube node add).", backends=("sim",),
         cluster_admin=True),
    Spec("remove-node", (Param("name", "str", True),),
         "Remove a node (sim only).", backends=("sim",), cluster_admin=True),
    Spec("set-image", (Param("kind", "str", True, choices=("DaemonSet", "StatefulSet")),
                       Param("name", "str", True), Param("container", "str", True),
                       Param("image", "str", True)),
         "Change a container image (kubectl set image)."),
    Spec("rollout-undo", (Param("kind", "str", default="DaemonSet"), Param("name", "str", True)),
         "Roll a DaemonSet back to its previous revision (kubectl rollout undo)."),
    Spec("patch", (Param("kind", "str", True), Param("name", "str", True),
                   Param("patch", "map", True),
                   Param("type", "str", default="strategic",
                         choices=("strategic", "merge"))),
         "Patch an object (kubectl patch), e.g. a StatefulSet partition."),
    Spec("exec", (Param("pod", "str", True), Param("command", "list", True),
                  Param("container", "str"),
                  Param("expect", "str", help="text the output must contain")),
         "Run a command in a pod's container (kubectl exec)."),
    Spec("trigger-cronjob", (Param("cronjob", "str", True), Param("job", "str", True)),
         "Create a Job from a CronJob now (kubectl create job --from=cronjob/NAME).",
         shorthand=None),
    Spec("suspend-cronjob", (Param("cronjob", "str", True),), "Suspend a CronJob.",
         shorthand="cronjob"),
    Spec("resume-cronjob", (Param("cronjob", "str", True),), "Resume a suspended CronJob.",
         shorthand="cronjob"),
    Spec("advance-clock", (Param("seconds", "number"),
                           Param("to-next-cron", "bool", default=False),
                           Param("scheduled-times", "int",
                                 help="move past this many of the CronJob's scheduled times, "
                                      "whether it runs then or not (it may be suspended)"),
                           Param("cronjob", "str",
                                 help="with to-next-cron: that CronJob's next run, not the "
                                      "first of any; with scheduled-times: whose schedule")),
         "Move the sim's clock forward (on a real cluster: wait that long).",
         shorthand="seconds"),
    Spec("wait", (Param("for", "map", True, help="a check, as in the checklist"),
                  Param("timeout", "number", default=300)),
         "Wait until a check passes (solutions only).", shorthand=None),
    Spec("answer", (Param("item", "str", True), Param("choice", "int", True)),
         "Answer a quiz question (solutions only; default: the right answer)."),
]}


@dataclass(frozen=True, slots=True)
class Action:
    """One action with its parameters, as written in a lesson (defaults filled in)."""

    kind: str
    params: dict[str, Any] = field(default_factory=dict)
    line: int = 0  # where it was written, for error messages

    @property
    def spec(self) -> Spec:
        return ACTIONS[self.kind]

    def label(self) -> str:
        """A short button label: `scale web → 5`."""
        p = self.params
        match self.kind:
            case "apply" | "delete-manifest":
                return f"{self.kind} {p['manifest']}"
            case "scale":
                return f"scale {p['name']} → {p['replicas']}"
            case "delete-pod":
                return f"delete pod {p.get('name') or p.get('selector')}"
            case "label-node":
                lbl = ",".join(f"{k}={v}" for k, v in p["labels"].items())
                return f"label {p.get('node') or 'node'} {lbl}"
            case "unlabel-node":
                return f"unlabel {p.get('node') or 'node'} {','.join(p['keys'])}"
            case "set-image":
                return f"set image {p['name']} {p['container']}={p['image']}"
            case "patch":
                return f"patch {p['kind'].lower()}/{p['name']}"
            case "exec":
                return f"exec {p['pod']}: {' '.join(p['command'])[:40]}"
            case "trigger-cronjob":
                return f"trigger {p['cronjob']}"
            case "suspend-cronjob" | "resume-cronjob":
                return f"{self.kind.split('-')[0]} {p['cronjob']}"
            case "advance-clock":
                if p.get("scheduled-times"):
                    return f"let {p['scheduled-times']} of {p.get('cronjob')}'s times pass"
                if p.get("to-next-cron"):
                    return f"jump to next {p['cronjob']} run" if p.get("cronjob") \
                        else "jump to next cron run"
                return f"advance clock {p.get('seconds')}s"
            case _:
                return self.kind
