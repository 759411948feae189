"""What an action reports: its outcome, plus the kubectl-style naming and placeholder filling
the handlers share."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from k8slab.actions import Action
from k8slab.cluster.kinds import kind_of
from k8slab.cluster.protocol import AppliedObject
from k8slab.errors import K8slabError
from k8slab.lessons.text import render_text


@dataclass(frozen=True, slots=True)
class ActionOutcome:
    """What an action did.

    Attributes:
        ok: whether it succeeded.
        message: what happened, in kubectl's words where it has them, or why it failed.
        hint: what to do about a failure ("" when none).
        applied: for `apply`, each object's outcome.
        skipped: the action failed because this cluster cannot do it at all (no virtual
            clock, no kubelet behind a fake node), not because of the lesson or the learner.
    """

    ok: bool
    message: str
    action: Action | None = None
    hint: str = ""
    applied: tuple[AppliedObject, ...] = ()
    skipped: bool = False

    def __str__(self) -> str:
        return self.message + (f" (hint: {self.hint})" if self.hint and not self.ok else "")


# ClusterError reasons that say "this cluster cannot do that", whoever asks.
CLUSTER_LIMITS = frozenset({"Unsupported", "KubeletUnreachable"})


class ActionFailed(K8slabError):
    """An action ran but did not do what it had to (e.g. exec output lacked `expect`)."""


@dataclass
class Done:
    """What a handler reports back: its message, and what it applied, created or deleted."""

    message: str
    applied: tuple[AppliedObject, ...] = ()
    objects: tuple[str, ...] = ()  # "Kind/name" of what the action deleted or created
    extra: dict[str, Any] = field(default_factory=dict)


def resource_name(kind: str) -> str:
    """kubectl's name for a kind: `statefulset.apps`, `job.batch`, `pod`."""
    k = kind_of(kind)
    group = k.group.split(".")[0] if k.group else ""
    return f"{k.kind.lower()}.{group}" if group else k.kind.lower()


def render(value: Any, namespace: str) -> Any:
    """Fill `{{namespace}}` placeholders in every string of a manifest or action."""
    if isinstance(value, str):
        return render_text(value, namespace=namespace) if "{{" in value else value
    if isinstance(value, Mapping):
        return {k: render(v, namespace) for k, v in value.items()}
    if isinstance(value, list):
        return [render(v, namespace) for v in value]
    return value
