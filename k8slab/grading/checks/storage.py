"""StatefulSet storage checks: one claim per replica, data that survives its pod, claims kept
after a scale-down, and a real database Ready with its storage."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from typing import Any

from k8slab.cluster import objects as o
from k8slab.grading.checks import check
from k8slab.grading.checks.statefulset import replica_problems
from k8slab.grading.context import CheckResult, GradingContext, fail, ok
from k8slab.grading.evidence import (
    by_ordinal,
    claim_name,
    claim_problem,
    claim_templates,
    covering_mount,
    image_base,
    join,
    missing,
    owned_pods,
    pod_claims,
    replicas_of,
    template_images,
    template_spec,
)
from k8slab.state.history import Transition

Obj = dict[str, Any]



def _claims_problems(ctx: GradingContext, sts: Obj, ns: str, replicas: int) -> list[str]:
    name = o.name(sts)
    pods = by_ordinal(owned_pods(ctx, "StatefulSet", name, ns), name)
    out = []
    volumes: dict[str, str] = {}
    for i in range(replicas):
        for template in claim_templates(sts):
            claim = claim_name(template, name, i)
            problem = claim_problem(ctx, claim, ns)
            if problem:
                out.append(problem)
                continue
            pod = pods.get(i)
            if pod is not None and claim not in pod_claims(pod):
                out.append(f"{o.name(pod)} does not mount claim {claim}")
            volume = o.dig(ctx.get("PersistentVolumeClaim", claim, ns) or {}, "spec.volumeName")
            if volume and volume in volumes:
                out.append(f"claims {volumes[volume]} and {claim} share volume {volume}")
            elif volume:
                volumes[volume] = claim
    return out


@check("pvc-per-replica")
def pvc_per_replica(ctx: GradingContext, p: dict[str, Any]) -> CheckResult:
    sts, ns = ctx.find("StatefulSet", p["statefulset"], ctx.ns(p))
    if sts is None:
        return missing("StatefulSet", p["statefulset"], ns)
    name, replicas = o.name(sts), replicas_of(sts)
    templates = claim_templates(sts)
    if not templates:
        return fail(f"{name} has no volumeClaimTemplates, so its replicas get no storage of "
                    f"their own", "add volumeClaimTemplates to the StatefulSet")
    if replicas <= 0:
        return fail(f"{name} is scaled to 0 replicas", f"kubectl scale statefulset {name} "
                                                       f"--replicas=3")
    problems = _claims_problems(ctx, sts, ns, replicas)
    if problems:
        return fail("; ".join(problems[:2]), "kubectl get pvc; kubectl describe pvc <name> "
                                             "shows why a claim is not Bound")
    claims = [claim_name(t, name, i) for i in range(replicas) for t in templates]
    return ok(f"{join(claims)} {'is' if len(claims) == 1 else 'are'} Bound, one per replica")


# -- data written through exec --------------------------------------------------------------

_WRITE = re.compile(r"(?:^|[;&|]\s*)(?:echo|printf)\s+(?P<text>.*?)\s*(?P<op>>>?)\s*"
                    r"(?P<path>[^\s;&|]+)")
_READ = re.compile(r"(?:^|[;&|]\s*)cat\s+(?P<paths>[^;&|>]+)")


@dataclass(frozen=True, slots=True)
class _Exec:
    """One recorded exec, read as a write or a read of a file."""

    index: int
    transition: Transition
    writes: dict[str, str | None]  # path -> literal text written (None: not literal)
    reads: tuple[str, ...]

    @property
    def pod(self) -> str:
        return self.transition.name

    @property
    def uid(self) -> str:
        return self.transition.uid or str(self.transition.detail.get("uid", ""))

    @property
    def ok(self) -> bool:
        return int(self.transition.detail.get("exit_code") or 0) == 0

    @property
    def stdout(self) -> str:
        return str(self.transition.detail.get("stdout") or "")


def _script(command: Any) -> str:
    parts = [str(c) for c in command] if isinstance(command, (list, tuple)) else [str(command)]
    if len(parts) >= 3 and parts[0].rsplit("/", 1)[-1] in ("sh", "bash", "ash") and \
            parts[1] == "-c":
        return parts[2]
    return shlex.join(parts)


def _literal(text: str) -> str | None:
    try:
        words = shlex.split(text)
    except ValueError:
        return None
    words = [w for w in words if w not in ("-e", "-n")]
    joined = " ".join(words)
    return None if "$" in joined or "`" in joined else joined


def _parse_exec(index: int, t: Transition) -> _Exec:
    script = _script(t.detail.get("command") or [])
    writes: dict[str, str | None] = {}
    for m in _WRITE.finditer(script):
        writes[m.group("path").strip("'\"")] = _literal(m.group("text"))
    reads: list[str] = []
    for m in _READ.finditer(script):
        try:
            reads.extend(w for w in shlex.split(m.group("paths")) if not w.startswith("-"))
        except ValueError:
            continue
    return _Exec(index, t, writes, tuple(reads))


def _lost_reason(sts: Obj, path: str) -> str:
    spec, templates = template_spec(sts), claim_templates(sts)
    mount = covering_mount(spec, path)
    if mount is not None and mount[0] in templates:
        return f"{path} is on claim {mount[0]}, yet the data did not come back"
    on_claims = sorted({str(m.get("mountPath", "")) for c in spec.get("containers") or []
                        for m in c.get("volumeMounts") or [] if m.get("name") in templates})
    where = f" (the claim is mounted at {join(on_claims)})" if on_claims else \
        " (the StatefulSet mounts no claim)"
    return f"{path} is not on a PersistentVolumeClaim{where}, so it was lost with the pod"


@check("data-persists")
def data_persists(ctx: GradingContext, p: dict[str, Any]) -> CheckResult:
    name, ns = p["statefulset"], ctx.ns(p)
    sts = ctx.state.last_seen("StatefulSet", name, ns)
    if sts is None:
        return missing("StatefulSet", name, ns)
    want_path = p.get("path")
    execs = [_parse_exec(i, t) for i, t in enumerate(ctx.history)
             if t.kind == "Pod" and t.what == "exec" and t.namespace == ns
             and o.ordinal(t.name, name) is not None]
    writes = [e for e in execs if e.ok and e.writes and
              (want_path is None or want_path in e.writes)]
    if not writes:
        where = want_path or "a file on the claim"
        return fail(f"no data has been written into a pod of {name} through exec yet",
                    f"kubectl exec {name}-0 -- sh -c \"echo hello >> {where}\"")
    lost: str | None = None
    progress: str | None = None
    for w in writes:
        for path, text in w.writes.items():
            if want_path is not None and path != want_path:
                continue
            expected = text
            if not expected:  # not a literal: what a read in the same pod showed
                before = [e for e in execs if e.pod == w.pod and e.uid == w.uid and
                          e.index > w.index and path in e.reads and e.ok and e.stdout.strip()]
                expected = before[0].stdout.strip().splitlines()[-1] if before else None
            after = [e for e in execs if e.pod == w.pod and e.uid and e.uid != w.uid and
                     e.index > w.index and path in e.reads]
            if not after:
                recreated = any(t.uid == w.uid for t in ctx.select(
                    kind="Pod", name=w.pod, namespace=ns, what=("terminating", "deleted")))
                progress = progress or (
                    f"{w.pod} was re-created; now read {path} back: kubectl exec {w.pod} -- "
                    f"cat {path}" if recreated else
                    f"data was written to {path} in {w.pod}; now delete the pod and read it "
                    f"back from its successor")
                continue
            for r in after:
                found = bool(r.stdout.strip()) if expected is None else expected in r.stdout
                if r.ok and found:
                    shown = f" ({expected!r})" if expected else ""
                    return ok(f"data written to {path} in {w.pod}{shown} was read back after "
                              f"{w.pod} was re-created with a new UID")
            lost = _lost_reason(sts, path)
    if lost:
        return fail(lost, "write the data under the volume mount of the volumeClaimTemplate")
    return fail(progress or "no write and read-back across a pod deletion was seen",
                f"write a file, kubectl delete pod {name}-0, then read the file back")


# -- claims kept after scale-down -----------------------------------------------------------

@check("claims-retained")
def claims_retained(ctx: GradingContext, p: dict[str, Any]) -> CheckResult:
    sts, ns = ctx.find("StatefulSet", p["statefulset"], ctx.ns(p))
    if sts is None:
        return missing("StatefulSet", p["statefulset"], ns)
    name, replicas = o.name(sts), replicas_of(sts)
    templates = claim_templates(sts)
    if not templates:
        return fail(f"{name} has no volumeClaimTemplates, so it has no claims to keep",
                    "use a StatefulSet with volumeClaimTemplates")
    kept = []
    for pvc in ctx.list("PersistentVolumeClaim", ns):
        for template in templates:
            n = o.ordinal(o.name(pvc), f"{template}-{name}")
            if n is not None and n >= replicas:
                kept.append(o.name(pvc))
    if kept:
        return ok(f"{join(sorted(kept))} kept after {name} was scaled down to {replicas}")
    downs = [t for t in ctx.select(kind="StatefulSet", name=name, namespace=ns, what="scaled")
             if int(t.detail.get("to") or 0) < int(t.detail.get("from") or 0)]
    for t in downs:
        lo, hi = int(t.detail.get("to") or 0), int(t.detail.get("from") or 0)
        claims = [claim_name(tp, name, n) for n in range(lo, hi) for tp in templates]
        deleted = {x.name for x in ctx.history.select(kind="PersistentVolumeClaim",
                                                      namespace=ns, what="deleted")
                   if x.name in claims and x.time >= t.time}
        survived = [c for c in claims if c not in deleted and
                    ctx.select(kind="PersistentVolumeClaim", name=c, namespace=ns)]
        if survived and not deleted:
            return ok(f"{join(survived)} survived the scale-down {hi}→{lo} (and were reused "
                      f"when {name} scaled back up)")
        if deleted:
            policy = o.dig(sts, "spec.persistentVolumeClaimRetentionPolicy.whenScaled",
                           "Retain")
            why = " because persistentVolumeClaimRetentionPolicy.whenScaled is Delete" \
                if policy == "Delete" else ""
            return fail(f"the claims of removed ordinals were deleted{why}: "
                        f"{join(sorted(deleted))}",
                        "keep whenScaled: Retain (the default) to keep claims")
    return fail(f"no claim of {name} beyond its {replicas} replicas: it has not been scaled "
                f"down yet", f"kubectl scale statefulset {name} --replicas="
                             f"{max(1, replicas - 2)}, then kubectl get pvc")


# -- a real database ------------------------------------------------------------------------

def _app_problem(ctx: GradingContext, sts: Obj, ns: str) -> str:
    name, replicas = o.name(sts), replicas_of(sts)
    if not claim_templates(sts):
        return f"{name} has no volumeClaimTemplates, so it keeps no data"
    if replicas <= 0:
        return f"{name} is scaled to 0 replicas"
    problems = replica_problems(ctx, sts, ns, replicas) + \
        _claims_problems(ctx, sts, ns, replicas)
    return problems[0] if problems else ""


@check("stateful-app-ready")
def stateful_app_ready(ctx: GradingContext, p: dict[str, Any]) -> CheckResult:
    apps = [str(a) for a in p.get("apps") or ["mysql", "postgres", "redis"]]
    ns = ctx.ns(p)
    candidates = []
    for sts in ctx.list("StatefulSet", ns):
        bases = {image_base(img) for img in template_images(sts).values()}
        hit = sorted(bases & set(apps))
        if hit:
            candidates.append((sts, hit[0]))
    if not candidates:
        return fail(f"no StatefulSet runs {join(apps, word='or')} in namespace {ns}",
                    "apply one of the real-world examples, e.g. mysql-statefulset.yaml")
    first_problem = ""
    for sts, app in candidates:
        problem = _app_problem(ctx, sts, ns)
        if not problem:
            name, replicas = o.name(sts), replicas_of(sts)
            claims = [claim_name(t, name, i) for i in range(replicas)
                      for t in claim_templates(sts)]
            return ok(f"{name} ({app}) is Ready: {replicas}/{replicas} replicas, claims "
                      f"{join(claims)} Bound")
        first_problem = first_problem or problem
    return fail(first_problem, "kubectl get pods,pvc shows what is still starting")
