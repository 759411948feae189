"""The garbage collector: cascading deletion through ownerReferences, and namespace clean-up.

With background propagation (kubectl's default) the owner goes at once and its dependents are
deleted afterwards, pods gracefully. A dependent with another owner still alive keeps living,
with the dangling reference removed. A terminating namespace is removed once it is empty.
"""

from __future__ import annotations

from collections.abc import Iterable

from k8slab.cluster.kinds import KINDS
from k8slab.cluster.sim.core import Controller, SyncKey
from k8slab.cluster.sim.store import Obj

GC_DELAY = 0.0
_UID = "\0uid"


class GarbageCollector(Controller):
    """Deletes dependents whose owners are all gone."""

    name = "garbage-collector"
    kinds = tuple(KINDS)
    component = "garbage-collector-controller"

    def keys_for(self, type_: str, old: Obj | None, new: Obj | None) -> Iterable[SyncKey]:
        if type_ == "DELETED":
            assert old is not None
            uid = old["metadata"].get("uid", "")
            if uid and self.core.store.owned_by(uid):
                return [(_UID, uid)]
            return ()
        if type_ == "ADDED" and new is not None:
            refs = new["metadata"].get("ownerReferences")
            if refs and any(self.core.store.by_uid(r.get("uid", "")) is None for r in refs):
                # Created pointing at an owner that is already gone.
                return [(_UID, r.get("uid", "")) for r in refs]
        return ()

    def sync(self, key: SyncKey) -> None:
        if key[0] == "":
            self._finish_namespace(key[1])
            return
        uid = key[1]
        store = self.core.store
        if store.by_uid(uid) is not None:
            return
        for dep in store.owned_by(uid):
            md = dep["metadata"]
            ns, name = md.get("namespace", "") or "", md["name"]
            if store.get(dep["kind"], ns, name) is None:
                continue
            refs = md.get("ownerReferences") or []
            alive = [r for r in refs if store.by_uid(r.get("uid", "")) is not None]
            if alive:
                store.update({**dep, "metadata": {**md, "ownerReferences": alive}})
            elif not md.get("deletionTimestamp"):
                self.core.api.delete(dep["kind"], name, ns)

    def _finish_namespace(self, name: str) -> None:
        store = self.core.store
        ns_obj = store.get("Namespace", "", name)
        if ns_obj is None or not ns_obj["metadata"].get("deletionTimestamp"):
            return
        for kind in store.kinds():
            k = KINDS.get(kind)
            if k is not None and k.namespaced and store.list(kind, name):
                if kind == "Event":
                    for ev in store.list(kind, name):
                        store.remove(kind, name, ev["metadata"]["name"])
                    continue
                self.queue(("", name), 1.0)
                return
        store.remove("Namespace", "", name)
