"""Server-side apply of a lesson's manifests into the lab namespace.

Each object is labelled as the lab's, placed in the lab namespace (or deliberately not: see
`CrossNamespacePolicy`) and sent as an apply patch with field manager `k8slab` and
`force=true`. Forcing is a choice: the lab owns what it applies, and a learner who edited
the same fields with `kubectl edit` in between expects re-applying the lesson's YAML to win,
as `kubectl apply --server-side --force-conflicts` would, rather than a conflict error.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from k8slab.cluster.cron import LESSON_SCHEDULE
from k8slab.cluster.kinds import Kind, kind_of
from k8slab.cluster.kube.errors import Call
from k8slab.cluster.kube.labels import LAB_NAMESPACE, lab_labels
from k8slab.cluster.kube.transport import PATCH_TYPES, Api, object_path
from k8slab.cluster.protocol import AppliedObject
from k8slab.errors import ClusterError, CrossNamespace, Forbidden, Invalid, NotFound

FIELD_MANAGER = "k8slab"

# What to do with a manifest naming another namespace (kube-system, monitoring):
#   move  - apply it in the lab namespace instead, and say so (the default)
#   allow - apply it where it says, labelled so that reset finds it
#   ask   - apply nothing and raise CrossNamespace, so the UI can ask the learner first
CrossNamespacePolicy = Literal["ask", "move", "allow"]

# With fast_cron, a CronJob runs every minute (cron's finest step) instead of on its own
# schedule, which the object keeps in this annotation.
EVERY_MINUTE = "* * * * *"

_SERVER_FIELDS = ("resourceVersion", "uid", "creationTimestamp", "generation", "managedFields",
                  "selfLink", "deletionTimestamp", "deletionGracePeriodSeconds")


@dataclass(frozen=True, slots=True)
class Prepared:
    """One object ready to apply: labelled, namespaced, with a note for the learner."""

    kind: Kind
    body: dict[str, Any]
    note: str = ""
    skip: bool = False  # e.g. a Namespace object when everything moves into the lab's

    @property
    def name(self) -> str:
        return str(self.body["metadata"]["name"])

    @property
    def namespace(self) -> str:
        return str(self.body["metadata"].get("namespace") or "")


def prepare(objects: Sequence[dict[str, Any]], *, lab_namespace: str, lesson_id: str,
            policy: CrossNamespacePolicy = "move", fast_cron: bool = False) -> list[Prepared]:
    """Label and place each object; pure, so it is tested without a cluster.

    With `fast_cron`, CronJobs get an every-minute schedule (see `every_minute`).

    Raises:
        Invalid: an object lacks apiVersion, kind or metadata.name.
        CrossNamespace: `policy` is "ask" and some object names another namespace.
    """
    out: list[Prepared] = []
    foreign: list[tuple[str, str, str]] = []
    for index, obj in enumerate(objects):
        body = _clean(obj, index)
        kind = kind_of(str(body["kind"]))
        meta = body["metadata"]
        labels = dict(meta.get("labels") or {})
        labels.update(lab_labels(lesson_id))
        meta["labels"] = labels
        asked = str(meta.get("namespace") or "")
        note = ""
        if kind.kind == "Namespace":
            if policy != "allow":
                out.append(Prepared(kind, body, f"not created: the lab works in namespace "
                                                 f"{lab_namespace}", skip=True))
                continue
            labels[LAB_NAMESPACE] = lab_namespace
        elif not kind.namespaced:
            meta.pop("namespace", None)
            labels[LAB_NAMESPACE] = lab_namespace
        elif not asked or asked == lab_namespace:
            meta["namespace"] = lab_namespace
        elif policy == "move":
            meta["namespace"] = lab_namespace
            note = f"moved from {asked} into the lab namespace"
        elif policy == "allow":
            labels[LAB_NAMESPACE] = lab_namespace
            note = f"applied in {asked}, outside the lab namespace"
        else:
            foreign.append((kind.kind, str(meta["name"]), asked))
        if fast_cron and kind.kind == "CronJob":
            note = "; ".join(n for n in (note, every_minute(body)) if n)
        out.append(Prepared(kind, body, note))
    if foreign:
        names = ", ".join(f"{k.lower()}/{n} ({ns})" for k, n, ns in foreign)
        raise CrossNamespace(
            f"{len(foreign)} object(s) name a namespace other than the lab's: {names}.",
            "Choose whether to move them into the lab namespace or to apply them where they "
            "say (that needs permissions there, and touches a shared namespace).",
            objects=foreign)
    return out


def every_minute(cronjob: dict[str, Any]) -> str:
    """Make `cronjob` (a body being prepared) run every minute; return the note to show.

    A real cluster's clock cannot be jumped to the next run the way the sim's can, and a
    lesson's schedules (every five minutes, hourly, daily at 02:00) would keep a learner
    waiting for hours. The lesson's own schedule stays on the object, in LESSON_SCHEDULE.
    """
    spec = cronjob.get("spec")
    if not isinstance(spec, dict):
        return ""
    schedule = str(spec.get("schedule") or "")
    if not schedule or " ".join(schedule.split()) == EVERY_MINUTE:
        return ""
    spec["schedule"] = EVERY_MINUTE
    meta = cronjob["metadata"]
    meta["annotations"] = {**(meta.get("annotations") or {}), LESSON_SCHEDULE: schedule}
    return f"runs every minute instead of {schedule!r} (--fast-cron)"


def _clean(obj: dict[str, Any], index: int) -> dict[str, Any]:
    if not isinstance(obj, dict):
        raise Invalid(f"Object #{index + 1} is not a mapping.", "Check the manifest's YAML.")
    body = copy.deepcopy(obj)
    meta = body.get("metadata")
    missing = [f for f, ok in (("apiVersion", body.get("apiVersion")), ("kind", body.get("kind")),
                               ("metadata.name", isinstance(meta, dict) and meta.get("name")))
               if not ok]
    if missing:
        raise Invalid(f"Object #{index + 1} has no {', '.join(missing)}.",
                      "Every manifest object needs apiVersion, kind and metadata.name.")
    assert isinstance(meta, dict)
    for key in _SERVER_FIELDS:
        meta.pop(key, None)
    body.pop("status", None)
    return body


def apply_one(api: Api, item: Prepared) -> AppliedObject:
    """Server-side apply one prepared object; tell created, configured and unchanged apart."""
    if item.skip:
        return AppliedObject(item.kind.kind, item.name, item.namespace, "unchanged", item.note)
    ns = item.namespace or None
    api_version = str(item.body["apiVersion"])
    path = object_path(item.kind, item.name, ns, api_version=api_version)
    call = Call("apply", item.kind.plural, item.kind.kind, item.name, item.namespace)
    before_rv = _current_version(api, path, call)
    code, after = api.request_status(
        "PATCH", path, call, body=item.body, content_type=PATCH_TYPES["apply"],
        query={"fieldManager": FIELD_MANAGER, "force": True})
    after_rv = ((after or {}).get("metadata") or {}).get("resourceVersion")
    if code == 201 or before_rv is None:
        outcome: Literal["created", "configured", "unchanged"] = "created"
    elif before_rv == after_rv:
        outcome = "unchanged"
    else:
        outcome = "configured"
    if code != 201 and before_rv == "?":
        outcome = "configured"
    return AppliedObject(item.kind.kind, item.name, item.namespace, outcome, item.note)


def _current_version(api: Api, path: str, call: Call) -> str | None:
    """The object's resourceVersion, None if it does not exist, "?" if we may not read it."""
    try:
        found = api.request("GET", path, Call("get", call.resource, call.kind, call.name,
                                              call.namespace))
    except NotFound:
        return None
    except Forbidden:
        return "?"
    except ClusterError:
        raise
    return str(((found or {}).get("metadata") or {}).get("resourceVersion") or "?")
