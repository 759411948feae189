"""The one protocol both cluster backends speak.

Everything downstream (state mirror, history, grader, TUI) talks to a `Cluster` and reads
`WatchEvent`s; nothing there knows whether the sim or a real API server is behind it.

Objects cross this boundary as plain dicts shaped exactly like the Kubernetes API's JSON
(`apiVersion`, `kind`, `metadata`, `spec`, `status`), never as client model classes.

Threading: a backend's methods may be called from one worker thread at a time; `EventStream`
is safe to drain from any thread.
"""

from __future__ import annotations

import abc
import builtins
import queue
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

EventType = Literal["ADDED", "MODIFIED", "DELETED"]


@dataclass(frozen=True, slots=True)
class WatchEvent:
    """One watch notification, as the Kubernetes watch API sends it.

    Attributes:
        type: ADDED, MODIFIED or DELETED.
        object: the object after the change (for DELETED, its last state), as a plain dict.
        time: cluster time in seconds when the change happened: the sim's virtual clock, or the
            wall clock when a real cluster's event was received.
    """

    type: EventType
    object: dict[str, Any]
    time: float


@dataclass(frozen=True, slots=True)
class ExecResult:
    """What a command run in a container printed and returned."""

    stdout: str
    stderr: str = ""
    exit_code: int = 0

    @property
    def ok(self) -> bool:
        return self.exit_code == 0


@dataclass(frozen=True, slots=True)
class AppliedObject:
    """The outcome of applying one object: `created`, `configured` or `unchanged`."""

    kind: str
    name: str
    namespace: str
    outcome: Literal["created", "configured", "unchanged"]
    note: str = ""  # e.g. "moved from kube-system into the lab namespace"

    def __str__(self) -> str:
        ref = f"{self.kind.lower()}/{self.name}"
        return f"{ref} {self.outcome}" + (f" ({self.note})" if self.note else "")


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a backend can do beyond the common protocol."""

    virtual_clock: bool = False  # `clock` is a SimClock: pause, speed, step, jump
    edit_nodes: bool = False  # add and remove nodes (labels and taints go through patch)
    exec: bool = True
    dns: bool = False  # `resolve()` answers cluster DNS names


@dataclass(slots=True)
class EventStream:
    """A thread-safe queue of watch events with an optional status line.

    Backends `put()` events; consumers `drain()` them in batches (the TUI once per frame) or
    `get()` one with a timeout. `status` is a short human string such as "reconnecting (2s)"
    or "" when healthy.
    """

    _queue: queue.SimpleQueue[WatchEvent] = field(default_factory=queue.SimpleQueue)
    status: str = ""
    closed: threading.Event = field(default_factory=threading.Event)

    def put(self, event: WatchEvent) -> None:
        self._queue.put(event)

    def drain(self, limit: int | None = None) -> list[WatchEvent]:
        out: list[WatchEvent] = []
        while limit is None or len(out) < limit:
            try:
                out.append(self._queue.get_nowait())
            except queue.Empty:
                break
        return out

    def get(self, timeout: float) -> WatchEvent | None:
        try:
            return self._queue.get(timeout=timeout)
        except queue.Empty:
            return None

    def close(self) -> None:
        self.closed.set()


class Cluster(abc.ABC):
    """A Kubernetes cluster k8slab can teach on.

    `kind` arguments accept a kind name (`StatefulSet`) or its plural or short name (`sts`).
    Where `namespace` is None the lab namespace is used for namespaced kinds.

    Every method raises a subclass of `k8slab.errors.ClusterError` on failure, with a sentence
    and a hint fit to show a learner; never a client library exception.
    """

    backend: str = "abstract"
    capabilities = Capabilities()
    # Unix seconds at cluster time 0: the sim's epoch (2026-01-01T00:00:00Z) on the sim, 0 on
    # a real cluster, whose cluster time is Unix time. Schedules are read in wall time.
    unix_epoch: float = 0.0

    def __init__(self, namespace: str) -> None:
        self.namespace = namespace

    # -- time -------------------------------------------------------------------------------
    @abc.abstractmethod
    def now(self) -> float:
        """Cluster time in seconds (virtual on the sim, wall clock on a real cluster)."""

    @abc.abstractmethod
    def pump(self, until: float) -> None:
        """Let the cluster make progress until something changes or time reaches `until`.

        The sim, when its clock is driven by the caller, runs its next scheduled happenings
        (or jumps to `until`); a real cluster blocks until an event arrives or until `until`.
        """

    # -- objects ----------------------------------------------------------------------------
    @abc.abstractmethod
    def apply(self, objects: Sequence[dict[str, Any]], *, namespace: str | None = None
              ) -> list[AppliedObject]:
        """Create or update objects (server-side apply semantics).

        Raises:
            Invalid: an object is rejected; `causes` lists the field messages.
            NotFound: the namespace (or another prerequisite) does not exist.
            Forbidden: the credentials may not do this.
        """

    @abc.abstractmethod
    def get(self, kind: str, name: str, namespace: str | None = None) -> dict[str, Any]:
        """One object. Raises NotFound."""

    @abc.abstractmethod
    def list(self, kind: str, namespace: str | None = None, *,
             label_selector: str | None = None, all_namespaces: bool = False
             ) -> builtins.list[dict[str, Any]]:
        """Objects of a kind, optionally filtered by a `-l`-style label selector."""

    @abc.abstractmethod
    def delete(self, kind: str, name: str, namespace: str | None = None, *,
               grace_period: int | None = None) -> None:
        """Delete an object (pods go through their graceful termination). Raises NotFound."""

    @abc.abstractmethod
    def patch(self, kind: str, name: str, patch: dict[str, Any] | builtins.list[dict[str, Any]],
              namespace: str | None = None, *,
              patch_type: Literal["merge", "strategic", "json"] = "strategic"
              ) -> dict[str, Any]:
        """Patch an object and return it. Raises NotFound, Invalid, Conflict."""

    @abc.abstractmethod
    def scale(self, kind: str, name: str, replicas: int, namespace: str | None = None) -> None:
        """Set the replicas of a StatefulSet (or any scalable kind)."""

    # -- pods -------------------------------------------------------------------------------
    @abc.abstractmethod
    def exec(self, pod: str, command: Sequence[str], namespace: str | None = None, *,
             container: str | None = None) -> ExecResult:
        """Run a command in a running container. Raises NotFound, or ClusterError when the
        pod is not running."""

    @abc.abstractmethod
    def logs(self, pod: str, namespace: str | None = None, *, container: str | None = None,
             tail: int | None = None) -> str:
        """A container's log."""

    # -- watching ---------------------------------------------------------------------------
    @abc.abstractmethod
    def watch(self, kinds: Iterable[str] | None = None) -> EventStream:
        """Start a list+watch of `kinds` (default: `WATCHED_KINDS`) in the lab namespace plus
        the cluster-scoped kinds. The stream first gets an ADDED event for every existing
        object, then every change, in order, with no gaps or duplicates."""

    def resolve(self, dns_name: str) -> builtins.list[str]:
        """Addresses for a cluster DNS name, or [] (only where `capabilities.dns`)."""
        return []

    def close(self) -> None:  # noqa: B027 - optional hook
        """Stop watches and release connections."""

    def describe(self) -> str:
        """A one-line description for the status bar: backend, cluster and namespace."""
        return f"{self.backend} · namespace {self.namespace}"
