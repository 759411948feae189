"""SimCluster: the embedded simulated cluster behind the `Cluster` protocol."""

from __future__ import annotations

import builtins
import functools
import importlib
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import timedelta
from typing import Any, Literal, TypeVar

from k8slab.cluster import dns
from k8slab.cluster.kinds import WATCHED_KINDS
from k8slab.cluster.objects import parse_label_selector, selector_matches
from k8slab.cluster.protocol import (
    AppliedObject,
    Capabilities,
    Cluster,
    EventStream,
    ExecResult,
)
from k8slab.cluster.sim import exec as sim_exec
from k8slab.cluster.sim.apiserver import ApiServer, kind_info
from k8slab.cluster.sim.clock import SimClock
from k8slab.cluster.sim.core import SimCore
from k8slab.cluster.sim.filestore import FileStore
from k8slab.cluster.sim.gc import GarbageCollector
from k8slab.cluster.sim.kubelet import Kubelet
from k8slab.cluster.sim.nodes import DEFAULT_TOPOLOGY, make_node, ready_conditions
from k8slab.cluster.sim.scheduler import Scheduler
from k8slab.cluster.sim.storage import STANDARD_CLASS, StorageController
from k8slab.cluster.sim.store import EPOCH, Obj, clone, timestamp
from k8slab.errors import ClusterError, NotFound, Unsupported

T = TypeVar("T")

# Controller modules, registered in this order if present (see README.md: each defines
# Controller subclasses, or a `register(core)` function).
PLUGIN_MODULES = ("k8slab.cluster.sim.services", "k8slab.cluster.sim.taints",
                  "k8slab.cluster.sim.statefulset", "k8slab.cluster.sim.daemonset",
                  "k8slab.cluster.sim.job", "k8slab.cluster.sim.cronjob",
                  "k8slab.cluster.sim.ttl")
SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")


def _locked(fn: Callable[..., T]) -> Callable[..., T]:
    @functools.wraps(fn)
    def wrapper(self: SimCluster, *args: Any, **kwargs: Any) -> T:
        with self._lock:
            return fn(self, *args, **kwargs)
    return wrapper


def _register_module(core: SimCore, mod: Any) -> None:
    """Register a plug-in module's controllers: its `register(core)` if it has one, else one
    instance of every Controller subclass it defines."""
    register = getattr(mod, "register", None)
    if callable(register):
        register(core)
        return
    from k8slab.cluster.sim.core import Controller

    for obj in list(vars(mod).values()):
        if (isinstance(obj, type) and issubclass(obj, Controller) and obj is not Controller
                and obj.__module__ == mod.__name__):
            core.register(obj(core))


def busybox_date(t: float) -> str:
    """Virtual time as busybox `date` prints it: `Thu Jan  1 00:00:05 UTC 2026`."""
    dt = EPOCH + timedelta(seconds=int(t))
    return dt.strftime("%a %b ") + f"{dt.day:2d}" + dt.strftime(" %H:%M:%S UTC %Y")


class SimCluster(Cluster):
    """A deterministic in-process cluster: API server, controllers, scheduler and kubelets.

    Args:
        namespace: the lab namespace (created at start with its `default` ServiceAccount).
        seed: seeds every random choice (failures, pull times, uids), so runs repeat exactly.
        behaviours: the lesson's container hints.
        realtime: the caller drives the clock with `clock.tick()` (the TUI); otherwise
            `pump()` jumps from one happening to the next.
    """

    backend = "sim"
    capabilities = Capabilities(virtual_clock=True, edit_nodes=True, exec=True, dns=True)
    unix_epoch = EPOCH.timestamp()

    def __init__(self, namespace: str, *, seed: int = 0, behaviours: Iterable[Any] = (),
                 realtime: bool = False) -> None:
        super().__init__(namespace)
        self.realtime = realtime
        self._lock = threading.RLock()
        self.core = core = SimCore(namespace, seed=seed, behaviours=behaviours)
        core.api = ApiServer(core)
        core.files = FileStore(core)
        self._node_index = 0
        core.register(GarbageCollector(core))
        core.register(StorageController(core))
        core.register(Scheduler(core))
        core.register(Kubelet(core))
        for module in PLUGIN_MODULES:
            try:
                mod = importlib.import_module(module)
            except ModuleNotFoundError as exc:
                if exc.name != module:
                    raise
                continue
            _register_module(core, mod)
        for c in list(core.controllers.values()):
            c.on_start()
        self._bootstrap()

    # -- set-up -----------------------------------------------------------------------------
    def _bootstrap(self) -> None:
        api = self.core.api
        for ns in SYSTEM_NAMESPACES:
            api.ensure_namespace(ns)
        api.ensure_namespace(self.namespace, {"app.kubernetes.io/managed-by": "k8slab"})
        for name, labels, taints in DEFAULT_TOPOLOGY:
            self._add_node(name, labels, taints, "4", "8Gi")
        self.core.store.create(clone(STANDARD_CLASS))
        api.create({"apiVersion": "v1", "kind": "Service", "metadata": {
            "name": "kubernetes", "namespace": "default",
            "labels": {"component": "apiserver", "provider": "kubernetes"}},
            "spec": {"clusterIP": "10.96.0.1", "ports": [
                {"name": "https", "port": 443, "protocol": "TCP", "targetPort": 6443}]}})
        api.create({"apiVersion": "v1", "kind": "Service", "metadata": {
            "name": "kube-dns", "namespace": "kube-system",
            "labels": {"k8s-app": "kube-dns", "kubernetes.io/name": "CoreDNS"}},
            "spec": {"clusterIP": "10.96.0.10", "selector": {"k8s-app": "kube-dns"},
                     "ports": [{"name": "dns", "port": 53, "protocol": "UDP"},
                               {"name": "dns-tcp", "port": 53, "protocol": "TCP"}]}})
        self.core.clock.run_due(self.core.clock.now)

    def _add_node(self, name: str, labels: dict[str, str] | None,
                  taints: list[dict[str, Any]] | None, cpu: str, memory: str) -> Obj:
        node = make_node(name, self._node_index, labels=labels, taints=taints, cpu=cpu,
                         memory=memory)
        self._node_index += 1
        node["status"]["conditions"] = ready_conditions(timestamp(self.core.clock.now))
        return self.core.store.create(node)

    # -- the clock --------------------------------------------------------------------------
    @property
    def clock(self) -> SimClock:
        """The virtual clock (pause, speed, step, jump to the next CronJob run)."""
        return self.core.clock

    @_locked
    def now(self) -> float:
        return self.core.clock.now

    def pump(self, until: float) -> None:
        if self.realtime:
            # The TUI's timer moves the clock; give it a moment.
            time.sleep(0.02)
            return
        with self._lock:
            clock, store = self.core.clock, self.core.store
            start = store.changes
            while True:
                nxt = clock.next_time()
                if nxt is None or nxt > until:
                    clock.now = max(clock.now, until)
                    return
                clock.step()
                if store.changes != start:
                    clock.run_due(clock.now)
                    return

    @_locked
    def tick(self, real_seconds: float) -> None:
        """Realtime mode: let `real_seconds` of wall time pass at the clock's speed."""
        self.core.clock.tick(real_seconds)

    @_locked
    def step(self) -> float | None:
        """Run the next happening; return its time (None when nothing is scheduled)."""
        return self.core.clock.step()

    @_locked
    def advance(self, seconds: float) -> None:
        """Move virtual time forward, running everything that falls due."""
        self.core.clock.advance(seconds)

    @_locked
    def jump_to_next_cron(self) -> float | None:
        """Advance to the next CronJob run (None when no CronJob is scheduled)."""
        return self.core.clock.jump_to_next_cron()

    def settle(self, max_seconds: float = 600.0) -> None:
        """Run happenings until nothing is due within `max_seconds` (tests and solutions)."""
        with self._lock:
            clock = self.core.clock
            limit = clock.now + max_seconds
            clock.run_due(limit)

    # -- objects ----------------------------------------------------------------------------
    @_locked
    def apply(self, objects: Sequence[dict[str, Any]], *, namespace: str | None = None
              ) -> list[AppliedObject]:
        out = []
        for obj in objects:
            out.append(self.core.api.apply(obj, namespace or self.namespace))
        self.core.clock.run_due(self.core.clock.now)
        return out

    @_locked
    def get(self, kind: str, name: str, namespace: str | None = None) -> dict[str, Any]:
        k = kind_info(kind)
        ns = (namespace or self.namespace) if k.namespaced else ""
        obj = self.core.store.get(k.kind, ns, name)
        if obj is None:
            from k8slab.cluster.sim.store import not_found_message

            raise NotFound(not_found_message(k.kind, name), resource=f"{k.kind}/{name}")
        return clone(obj)

    @_locked
    def list(self, kind: str, namespace: str | None = None, *,
             label_selector: str | None = None, all_namespaces: bool = False
             ) -> builtins.list[dict[str, Any]]:
        k = kind_info(kind)
        ns = None if (all_namespaces or not k.namespaced) else (namespace or self.namespace)
        objs = self.core.store.list(k.kind, ns)
        if label_selector:
            sel = parse_label_selector(label_selector)
            objs = [o for o in objs if selector_matches(sel, o["metadata"].get("labels") or {})]
        objs.sort(key=lambda o: (o["metadata"].get("namespace", ""), o["metadata"]["name"]))
        return [clone(o) for o in objs]

    @_locked
    def delete(self, kind: str, name: str, namespace: str | None = None, *,
               grace_period: int | None = None, propagation: str = "Background") -> None:
        k = kind_info(kind)
        ns = (namespace or self.namespace) if k.namespaced else ""
        if k.kind == "Node":
            self.remove_node(name)
            return
        self.core.api.delete(k.kind, name, ns, grace=grace_period, propagation=propagation)
        self.core.clock.run_due(self.core.clock.now)

    @_locked
    def patch(self, kind: str, name: str, patch: dict[str, Any] | builtins.list[dict[str, Any]],
              namespace: str | None = None, *,
              patch_type: Literal["merge", "strategic", "json"] = "strategic"
              ) -> dict[str, Any]:
        k = kind_info(kind)
        ns = (namespace or self.namespace) if k.namespaced else ""
        out = self.core.api.patch(k.kind, name, ns, patch, patch_type)
        self.core.clock.run_due(self.core.clock.now)
        return clone(out)

    @_locked
    def scale(self, kind: str, name: str, replicas: int, namespace: str | None = None) -> None:
        self.core.api.scale(kind, name, namespace or self.namespace, replicas)
        self.core.clock.run_due(self.core.clock.now)

    # -- nodes ------------------------------------------------------------------------------
    @_locked
    def add_node(self, name: str, *, labels: dict[str, str] | None = None,
                 taints: builtins.list[dict[str, Any]] | None = None, cpu: str = "4",
                 memory: str = "8Gi") -> dict[str, Any]:
        """Register a new Ready node (as `minikube node add` does)."""
        if self.core.store.get("Node", "", name) is not None:
            raise ClusterError(f'nodes "{name}" already exists', reason="AlreadyExists")
        node = self._add_node(name, labels, taints, str(cpu), str(memory))
        self.core.clock.run_due(self.core.clock.now)
        return clone(node)

    @_locked
    def remove_node(self, name: str) -> None:
        """Remove a node; the pods bound to it are deleted with it."""
        store = self.core.store
        if store.get("Node", "", name) is None:
            raise NotFound(f'nodes "{name}" not found', resource=f"Node/{name}")
        for pod in store.pods_on(name):
            store.remove("Pod", pod["metadata"]["namespace"], pod["metadata"]["name"])
        store.remove("Node", "", name)
        self.core.clock.run_due(self.core.clock.now)

    # -- rollouts ---------------------------------------------------------------------------
    @_locked
    def rollout_history(self, kind: str, name: str, namespace: str | None = None
                        ) -> builtins.list[dict[str, Any]]:
        """ControllerRevisions of a DaemonSet or StatefulSet, oldest first:
        `{revision, name, hash, images, change_cause}`."""
        from k8slab.cluster.sim import revisions

        k = kind_info(kind)
        return revisions.history(self.core, k.kind, namespace or self.namespace, name)

    @_locked
    def rollout_undo(self, kind: str, name: str, namespace: str | None = None,
                     to_revision: int | None = None) -> int:
        """Roll back to the previous (or a given) revision's template, as
        `kubectl rollout undo`; returns the revision rolled back to."""
        from k8slab.cluster.sim import revisions

        k = kind_info(kind)
        rev = revisions.undo(self.core, k.kind, namespace or self.namespace, name, to_revision)
        self.core.clock.run_due(self.core.clock.now)
        return rev

    # -- pods -------------------------------------------------------------------------------
    def _running_container(self, pod_name: str, namespace: str | None,
                           container: str | None) -> tuple[Obj, str, Any, float, str]:
        pod = self.core.store.get("Pod", namespace or self.namespace, pod_name)
        if pod is None:
            raise NotFound(f'pods "{pod_name}" not found', resource=f"Pod/{pod_name}")
        kubelet: Kubelet = self.core.controller("kubelet")  # type: ignore[assignment]
        spec, run, started, cid, state = kubelet.container_info(pod, container)
        return pod, spec["name"], run, started, cid if state else ""

    @_locked
    def exec(self, pod: str, command: Sequence[str], namespace: str | None = None, *,
             container: str | None = None) -> ExecResult:
        p, cname, _run, _started, cid = self._running_container(pod, namespace, container)
        phase = (p.get("status") or {}).get("phase")
        if phase in ("Succeeded", "Failed"):
            raise ClusterError(f"cannot exec into a container in a completed pod; current "
                               f"phase is {phase}", reason="BadRequest")
        kubelet: Kubelet = self.core.controller("kubelet")  # type: ignore[assignment]
        state = kubelet.container_info(p, cname)[4]
        if state != "running":
            raise ClusterError(f'unable to upgrade connection: container not found ("{cname}")',
                               reason="BadRequest",
                               hint="Wait until the pod is Running, then try again.")
        spec = next(c for c in p["spec"]["containers"] if c["name"] == cname)
        env = kubelet.env_of(p, spec)
        return sim_exec.run(self.core, p, cname, cid, command, env, busybox_date)

    @_locked
    def logs(self, pod: str, namespace: str | None = None, *, container: str | None = None,
             tail: int | None = None) -> str:
        p, cname, run, started, _cid = self._running_container(pod, namespace, container)
        if run is None:
            reason = "ContainerCreating"
            for st in (p.get("status") or {}).get("containerStatuses") or ():
                if st.get("name") == cname:
                    reason = (st.get("state") or {}).get("waiting", {}).get("reason", reason)
            raise ClusterError(f'container "{cname}" in pod "{pod}" is waiting to start: '
                               f"{reason}", reason="BadRequest")
        lines = run.log_lines(started, self.core.clock.now, busybox_date)
        if tail is not None:
            lines = lines[-tail:] if tail > 0 else []
        return "".join(line + "\n" for line in lines)

    # -- watching and DNS -------------------------------------------------------------------
    @_locked
    def watch(self, kinds: Iterable[str] | None = None) -> EventStream:
        names = [kind_info(k).kind for k in (kinds if kinds is not None else WATCHED_KINDS)]
        return self.core.watch(names, [self.namespace])

    @_locked
    def watch_all(self, kinds: Iterable[str] | None = None) -> EventStream:
        """A watch over every namespace (the instructor's view, tests)."""
        names = None if kinds is None else [kind_info(k).kind for k in kinds]
        return self.core.watch(names, None)

    @_locked
    def resolve(self, dns_name: str) -> builtins.list[str]:
        store = self.core.store
        return dns.resolve(dns_name, services=store.list("Service"), pods=store.list("Pod"),
                           namespace=self.namespace)

    def close(self) -> None:
        with self._lock:
            self.core.close()

    def describe(self) -> str:
        return f"sim · seed {self.core.seed} · namespace {self.namespace}"

    def unsupported(self, what: str) -> Unsupported:
        return Unsupported(f"the simulated cluster cannot {what}")
