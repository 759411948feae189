"""ClusterState: a local mirror of the cluster, fed only by watch events."""

from __future__ import annotations

import builtins
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from k8slab.cluster import objects as o
from k8slab.cluster.protocol import WatchEvent
from k8slab.state.history import History, Transition, derive

_NO_TOMBSTONE = frozenset({"Pod", "Event"})


class ClusterState:
    """What the watch stream has told us, plus the history of how it got here.

    `apply()` is the only way in. An ADDED for an object already mirrored with the same uid
    (as a re-list after a reconnect sends) is treated as a modification, and an event whose
    resourceVersion is the one already held is dropped, so a re-list never duplicates history.
    """

    def __init__(self, namespace: str = "") -> None:
        self.namespace = namespace
        self.history = History()
        self._objects: dict[str, dict[tuple[str, str], dict[str, Any]]] = defaultdict(dict)
        self.now: float = 0.0
        self.generation = 0  # bumped on every accepted change, for cheap "did anything change"
        # The last state of deleted objects, so a check can still read what is gone (a Job its
        # TTL removed, a manual Job the history limit pruned). Pods and Events churn too much.
        self._gone: dict[str, dict[tuple[str, str], dict[str, Any]]] = defaultdict(dict)

    # -- feeding ----------------------------------------------------------------------------
    def apply(self, event: WatchEvent) -> list[Transition]:
        """Fold one watch event in; return the transitions it caused (already in history)."""
        obj = event.object
        kind = str(obj.get("kind", ""))
        k = (o.namespace(obj), o.name(obj))
        bucket = self._objects[kind]
        old = bucket.get(k)
        self.now = max(self.now, event.time)
        if event.type == "DELETED":
            if old is None:
                return []
            del bucket[k]
            if kind not in _NO_TOMBSTONE:
                self._gone[kind][k] = obj
            transitions = derive(old, None, event.time)
        else:
            if old is not None and o.uid(old) != o.uid(obj) and o.uid(obj):
                # Same name, new object: the old one's deletion was not seen (e.g. missed while
                # disconnected). Record it so the history has no gap.
                self.history.extend(derive(old, None, event.time))
                old = None
            rv = o.meta(obj).get("resourceVersion")
            if old is not None and rv and rv == o.meta(old).get("resourceVersion"):
                return []
            bucket[k] = obj
            transitions = derive(old, obj, event.time)
        self.generation += 1
        self.history.extend(transitions)
        return transitions

    def apply_all(self, events: Iterable[WatchEvent]) -> list[Transition]:
        out: list[Transition] = []
        for ev in events:
            out.extend(self.apply(ev))
        return out

    # -- reading ----------------------------------------------------------------------------
    def get(self, kind: str, name: str, namespace: str | None = None) -> dict[str, Any] | None:
        ns = self._ns(kind, namespace)
        return self._objects.get(kind, {}).get((ns, name))

    def last_seen(self, kind: str, name: str, namespace: str | None = None
                  ) -> dict[str, Any] | None:
        """The object, or if it was deleted, its last state (not kept for Pods and Events)."""
        found = self.get(kind, name, namespace)
        if found is not None:
            return found
        return self._gone.get(kind, {}).get((self._ns(kind, namespace), name))

    def deleted(self, kind: str, namespace: str | None = None) -> list[dict[str, Any]]:
        """The last state of deleted objects of `kind` no longer present, sorted by name."""
        ns = None if namespace == "*" else self._ns(kind, namespace)
        live = self._objects.get(kind, {})
        return sorted((obj for (ons, nm), obj in self._gone.get(kind, {}).items()
                       if (ns is None or ons == ns) and (ons, nm) not in live), key=o.name)

    def list(self, kind: str, namespace: str | None = None, *,
             selector: dict[str, Any] | None = None, owner: str | None = None
             ) -> list[dict[str, Any]]:
        """Objects of `kind` (in `namespace`, default the lab's; "*" for all), sorted by name.

        `selector` is a LabelSelector dict; `owner` is "Kind/name" of the controlling owner.
        """
        ns = None if namespace == "*" else self._ns(kind, namespace)
        out = []
        for (ons, _), obj in self._objects.get(kind, {}).items():
            if ns is not None and ons != ns:
                continue
            if selector is not None and not o.selector_matches(selector, o.labels(obj)):
                continue
            if owner is not None:
                ref = o.owner(obj)
                if not ref or f"{ref['kind']}/{ref['name']}" != owner:
                    continue
            out.append(obj)
        return sorted(out, key=o.name)

    def count(self, kind: str) -> int:
        return len(self._objects.get(kind, {}))

    def kinds(self) -> builtins.list[str]:
        return sorted(k for k, v in self._objects.items() if v)

    def _ns(self, kind: str, namespace: str | None) -> str:
        from k8slab.cluster.kinds import KINDS

        meta = KINDS.get(kind)
        if meta is not None and not meta.namespaced:
            return ""
        return self.namespace if namespace is None else namespace
