"""The observable outcome of a scenario, normalised so that the sim and a real cluster compare.

An `Aspect` reads one thing a learner sees from a `ClusterState` (and its History): pod names,
the StatefulSet ordinal sequence, claims and their phases, DaemonSet coverage, Job counts,
revisions. Every value is plain data (str, int, bool, list, dict), so two outcomes compare with
`==` and print as a readable diff.

What is normalised away, and why:
- generated pod names (`node-logger-x7k2p`) become `node-logger-*`: both API servers pick the
  suffix at random;
- revision hashes become the image of the template they name: the sim and the real controller
  hash the template differently, but which pods run which template is what matters;
- volume names of claims are left out: the sim provisions `pvc-<uid>` volumes, the test plane
  binds pre-created `pv-NNN` ones;
- nodes of StatefulSet pods are left out: the real scheduler breaks score ties at random;
- timestamps, uids and resourceVersions are never read;
- a StatefulSet pod that KWOK deletes by replaying a stale delete is left out of the ordinal
  sequence, with its re-creation (see `_set_transitions`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from k8slab.cluster import objects as o
from k8slab.cluster.coverage import coverage as coverage_of
from k8slab.state.history import Transition
from k8slab.state.mirror import ClusterState

Outcome = dict[str, dict[str, Any]]  # checkpoint label -> aspect name -> value


@dataclass(frozen=True, slots=True)
class Aspect:
    """One named, normalised observation of the cluster."""

    name: str
    read: Callable[[ClusterState], Any]


# -- pods -------------------------------------------------------------------------------------

def pod_label(pod: Mapping[str, Any]) -> str:
    """The pod's name, with a generated suffix replaced by `*` (a StatefulSet's pods carry
    generateName too, but are named after their ordinal)."""
    name, generate = o.name(pod), str(o.meta(pod).get("generateName") or "")
    if (o.owner(pod) or {}).get("kind") == "StatefulSet":
        return name
    return f"{generate}*" if generate and name.startswith(generate) else name


def pod_line(pod: Mapping[str, Any]) -> str:
    """`web-0 Running ready`, `hello-* Succeeded`."""
    ready = " ready" if o.pod_ready(pod) else ""
    gone = " terminating" if o.dig(pod, "metadata.deletionTimestamp") else ""
    return f"{pod_label(pod)} {o.pod_phase(pod)}{ready}{gone}"


def pods(owner: str | None = None) -> Aspect:
    """Every pod (of `owner`, "Kind/name"), as sorted `pod_line`s."""
    return Aspect(f"pods of {owner}" if owner else "pods",
                  lambda s: sorted(pod_line(p) for p in s.list("Pod", owner=owner)))


def pod_events(owner: str) -> Aspect:
    """Creations (`+name`) and deletions (`-name`) of the pods of `owner` ("Kind/name", a
    DaemonSet or a Job, whose pods are named `<owner>-<random>`), in the order seen."""
    stem = owner.split("/", 1)[1] + "-"

    def read(s: ClusterState) -> list[str]:
        return [("+" if t.what == "created" else "-")
                + (f"{stem}*" if t.name.startswith(stem) else t.name)
                for t in s.history.select(kind="Pod", owner=owner, what=("created", "deleted"))]

    return Aspect(f"pod events of {owner}", read)


def owned_pods(state: ClusterState, owner: str) -> list[dict[str, Any]]:
    return state.list("Pod", owner=owner)


# -- StatefulSets ------------------------------------------------------------------------------

# A History marker (recorded by harness.KwokReplayTap, real cluster only): KWOK deleted this
# pod uid without anyone asking. See `_set_transitions`.
KWOK_REPLAYED_DELETE = "deleted-by-kwok-replay"


def _set_transitions(state: ClusterState, sts: str) -> list[Transition]:
    """The set's pod transitions, without KWOK's replayed deletions.

    KWOK deletes a terminating pod by name, with no UID precondition (a kubelet always sets
    one). When its stage fires twice for the old pod, the second DELETE can land on the pod the
    StatefulSet controller has just re-created under the same name. That deletion, and the
    re-creation that follows it, are no part of what Kubernetes does, so they are dropped.
    """
    owner = f"StatefulSet/{sts}"
    replayed = {t.uid for t in state.history.select(kind="Pod", what=KWOK_REPLAYED_DELETE)}
    out, recreating = [], set()
    for t in state.history.select(kind="Pod", owner=owner):
        if t.uid in replayed and t.what in ("terminating", "deleted"):
            recreating.add(t.name)
            continue
        if t.what == "created" and t.name in recreating:
            recreating.discard(t.name)
            continue
        out.append(t)
    return out


def ordinal_sequence(state: ClusterState, sts: str) -> list[str]:
    """Every creation (`+N`) and deletion (`-N`) of the set's pods, in the order seen."""
    out = []
    for t in _set_transitions(state, sts):
        if t.what in ("created", "deleted"):
            out.append(("+" if t.what == "created" else "-") + str(o.ordinal(t.name, sts)))
    return out


def ordinals(sts: str, *, in_order: bool = True) -> Aspect:
    """The ordinal sequence; with `in_order=False`, sorted: a Parallel set creates (and
    deletes) its pods from concurrent goroutines, so their order is not defined upstream."""
    if in_order:
        return Aspect(f"ordinals of {sts}", lambda s: ordinal_sequence(s, sts))
    return Aspect(f"ordinals of {sts}, any order", lambda s: sorted(ordinal_sequence(s, sts)))


def creation_waits(state: ClusterState, sts: str) -> list[str]:
    """For each creation of ordinal N > 0: whether ordinal N-1 was Ready at that moment.

    OrderedReady waits (`1 after 0 ready`); Parallel does not (`1 while 0 not ready`).
    """
    ready: set[int] = set()
    out = []
    for t in _set_transitions(state, sts):
        n = o.ordinal(t.name, sts)
        if n is None:
            continue
        if t.what == "created" and n > 0:
            out.append(f"{n} after {n - 1} ready" if n - 1 in ready
                       else f"{n} while {n - 1} not ready")
        if t.what == "ready":
            ready.add(n)
        elif t.what in ("unready", "terminating", "deleted", "created"):
            ready.discard(n)
    return out


def waits(sts: str, *, in_order: bool = True) -> Aspect:
    if in_order:
        return Aspect(f"creation waits of {sts}", lambda s: creation_waits(s, sts))
    return Aspect(f"creation waits of {sts}, any order",
                  lambda s: sorted(creation_waits(s, sts)))


def revision_image(state: ClusterState, revision: str) -> str:
    """The images of the pod template a ControllerRevision (by name) holds."""
    rev = state.last_seen("ControllerRevision", revision)
    if rev is None:
        return f"<no revision {revision}>"
    spec = o.dig(rev, "data.spec.template.spec", {}) or {}
    return ",".join(f"{c}={i}" for c, i in sorted(o.container_images(spec).items()))


def pod_revisions(state: ClusterState, sts: str) -> dict[str, dict[str, Any]]:
    """Per pod: the image its revision holds, its own image, and whether it is updated."""
    obj = state.get("StatefulSet", sts)
    update = o.dig(obj or {}, "status.updateRevision", "")
    out = {}
    for pod in owned_pods(state, f"StatefulSet/{sts}"):
        rev = o.labels(pod).get("controller-revision-hash", "")
        images = o.container_images(o.dig(pod, "spec", {}) or {})
        out[o.name(pod)] = {
            "revision image": revision_image(state, rev),
            "pod image": ",".join(f"{c}={i}" for c, i in sorted(images.items())),
            "update revision": bool(rev) and rev == update,
        }
    return out


def revisions(sts: str) -> Aspect:
    return Aspect(f"revisions of {sts}", lambda s: pod_revisions(s, sts))


def pod_claims(state: ClusterState, sts: str) -> dict[str, list[str]]:
    """The claims each of the set's pods mounts."""
    return {o.name(p): sorted(str(v["persistentVolumeClaim"]["claimName"])
                              for v in o.dig(p, "spec.volumes", []) or []
                              if v.get("persistentVolumeClaim"))
            for p in owned_pods(state, f"StatefulSet/{sts}")}


def mounts(sts: str) -> Aspect:
    return Aspect(f"claims mounted by {sts}", lambda s: pod_claims(s, sts))


# -- claims ------------------------------------------------------------------------------------

def claim_phases(state: ClusterState) -> dict[str, str]:
    return {o.name(c): str(o.dig(c, "status.phase", "Pending"))
            for c in state.list("PersistentVolumeClaim")}


def claims() -> Aspect:
    return Aspect("claims", claim_phases)


# -- DaemonSets --------------------------------------------------------------------------------

def coverage_lines(state: ClusterState, ds: str) -> list[str] | str:
    """One line per node: `worker-1 covered (pod Running ready)` or
    `cp-0 excluded: taint (taint node-role.kubernetes.io/control-plane:NoSchedule is not
    tolerated)`, from the shared coverage function."""
    obj = state.get("DaemonSet", ds)
    if obj is None:
        return "no such DaemonSet"
    out = []
    for c in coverage_of(obj, state.list("Node"), state.list("Pod")):
        pod = f"pod {c.phase}{' ready' if c.ready else ''}" if c.pod else "no pod"
        if c.eligible:
            out.append(f"{c.node} covered ({pod})" + (f": {c.reason}" if c.reason else ""))
        else:
            out.append(f"{c.node} excluded: {c.reason} ({c.detail}; {pod})")
    return out


def covered(ds: str) -> Aspect:
    return Aspect(f"coverage of {ds}", lambda s: coverage_lines(s, ds))


def coverage_reasons(ds: str) -> Aspect:
    """Coverage without the sentences (`worker-1 excluded: resources`), for exclusions whose
    detail quotes a scheduler message."""

    def read(s: ClusterState) -> list[str] | str:
        obj = s.get("DaemonSet", ds)
        if obj is None:
            return "no such DaemonSet"
        return [f"{c.node} covered" if c.eligible else f"{c.node} excluded: {c.reason}"
                for c in coverage_of(obj, s.list("Node"), s.list("Pod"))]

    return Aspect(f"coverage reasons of {ds}", read)


# -- Jobs --------------------------------------------------------------------------------------

def max_active(transitions: Iterable[Transition]) -> int:
    """The most pods that were running (created, not yet finished or gone) at once."""
    active: set[str] = set()
    most = 0
    for t in transitions:
        if t.what == "created":
            active.add(t.uid or t.name)
            most = max(most, len(active))
        elif t.what in ("succeeded", "failed", "deleted"):
            active.discard(t.uid or t.name)
    return most


def job_summary(state: ClusterState, job: str) -> dict[str, Any] | str:
    """The Job's spec counts, status counts and True conditions (type=reason)."""
    obj = state.last_seen("Job", job)
    if obj is None:
        return "no such Job"
    st = obj.get("status") or {}
    return {
        "completions": o.dig(obj, "spec.completions"),
        "parallelism": o.dig(obj, "spec.parallelism"),
        "succeeded": int(st.get("succeeded") or 0),
        "failed": int(st.get("failed") or 0),
        "active": int(st.get("active") or 0),
        "conditions": sorted(f"{c.get('type')}={c.get('reason', '')}"
                             for c in st.get("conditions") or [] if c.get("status") == "True"),
    }


def job(name: str) -> Aspect:
    return Aspect(f"job {name}", lambda s: job_summary(s, name))


def job_pod_counts(state: ClusterState, job: str) -> dict[str, int]:
    """What the Job's pods did, from the History: how many were created, succeeded and
    failed, and the most that ran at once."""
    seen = state.history.select(kind="Pod", owner=f"Job/{job}")
    return {
        "created": sum(1 for t in seen if t.what == "created"),
        "succeeded": sum(1 for t in seen if t.what == "succeeded"),
        "failed": sum(1 for t in seen if t.what == "failed"),
        "most at once": max_active(seen),
    }


def job_pods(name: str) -> Aspect:
    return Aspect(f"pods of job {name}", lambda s: job_pod_counts(s, name))


# -- status and events ---------------------------------------------------------------------

def status_of(state: ClusterState, kind: str, name: str) -> dict[str, Any] | str:
    """The object's status without times; revision names as the images they hold; conditions
    as `Type=Status/Reason`."""
    obj = state.last_seen(kind, name)
    if obj is None:
        return f"no such {kind}"
    out: dict[str, Any] = {}
    for key, value in sorted((obj.get("status") or {}).items()):
        if key.endswith("Time"):
            continue
        if key in ("currentRevision", "updateRevision"):
            value = revision_image(state, str(value))
        elif key == "conditions":
            value = sorted(f"{c.get('type')}={c.get('status')}/{c.get('reason', '')}"
                           for c in value or [])
        out[key] = value
    return out


def status(kind: str, name: str) -> Aspect:
    return Aspect(f"status of {kind}/{name}", lambda s: status_of(s, kind, name))


WORKLOAD_KINDS = ("StatefulSet", "DaemonSet", "Job", "CronJob")


def generated_names(state: ClusterState) -> dict[str, str]:
    """Every pod name seen that a DaemonSet or Job generated, mapped to `<owner>-*`."""
    out = {}
    for t in state.history.select(kind="Pod", what="created"):
        owner = str(t.detail.get("owner") or "")
        kind, _, stem = owner.partition("/")
        if kind and kind != "StatefulSet" and t.name.startswith(stem + "-"):
            out[t.name] = f"{stem}-*"
    return out


def event_lines(state: ClusterState, pod_reasons: tuple[str, ...] = ()) -> list[str]:
    """The distinct events of the workload objects (and of pods, for `pod_reasons`):
    `Kind/name Type Reason: message`, generated pod names as `<owner>-*`.

    How many times an event was counted is left out: it depends on how often a controller
    happened to sync, which is timing."""
    names = generated_names(state)
    lines = set()
    for ev in state.list("Event"):
        about = ev.get("involvedObject") or {}
        kind = str(about.get("kind", ""))
        if kind not in WORKLOAD_KINDS and not (kind == "Pod" and ev.get("reason") in pod_reasons):
            continue
        line = (f"{kind}/{about.get('name', '')} {ev.get('type', '')} {ev.get('reason', '')}: "
                f"{ev.get('message', '')}")
        for generated, shown in names.items():
            line = line.replace(generated, shown)
        lines.add(line)
    return sorted(lines)


def events(*, pod_reasons: tuple[str, ...] = ()) -> Aspect:
    name = "events" + (f" (and pods' {', '.join(pod_reasons)})" if pod_reasons else "")
    return Aspect(name, lambda s: event_lines(s, pod_reasons))


# -- comparing ---------------------------------------------------------------------------------

def differences(sim: Outcome, real: Outcome) -> list[str]:
    """Every checkpoint/aspect whose value differs, as `label / aspect: sim … real …`."""
    out = []
    for label in sorted(set(sim) | set(real)):
        a, b = sim.get(label), real.get(label)
        if a is None or b is None:
            out.append(f"{label}: only on the {'real cluster' if a is None else 'sim'}")
            continue
        for aspect in sorted(set(a) | set(b)):
            if a.get(aspect) != b.get(aspect):
                out.append(f"{label} / {aspect}:\n    sim:  {a.get(aspect)!r}\n"
                           f"    real: {b.get(aspect)!r}")
    return out


def unmet(outcome: Outcome, expect: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Expectations (checkpoint -> aspect -> value) the outcome does not meet."""
    out = []
    for label, aspects in expect.items():
        for aspect, value in aspects.items():
            got = outcome.get(label, {}).get(aspect, "<not observed>")
            if got != value:
                out.append(f"{label} / {aspect}:\n    expected: {value!r}\n    got:      {got!r}")
    return out
