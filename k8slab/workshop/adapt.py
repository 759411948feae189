"""How a lesson adapts to a learner who only has their own namespace.

A workshop learner's credentials reach exactly one namespace, and the namespace enforces the
`baseline` Pod Security level. So each step is one of:

- `ok`: the learner does it as written;
- `rewritten`: its manifests name another namespace (`kube-system`), and are applied in the
  learner's namespace instead;
- `demo`: it needs power a learner does not have (changing nodes, hostPath volumes, privileged
  or host-namespace pods, cluster-scoped objects), so the instructor shows it on the projector.

`workshop_view(lesson)` is the contract the TUI reads; `adapt_lesson(lesson)` adds the reasons.
Pure: no cluster access.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from k8slab.actions import ACTIONS, Action
from k8slab.cluster import objects as o
from k8slab.cluster.kinds import KINDS
from k8slab.lessons.model import Lesson, Manifest, Step

Mode = Literal["ok", "rewritten", "demo"]

# Risks the `baseline` Pod Security level rejects: a learner cannot run these at all.
POD_SECURITY_RISKS = ("hostPath", "privileged", "hostNetwork", "hostPID", "hostIPC", "hostPort")
_NODE_CHANGE = {"label-node": "node labels", "unlabel-node": "node labels",
                "taint-node": "node taints", "untaint-node": "node taints",
                "add-node": "the set of nodes", "remove-node": "the set of nodes"}


@dataclass(frozen=True, slots=True)
class StepView:
    """How one step runs for a workshop learner, with a one-line reason to show them.

    `earnable` says whether the learner can still pass the step's checklist items: a node label
    the instructor sets on a shared node reaches every learner's DaemonSet, whereas a hostPath
    manifest never runs in a learner's namespace.
    """

    mode: Mode
    reason: str = ""
    earnable: bool = True


def pod_spec_of(obj: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The pod spec inside a Pod, a workload template, or a CronJob's job template."""
    kind = obj.get("kind")
    if kind == "Pod":
        return obj.get("spec") or {}
    if kind == "CronJob":
        return o.dig(obj, "spec.jobTemplate.spec.template.spec")
    return o.dig(obj, "spec.template.spec")


def object_risks(obj: Mapping[str, Any]) -> set[str]:
    """Why an object needs more than a namespace: `kube-system`, `cluster-scoped:<Kind>`,
    or one of POD_SECURITY_RISKS."""
    risks: set[str] = set()
    kind = str(obj.get("kind", ""))
    meta = KINDS.get(kind)
    if meta is not None and not meta.namespaced:
        risks.add(f"cluster-scoped:{kind}")
    if o.namespace(obj) == "kube-system":
        risks.add("kube-system")
    spec = pod_spec_of(obj)
    if spec:
        for flag in ("hostNetwork", "hostPID", "hostIPC"):
            if spec.get(flag):
                risks.add(flag)
        if any("hostPath" in (v or {}) for v in spec.get("volumes") or []):
            risks.add("hostPath")
        for c in [*(spec.get("containers") or []), *(spec.get("initContainers") or [])]:
            if o.dig(c, "securityContext.privileged"):
                risks.add("privileged")
            if any(p.get("hostPort") for p in c.get("ports") or []):
                risks.add("hostPort")
    return risks


def manifest_risks(manifest: Manifest) -> set[str]:
    """The loader's risks for a manifest together with those found in its objects."""
    out = set(manifest.risks)
    for obj in manifest.objects:
        out |= object_risks(obj)
    return out


def step_manifests(step: Step) -> list[str]:
    """Every manifest a step uses: its own list and those its actions apply or delete."""
    names = list(step.manifests)
    for action in (*step.actions, *step.solution):
        m = action.params.get("manifest")
        if isinstance(m, str) and m not in names:
            names.append(m)
    return names


def _admin_actions(actions: Iterable[Action]) -> list[Action]:
    return [a for a in actions if a.kind in ACTIONS and ACTIONS[a.kind].cluster_admin]


def adapt_step(lesson: Lesson, step: Step) -> StepView:
    """How `step` runs for a workshop learner, and why."""
    rewritten: list[str] = []
    for name in step_manifests(step):
        manifest = lesson.manifests.get(name)
        if manifest is None:
            continue
        risks = manifest_risks(manifest)
        blocked = sorted(r for r in risks if r in POD_SECURITY_RISKS)
        if blocked:
            return StepView("demo", f"{name} needs {', '.join(blocked)}, which the namespace's "
                                    "Pod Security level refuses: the instructor shows it",
                            earnable=False)
        scoped = sorted(r.split(":", 1)[1] for r in risks if r.startswith("cluster-scoped:"))
        if scoped:
            return StepView("demo", f"{name} creates cluster-wide objects ({', '.join(scoped)}): "
                                    "the instructor shows it", earnable=False)
        if "kube-system" in risks:
            rewritten.append(name)
    admin = _admin_actions(step.actions)
    if admin:
        what = " and ".join(sorted({_NODE_CHANGE.get(a.kind, "the nodes") for a in admin}))
        return StepView("demo", f"only the instructor may change {what}: apply yours and "
                                "watch it react when they do")
    if step.cluster_admin:
        return StepView("demo", "needs cluster-wide power: the instructor shows this step",
                        earnable=False)
    if rewritten:
        return StepView("rewritten", f"{', '.join(rewritten)} targets kube-system; it is applied "
                                     "in your own namespace instead")
    return StepView("ok")


def adapt_lesson(lesson: Lesson) -> dict[str, StepView]:
    """Every step's StepView, by step id, in lesson order."""
    return {step.id: adapt_step(lesson, step) for step in lesson.steps}


def workshop_view(lesson: Lesson) -> dict[str, Mode]:
    """Step id → `ok`, `rewritten` or `demo` for a workshop learner (see the module docstring)."""
    return {sid: view.mode for sid, view in adapt_lesson(lesson).items()}


def demo_items(lesson: Lesson) -> set[str]:
    """Checklist items with checks, taught by a step the learner cannot do in a workshop
    (quiz-only items can always be earned)."""
    views = adapt_lesson(lesson)
    return {item.id for item in lesson.checklist
            if item.checks and item.step in views and not views[item.step or ""].earnable}


def rewrite_into(objects: Iterable[Mapping[str, Any]], namespace: str
                 ) -> tuple[list[dict[str, Any]], list[str]]:
    """Copies of `objects` with any other namespace replaced by `namespace`, and a note for each
    object moved (`daemonset/fluentd: kube-system → ws-day10-ana`)."""
    out: list[dict[str, Any]] = []
    notes: list[str] = []
    for obj in objects:
        copy = dict(obj)
        meta = dict(o.meta(obj))
        old = meta.get("namespace")
        kind = KINDS.get(str(obj.get("kind", "")))
        if old and old != namespace and (kind is None or kind.namespaced):
            meta["namespace"] = namespace
            notes.append(f"{str(obj.get('kind', '')).lower()}/{o.name(obj)}: {old} → {namespace}")
        copy["metadata"] = meta
        out.append(copy)
    return out, notes
