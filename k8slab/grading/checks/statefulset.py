"""StatefulSet checks: readiness, the governing Service, ordering, identity, DNS, updates."""

from __future__ import annotations

from typing import Any

from k8slab.cluster import objects as o
from k8slab.cluster.dns import resolve
from k8slab.grading.checks import check
from k8slab.grading.context import CheckResult, GradingContext, fail, ok
from k8slab.grading.evidence import (
    by_ordinal,
    claim_name,
    claim_problem,
    claim_templates,
    created_at,
    join,
    missing,
    owned_pods,
    pod_problem,
    ready_since,
    replicas_of,
)
from k8slab.grading.lives import PodLife, first_pods_by_ordinal, pod_lives

Obj = dict[str, Any]


def statefulset_of(ctx: GradingContext, p: dict[str, Any]) -> tuple[Obj | None, str]:
    return ctx.find("StatefulSet", p["statefulset"], ctx.ns(p))



def pods_by_ordinal(ctx: GradingContext, sts: Obj, ns: str) -> dict[int, Obj]:
    return by_ordinal(owned_pods(ctx, "StatefulSet", o.name(sts), ns), o.name(sts))


def replica_problems(ctx: GradingContext, sts: Obj, ns: str, replicas: int) -> list[str]:
    """What stands between the first `replicas` ordinals and all of them being Ready."""
    name = o.name(sts)
    pods = pods_by_ordinal(ctx, sts, ns)
    out = []
    for i in range(replicas):
        pod = pods.get(i)
        if pod is None:
            waiting = f" (waiting for {name}-{i - 1} to be Ready)" if i and \
                (i - 1) in pods and not o.pod_ready(pods[i - 1]) else ""
            out.append(f"{name}-{i} does not exist yet{waiting}")
        elif not o.pod_ready(pod):
            out.append(f"{name}-{i} is {pod_problem(ctx, pod)}")
    return out


@check("statefulset-ready")
def ready(ctx: GradingContext, p: dict[str, Any]) -> CheckResult:
    sts, ns = statefulset_of(ctx, p)
    if sts is None:
        return missing("StatefulSet", p["statefulset"], ns)
    name, spec_replicas = o.name(sts), replicas_of(sts)
    want = p.get("replicas")
    n = spec_replicas if want is None else int(want)
    if want is not None and spec_replicas < n:
        return fail(f"{name} has {spec_replicas} replicas (want {n})",
                    f"kubectl scale statefulset {name} --replicas={n}")
    if n <= 0:
        return fail(f"{name} is scaled to 0 replicas", f"kubectl scale statefulset {name} "
                                                       f"--replicas=1")
    problems = replica_problems(ctx, sts, ns, n)
    if problems:
        return fail("; ".join(problems[:2]), f"watch them start: kubectl get pods -l "
                                             f"{_selector(sts)} -w")
    names = join(f"{name}-{i}" for i in range(n))
    return ok(f"{n}/{n} replicas of {name} are Ready ({names})")


def _selector(sts: Obj) -> str:
    labels = o.dig(sts, "spec.selector.matchLabels", {}) or {}
    return ",".join(f"{k}={v}" for k, v in labels.items()) or "..."


def service_problem(ctx: GradingContext, sts: Obj, ns: str) -> str:
    """Why the StatefulSet has no working headless governing Service ("" when it has)."""
    name = o.name(sts)
    svc_name = o.dig(sts, "spec.serviceName")
    if not svc_name:
        return f"{name} names no serviceName"
    svc = ctx.get("Service", svc_name, ns)
    if svc is None:
        return f"service {svc_name}, named by {name}'s serviceName, does not exist"
    cluster_ip = o.dig(svc, "spec.clusterIP")
    if cluster_ip != "None":
        return f"service {svc_name} is not headless: its clusterIP is {cluster_ip or 'unset'} " \
               f"(want None)"
    selector = o.dig(svc, "spec.selector") or {}
    labels = o.dig(sts, "spec.template.metadata.labels", {}) or {}
    if not selector:
        return f"service {svc_name} has no selector, so it selects none of {name}'s pods"
    if not all(labels.get(k) == v for k, v in selector.items()):
        want = ",".join(f"{k}={v}" for k, v in selector.items())
        have = ",".join(f"{k}={v}" for k, v in labels.items()) or "no labels"
        return f"service {svc_name} selects {want}, but {name}'s pods carry {have}"
    return ""


@check("headless-service")
def headless_service(ctx: GradingContext, p: dict[str, Any]) -> CheckResult:
    sts, ns = statefulset_of(ctx, p)
    if sts is None:
        return missing("StatefulSet", p["statefulset"], ns)
    problem = service_problem(ctx, sts, ns)
    if problem:
        return fail(problem, "apply a Service with clusterIP: None whose name is the "
                             "StatefulSet's serviceName and whose selector matches its pods")
    svc = o.dig(sts, "spec.serviceName")
    selector = ",".join(f"{k}={v}" for k, v in (o.dig(ctx.get("Service", svc, ns) or {},
                                                       "spec.selector") or {}).items())
    return ok(f"headless service {svc} (clusterIP: None) governs {o.name(sts)} and selects "
              f"{selector}")


def _created_before_ready(cur: PodLife, pred: list[PodLife], pods: dict[int, Obj],
                          i: int) -> bool:
    """Whether ordinal i's first pod was created before any pod of ordinal i-1 was Ready."""
    created = cur.created
    assert created is not None
    readies = [life.ready for life in pred if life.ready is not None]
    if not readies or min(readies).index > created.index:
        return True
    earliest = min(readies)
    if earliest.time < created.time:
        return False
    # Same instant: either a controller reacting at once, or a list of objects that already
    # existed. The objects' own timestamps tell which.
    now_cur, now_pred = pods.get(i), pods.get(i - 1)
    if now_cur is None or now_pred is None or o.uid(now_cur) != cur.uid:
        return False
    c, r, pc = created_at(now_cur), ready_since(now_pred), created_at(now_pred)
    return c is not None and r is not None and pc is not None and pc <= c and c < r


@check("ordered-creation")
def ordered_creation(ctx: GradingContext, p: dict[str, Any]) -> CheckResult:
    sts, ns = statefulset_of(ctx, p)
    if sts is None:
        return missing("StatefulSet", p["statefulset"], ns)
    name = o.name(sts)
    policy = o.dig(sts, "spec.podManagementPolicy") or "OrderedReady"
    if policy == "Parallel":
        return fail(f"{name} uses podManagementPolicy Parallel: its pods do not wait for "
                    f"their predecessors", "use the default policy, OrderedReady")
    replicas = replicas_of(sts)
    if replicas < 2:
        return fail(f"{name} has {replicas} replica; ordering shows with 2 or more",
                    f"kubectl scale statefulset {name} --replicas=3")
    lives = pod_lives(ctx.history, ns, owner=f"StatefulSet/{name}")
    firsts = first_pods_by_ordinal(lives, name)
    pods = pods_by_ordinal(ctx, sts, ns)
    for i in range(replicas):
        if i not in firsts:
            problems = replica_problems(ctx, sts, ns, replicas)
            return fail(problems[0] if problems else f"{name}-{i} has not been seen yet",
                        "wait for the StatefulSet controller")
        if i == 0:
            continue
        pred = [life for life in lives if life.ordinal(name) == i - 1]
        if _created_before_ready(firsts[i], pred, pods, i):
            return fail(f"{name}-{i} was created before {name}-{i - 1} was Ready",
                        "OrderedReady creates each pod only after its predecessor is Ready")
    chain = " → ".join(f"{name}-{i}" for i in range(replicas))
    return ok(f"{chain}: each created after its predecessor was Ready")


@check("stable-identity")
def stable_identity(ctx: GradingContext, p: dict[str, Any]) -> CheckResult:
    sts, ns = statefulset_of(ctx, p)
    if sts is None:
        return missing("StatefulSet", p["statefulset"], ns)
    name = o.name(sts)
    lives = pod_lives(ctx.history, ns, owner=f"StatefulSet/{name}")
    pods = pods_by_ordinal(ctx, sts, ns)
    pending: str | None = None
    for old in lives:
        gone = old.gone
        if gone is None or old.created is None:
            continue
        for new in lives:
            n = new.ordinal(name)
            if new.name != old.name or new.uid == old.uid or new.created is None \
                    or new.created.index < gone.index or n is None:
                continue
            current = pods.get(n)
            if current is None or o.uid(current) != new.uid:
                continue
            if not o.pod_ready(current):
                pending = f"{new.name} came back but is {pod_problem(ctx, current)}"
                continue
            claims = [claim_name(t, name, n) for t in claim_templates(sts)]
            bad = [b for b in (claim_problem(ctx, c, ns) for c in claims) if b]
            if bad:
                pending = f"{new.name} came back but {bad[0]}"
                continue
            since = old.created.time
            renewed = [c for c in claims if any(
                t.time >= since for t in ctx.select(kind="PersistentVolumeClaim", name=c,
                                                    namespace=ns, what="deleted"))]
            if renewed:
                return fail(f"{new.name} came back, but claim {renewed[0]} was deleted and "
                            f"re-created: its data is gone",
                            "delete only the pod; the StatefulSet keeps its claim")
            with_claims = f", with claim {join(claims)}" if claims else ""
            return ok(f"{old.name} was deleted and came back as {new.name} "
                      f"(new UID){with_claims}")
        if pending is None:
            pending = f"{old.name} was deleted and has not come back yet"
    if pending:
        return fail(pending, "wait for the StatefulSet controller to re-create it")
    example = f"{name}-1" if replicas_of(sts) > 1 else f"{name}-0"
    return fail(f"no pod of {name} has been deleted yet",
                f"delete one and watch it come back with the same name: kubectl delete pod "
                f"{example}")


@check("dns-resolves")
def dns_resolves(ctx: GradingContext, p: dict[str, Any]) -> CheckResult:
    sts, ns = statefulset_of(ctx, p)
    if sts is None:
        return missing("StatefulSet", p["statefulset"], ns)
    name = o.name(sts)
    svc = o.dig(sts, "spec.serviceName") or ""
    pods = sorted(owned_pods(ctx, "StatefulSet", name, ns), key=o.name)
    ready_pods = [pod for pod in pods if o.pod_ready(pod)]
    if not ready_pods:
        return fail(f"no pod of {name} is Ready, so no name resolves yet",
                    "wait for the pods to become Ready")
    services, all_pods = ctx.list("Service", ns), ctx.list("Pod", ns)
    names = []
    for pod in ready_pods:
        fqdn = f"{o.name(pod)}.{svc}.{ns}.svc.cluster.local"
        addresses = resolve(fqdn, services=services, pods=all_pods, namespace=ns)
        if not addresses:
            why = service_problem(ctx, sts, ns) or "no DNS record is published for it"
            return fail(f"{fqdn} does not resolve: {why}",
                        "a pod's DNS name needs the headless Service named in serviceName")
        ip = o.dig(pod, "status.podIP")
        if ip and ip not in addresses:
            return fail(f"{fqdn} resolves to {join(addresses)}, not to {o.name(pod)}'s IP {ip}",
                        "check the Service's selector")
        names.append(fqdn)
    verb = "resolves to its pod's IP" if len(names) == 1 else "resolve to their pods' IPs"
    return ok(f"{join(names, limit=3)} {verb}")


def _scale_ups_and_downs(ctx: GradingContext, name: str, ns: str
                         ) -> list[tuple[int, int, int]]:
    """(history index, from, to) of every scale of the StatefulSet."""
    return [(i, int(t.detail["from"] or 0), int(t.detail["to"] or 0))
            for i, t in enumerate(ctx.history)
            if t.kind == "StatefulSet" and t.name == name and t.namespace == ns
            and t.what == "scaled"]


def _check_up(lives: list[PodLife], name: str, at: int, lo: int, hi: int) -> str | None:
    """Why a scale-up from lo to hi at history index `at` was not in order (None: it was)."""
    prev = -1
    for n in range(lo, hi):
        made = [life for life in lives if life.ordinal(name) == n and life.created
                and life.created.index > at]
        if not made:
            return f"scale-up {lo}→{hi} has not finished: {name}-{n} was not created"
        idx = made[0].created.index  # type: ignore[union-attr]
        if idx < prev:
            return f"{name}-{n} was created before {name}-{n - 1}"
        prev = idx
    return None


def _check_down(lives: list[PodLife], name: str, at: int, lo: int, hi: int) -> str | None:
    """Why a scale-down from hi to lo at index `at` did not go highest first (None: it did)."""
    prev = None
    for n in range(hi - 1, lo - 1, -1):
        alive = [life for life in lives if life.ordinal(name) == n and life.alive_at(at)]
        if not alive:
            continue
        gone = alive[0].gone
        if gone is None:
            return f"scale-down {hi}→{lo} has not finished: {name}-{n} still runs"
        if prev is not None and gone.index < prev:
            return f"{name}-{n} was removed before {name}-{n + 1}"
        prev = gone.index
    return None if prev is not None else f"scale-down {hi}→{lo} removed no pod"


@check("ordered-scaling")
def ordered_scaling(ctx: GradingContext, p: dict[str, Any]) -> CheckResult:
    sts, ns = statefulset_of(ctx, p)
    if sts is None:
        return missing("StatefulSet", p["statefulset"], ns)
    name = o.name(sts)
    scales = _scale_ups_and_downs(ctx, name, ns)
    lives = pod_lives(ctx.history, ns, owner=f"StatefulSet/{name}")
    up_ok = down_ok = None
    problems = []
    for at, lo, hi in scales:
        if hi > lo:
            why = _check_up(lives, name, at, lo, hi)
            if why is None:
                up_ok = f"{lo}→{hi} added " + " → ".join(f"{name}-{n}" for n in range(lo, hi))
            else:
                problems.append(why)
        elif hi < lo:
            why = _check_down(lives, name, at, hi, lo)
            if why is None:
                down_ok = f"{lo}→{hi} removed " + " → ".join(
                    f"{name}-{n}" for n in range(lo - 1, hi - 1, -1))
            else:
                problems.append(why)
    if up_ok and down_ok:
        return ok(f"scale-up {up_ok}; scale-down {down_ok}")
    if problems:
        return fail(problems[-1], "ordered scaling waits for each pod in turn: give it time")
    replicas = replicas_of(sts)
    if up_ok:
        return fail(f"{name} was scaled up ({up_ok}) but not down yet",
                    f"kubectl scale statefulset {name} --replicas={max(1, replicas - 2)}")
    if down_ok:
        return fail(f"{name} was scaled down ({down_ok}) but not up",
                    f"kubectl scale statefulset {name} --replicas={replicas + 2}")
    return fail(f"{name} has not been scaled yet",
                f"kubectl scale statefulset {name} --replicas={replicas + 2}, then back")
