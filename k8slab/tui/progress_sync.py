"""A workshop learner's progress, written to their namespace from a background thread.

The instructor's dashboard reads each learner's `k8slab-progress` ConfigMap
(`k8slab.workshop.progress_store`). Writing it is an API call that can take a while on a busy
shared cluster; the screen must never wait for it. So the lab pokes `ProgressSync` after
anything that may have changed progress or history, and one thread hands the latest snapshot
to `ProgressMirror.update`, which decides whether a write is due (answers and steps at once,
history at most every 30 s). Nothing here imports textual.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from k8slab.errors import ClusterError
from k8slab.state.history import Transition
from k8slab.workshop.progress_store import ProgressMirror

#: (Progress.to_json(), the history's transitions), taken under the session's locks.
Snapshot = tuple[dict[str, Any], list[Transition]]


class ProgressSync:
    """Keeps a `ProgressMirror` current from one daemon thread.

    Args:
        mirror: writes the learner's ConfigMap; never raises (its `problem` says why not).
        snapshot: returns the current progress and history, consistent and safe to read
            from another thread.
    """

    def __init__(self, mirror: ProgressMirror, snapshot: Callable[[], Snapshot]) -> None:
        self.mirror = mirror
        self._snapshot = snapshot
        self._wake = threading.Event()
        self._handled = threading.Condition()
        self._asked = 0  # pokes so far
        self._done = 0  # pokes handled so far (saved, unchanged, or failed)
        self._closing = False
        self._failure: ClusterError | None = None
        self._thread = threading.Thread(target=self._loop, name="k8slab-progress-sync",
                                         daemon=True)

    def start(self) -> ProgressSync:
        self._thread.start()
        return self

    @property
    def problem(self) -> ClusterError | None:
        """Why the last write failed, or None after a success (or before any write)."""
        return self._failure or self.mirror.problem

    @property
    def saves(self) -> int:
        return self.mirror.saves

    def poke(self) -> None:
        """Progress or history may have changed: look soon, without waiting."""
        with self._handled:
            self._asked += 1
        self._wake.set()

    def flush(self, timeout: float = 30.0) -> bool:
        """Wait until everything poked so far has been handled; False on timeout."""
        with self._handled:
            target = self._asked
        self._wake.set()
        with self._handled:
            return self._handled.wait_for(
                lambda: self._done >= target or not self._thread.is_alive(), timeout)

    def close(self, timeout: float = 5.0) -> None:
        """Write once more, whatever changed (the history since the last write included),
        and stop. Waits at most `timeout` seconds: an unreachable cluster must not hold up
        the lab's exit."""
        self._closing = True
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _loop(self) -> None:
        while True:
            # Waking every interval lets history that grew after the last write go out even
            # when nothing pokes again.
            self._wake.wait(timeout=self.mirror.history_interval)
            self._wake.clear()
            closing = self._closing
            with self._handled:
                target = self._asked
            try:
                progress, history = self._snapshot()
                self.mirror.update(progress, history, force=closing)
                self._failure = None
            except Exception as exc:  # a bug here must not kill the thread (or the screen)
                self._failure = ClusterError(f"Could not save your progress for the "
                                             f"instructor: {exc}.")
            finally:
                with self._handled:
                    self._done = max(self._done, target)
                    self._handled.notify_all()
            if closing:
                return
