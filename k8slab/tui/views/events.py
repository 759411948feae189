"""Kubernetes Events (`kubectl get events`) as lines for the Events pane."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from k8slab.cluster import objects as o
from k8slab.tui.views.timebase import Timebase
from k8slab.tui.views.tones import Tone


@dataclass(frozen=True, slots=True)
class EventLine:
    """One Event as the pane prints it."""

    uid: str
    count: int
    time: float | None
    type: str  # Normal or Warning
    reason: str
    object: str  # "web-0" for a pod, "sts/web", "pvc/www-web-0"
    message: str

    @property
    def tone(self) -> Tone:
        return "bad" if self.type == "Warning" else "info"


# kubectl's short names; pods, the usual subject, go bare.
_SHORT = {"Pod": "", "StatefulSet": "sts/", "DaemonSet": "ds/", "PersistentVolumeClaim": "pvc/",
          "Job": "job/", "CronJob": "cj/", "Node": "node/", "Service": "svc/"}


def event_line(event: dict[str, Any], tb: Timebase, fallback_time: float) -> EventLine:
    """The line for an Event object (core/v1 or events.k8s.io field names)."""
    involved = event.get("involvedObject") or event.get("regarding") or {}
    kind = str(involved.get("kind", ""))
    short = _SHORT.get(kind, kind.lower() + "/")
    ref = f"{short}{involved.get('name', '')}"
    when = (tb.parse(event.get("lastTimestamp")) or tb.parse(event.get("eventTime"))
            or tb.parse(event.get("firstTimestamp")))
    series = event.get("series") or {}
    return EventLine(
        uid=o.uid(event) or o.name(event),
        count=int(event.get("count") or series.get("count") or 1),
        time=when if when is not None else fallback_time,
        type=str(event.get("type") or "Normal"),
        reason=str(event.get("reason") or ""),
        object=ref,
        message=str(event.get("message") or event.get("note") or ""),
    )
