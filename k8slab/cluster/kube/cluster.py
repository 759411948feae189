"""KubeCluster: the lab on a real cluster, through the official `kubernetes` client."""

from __future__ import annotations

import builtins
import threading
import time
from collections.abc import Iterable, Sequence
from typing import Any, Literal

from k8slab.cluster.kinds import KINDS, WATCHED_KINDS, Kind, kind_of
from k8slab.cluster.kube import config as kubeconfig_loader
from k8slab.cluster.kube import nodes, pods, rollout
from k8slab.cluster.kube.apply import FIELD_MANAGER, CrossNamespacePolicy, apply_one, prepare
from k8slab.cluster.kube.errors import Call
from k8slab.cluster.kube.labels import lab_labels
from k8slab.cluster.kube.reset import ResetReport, reset_lab
from k8slab.cluster.kube.transport import PATCH_TYPES, Api, collection_path, object_path
from k8slab.cluster.kube.watch import KindWatcher, WatchGroup
from k8slab.cluster.protocol import (
    AppliedObject,
    Capabilities,
    Cluster,
    EventStream,
    ExecResult,
)
from k8slab.errors import ClusterError, Forbidden, NotFound


class KubeCluster(Cluster):
    """A real cluster from kubeconfig (or in-cluster config), working in one lab namespace.

    Args:
        namespace: the lab namespace; created and labelled when missing (see `ensure_namespace`).
        lesson_id: the lesson whose objects this lab creates, for labels and `reset`.
        context: a kubeconfig context; default the current one.
        kubeconfig: a kubeconfig path (or `os.pathsep`-separated list); default `$KUBECONFIG`,
            then ~/.kube/config, then the in-cluster service account.
        cross_namespace: what `apply` does with manifests naming another namespace:
            "move" them into the lab namespace (default), "allow" them where they are, or
            "ask" (raise CrossNamespace so the UI can ask, then apply again with a choice).
        ensure_namespace: create the lab namespace now if it is missing (`doctor` and `reset`
            pass False: they must not create anything).
        fast_cron: apply CronJobs with an every-minute schedule, keeping the lesson's in an
            annotation: a real cluster's clock cannot jump to the next run.

    Raises:
        ClusterError: the kubeconfig or context is unusable, the cluster cannot be reached,
            the credentials are rejected, or the namespace is being deleted.
    """

    backend = "kube"
    capabilities = Capabilities(virtual_clock=False, edit_nodes=False, exec=True, dns=False)

    def __init__(self, namespace: str, lesson_id: str, *, context: str | None = None,
                 kubeconfig: str | None = None, cross_namespace: CrossNamespacePolicy = "move",
                 ensure_namespace: bool = True, fast_cron: bool = False) -> None:
        super().__init__(namespace)
        self.lesson_id = lesson_id
        self.fast_cron = fast_cron
        self.cross_namespace: CrossNamespacePolicy = cross_namespace
        self.connection = kubeconfig_loader.load(kubeconfig, context)
        self.api = Api(self.connection.configuration)
        self.namespace_created = False
        self._groups: list[WatchGroup] = []
        self._activity = threading.Event()
        self._closed = threading.Event()
        self.version = self._server_version()
        if ensure_namespace:
            self.ensure_namespace()

    # -- connection ----------------------------------------------------------------------------
    def _server_version(self) -> str:
        found = self.api.request("GET", "/version", Call("get", "version"), timeout=15)
        return str((found or {}).get("gitVersion") or "")

    def ensure_namespace(self) -> None:
        """Create the lab namespace, labelled as the lab's, unless it exists.

        A namespace that exists is used as it is (and never deleted by reset, since the lab
        did not create it). Without permission to read namespaces, as in a workshop, the
        namespace is assumed to have been prepared by the instructor.
        """
        kind = KINDS["Namespace"]
        path = object_path(kind, self.namespace)
        try:
            ns = self.api.request("GET", path, Call("get", "namespaces", "Namespace",
                                                    self.namespace))
        except Forbidden:
            return
        except NotFound:
            body = {"apiVersion": "v1", "kind": "Namespace",
                    "metadata": {"name": self.namespace, "labels": lab_labels(self.lesson_id)}}
            self.api.request("POST", collection_path(kind),
                             Call("create", "namespaces", "Namespace", self.namespace),
                             body=body, query={"fieldManager": FIELD_MANAGER})
            self.namespace_created = True
            return
        if (ns.get("status") or {}).get("phase") == "Terminating":
            raise ClusterError(
                f"Namespace {self.namespace} is being deleted, so the lab cannot use it yet.",
                f"Wait until `kubectl get namespace {self.namespace}` no longer lists it (a "
                "reset just ran?), or choose another one with --namespace.",
                resource=f"namespace/{self.namespace}", reason="NamespaceTerminating")

    # -- time ----------------------------------------------------------------------------------
    def now(self) -> float:
        return time.time()

    def pump(self, until: float) -> None:
        """Block until a watch delivers something or the wall clock reaches `until`."""
        remaining = until - time.time()
        if remaining <= 0:
            return
        if self._activity.wait(timeout=remaining):
            self._activity.clear()

    # -- objects -------------------------------------------------------------------------------
    def apply(self, objects: Sequence[dict[str, Any]], *, namespace: str | None = None,
              cross_namespace: CrossNamespacePolicy | None = None) -> list[AppliedObject]:
        """Server-side apply, labelled as the lab's; see `k8slab.cluster.kube.apply`."""
        items = prepare(objects, lab_namespace=namespace or self.namespace,
                        lesson_id=self.lesson_id, policy=cross_namespace or self.cross_namespace,
                        fast_cron=self.fast_cron)
        return [apply_one(self.api, item) for item in items]

    def get(self, kind: str, name: str, namespace: str | None = None) -> dict[str, Any]:
        k = kind_of(kind)
        ns = self._ns(k, namespace)
        obj = self.api.request("GET", object_path(k, name, ns),
                               Call("get", k.plural, k.kind, name, ns or ""))
        return _with_kind(obj, k)

    def list(self, kind: str, namespace: str | None = None, *,
             label_selector: str | None = None, all_namespaces: bool = False
             ) -> list[dict[str, Any]]:
        k = kind_of(kind)
        ns = None if all_namespaces else self._ns(k, namespace)
        found = self.api.request("GET", collection_path(k, ns),
                                 Call("list", k.plural, k.kind, namespace=ns or ""),
                                 query={"labelSelector": label_selector})
        return [_with_kind(item, k) for item in (found or {}).get("items") or []]

    def delete(self, kind: str, name: str, namespace: str | None = None, *,
               grace_period: int | None = None) -> None:
        k = kind_of(kind)
        ns = self._ns(k, namespace)
        body: dict[str, Any] = {"apiVersion": "v1", "kind": "DeleteOptions",
                                "propagationPolicy": "Background"}
        if grace_period is not None:
            body["gracePeriodSeconds"] = grace_period
        self.api.request("DELETE", object_path(k, name, ns),
                         Call("delete", k.plural, k.kind, name, ns or ""), body=body)

    def patch(self, kind: str, name: str,
              patch: dict[str, Any] | builtins.list[dict[str, Any]],
              namespace: str | None = None, *,
              patch_type: Literal["merge", "strategic", "json"] = "strategic"
              ) -> dict[str, Any]:
        """Patch an object. Node labels and taints the lab adds are recorded on the node,
        so that `reset` removes them."""
        k = kind_of(kind)
        ns = self._ns(k, namespace)
        before = self.get(k.kind, name, ns) if k.kind == "Node" else None
        after = self._patch(k, name, ns, patch, patch_type)
        if before is not None:
            record = nodes.record_patch(before, after, self.lesson_id)
            if record is not None:
                after = self._patch(k, name, ns, record, "merge")
        return after

    def _patch(self, k: Kind, name: str, ns: str | None, patch: Any, patch_type: str
               ) -> dict[str, Any]:
        if patch_type not in ("merge", "strategic", "json"):
            raise ClusterError(f"Unknown patch type {patch_type!r}.",
                               "Use strategic, merge or json.", reason="BadRequest")
        obj = self.api.request("PATCH", object_path(k, name, ns),
                               Call("patch", k.plural, k.kind, name, ns or ""), body=patch,
                               content_type=PATCH_TYPES[patch_type],
                               query={"fieldManager": FIELD_MANAGER})
        return _with_kind(obj, k)

    def scale(self, kind: str, name: str, replicas: int, namespace: str | None = None) -> None:
        """Set replicas through the scale subresource, as `kubectl scale` does."""
        k = kind_of(kind)
        ns = self._ns(k, namespace)
        self.api.request("PATCH", object_path(k, name, ns, "scale"),
                         Call("patch", f"{k.plural}/scale", k.kind, name, ns or ""),
                         body={"spec": {"replicas": int(replicas)}},
                         content_type=PATCH_TYPES["merge"], query={"fieldManager": FIELD_MANAGER})

    def rollout_undo(self, kind: str, name: str, namespace: str | None = None) -> str:
        """Roll a DaemonSet or StatefulSet back to its previous template (kubectl rollout
        undo). Returns a sentence saying what happened."""
        k = kind_of(kind)
        if k.kind not in ("DaemonSet", "StatefulSet"):
            raise ClusterError(f"rollout undo works on DaemonSets and StatefulSets, not {k.kind}.",
                               reason="BadRequest")
        ns = self._ns(k, namespace)
        obj = self.get(k.kind, name, ns)
        revisions = self.list("ControllerRevision", ns)
        target = rollout.previous_revision(obj, revisions)
        number = target.get("revision")
        if rollout.template_matches(obj, target):
            return (f"{k.kind.lower()}/{name} skipped rollback (current template already "
                    f"matches revision {number})")
        self._patch(k, name, ns, target.get("data") or {}, "strategic")
        return f"{k.kind.lower()}/{name} rolled back to revision {number}"

    # -- pods ----------------------------------------------------------------------------------
    def exec(self, pod: str, command: Sequence[str], namespace: str | None = None, *,
             container: str | None = None) -> ExecResult:
        ns = namespace or self.namespace
        pods.check_running(self.get("Pod", pod, ns), container)
        return pods.run_exec(self.api, pod, ns, command, container)

    def logs(self, pod: str, namespace: str | None = None, *, container: str | None = None,
             tail: int | None = None) -> str:
        ns = namespace or self.namespace
        k = KINDS["Pod"]
        return str(self.api.request("GET", object_path(k, pod, ns, "log"),
                                    Call("logs", "pods/log", "Pod", pod, ns),
                                    query={"container": container, "tailLines": tail},
                                    text=True))

    # -- watching ------------------------------------------------------------------------------
    def watch(self, kinds: Iterable[str] | None = None) -> EventStream:
        """List+watch each kind (namespaced ones in the lab namespace) into a new stream.

        `stream.status` reads "reconnecting (attempt N)" while any watch is re-establishing.
        Kinds the credentials may not list are left out; `unwatched` says which and why.
        """
        stream = EventStream()
        group = WatchGroup(stream, on_event=self._activity.set)
        seen: set[str] = set()
        for name in kinds if kinds is not None else WATCHED_KINDS:
            k = kind_of(name)
            if k.kind in seen:
                continue
            seen.add(k.kind)
            group.watchers.append(KindWatcher(self.api, k, self.namespace, group))
        self._groups.append(group)
        group.start()
        return stream

    @property
    def unwatched(self) -> dict[str, str]:
        """Kinds left out of the watches, with the reason (usually missing permissions)."""
        out: dict[str, str] = {}
        for group in self._groups:
            out.update(group.skipped)
        return out

    # -- lifecycle -----------------------------------------------------------------------------
    def reset(self, lesson_id: str | None = None, *, wait: bool = False,
              timeout: float = 120.0) -> ResetReport:
        """Delete what the lesson created here (see `k8slab.cluster.kube.reset`)."""
        return reset_lab(self.api, self.namespace, lesson_id or self.lesson_id, wait=wait,
                         timeout=timeout)

    def close(self) -> None:
        self._closed.set()
        for group in self._groups:
            group.stop()
        self._groups.clear()
        self._activity.set()
        self.api.close()

    def describe(self) -> str:
        where = self.connection.context or self.connection.source
        return f"kube · {where} · {self.connection.server} · namespace {self.namespace}"

    def _ns(self, kind: Kind, namespace: str | None) -> str | None:
        if not kind.namespaced:
            return None
        return namespace or self.namespace


def _with_kind(obj: Any, kind: Kind) -> dict[str, Any]:
    out = dict(obj or {})
    out.setdefault("kind", kind.kind)
    out.setdefault("apiVersion", kind.api_version)
    return out
