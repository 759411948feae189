"""Helpers for the kube backend's tests against the real control plane."""

from __future__ import annotations

import contextlib
import secrets
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from k8slab.cluster.protocol import EventStream
from k8slab.state.mirror import ClusterState

LESSONS = Path(__file__).resolve().parents[3] / "lessons"
TIMEOUT = 90.0


def manifest(lesson: str, name: str) -> list[dict[str, Any]]:
    """The objects of a lesson's manifest file, as the learner would apply them."""
    text = (LESSONS / lesson / "manifests" / name).read_text(encoding="utf-8")
    return [doc for doc in yaml.safe_load_all(text) if doc]


class Follower:
    """Feeds an EventStream into a ClusterState and waits for conditions on it.

    Waiting blocks on the stream (no sleeping); `statuses` keeps every distinct status line
    the stream showed while being followed.
    """

    def __init__(self, stream: EventStream, namespace: str) -> None:
        self.stream = stream
        self.state = ClusterState(namespace)
        self.statuses: list[str] = []
        self.events = 0

    def pump(self, seconds: float = 0.2) -> None:
        event = self.stream.get(timeout=seconds)
        while event is not None:
            self.state.apply(event)
            self.events += 1
            event = self.stream.get(timeout=0)
        if not self.statuses or self.statuses[-1] != self.stream.status:
            self.statuses.append(self.stream.status)

    def until(self, what: str, check: Callable[[ClusterState], Any],
              timeout: float = TIMEOUT) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.pump()
            found = check(self.state)
            if found:
                return found
        history = "\n".join(str(t) for t in list(self.state.history)[-25:])
        pytest.fail(f"timed out after {timeout:g}s waiting for {what}; status "
                    f"{self.stream.status!r}; last transitions:\n{history}")


@pytest.fixture
def lab_namespace(request: pytest.FixtureRequest, controlplane: Any) -> Iterator[str]:
    """A fresh namespace name (not created: the backend creates it), deleted afterwards."""
    stem = "".join(c if c.isalnum() else "-" for c in request.node.name.lower())[:30]
    name = f"k8slab-{stem.strip('-')}-{secrets.token_hex(2)}"
    yield name
    with contextlib.suppress(OSError):  # already gone (a reset deleted it)
        controlplane.request("DELETE", f"/api/v1/namespaces/{name}")
