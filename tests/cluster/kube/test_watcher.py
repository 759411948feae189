"""The list+watch loop against a scripted fake API: expiry, bookmarks, dropped connections."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import urllib3

from k8slab.cluster.kinds import KINDS
from k8slab.cluster.kube import watch
from k8slab.cluster.kube.errors import Call, from_status
from k8slab.cluster.kube.watch import KindWatcher, WatchGroup
from k8slab.cluster.protocol import EventStream, WatchEvent
from k8slab.errors import Unavailable


def pod(name: str, rv: str) -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": "lab", "uid": name, "resourceVersion": rv}}


def ev(etype: str, obj: dict[str, Any]) -> dict[str, Any]:
    return {"type": etype, "object": {"kind": "Pod", "apiVersion": "v1", **obj}}


class Hang:
    """A watch that stays open until the watcher aborts it."""


class FakeResponse:
    def __init__(self, events: list[Any]) -> None:
        self.events = events
        self.aborted = threading.Event()

    def stream(self, amt: Any = None, decode_content: bool = True) -> Iterator[bytes]:
        for item in self.events:
            if isinstance(item, Hang):
                self.aborted.wait(10)
                raise urllib3.exceptions.ProtocolError("aborted")
            if isinstance(item, BaseException):
                raise item
            yield (json.dumps(item) + "\n").encode()

    def shutdown(self) -> None:
        self.aborted.set()

    def close(self) -> None:
        self.aborted.set()

    def release_conn(self) -> None:
        pass


class FakeApi:
    """Serves scripted list pages and watch streams; records what was asked."""

    server = "https://fake:6443"

    def __init__(self, lists: list[Any], watches: list[Any]) -> None:
        self.lists = lists
        self.watches = watches
        self.list_calls = 0
        self.watch_versions: list[str] = []
        self.opened = threading.Semaphore(0)

    def request(self, method: str, path: str, call: Call, **kw: Any) -> Any:
        self.list_calls += 1
        item = self.lists.pop(0)
        if isinstance(item, BaseException):
            raise item
        return item

    def open_stream(self, path: str, call: Call, *, query: dict[str, Any],
                    read_timeout: float) -> FakeResponse:
        assert query["allowWatchBookmarks"] is True and query["watch"] is True
        self.watch_versions.append(query["resourceVersion"])
        item = self.watches.pop(0) if self.watches else [Hang()]
        self.opened.release()
        if isinstance(item, BaseException):
            raise item
        return FakeResponse(item)


class RecordingStream(EventStream):
    """An EventStream that remembers every status it was given."""

    @property  # type: ignore[override]
    def status(self) -> str:
        return self.__dict__.get("_status", "")

    @status.setter
    def status(self, value: str) -> None:
        self.__dict__["_status"] = value
        self.__dict__.setdefault("statuses", []).append(value)


def page(rv: str, *items: dict[str, Any]) -> dict[str, Any]:
    return {"metadata": {"resourceVersion": rv}, "items": list(items)}


def run(api: FakeApi, watches_to_open: int) -> tuple[KindWatcher, RecordingStream]:
    stream = RecordingStream()
    group = WatchGroup(stream)
    watcher = KindWatcher(api, KINDS["Pod"], "lab", group, clock=lambda: 100.0)  # type: ignore[arg-type]
    group.watchers.append(watcher)
    group.start()
    for _ in range(watches_to_open):
        assert api.opened.acquire(timeout=10), "the watcher did not open the next watch"
    group.stop()
    watcher.join(10)
    assert not watcher.is_alive()
    return watcher, stream


def summary(events: list[WatchEvent]) -> list[tuple[str, str, str]]:
    return [(e.type, e.object["metadata"]["name"], e.object["metadata"]["resourceVersion"])
            for e in events]


@pytest.fixture(autouse=True)
def _fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(watch, "BACKOFF_FIRST", 0.01)
    monkeypatch.setattr(watch, "BACKOFF_MAX", 0.02)


def test_expired_watch_relists_and_forwards_only_the_difference() -> None:
    gone = ev("ERROR", {"code": 410, "reason": "Expired", "message": "too old"})
    api = FakeApi(
        lists=[page("2", pod("a", "1"), pod("b", "2")), page("6", pod("a", "3"), pod("c", "6"))],
        watches=[[ev("MODIFIED", pod("a", "3")), gone]])
    watcher, stream = run(api, watches_to_open=2)
    assert summary(stream.drain()) == [
        ("ADDED", "a", "1"), ("ADDED", "b", "2"),  # the first list
        ("MODIFIED", "a", "3"),  # from the watch
        ("DELETED", "b", "2"), ("ADDED", "c", "6"),  # the re-list: a is unchanged since
    ]
    assert api.watch_versions == ["2", "6"]
    assert watcher.relists == 1


def test_list_items_get_their_kind_and_api_version() -> None:
    api = FakeApi(lists=[page("2", pod("a", "1"))], watches=[])
    _, stream = run(api, watches_to_open=1)
    (event,) = stream.drain()
    assert (event.object["kind"], event.object["apiVersion"], event.time) == ("Pod", "v1", 100.0)


def test_a_watch_ending_normally_resumes_from_the_last_bookmark_without_listing() -> None:
    api = FakeApi(lists=[page("2", pod("a", "1"))],
                  watches=[[ev("BOOKMARK", {"metadata": {"resourceVersion": "40"}})]])
    _, stream = run(api, watches_to_open=2)
    assert api.watch_versions == ["2", "40"]
    assert api.list_calls == 1
    assert summary(stream.drain()) == [("ADDED", "a", "1")]  # bookmarks are not events


def test_a_dropped_connection_reconnects_with_status_and_resumes_where_it_was() -> None:
    refused = Unavailable("Cannot connect to the cluster at https://fake:6443: refused.")
    api = FakeApi(
        lists=[page("2", pod("a", "1"))],
        watches=[[ev("MODIFIED", pod("a", "3")),
                  urllib3.exceptions.ProtocolError("Connection broken: reset by peer")],
                 refused,
                 [ev("ADDED", pod("d", "9"))]])
    _, stream = run(api, watches_to_open=4)
    assert summary(stream.drain()) == [("ADDED", "a", "1"), ("MODIFIED", "a", "3"),
                                       ("ADDED", "d", "9")]
    assert api.watch_versions == ["2", "3", "3", "9"]  # resumed, never re-listed
    assert api.list_calls == 1
    statuses = stream.__dict__["statuses"][1:]  # [0] is the stream's initial ""
    assert statuses[:3] == ["reconnecting (attempt 1)", "reconnecting (attempt 2)", ""]


def test_a_failing_list_is_retried_with_back_off() -> None:
    api = FakeApi(lists=[from_status(503, b"", Call("list", "pods")), page("2", pod("a", "1"))],
                  watches=[])
    _, stream = run(api, watches_to_open=1)
    assert summary(stream.drain()) == [("ADDED", "a", "1")]
    assert stream.__dict__["statuses"][1:3] == ["reconnecting (attempt 1)", ""]


def test_a_forbidden_kind_is_skipped_with_its_reason_not_retried() -> None:
    forbidden = from_status(403, json.dumps({"message": "nope", "details": {"kind": "pods"}}),
                            Call("list", "pods", "Pod", namespace="lab"))
    api = FakeApi(lists=[forbidden], watches=[])
    stream = RecordingStream()
    group = WatchGroup(stream)
    watcher = KindWatcher(api, KINDS["Pod"], "lab", group)  # type: ignore[arg-type]
    group.watchers.append(watcher)
    group.start()
    watcher.join(10)
    assert not watcher.is_alive()
    assert group.skipped == {"Pod": "You are not allowed to list pods in namespace lab."}
    assert api.list_calls == 1
    group.stop()
