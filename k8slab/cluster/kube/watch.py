"""List+watch per kind, with no transition lost or repeated across expiries and outages.

Each kind gets one thread that lists, then watches from the list's resourceVersion with
bookmarks on and a long server-side timeout (no polling at steady state). It remembers the
last state it forwarded of every object, which is what makes recovery exact:

- the watch ends normally (server timeout): watch again from the last resourceVersion;
- the connection drops: retry with exponential back-off (0.5s doubling to 10s), showing
  "reconnecting (attempt N)" on the stream, and resume from the last resourceVersion, so the
  server replays exactly what was missed;
- 410 Gone (that resourceVersion is compacted away; the official client retries this only once
  and its dynamic client never): list again and forward only the difference from what was
  forwarded: DELETED for objects that vanished, ADDED for new ones, MODIFIED for changed ones.

The kinds' streams meet in a `Sequencer`, which restores the cluster's order across kinds.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from k8slab.cluster.kinds import Kind
from k8slab.cluster.kube.errors import Call, Expired, from_status
from k8slab.cluster.kube.sequence import HOLD, Sequencer, version_key
from k8slab.cluster.kube.transport import Api, collection_path, lines, release
from k8slab.cluster.protocol import EventStream, EventType, WatchEvent
from k8slab.errors import ClusterError, Forbidden, NotFound, Unauthorized

WATCH_TIMEOUT = 300  # seconds the server keeps one watch open
READ_SLACK = 30  # the client gives up reading this long after the server should have closed
BACKOFF_FIRST, BACKOFF_MAX = 0.5, 10.0
PAGE = 500

ObjKey = tuple[str, str]  # (namespace, name)


def obj_key(obj: Mapping[str, Any]) -> ObjKey:
    meta = obj.get("metadata") or {}
    return (str(meta.get("namespace") or ""), str(meta.get("name") or ""))


def _rv(obj: Mapping[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("resourceVersion") or "")


def _uid(obj: Mapping[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("uid") or "")


def relist_diff(known: Mapping[ObjKey, dict[str, Any]], fresh: Iterable[dict[str, Any]]
                ) -> list[tuple[EventType, dict[str, Any]]]:
    """The events that take a consumer from `known` (what it was told) to `fresh` (a list).

    Vanished objects become DELETED with their last known state, first; then, in list order,
    new objects become ADDED, changed ones (another resourceVersion) MODIFIED, and an object
    recreated under the same name (another uid) a DELETED of the old then an ADDED of the new.
    Unchanged objects produce nothing, so a re-list never repeats a transition.
    """
    fresh = list(fresh)
    present = {obj_key(o) for o in fresh}
    out: list[tuple[EventType, dict[str, Any]]] = [
        ("DELETED", old) for k, old in known.items() if k not in present]
    for obj in fresh:
        old = known.get(obj_key(obj))
        if old is None:
            out.append(("ADDED", obj))
        elif _uid(old) and _uid(obj) and _uid(old) != _uid(obj):
            out.extend((("DELETED", old), ("ADDED", obj)))
        elif _rv(old) != _rv(obj):
            out.append(("MODIFIED", obj))
    return out


def backoff(attempt: int) -> float:
    """Seconds to wait before reconnect `attempt` (1-based): 0.5, 1, 2, 4, 8, 10, 10..."""
    return min(BACKOFF_MAX, BACKOFF_FIRST * 2 ** max(0, attempt - 1))


@dataclass
class WatchGroup:
    """The watchers feeding one EventStream, and the stream's status line."""

    stream: EventStream
    on_event: Callable[[], None] = lambda: None
    watchers: list[KindWatcher] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # kind -> why it is not watched
    _attempts: dict[str, int] = field(default_factory=dict)
    hold: float = HOLD
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stop: threading.Event = field(default_factory=threading.Event)
    _sequencer: Sequencer | None = None

    def start(self) -> None:
        self._sequencer = Sequencer(self._emit, hold=self.hold)
        self._sequencer.start()
        for w in self.watchers:
            w.start()
        threading.Thread(target=self._close_when_stream_closes, name="k8slab-watch-close",
                         daemon=True).start()

    def stop(self) -> None:
        self._stop.set()
        for w in self.watchers:
            w.stop()
        if self._sequencer is not None:
            self._sequencer.stop()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set() or self.stream.closed.is_set()

    def put(self, event: WatchEvent, version: str = "") -> None:
        """Queue an event; `version` (a resourceVersion) places it among other kinds'."""
        if self._sequencer is None:  # not started: a caller driving a watcher by hand
            self._emit(event)
        else:
            self._sequencer.put(event, version_key(version or _rv(event.object)))

    def _emit(self, event: WatchEvent) -> None:
        self.stream.put(event)
        self.on_event()

    def reconnecting(self, kind: str, attempt: int) -> None:
        with self._lock:
            self._attempts[kind] = attempt
            self._refresh()

    def healthy(self, kind: str) -> None:
        with self._lock:
            if self._attempts.pop(kind, None) is not None:
                self._refresh()

    def skip(self, kind: str, why: str) -> None:
        with self._lock:
            self.skipped[kind] = why
            self._attempts.pop(kind, None)
            self._refresh()

    def wait(self, seconds: float) -> bool:
        """Sleep up to `seconds`; True if the group is stopping."""
        deadline = time.monotonic() + seconds
        while not self.stopping:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self._stop.wait(min(left, 0.25))
        return True

    def _refresh(self) -> None:
        worst = max(self._attempts.values(), default=0)
        self.stream.status = f"reconnecting (attempt {worst})" if worst else ""

    def _close_when_stream_closes(self) -> None:
        while not self._stop.wait(0.5):
            if self.stream.closed.is_set():
                self.stop()
                return


class KindWatcher(threading.Thread):
    """One kind's list+watch loop, forwarding to a WatchGroup. See the module docstring."""

    def __init__(self, api: Api, kind: Kind, namespace: str | None, group: WatchGroup, *,
                 clock: Callable[[], float] = time.time, timeout: int = WATCH_TIMEOUT) -> None:
        super().__init__(name=f"k8slab-watch-{kind.plural}", daemon=True)
        self.api = api
        self.kind = kind
        self.namespace = namespace if kind.namespaced else None
        self.group = group
        self.clock = clock
        self.timeout = timeout
        self.known: dict[ObjKey, dict[str, Any]] = {}
        self.resource_version = ""
        self.relists = 0  # how many times a 410 forced a re-list (tests read it)
        self.last_error: BaseException | None = None
        self._resp: Any = None
        self._stopped = threading.Event()

    def stop(self) -> None:
        self._stopped.set()
        resp = self._resp
        if resp is not None:
            release(resp)

    @property
    def stopping(self) -> bool:
        return self._stopped.is_set() or self.group.stopping

    # -- the loop -------------------------------------------------------------------------------
    def run(self) -> None:
        attempt = 0
        need_list = not self.resource_version  # set beforehand: resume from there
        while not self.stopping:
            try:
                if need_list:
                    self.relist()
                    need_list = False
                    self.group.healthy(self.kind.kind)
                    attempt = 0
                self.watch_once()
                attempt = 0
            except Expired:
                self.relists += 1
                need_list = True
            except (Forbidden, NotFound) as exc:
                # Retrying will not grant a permission or serve a missing API: stop quietly.
                self.group.skip(self.kind.kind, exc.message)
                return
            except (ClusterError, OSError, ValueError) as exc:
                if self.stopping:
                    return
                attempt += 1
                self.group.reconnecting(self.kind.kind, attempt)
                self.last_error = exc
                wait = backoff(attempt) * (0.8 + 0.2 * random.random())
                if isinstance(exc, Unauthorized):
                    wait = BACKOFF_MAX  # a token refresh may help; hammering will not
                if self.group.wait(wait):
                    return

    def relist(self) -> None:
        """List the kind and forward the difference from what was forwarded before."""
        items, rv = self.list_all()
        now = self.clock()
        for etype, obj in relist_diff(self.known, items):
            # A vanished object's deletion happened at some point before the list.
            self._forward(etype, obj, now, rv if etype == "DELETED" else "")
        self.resource_version = rv

    def list_all(self) -> tuple[list[dict[str, Any]], str]:
        path = collection_path(self.kind, self.namespace)
        call = Call("list", self.kind.plural, self.kind.kind, namespace=self.namespace or "")
        items: list[dict[str, Any]] = []
        cont: str | None = None
        rv = ""
        while True:
            page = self.api.request("GET", path, call, query={"limit": PAGE, "continue": cont})
            rv = rv or str((page.get("metadata") or {}).get("resourceVersion") or "")
            for item in page.get("items") or []:
                item.setdefault("kind", self.kind.kind)
                item.setdefault("apiVersion", self.kind.api_version)
                items.append(item)
            cont = (page.get("metadata") or {}).get("continue") or None
            if not cont:
                return items, rv

    def watch_once(self) -> None:
        """One watch request, forwarding events until the server ends it."""
        path = collection_path(self.kind, self.namespace)
        call = Call("watch", self.kind.plural, self.kind.kind, namespace=self.namespace or "")
        query = {"watch": True, "resourceVersion": self.resource_version,
                 "allowWatchBookmarks": True, "timeoutSeconds": self.timeout}
        resp = self.api.open_stream(path, call, query=query,
                                    read_timeout=self.timeout + READ_SLACK)
        self._resp = resp
        try:
            self.group.healthy(self.kind.kind)
            for line in lines(resp):
                if self.stopping:
                    return
                self._handle(json.loads(line), call)
        except (ClusterError, ValueError):
            raise
        except Exception as exc:
            if self.stopping:
                return
            # A dropped connection surfaces as a urllib3 protocol or timeout error.
            from k8slab.cluster.kube.errors import from_transport

            raise from_transport(exc, Call(call.verb, call.resource, call.kind,
                                           namespace=call.namespace,
                                           server=self.api.server)) from None
        finally:
            self._resp = None
            release(resp)

    def _handle(self, event: dict[str, Any], call: Call) -> None:
        etype = event.get("type")
        obj = event.get("object") or {}
        if etype == "ERROR":
            code = int(obj.get("code") or 500)
            raise from_status(code, obj, Call(call.verb, call.resource, call.kind,
                                              namespace=call.namespace, server=self.api.server))
        rv = _rv(obj)
        if etype == "BOOKMARK":
            self.resource_version = rv or self.resource_version
            return
        if etype not in ("ADDED", "MODIFIED", "DELETED"):
            return
        obj.setdefault("kind", self.kind.kind)
        obj.setdefault("apiVersion", self.kind.api_version)
        self._forward(etype, obj, self.clock())
        self.resource_version = rv or self.resource_version

    def _forward(self, etype: EventType, obj: dict[str, Any], now: float,
                 version: str = "") -> None:
        key = obj_key(obj)
        if etype == "DELETED":
            self.known.pop(key, None)
        else:
            self.known[key] = obj
        self.group.put(WatchEvent(etype, obj, now), version)
