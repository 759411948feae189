"""The sim's object store: what etcd plus the API server's storage layer do.

Objects are plain dicts shaped like the API's JSON. The store hands out its own dicts, so the
rule is: **never mutate an object you got from the store**. Build a new dict instead, sharing the
parts that did not change (`{**pod, "status": new_status}`); `update()` copies the top level and
`metadata` itself. Sharing unchanged sub-dicts keeps ten thousand pods cheap in memory and makes
"did anything change" a fast comparison.

The store assigns uid, resourceVersion (one cluster-wide counter), generation (bumped when
anything outside metadata and status changes) and creationTimestamp; it keeps indexes of
objects by owner uid and of pods by node, and tells its listeners about every change.
"""

from __future__ import annotations

import builtins
import copy
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta, timezone
from random import Random
from typing import Any

from k8slab.errors import AlreadyExists, Conflict, NotFound

Obj = dict[str, Any]
Key = tuple[str, str, str]  # (kind, namespace or "", name)
Listener = Callable[[str, "Obj | None", "Obj | None"], None]  # (type, old, new)

# Kinds whose metadata.generation counts spec changes (what controllers observe).
GENERATION_KINDS = frozenset({"StatefulSet", "DaemonSet", "Deployment", "ReplicaSet", "Job",
                              "CronJob"})

EPOCH = datetime(2026, 1, 1, tzinfo=timezone.utc)


_STAMPS: dict[int, str] = {}
_PARSED: dict[str, float] = {}


def timestamp(t: float) -> str:
    """RFC 3339 time (seconds precision, as the API serialises metav1.Time) of virtual time t."""
    s = int(t)
    text = _STAMPS.get(s)
    if text is None:
        text = (EPOCH + timedelta(seconds=s)).strftime("%Y-%m-%dT%H:%M:%SZ")
        if len(_STAMPS) < 1_000_000:
            _STAMPS[s] = text
            _PARSED[text] = float(s)
    return text


def parse_timestamp(text: str) -> float:
    """Virtual seconds of an RFC 3339 time written by `timestamp()`."""
    t = _PARSED.get(text)
    if t is None:
        dt = datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
        t = (dt - EPOCH).total_seconds()
    return t


def clone(value: Any) -> Any:
    """A deep copy of JSON-like data (dicts, lists, scalars); faster than copy.deepcopy."""
    if isinstance(value, dict):
        return {k: clone(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clone(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return copy.deepcopy(value)


def _spec_part(obj: Obj) -> Obj:
    return {k: v for k, v in obj.items() if k not in ("metadata", "status")}


class Store:
    """Objects by kind, namespace and name, with indexes and change listeners."""

    def __init__(self, now: Callable[[], float], rng: Random) -> None:
        self._now = now
        self._rng = rng
        self._objects: dict[str, dict[tuple[str, str], Obj]] = defaultdict(dict)
        self._rv = 0
        # owner uid -> dependents in creation order (a dict used as an ordered set)
        self._by_owner: dict[str, dict[Key, None]] = defaultdict(dict)
        self._pods_by_node: dict[str, set[tuple[str, str]]] = defaultdict(set)
        self._by_uid: dict[str, Key] = {}
        self._listeners: list[Listener] = []
        self.changes = 0  # bumped on every write; `pump()` uses it to notice progress

    # -- reading ----------------------------------------------------------------------------
    @property
    def resource_version(self) -> int:
        return self._rv

    def get(self, kind: str, namespace: str, name: str) -> Obj | None:
        """The stored object (do not mutate it), or None."""
        return self._objects[kind].get((namespace, name))

    def must(self, kind: str, namespace: str, name: str) -> Obj:
        obj = self.get(kind, namespace, name)
        if obj is None:
            raise NotFound(_not_found(kind, name), resource=f"{kind}/{name}")
        return obj

    def list(self, kind: str, namespace: str | None = None) -> builtins.list[Obj]:
        """Objects of `kind`, in creation order; all namespaces when `namespace` is None."""
        objs = self._objects[kind].values()
        if namespace is None:
            return list(objs)
        return [ob for ob in objs if ob["metadata"].get("namespace", "") == namespace]

    def iter_kind(self, kind: str) -> Iterator[Obj]:
        return iter(list(self._objects[kind].values()))

    def count(self, kind: str) -> int:
        return len(self._objects[kind])

    def kinds(self) -> builtins.list[str]:
        return [k for k, v in self._objects.items() if v]

    def by_uid(self, uid: str) -> Obj | None:
        """The object with this uid, or None when it no longer exists."""
        key = self._by_uid.get(uid)
        return None if key is None else self._objects[key[0]].get(key[1:])

    def owned_by(self, owner_uid: str, kind: str | None = None) -> builtins.list[Obj]:
        """Objects with an ownerReference to `owner_uid` (optionally only of `kind`)."""
        out = []
        for k, ns, nm in list(self._by_owner.get(owner_uid, ())):
            if kind is not None and k != kind:
                continue
            obj = self._objects[k].get((ns, nm))
            if obj is not None:
                out.append(obj)
        return out

    def pods_on(self, node: str) -> builtins.list[Obj]:
        """Pods bound to `node`."""
        pods = self._objects["Pod"]
        return [pods[k] for k in sorted(self._pods_by_node.get(node, ())) if k in pods]

    # -- writing ----------------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> None:
        """Call `listener(type, old, new)` after every change (type ADDED/MODIFIED/DELETED)."""
        self._listeners.append(listener)

    def new_uid(self) -> str:
        """A random (seeded) version-4 UUID, formatted as the API shows uids."""
        h = f"{self._rng.getrandbits(128):032x}"
        variant = "89ab"[int(h[16], 16) & 3]
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{variant}{h[17:20]}-{h[20:]}"

    def create(self, obj: Obj) -> Obj:
        """Store a new object (taking ownership of the dict). Raises AlreadyExists."""
        kind = obj["kind"]
        md = dict(obj.get("metadata") or {})
        ns, nm = md.get("namespace", "") or "", md["name"]
        if (ns, nm) in self._objects[kind]:
            raise AlreadyExists(f'{_resource(kind)} "{nm}" already exists',
                                resource=f"{kind}/{nm}")
        self._rv += 1
        md.setdefault("uid", self.new_uid())
        md["resourceVersion"] = str(self._rv)
        md.setdefault("creationTimestamp", timestamp(self._now()))
        if kind in GENERATION_KINDS:
            md.setdefault("generation", 1)
        new = {**obj, "metadata": md}
        self._objects[kind][(ns, nm)] = new
        self._by_uid[md["uid"]] = (kind, ns, nm)
        self._index(None, new)
        self._notify("ADDED", None, new)
        return new

    def update(self, obj: Obj, *, expect_rv: str | None = None) -> Obj:
        """Replace the stored object with `obj`; returns the stored version.

        Unchanged objects are not rewritten (no new resourceVersion, no event). `expect_rv`
        makes it an optimistic update that raises Conflict if someone wrote in between.
        """
        kind, md = obj["kind"], obj["metadata"]
        ns, nm = md.get("namespace", "") or "", md["name"]
        old = self._objects[kind].get((ns, nm))
        if old is None:
            raise NotFound(_not_found(kind, nm), resource=f"{kind}/{nm}")
        omd = old["metadata"]
        if expect_rv is not None and expect_rv != omd.get("resourceVersion"):
            raise Conflict(
                f'Operation cannot be fulfilled on {_resource(kind)} "{nm}": the object has '
                "been modified; please apply your changes to the latest version and try again",
                resource=f"{kind}/{nm}")
        new_md = {**md, "uid": omd["uid"], "resourceVersion": omd["resourceVersion"],
                  "creationTimestamp": omd["creationTimestamp"]}
        if "generation" in omd:
            new_md["generation"] = omd["generation"]
        new = {**obj, "metadata": new_md}
        if new == old:
            return old
        self._rv += 1
        new_md["resourceVersion"] = str(self._rv)
        if "generation" in omd and _spec_part(new) != _spec_part(old):
            new_md["generation"] = omd["generation"] + 1
        self._objects[kind][(ns, nm)] = new
        self._index(old, new)
        self._notify("MODIFIED", old, new)
        return new

    def remove(self, kind: str, namespace: str, name: str) -> Obj | None:
        """Remove an object for good (after finalizers and grace periods); emit DELETED."""
        old = self._objects[kind].pop((namespace, name), None)
        if old is None:
            return None
        self._rv += 1
        self._by_uid.pop(old["metadata"].get("uid", ""), None)
        last = {**old, "metadata": {**old["metadata"], "resourceVersion": str(self._rv)}}
        self._index(old, None)
        self._notify("DELETED", old, last)
        return last

    # -- internals --------------------------------------------------------------------------
    def _index(self, old: Obj | None, new: Obj | None) -> None:
        ref = old or new
        assert ref is not None
        kind, md = ref["kind"], ref["metadata"]
        key = (kind, md.get("namespace", "") or "", md["name"])
        old_owners = _owner_uids(old)
        new_owners = _owner_uids(new)
        if old_owners != new_owners:
            for u in old_owners - new_owners:
                bucket = self._by_owner.get(u)
                if bucket is not None:
                    bucket.pop(key, None)
                    if not bucket:
                        del self._by_owner[u]
            for u in sorted(new_owners - old_owners):
                self._by_owner[u][key] = None
        if kind == "Pod":
            old_node = (old or {}).get("spec", {}).get("nodeName") if old else None
            new_node = (new or {}).get("spec", {}).get("nodeName") if new else None
            if old_node != new_node:
                if old_node:
                    self._pods_by_node[old_node].discard(key[1:])
                if new_node:
                    self._pods_by_node[new_node].add(key[1:])

    def _notify(self, type_: str, old: Obj | None, new: Obj | None) -> None:
        self.changes += 1
        for listener in self._listeners:
            listener(type_, old, new)


def _owner_uids(obj: Obj | None) -> set[str]:
    if obj is None:
        return set()
    refs = obj["metadata"].get("ownerReferences")
    if not refs:
        return set()
    return {r["uid"] for r in refs if r.get("uid")}


def _resource(kind: str) -> str:
    """`statefulsets.apps` style resource name used in API error messages."""
    from k8slab.cluster.kinds import KINDS

    k = KINDS.get(kind)
    if k is None:
        return kind.lower() + "s"
    return f"{k.plural}.{k.group}" if k.group else k.plural


def _not_found(kind: str, name: str) -> str:
    return f'{_resource(kind)} "{name}" not found'


resource_name = _resource
not_found_message = _not_found


def iter_keys(objs: Iterable[Obj]) -> builtins.list[Key]:
    return [(o["kind"], o["metadata"].get("namespace", "") or "", o["metadata"]["name"])
            for o in objs]
