"""The sim's engine: clock, store, seeded randomness, events and the controllers' work queue.

Controllers (scheduler, kubelet, StatefulSet, DaemonSet, Job, ...) plug in by subclassing
`Controller`: they name the kinds whose changes concern them, map each change to the keys
they must sync, and do their work in `sync(key)`. Syncs run as clock happenings, one at a time,
in a deterministic order, like the informer-driven work queues of kube-controller-manager.
See README.md in this package.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from random import Random
from typing import TYPE_CHECKING, Any

from k8slab.cluster.protocol import EventStream, WatchEvent
from k8slab.cluster.sim.clock import Happening, SimClock
from k8slab.cluster.sim.events import EventRecorder
from k8slab.cluster.sim.store import Obj, Store

if TYPE_CHECKING:
    from k8slab.cluster.sim.apiserver import ApiServer
    from k8slab.cluster.sim.filestore import FileStore
    from k8slab.lessons.model import SimBehaviour

SyncKey = tuple[str, str]  # (namespace or "", name)


class Controller:
    """Base class of a sim controller.

    Subclasses set `name` and `kinds`, and override `sync()`; override `keys_for()` when a
    change of another kind (a Pod) should sync its owner (a Job). `core` gives the store,
    clock, API server, event recorder and RNG.
    """

    name = "controller"
    kinds: tuple[str, ...] = ()  # kinds whose changes are passed to keys_for()
    primary = ""  # the kind this controller owns; its own changes sync themselves
    component = "controller-manager"  # Event source component

    def __init__(self, core: SimCore) -> None:
        self.core = core

    def keys_for(self, type_: str, old: Obj | None, new: Obj | None) -> Iterable[SyncKey]:
        """The keys to sync because of a change. Default: the primary object itself, and for
        other kinds the controlling owner if it is of the primary kind."""
        obj = new if new is not None else old
        assert obj is not None
        md = obj["metadata"]
        if obj["kind"] == self.primary:
            return [(md.get("namespace", "") or "", md["name"])]
        out = []
        for o in (old, new):
            if o is None:
                continue
            for ref in o["metadata"].get("ownerReferences") or ():
                if ref.get("controller") and ref.get("kind") == self.primary:
                    out.append((o["metadata"].get("namespace", "") or "", ref["name"]))
        return out

    def sync(self, key: SyncKey) -> None:
        """Bring the object named by `key` toward its desired state."""

    def queue(self, key: SyncKey, delay: float = 0.0) -> None:
        """Sync `key` after `delay` seconds (coalesced with an earlier pending sync)."""
        self.core.enqueue(self, key, delay)

    def on_start(self) -> None:
        """Called once after every controller is registered."""


class SimCore:
    """Everything the controllers share. One per SimCluster."""

    def __init__(self, namespace: str, *, seed: int = 0,
                 behaviours: Iterable[SimBehaviour] = ()) -> None:
        self.namespace = namespace
        self.seed = seed
        self.rng = Random(seed)  # container behaviour (random failures, durations)
        self.rng_names = Random(f"names-{seed}")  # generateName suffixes, revision hashes
        self.clock = SimClock()
        self.store = Store(lambda: self.clock.now, Random(f"uids-{seed}"))
        self.events = EventRecorder(self)
        self.behaviours = tuple(behaviours)
        self.controllers: dict[str, Controller] = {}
        self._by_kind: dict[str, list[Controller]] = defaultdict(list)
        self._pending: dict[tuple[str, SyncKey], Happening] = {}
        self._watchers: list[tuple[frozenset[str] | None, frozenset[str] | None,
                                   EventStream]] = []
        self.transitions = 0  # pod lifecycle transitions, for the benchmark
        self._runs: dict[tuple[int, str, str], int] = {}  # hint runs, for fail_first
        self.store.subscribe(self._on_change)
        self.api: ApiServer  # set by SimCluster
        self.files: FileStore  # set by SimCluster

    # -- controllers ------------------------------------------------------------------------
    def register(self, controller: Controller) -> Controller:
        """Add a controller; it starts receiving changes of its kinds at once."""
        self.controllers[controller.name] = controller
        kinds = set(controller.kinds)
        if controller.primary:
            kinds.add(controller.primary)
        for kind in sorted(kinds):
            self._by_kind[kind].append(controller)
        return controller

    def controller(self, name: str) -> Controller:
        return self.controllers[name]

    def enqueue(self, controller: Controller, key: SyncKey, delay: float = 0.0) -> None:
        """Schedule `controller.sync(key)`; a sync already pending no later is kept."""
        qk = (controller.name, key)
        when = self.clock.now + max(0.0, delay)
        existing = self._pending.get(qk)
        if existing is not None and not existing.cancelled:
            if existing.time <= when:
                return
            existing.cancel()

        def run() -> None:
            self._pending.pop(qk, None)
            controller.sync(key)

        self._pending[qk] = self.clock.at(when, run, f"{controller.name} {key[0]}/{key[1]}")

    def _on_change(self, type_: str, old: Obj | None, new: Obj | None) -> None:
        obj = new if new is not None else old
        assert obj is not None
        kind = obj["kind"]
        for controller in self._by_kind.get(kind, ()):
            for key in controller.keys_for(type_, old, new):
                self.enqueue(controller, key)
        if self._watchers:
            ns = obj["metadata"].get("namespace", "") or ""
            ev = WatchEvent(type_, new if new is not None else obj, self.clock.now)  # type: ignore[arg-type]
            for kinds, namespaces, stream in self._watchers:
                if stream.closed.is_set():
                    continue
                if kinds is not None and kind not in kinds:
                    continue
                if ns and namespaces is not None and ns not in namespaces:
                    continue
                stream.put(ev)

    # -- watching ---------------------------------------------------------------------------
    def watch(self, kinds: Iterable[str] | None, namespaces: Iterable[str] | None
              ) -> EventStream:
        """A stream of ADDED for what exists now, then every change, for these kinds and
        namespaces (None: all); cluster-scoped objects always pass the namespace filter."""
        kind_set = frozenset(kinds) if kinds is not None else None
        ns_set = frozenset(namespaces) if namespaces is not None else None
        stream = EventStream()
        now = self.clock.now
        order = list(kind_set) if kind_set is not None else self.store.kinds()
        from k8slab.cluster.kinds import WATCHED_KINDS

        order.sort(key=lambda k: (WATCHED_KINDS.index(k) if k in WATCHED_KINDS else 99, k))
        for kind in order:
            for obj in self.store.list(kind):
                ns = obj["metadata"].get("namespace", "") or ""
                if ns and ns_set is not None and ns not in ns_set:
                    continue
                stream.put(WatchEvent("ADDED", obj, now))
        self._watchers.append((kind_set, ns_set, stream))
        return stream

    def close(self) -> None:
        for _, _, stream in self._watchers:
            stream.close()
        self._watchers.clear()

    # -- helpers for controllers ------------------------------------------------------------
    def behaviour_for(self, pod: Obj, container: str) -> SimBehaviour | None:
        """The lesson's sim hint for this container, matching the pod's owner chain."""
        return self._match_behaviour(pod, container)[0]

    def next_run(self, pod: Obj, container: str) -> tuple[SimBehaviour | None, int]:
        """The hint for a container that is starting, and which run of the matched workload's
        container this is (1-based, counted across restarts and pods), for `fail_first`."""
        hint, workload = self._match_behaviour(pod, container)
        if hint is None:
            return None, 0
        key = (self.behaviours.index(hint), workload, container)
        self._runs[key] = self._runs.get(key, 0) + 1
        return hint, self._runs[key]

    def _match_behaviour(self, pod: Obj, container: str) -> tuple[SimBehaviour | None, str]:
        if not self.behaviours:
            return None, ""
        chain = self.owner_chain(pod)
        ns = pod["metadata"].get("namespace", "")
        for b in self.behaviours:
            if b.container is not None and b.container != container:
                continue
            kind, name = b.match.get("kind"), b.match.get("name")
            for k, n in chain:
                if (kind is None or kind == k) and (name is None or name == n):
                    # The workload's identity includes its uid: a re-created Job starts over.
                    obj = self.store.get(k, ns, n)
                    return b, f"{k}/{n}/{(obj or {}).get('metadata', {}).get('uid', '')}"
        return None, ""

    def owner_chain(self, obj: Obj) -> list[tuple[str, str]]:
        """(kind, name) of the object and every controlling owner above it."""
        out = [(obj["kind"], obj["metadata"]["name"])]
        ns = obj["metadata"].get("namespace", "") or ""
        cur: Obj | None = obj
        for _ in range(8):
            assert cur is not None
            ref = next((r for r in cur["metadata"].get("ownerReferences") or ()
                        if r.get("controller")), None)
            if ref is None:
                break
            out.append((ref["kind"], ref["name"]))
            cur = self.store.get(ref["kind"], ns, ref["name"])
            if cur is None:
                break
        return out


def owner_reference(owner: Obj, *, controller: bool = True,
                    block_owner_deletion: bool = True) -> dict[str, Any]:
    """An ownerReference pointing at `owner`, as controllers set on what they create."""
    return {
        "apiVersion": owner.get("apiVersion", ""),
        "kind": owner["kind"],
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"],
        "controller": controller,
        "blockOwnerDeletion": block_owner_deletion,
    }
