"""StatefulSet updates: a partitioned rollout (a canary of the highest ordinals) and a rollout
that reached every replica."""

from __future__ import annotations

from typing import Any

from k8slab.cluster import objects as o
from k8slab.grading.checks import check
from k8slab.grading.checks.statefulset import pods_by_ordinal, statefulset_of
from k8slab.grading.context import CheckResult, GradingContext, fail, ok
from k8slab.grading.evidence import (
    join,
    missing,
    pod_problem,
    replicas_of,
    revision,
    template_images,
)
from k8slab.grading.lives import pod_lives

Obj = dict[str, Any]


def _partition(sts: Obj) -> int:
    return int(o.dig(sts, "spec.updateStrategy.rollingUpdate.partition", 0) or 0)


def _partition_windows(ctx: GradingContext, sts: Obj, ns: str, partition: int
                       ) -> list[tuple[int, int]]:
    """History index ranges [start, end) during which the partition had this value."""
    name = o.name(sts)
    changes = [(i, int(t.detail.get("from") or 0), int(t.detail.get("to") or 0))
               for i, t in enumerate(ctx.history)
               if t.kind == "StatefulSet" and t.name == name and t.namespace == ns
               and t.what == "partition-changed"]
    value = changes[0][1] if changes else _partition(sts)
    start = 0
    windows = []
    for i, _frm, to in changes:
        if value == partition:
            windows.append((start, i))
        value, start = to, i
    if value == partition:
        windows.append((start, len(ctx.history)))
    return windows


def _partition_from_history(ctx: GradingContext, sts: Obj, ns: str, partition: int
                            ) -> CheckResult | None:
    name = o.name(sts)
    lives = pod_lives(ctx.history, ns, owner=f"StatefulSet/{name}")
    changes = [i for i, t in enumerate(ctx.history)
               if t.kind == "StatefulSet" and t.name == name and t.namespace == ns
               and t.what == "image-changed"]
    for start, end in _partition_windows(ctx, sts, ns, partition):
        for at in (i for i in changes if start <= i < end):
            old = {life.revision for life in lives if life.alive_at(at) and life.revision}
            later = [life for life in lives if life.created and at < life.created.index < end
                     and life.revision]
            low = [life for life in later if (life.ordinal(name) or 0) < partition
                   and life.revision not in old]
            if low:
                return fail(f"{low[0].name} got the new revision while the partition was "
                            f"{partition}", "only ordinals at or above the partition update")
            high = sorted({life.name for life in later if (life.ordinal(name) or 0) >= partition
                           and life.revision not in old})
            if high:
                kept = [f"{name}-{n}" for n in range(partition)]
                return ok(f"with partition {partition}, {join(high)} got the new revision "
                          f"while {join(kept) or 'no pod'} kept the old one")
    return None


def _partition_from_objects(ctx: GradingContext, sts: Obj, ns: str, partition: int
                            ) -> CheckResult | None:
    """Post-hoc evidence: the partition is still set and the pods are split by it."""
    update, current = o.dig(sts, "status.updateRevision"), o.dig(sts, "status.currentRevision")
    if _partition(sts) != partition or not update or update == current:
        return None
    pods = pods_by_ordinal(ctx, sts, ns)
    high = [pod for n, pod in pods.items() if n >= partition]
    low = [pod for n, pod in pods.items() if n < partition]
    if not high or any(revision(pod) != update for pod in high):
        return None
    if any(revision(pod) == update for pod in low):
        return None
    return ok(f"with partition {partition}, {join(sorted(o.name(x) for x in high))} run the "
              f"new revision while {join(sorted(o.name(x) for x in low)) or 'no pod'} keep "
              f"the old one")


@check("partitioned-update")
def partitioned_update(ctx: GradingContext, p: dict[str, Any]) -> CheckResult:
    sts, ns = statefulset_of(ctx, p)
    partition = int(p["partition"])
    if sts is None:
        return missing("StatefulSet", p["statefulset"], ns)
    name = o.name(sts)
    found = _partition_from_history(ctx, sts, ns, partition) or \
        _partition_from_objects(ctx, sts, ns, partition)
    if found is not None:
        return found
    if replicas_of(sts) <= partition:
        return fail(f"{name} has {replicas_of(sts)} replicas: with partition {partition} no pod "
                    f"would be updated", f"kubectl scale statefulset {name} "
                                         f"--replicas={partition + 1}")
    patch = f'{{"spec":{{"updateStrategy":{{"rollingUpdate":{{"partition":{partition}}}}}}}}}'
    if not _partition_windows(ctx, sts, ns, partition):
        return fail(f"{name}'s partition has not been {partition} (it is {_partition(sts)})",
                    f"kubectl patch statefulset {name} -p '{patch}'")
    first = next(iter(template_images(sts)), "container")
    pods = pods_by_ordinal(ctx, sts, ns)
    if not any(ctx.select(kind="StatefulSet", name=name, namespace=ns, what="image-changed")):
        return fail(f"{name}'s partition is {partition} but its template has not changed",
                    f"kubectl set image statefulset/{name} {first}=<new image>")
    waiting = [f"{name}-{n}" for n in pods if n >= partition]
    return fail(f"{join(waiting) or 'no pod'} has not been updated yet while the partition is "
                f"{partition}", "the StatefulSet controller updates from the highest ordinal "
                                "down; give it time")


@check("statefulset-rolled-out")
def rolled_out(ctx: GradingContext, p: dict[str, Any]) -> CheckResult:
    sts, ns = statefulset_of(ctx, p)
    if sts is None:
        return missing("StatefulSet", p["statefulset"], ns)
    name, replicas = o.name(sts), replicas_of(sts)
    if o.dig(sts, "status.observedGeneration", 0) < o.dig(sts, "metadata.generation", 0):
        return fail(f"the StatefulSet controller has not seen {name}'s latest change yet",
                    "wait a moment")
    update = o.dig(sts, "status.updateRevision") or ""
    images = template_images(sts)
    pods = pods_by_ordinal(ctx, sts, ns)
    behind, waiting = [], []
    for i in range(replicas):
        pod = pods.get(i)
        if pod is None:
            waiting.append(f"{name}-{i} does not exist yet")
            continue
        running = o.container_images(o.dig(pod, "spec", {}) or {})
        stale = (update and revision(pod) and revision(pod) != update) or \
            any(running.get(c) != img for c, img in images.items())
        if stale:
            behind.append(f"{name}-{i}")
        elif not o.pod_ready(pod):
            waiting.append(f"{name}-{i} is {pod_problem(ctx, pod)}")
    if behind:
        partition = _partition(sts)
        why = f" (the partition is {partition})" if partition else ""
        hint = f"set the partition to 0: kubectl patch statefulset {name} -p " \
               f"'{{\"spec\":{{\"updateStrategy\":{{\"rollingUpdate\":{{\"partition\":0}}}}}}}}'" \
            if partition else f"kubectl rollout status statefulset/{name}"
        return fail(f"{join(behind)} still {'runs' if len(behind) == 1 else 'run'} the old "
                    f"revision{why}", hint)
    if waiting:
        return fail(waiting[0], "wait for the StatefulSet controller")
    rev = f" {update}" if update else ""
    every = f"all {replicas} replicas of {name} run" if replicas != 1 else \
        f"the 1 replica of {name} runs"
    return ok(f"{every} the latest revision{rev} ({join(images.values())})")
