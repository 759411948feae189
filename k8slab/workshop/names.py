"""Names and labels of a workshop: who the learners are and what their objects are called.

Everything a workshop creates is found again by its labels, never by its name alone: a namespace
that merely looks like `<workshop>-<learner>` but lacks the labels is someone else's.
"""

from __future__ import annotations

import re

from k8slab.errors import K8slabError

LABEL_WORKSHOP = "k8slab.io/workshop"
LABEL_LEARNER = "k8slab.io/learner"
LABEL_LESSON = "k8slab.io/lesson"
LABEL_MANAGED_BY = "app.kubernetes.io/managed-by"
MANAGED_BY = "k8slab"
FIELD_MANAGER = "k8slab-workshop"
SERVICE_ACCOUNT = "learner"
PROGRESS_CONFIGMAP = "k8slab-progress"

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_MAX_LEARNERS = 200


def check_name(value: str, what: str, *, max_len: int = 63) -> str:
    """`value` if it is a DNS-1123 label no longer than `max_len`, else a K8slabError."""
    if len(value) > max_len or not _DNS_LABEL.match(value):
        raise K8slabError(
            f"{what} {value!r} is not a valid name",
            hint=f"use lowercase letters, digits and '-', start and end with a letter or digit, "
                 f"at most {max_len} characters",
        )
    return value


def default_workshop_name(lesson_id: str) -> str:
    return f"ws-{lesson_id}"


def parse_learners(spec: str) -> list[str]:
    """Learner names from `--learners`: a count (`12` → learner-01..learner-12) or a comma list.

    Raises:
        K8slabError: a bad count, a bad name, or the same name twice.
    """
    text = spec.strip()
    if text.isdigit():
        count = int(text)
        if not 1 <= count <= _MAX_LEARNERS:
            raise K8slabError(f"--learners {count}: a workshop has 1 to {_MAX_LEARNERS} learners")
        width = len(str(count))
        return [f"learner-{i:0{width}d}" for i in range(1, count + 1)]
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise K8slabError("--learners is empty",
                          hint="give a number (--learners 12) or names (--learners ana,ben)")
    seen: set[str] = set()
    for n in names:
        check_name(n, "learner name", max_len=40)
        if n in seen:
            raise K8slabError(f"learner {n!r} is listed twice")
        seen.add(n)
    if len(names) > _MAX_LEARNERS:
        raise K8slabError(f"{len(names)} learners: a workshop has at most {_MAX_LEARNERS}")
    return names


def namespace_for(workshop: str, learner: str) -> str:
    """The learner's namespace, `<workshop>-<learner>`."""
    return check_name(f"{workshop}-{learner}", "namespace")


def cluster_binding_name(workshop: str, learner: str) -> str:
    """Name of the learner's ClusterRole and ClusterRoleBinding (cluster-scoped, so prefixed)."""
    return f"k8slab-workshop:{workshop}:{learner}"


def workshop_labels(workshop: str, learner: str | None = None, lesson: str | None = None
                    ) -> dict[str, str]:
    """The labels every object of a workshop carries (`learner` for per-learner objects)."""
    out = {LABEL_MANAGED_BY: MANAGED_BY, LABEL_WORKSHOP: workshop}
    if learner is not None:
        out[LABEL_LEARNER] = learner
    if lesson is not None:
        out[LABEL_LESSON] = lesson
    return out


def selector(workshop: str, learner: str | None = None) -> str:
    """A `-l` label selector matching what `workshop_labels` marks."""
    parts = [f"{LABEL_MANAGED_BY}={MANAGED_BY}", f"{LABEL_WORKSHOP}={workshop}"]
    if learner is not None:
        parts.append(f"{LABEL_LEARNER}={learner}")
    return ",".join(parts)
