"""Taint-based eviction (the node lifecycle controller's taint manager).

When a node carries a NoExecute taint, pods on it that do not tolerate it are deleted at once;
pods that tolerate it for `tolerationSeconds` are deleted when that time is up. DaemonSet pods
are handled the same way (their controller also stops placing them there).
"""

from __future__ import annotations

from collections.abc import Iterable

from k8slab.cluster.sim.core import Controller, SimCore, SyncKey
from k8slab.cluster.sim.predicates import taint_spec, tolerates
from k8slab.cluster.sim.store import Obj
from k8slab.errors import ClusterError


class TaintEvictionController(Controller):
    """Evicts pods from nodes with NoExecute taints they do not tolerate."""

    name = "taint-eviction-controller"
    kinds = ("Node",)
    component = "taint-eviction-controller"

    def __init__(self, core: SimCore) -> None:
        super().__init__(core)
        self._since: dict[tuple[str, str], float] = {}  # (node, taint) -> first seen

    def keys_for(self, type_: str, old: Obj | None, new: Obj | None) -> Iterable[SyncKey]:
        if type_ == "DELETED" or new is None:
            return ()
        taints = (new.get("spec") or {}).get("taints") or ()
        if not any(t.get("effect") == "NoExecute" for t in taints):
            return ()
        if old is not None and (old.get("spec") or {}).get("taints") == taints:
            return ()
        return [("", new["metadata"]["name"])]

    def sync(self, key: SyncKey) -> None:
        node = self.core.store.get("Node", "", key[1])
        if node is None:
            return
        now = self.core.clock.now
        taints = [t for t in (node.get("spec") or {}).get("taints") or ()
                  if t.get("effect") == "NoExecute"]
        # tolerationSeconds count from when the taint appeared.
        seen = {taint_spec(t): self._since.get((key[1], taint_spec(t)), now) for t in taints}
        self._since = {k: v for k, v in self._since.items() if k[0] != key[1]}
        self._since.update({(key[1], spec): t for spec, t in seen.items()})
        for pod in self.core.store.pods_on(key[1]):
            if pod["metadata"].get("deletionTimestamp"):
                continue
            due = self._eviction_time(pod, taints, seen)
            if due is None:
                continue
            if due > now:
                self.queue(key, due - now)
                continue
            md = pod["metadata"]
            self.core.events.normal(pod, "TaintManagerEviction",
                                    f"Marking for deletion Pod {md['namespace']}/{md['name']}",
                                    component=self.component)
            try:
                self.core.api.delete("Pod", md["name"], md["namespace"])
            except ClusterError:
                continue

    @staticmethod
    def _eviction_time(pod: Obj, taints: list[dict], seen: dict[str, float]) -> float | None:
        """When the pod must go (None: it tolerates every taint for good)."""
        tols = pod["spec"].get("tolerations") or ()
        due: float | None = None
        for taint in taints:
            matching = [t for t in tols if tolerates(t, taint)]
            if not matching:
                return seen[taint_spec(taint)]
            limits = [t.get("tolerationSeconds") for t in matching]
            if all(x is not None for x in limits):
                at = seen[taint_spec(taint)] + min(float(x) for x in limits if x is not None)
                due = at if due is None else min(due, at)
        return due


def register(core: SimCore) -> None:
    """Add taint-based eviction to a sim."""
    core.register(TaintEvictionController(core))
