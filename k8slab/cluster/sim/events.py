"""Kubernetes Events, recorded the way client-go's event recorder does.

An Event names the object it is about (`involvedObject`), a machine `reason` (`Scheduled`,
`SuccessfulCreate`, `BackOff`...), a human `message`, its `type` (Normal or Warning) and the
component that reported it. Repeats of the same (object, reason, message) are folded into one
Event whose `count` and `lastTimestamp` go up, as the real recorder's aggregation does.

Like the API server's `--event-ttl` (1 hour), old Events expire; the sim also caps how many it
keeps so that a 10,000-pod run stays small.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from k8slab.cluster.sim.store import Obj, timestamp

if TYPE_CHECKING:
    from k8slab.cluster.sim.core import SimCore

EVENT_TTL = 3600.0
MAX_EVENTS = 3000


class EventRecorder:
    """Creates and aggregates Event objects in the store."""

    def __init__(self, core: SimCore) -> None:
        self._core = core
        # (involved uid, reason, message, component) -> (namespace, event name, last time),
        # least recently seen first
        self._index: OrderedDict[tuple[str, str, str, str], tuple[str, str, float]] = (
            OrderedDict())
        self._n = 0

    def normal(self, obj: Obj, reason: str, message: str, *, component: str = "",
               host: str = "", field_path: str = "") -> None:
        """Record a Normal event about `obj`."""
        self.record(obj, "Normal", reason, message, component=component, host=host,
                    field_path=field_path)

    def warning(self, obj: Obj, reason: str, message: str, *, component: str = "",
                host: str = "", field_path: str = "") -> None:
        """Record a Warning event about `obj`."""
        self.record(obj, "Warning", reason, message, component=component, host=host,
                    field_path=field_path)

    def record(self, obj: Obj, type_: str, reason: str, message: str, *, component: str = "",
               host: str = "", field_path: str = "") -> None:
        """Record (or count again) an event about `obj`."""
        store = self._core.store
        md = obj["metadata"]
        # Events about cluster-scoped objects (nodes) live in the default namespace.
        ns = md.get("namespace") or "default"
        now = self._core.clock.now
        ts = timestamp(now)
        ikey = (md.get("uid", ""), reason, message, component)
        found = self._index.get(ikey)
        if found is not None:
            old = store.get("Event", found[0], found[1])
            if old is not None:
                self._index[ikey] = (found[0], found[1], now)
                self._index.move_to_end(ikey)
                store.update({**old, "count": int(old.get("count", 1)) + 1,
                              "lastTimestamp": ts})
                return
        self._n += 1
        # The real recorder names events <object>.<unix nanoseconds in hex>.
        nanos = int(now * 1e9) + self._n
        name = f"{md.get('name', '')}.{nanos:016x}"
        involved: dict[str, Any] = {
            "kind": obj.get("kind", ""),
            "namespace": md.get("namespace", "") or "",
            "name": md.get("name", ""),
            "uid": md.get("uid", ""),
            "apiVersion": obj.get("apiVersion", ""),
            "resourceVersion": md.get("resourceVersion", ""),
        }
        if not involved["namespace"]:
            del involved["namespace"]
        if field_path:
            involved["fieldPath"] = field_path
        source: dict[str, str] = {"component": component}
        if host:
            source["host"] = host
        event = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": name, "namespace": ns},
            "involvedObject": involved,
            "reason": reason,
            "message": message,
            "source": source,
            "firstTimestamp": ts,
            "lastTimestamp": ts,
            "count": 1,
            "type": type_,
            "eventTime": None,
            "reportingComponent": component,
            "reportingInstance": host,
        }
        store.create(event)
        self._index[ikey] = (ns, name, now)
        self._expire(now)

    def _expire(self, now: float) -> None:
        store = self._core.store
        while self._index:
            ikey, (ns, name, last) = next(iter(self._index.items()))
            if len(self._index) <= MAX_EVENTS and now - last < EVENT_TTL:
                break
            ev = store.get("Event", ns, name)
            del self._index[ikey]
            if ev is not None:
                store.remove("Event", ns, name)
