"""A pod's state in one word, the way `kubectl get pods` shows it, plus what colour it means."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from k8slab.cluster import objects as o
from k8slab.tui.views.tones import Tone

# Waiting reasons that mean something is wrong rather than merely slow.
_BAD_WAITING = {"ErrImagePull", "ImagePullBackOff", "CrashLoopBackOff", "CreateContainerError",
                "CreateContainerConfigError", "InvalidImageName", "RunContainerError"}


@dataclass(frozen=True, slots=True)
class PodStatus:
    """A pod's state as a short label and a tone."""

    label: str
    tone: Tone


def pod_status(pod: Mapping[str, Any]) -> PodStatus:
    """What `kubectl get pods` would put in the STATUS column, and whether it is good news."""
    if o.dig(pod, "metadata.deletionTimestamp"):
        return PodStatus("Terminating", "gone")
    phase = o.pod_phase(pod)
    if phase == "Succeeded":
        return PodStatus("Completed", "ok")
    if phase == "Failed":
        reason = o.dig(pod, "status.reason") or _terminated_reason(pod) or "Error"
        return PodStatus(str(reason), "bad")
    sched = o.condition(pod, "PodScheduled") or {}
    if not o.dig(pod, "spec.nodeName"):
        if sched.get("reason") == "Unschedulable":
            return PodStatus("Unschedulable", "bad")
        return PodStatus("Pending", "wait")
    waiting = _waiting_reason(pod)
    if waiting:
        return PodStatus(waiting, "bad" if waiting in _BAD_WAITING else "wait")
    if phase == "Running":
        if o.condition_true(pod, "Ready"):
            return PodStatus("Ready", "ok")
        return PodStatus("Running", "wait")
    return PodStatus("ContainerCreating" if phase == "Pending" else phase, "wait")


def _waiting_reason(pod: Mapping[str, Any]) -> str:
    init = o.dig(pod, "status.initContainerStatuses", []) or []
    for i, s in enumerate(init):
        if not (s.get("state") or {}).get("terminated"):
            reason = ((s.get("state") or {}).get("waiting") or {}).get("reason", "")
            if reason in _BAD_WAITING:
                return f"Init:{reason}"
            return f"Init:{i}/{len(init)}"
    for s in o.dig(pod, "status.containerStatuses", []) or []:
        reason = ((s.get("state") or {}).get("waiting") or {}).get("reason")
        if reason:
            return str(reason)
    return ""


def _terminated_reason(pod: Mapping[str, Any]) -> str:
    for s in o.dig(pod, "status.containerStatuses", []) or []:
        term = (s.get("state") or {}).get("terminated")
        if term:
            return str(term.get("reason") or "")
    return ""
