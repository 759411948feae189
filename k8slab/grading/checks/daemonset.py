"""DaemonSet checks: node coverage and its exclusions, label-following, hostPath, rollouts."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from k8slab.cluster import objects as o
from k8slab.cluster.coverage import NodeCoverage, coverage
from k8slab.grading.checks import check
from k8slab.grading.context import CheckResult, GradingContext, fail, ok
from k8slab.grading.evidence import (
    join,
    missing,
    not_ready,
    owned_pods,
    plural,
    pod_problem,
    template_images,
    template_spec,
)
from k8slab.grading.lives import PodLife, pod_lives

Obj = dict[str, Any]


def _target_node(pod: Obj) -> str:
    """The node a DaemonSet pod is bound or pinned to (by its matchFields node affinity)."""
    node = o.dig(pod, "spec.nodeName")
    if node:
        return str(node)
    terms = o.dig(pod, "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuring"
                       "Execution.nodeSelectorTerms", []) or []
    for term in terms:
        for field in term.get("matchFields") or []:
            if field.get("key") == "metadata.name" and field.get("values"):
                return str(field["values"][0])
    return ""


def _by_node(pods: list[Obj]) -> dict[str, list[Obj]]:
    out: dict[str, list[Obj]] = defaultdict(list)
    for pod in pods:
        out[_target_node(pod)].append(pod)
    return out


class _Coverage:
    """Which nodes a DaemonSet should run on and why it skips the others."""

    def __init__(self, ctx: GradingContext, ds: Obj, namespace: str) -> None:
        self.name = o.name(ds)
        self.nodes = ctx.list("Node", "")
        self.pods = owned_pods(ctx, "DaemonSet", self.name, namespace)
        self.on = _by_node(self.pods)
        self.rows: list[NodeCoverage] = coverage(ds, self.nodes, self.pods)

    @property
    def eligible(self) -> list[str]:
        return [row.node for row in self.rows if row.eligible]

    def skipped(self, reason: str | None = None) -> list[NodeCoverage]:
        return [row for row in self.rows
                if not row.eligible and (reason is None or row.reason == reason)]

    @staticmethod
    def why(row: NodeCoverage) -> str:
        return f"{row.node} ({row.detail or row.reason})"


def _get(ctx: GradingContext, p: dict[str, Any]) -> tuple[Obj | None, str]:
    return ctx.find("DaemonSet", p["daemonset"], ctx.ns(p))


@check("daemonset-covers")
def covers(ctx: GradingContext, p: dict[str, Any]) -> CheckResult:
    ds, ns = _get(ctx, p)
    if ds is None:
        return missing("DaemonSet", p["daemonset"], ns)
    cov = _Coverage(ctx, ds, ns)
    name = cov.name
    if not cov.nodes:
        return fail("no nodes are known yet", "wait for the cluster's nodes to be listed")
    skipped = [cov.why(row) for row in cov.skipped()]
    if not cov.eligible:
        return fail(f"no node is eligible for {name}: {join(skipped)}",
                    "check the nodeSelector, affinity and tolerations against the nodes' "
                    "labels and taints (kubectl get nodes --show-labels)")
    problems: list[str] = []
    for node in cov.eligible:
        pods = cov.on.get(node, [])
        if not pods:
            problems.append(f"{node} has no pod of {name}")
        elif len(pods) > 1:
            problems.append(f"{node} runs {len(pods)} pods of {name}")
        elif not o.pod_ready(pods[0]):
            problems.append(f"{o.name(pods[0])} on {node} is {pod_problem(ctx, pods[0])}")
    for row in cov.skipped():
        for pod in _strays(cov, row.node, row.reason):
            problems.append(f"{o.name(pod)} runs on {row.node}, which is not eligible "
                            f"({row.detail or row.reason})")
    if problems:
        return fail("; ".join(problems[:3]) + (f" (and {len(problems) - 3} more)"
                                               if len(problems) > 3 else ""),
                    f"wait for the DaemonSet controller, or look at the pods: "
                    f"kubectl get pods -o wide -l {_selector_text(ds)}")
    text = f"{name} runs one Ready pod on each of {plural(len(cov.eligible), 'eligible node')}"
    return ok(text + (f"; skipped: {join(skipped)}" if skipped else ""))


def _strays(cov: _Coverage, node: str, reason: str) -> list[Obj]:
    """Pods of the DaemonSet running on a node it skips. A node skipped for `resources` has
    the controller's pod, left Pending by the scheduler: that one is expected."""
    pods = cov.on.get(node, [])
    if reason == "resources":
        return [p for p in pods if o.pod_phase(p) != "Pending"]
    return pods


def _selector_text(ds: Obj) -> str:
    labels = o.dig(ds, "spec.selector.matchLabels", {}) or {}
    return ",".join(f"{k}={v}" for k, v in labels.items()) or "..."


_EXCLUDE_HINTS = {
    "taint": "a node with a taint the DaemonSet does not tolerate is skipped, e.g. the "
             "control-plane node; apply a DaemonSet without that toleration",
    "nodeSelector": "give the DaemonSet a nodeSelector that some node's labels do not match",
    "affinity": "give the DaemonSet a required node affinity that some node does not match",
    "resources": "request more CPU or memory than some node has allocatable",
}


@check("daemonset-excludes")
def excludes(ctx: GradingContext, p: dict[str, Any]) -> CheckResult:
    ds, ns = _get(ctx, p)
    reason = p["reason"]
    if ds is None:
        return missing("DaemonSet", p["daemonset"], ns)
    cov = _Coverage(ctx, ds, ns)
    hits = cov.skipped(reason)
    if not hits:
        others = [cov.why(row) for row in cov.skipped()]
        seen = f"skipped for other reasons: {join(others)}" if others else \
            f"it is eligible on every node ({plural(len(cov.rows), 'node')})"
        return fail(f"no node is skipped by {cov.name} for {reason}; {seen}",
                    _EXCLUDE_HINTS.get(reason, ""))
    for row in hits:
        node = row.node
        stray = _strays(cov, node, reason)
        if stray:
            return fail(f"{o.name(stray[0])} runs on {node} although {node} should be skipped "
                        f"({reason})", "wait for the DaemonSet controller to remove it")
    return ok(f"{cov.name} skips " + join(cov.why(row) for row in hits))


def _parse_label(text: str) -> tuple[str, str | None]:
    key, sep, value = text.partition("=")
    return key.strip(), (value.strip() if sep else None)


def _selects(ds: Obj, key: str, value: str | None) -> bool:
    """Whether the DaemonSet chooses nodes by this label (nodeSelector or required affinity)."""
    spec = template_spec(ds)
    selector = spec.get("nodeSelector") or {}
    if key in selector and (value is None or selector[key] == value):
        return True
    terms = o.dig(spec, "affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution."
                        "nodeSelectorTerms", []) or []
    for term in terms:
        for expr in term.get("matchExpressions") or []:
            if expr.get("key") != key:
                continue
            if expr.get("operator") == "Exists" or value is None:
                return True
            if expr.get("operator") == "In" and value in (expr.get("values") or []):
                return True
    return False


def _removed_for_label(ctx: GradingContext, lives: list[PodLife], pod: PodLife, node: str,
                       unlabelled: int, name: str, ns: str) -> bool:
    """Whether a pod that went after its node lost a label went because of it: the DaemonSet
    still existed, and did not put a new pod on the node (as a rollout would) until the node
    was labelled again."""
    gone = pod.gone
    assert gone is not None
    relabelled = next((i for i, t in enumerate(ctx.history)
                       if i > gone.index and t.kind == "Node" and t.name == node
                       and t.what == "labelled"), len(ctx.history))
    if any(unlabelled < i <= gone.index for i, t in enumerate(ctx.history)
           if t.kind == "DaemonSet" and t.name == name and t.namespace == ns
           and t.what == "deleted"):
        return False
    return not any(life.created and gone.index <= life.created.index < relabelled
                   and node in life.nodes for life in lives if life is not pod)


@check("daemonset-follows-labels")
def follows_labels(ctx: GradingContext, p: dict[str, Any]) -> CheckResult:
    name, label = p["daemonset"], p["label"]
    key, value = _parse_label(label)
    ns = ctx.ns(p)
    ds = ctx.state.last_seen("DaemonSet", name, ns)
    if ds is None:
        return missing("DaemonSet", name, ns)
    lives = pod_lives(ctx.history, ns, owner=f"DaemonSet/{name}")
    node_events = [(i, t) for i, t in enumerate(ctx.history)
                   if t.kind == "Node" and t.what in ("labelled", "unlabelled")
                   and t.detail.get("key") == key]
    lingering: CheckResult | None = None
    for i, t in node_events:
        if t.what != "unlabelled":
            continue
        node = t.name
        for pod in (life for life in lives if node in life.nodes and life.alive_at(i)):
            gone = pod.gone
            if gone is None:
                lingering = fail(f"{node} lost label {label} but {pod.name} still runs there",
                                 "wait for the DaemonSet controller to remove it")
                continue
            if _removed_for_label(ctx, lives, pod, node, i, name, ns):
                return ok(f"{pod.name} ran on {node} while it had {label}, and was removed "
                          f"{max(0.0, gone.time - t.time):.0f}s after the label was")
    if lingering is not None:
        return lingering
    # Not done yet: say how far it got. (The template is judged only now: the evidence above
    # stands even if the DaemonSet was changed since.)
    if not _selects(ds, key, value):
        return fail(f"{name} does not choose its nodes by the label {label}",
                    f"give it a nodeSelector {key}: \"{value or 'true'}\"")
    live = owned_pods(ctx, "DaemonSet", name, ns)
    labelled = [o.name(n) for n in ctx.list("Node", "")
                if key in o.labels(n) and (value is None or o.labels(n)[key] == value)]
    if live and labelled:
        node = o.dig(live[0], "spec.nodeName") or labelled[0]
        return fail(f"{o.name(live[0])} runs on {node}, which has {label}; now remove the "
                    f"label and watch the pod go",
                    f"kubectl label nodes {node} {key}-")
    if labelled:
        return fail(f"{join(labelled)} {'has' if len(labelled) == 1 else 'have'} {label} but "
                    f"{name} runs no pod yet", "wait for the DaemonSet controller")
    return fail(f"no node has {label}, so {name} runs nowhere",
                f"label a node: kubectl label nodes <node> {key}={value or 'true'}")


@check("daemonset-hostpath")
def hostpath(ctx: GradingContext, p: dict[str, Any]) -> CheckResult:
    ds, ns = _get(ctx, p)
    if ds is None:
        return missing("DaemonSet", p["daemonset"], ns)
    name = o.name(ds)
    spec = template_spec(ds)
    host_vols = {v["name"]: str(v["hostPath"].get("path", ""))
                 for v in spec.get("volumes") or [] if v.get("hostPath") and v.get("name")}
    if not host_vols:
        return fail(f"{name} declares no hostPath volume",
                    "add a volume with hostPath: {path: /var/log} and mount it in the container")
    mounted = {m.get("name") for c in (spec.get("containers") or []) +
               (spec.get("initContainers") or []) for m in c.get("volumeMounts") or []}
    used = {v: path for v, path in host_vols.items() if v in mounted}
    if not used:
        return fail(f"{name} declares hostPath {join(host_vols.values())} but no container "
                    f"mounts it", "add a volumeMounts entry naming the volume")
    pods = owned_pods(ctx, "DaemonSet", name, ns)
    desired = int(o.dig(ds, "status.desiredNumberScheduled", 0) or 0)
    if not pods:
        return fail(f"{name} has no pods yet", "wait for the DaemonSet controller")
    bad = not_ready(ctx, pods)
    if bad:
        return fail("; ".join(bad[:2]), "look at the pod's events: kubectl describe pod ...")
    ready = len(pods)
    if desired > ready:
        return fail(f"only {ready} of {desired} pods of {name} are Ready",
                    "wait for the DaemonSet controller")
    return ok(f"{name} mounts hostPath {join(sorted(used.values()))}; "
              f"{ready}/{max(desired, ready)} pods Ready")


def _updated(ctx: GradingContext, ds: Obj, ns: str) -> bool:
    """Whether the DaemonSet's template was changed after creation."""
    name = o.name(ds)
    if ctx.select(kind="DaemonSet", name=name, namespace=ns, what="image-changed"):
        return True
    revisions = ctx.list("ControllerRevision", ns, owner=f"DaemonSet/{name}")
    return len(revisions) >= 2


@check("daemonset-rolled-out")
def rolled_out(ctx: GradingContext, p: dict[str, Any]) -> CheckResult:
    ds, ns = _get(ctx, p)
    if ds is None:
        return missing("DaemonSet", p["daemonset"], ns)
    name = o.name(ds)
    images = template_images(ds)
    want = p.get("image")
    first = next(iter(images), "container")
    if want and want not in images.values():
        return fail(f"{name}'s template runs {join(images.values())}, not {want}",
                    f"kubectl set image daemonset/{name} {first}={want}")
    if not _updated(ctx, ds, ns):
        return fail(f"{name} still runs the template it was created with: no image update "
                    f"was made", f"kubectl set image daemonset/{name} {first}=<new image>")
    if o.dig(ds, "status.observedGeneration", 0) < o.dig(ds, "metadata.generation", 0):
        return fail(f"the DaemonSet controller has not seen {name}'s latest change yet",
                    "wait a moment")
    pods = owned_pods(ctx, "DaemonSet", name, ns)
    stale = []
    for pod in pods:
        running = o.container_images(o.dig(pod, "spec", {}) or {})
        for c, img in images.items():
            if running.get(c) != img:
                stale.append(f"{o.name(pod)} on {o.dig(pod, 'spec.nodeName', '?')} still runs "
                             f"{running.get(c, '?')} (want {img})")
                break
    if stale:
        return fail("; ".join(stale[:2]), f"watch it: kubectl rollout status daemonset/{name}")
    bad = not_ready(ctx, pods)
    if bad:
        return fail("; ".join(bad[:2]), f"kubectl rollout status daemonset/{name}")
    desired = int(o.dig(ds, "status.desiredNumberScheduled", 0) or 0)
    if not pods or len(pods) < desired:
        return fail(f"{len(pods)} of {desired} pods of {name} run the new template",
                    f"kubectl rollout status daemonset/{name}")
    return ok(f"every pod of {name} ({len(pods)}) runs {join(images.values())} and is Ready")


@check("daemonset-pod-replaced")
def pod_replaced(ctx: GradingContext, p: dict[str, Any]) -> CheckResult:
    name, ns = p["daemonset"], ctx.ns(p)
    if ctx.state.last_seen("DaemonSet", name, ns) is None:
        found, ns = ctx.find("DaemonSet", name, ns)
        if found is None:
            return missing("DaemonSet", name, ns)
    lives = pod_lives(ctx.history, ns, owner=f"DaemonSet/{name}")
    deleted = [life for life in lives if life.gone is not None and life.node]
    if not deleted:
        return fail(f"no pod of {name} has been deleted yet",
                    f"delete one and watch it come back: kubectl delete pod "
                    f"{lives[0].name if lives else '<pod>'}")
    waiting = None
    for old in deleted:
        gone = old.gone
        assert gone is not None
        after = [new for new in lives if new is not old and new.created is not None
                 and new.created.index >= gone.index and old.node in new.nodes]
        if not after:
            continue
        new = min(after, key=lambda life: life.created or gone)
        if old.revision and new.revision and old.revision != new.revision:
            continue  # a rollout replaced it with the new template, not a deletion
        if new.ready is None:
            waiting = f"{new.name} replaced {old.name} on {old.node} but is not Ready yet"
            continue
        assert new.created is not None
        return ok(f"{old.name} on {old.node} was deleted and {new.name} replaced it "
                  f"there {max(0.0, new.created.time - gone.time):.0f}s later")
    old = deleted[-1]
    return fail(waiting or f"{old.name} on {old.node} was deleted and nothing has replaced it "
                           f"there yet", "wait for the DaemonSet controller")
