"""A learner's session: the lesson, the cluster, the mirror fed by its watch, the grader's
verdicts and the saved progress. The TUI reads and drives this; nothing here imports textual,
so the session can be driven headlessly in tests and benchmarks.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from k8slab.actions import Action
from k8slab.cluster import objects as o
from k8slab.cluster.protocol import Cluster, EventStream, WatchEvent
from k8slab.errors import ClusterError, K8slabError, ProgressError
from k8slab.lessons.model import Lesson, Step
from k8slab.progress import Progress, ProgressStore
from k8slab.state.mirror import ClusterState
from k8slab.tui import grading, realwait
from k8slab.tui.live import ALL, CLOCK, LiveData
from k8slab.tui.readiness import observed, readiness, rollout
from k8slab.tui.verdicts import Verdict
from k8slab.tui.views.podlog import PodLog
from k8slab.tui.views.timebase import Timebase, duration

if TYPE_CHECKING:
    from k8slab.tui.progress_sync import ProgressSync, Snapshot
    from k8slab.workshop.learner import LearnerWorkshop
    from k8slab.workshop.progress_store import ProgressMirror, ProgressRecord

#: Watch events folded per frame at most; the rest wait for the next frame, so a flood of
#: events (a 1,000-pod DaemonSet appearing) never freezes the screen.
MAX_EVENTS_PER_FRAME = 5000


@dataclass(frozen=True, slots=True)
class Outcome:
    """How an action went, in a sentence the learner reads."""

    ok: bool
    message: str
    hint: str = ""


@dataclass(frozen=True, slots=True)
class Wait:
    """A workload the lab is waiting on after an action: `web` with 2 of 3 Ready."""

    what: str
    done: int
    total: int
    detail: str = ""


class LabSession:
    """Everything one run of `k8slab run` holds, minus the screen.

    Args:
        lesson: the loaded lesson.
        cluster: a connected backend; the session starts its watch.
        store: where progress is saved (None: do not save, for screenshots and demos).
        render: renders step text for the lab namespace.
        workshop: set when the lab namespace is a workshop learner's: how each step runs
            for them, and which actions they may not run.
        remote: the progress record the learner's namespace holds, joined with the local
            progress at start (`k8slab.workshop.learner.merge_progress`).
        mirror: writes progress to the learner's namespace for the instructor, from a
            background thread (`ProgressSync`).
    """

    def __init__(self, lesson: Lesson, cluster: Cluster, *, store: ProgressStore | None,
                 render: Callable[[str], str] | None = None,
                 workshop: LearnerWorkshop | None = None, remote: ProgressRecord | None = None,
                 mirror: ProgressMirror | None = None) -> None:
        self.lesson = lesson
        self.cluster = cluster
        self.namespace = cluster.namespace
        self.backend = cluster.backend
        self.store = store
        self.workshop = workshop
        self.render: Callable[[str], str] = render or (lambda text: text)
        self.state = ClusterState(self.namespace)
        self.log = PodLog(self.state.history)
        self.timebase = Timebase(origin=cluster.now(), unix_offset=cluster.unix_epoch)
        self.problems: list[K8slabError] = []
        if store is not None:
            loaded = store.load(lesson.id, self.backend, self.namespace)
            self.progress = loaded.progress
            self.resumed = loaded.resumed
            if loaded.problem is not None:
                self.problems.append(loaded.problem)
        else:
            self.progress = Progress(lesson.id, self.backend, self.namespace)
            self.resumed = False
        if remote is not None:
            from k8slab.workshop.learner import merge_progress

            merge_progress(self.progress, remote)
            self.resumed = self.resumed or bool(remote.step or remote.answers)
        if self.progress.step not in {s.id for s in lesson.steps}:
            self.progress.step = lesson.steps[0].id if lesson.steps else None
        self.stream: EventStream = cluster.watch()
        self.runner = grading.make_runner(cluster, lesson, self.state, self.progress.answers,
                                          self.stream)
        self.grader = grading.make_grader(lesson, self.backend, self.namespace)
        self._seen_generation = 0
        self._graded_at: tuple[object, ...] = ()
        self._progress_lock = threading.RLock()
        self._verdicts: list[Verdict] = []
        self._waits: dict[tuple[str, str], int] = {}  # (kind, name) -> generation when asked
        self._acted: set[str] = set()  # steps whose actions ran successfully this session
        self._visited: set[str] = set()  # steps opened this session
        self._countdown: realwait.Countdown | None = None  # advance-clock on a real cluster
        self._last_now = cluster.now()
        self.frames = 0
        self.sync: ProgressSync | None = None
        if mirror is not None:
            from k8slab.tui.progress_sync import ProgressSync

            self.sync = ProgressSync(mirror, self._snapshot).start()
            self.sync.poke()  # the instructor sees the learner arrive

    # -- time ---------------------------------------------------------------------------------
    @property
    def clock(self) -> Any | None:
        """The sim's SimClock (pause, speed, step, jump), or None on a real cluster."""
        if self.cluster.capabilities.virtual_clock:
            return getattr(self.cluster, "clock", None)
        return None

    def now(self) -> float:
        return self.cluster.now()

    # -- the frame ----------------------------------------------------------------------------
    def frame(self, real_seconds: float = 0.0) -> LiveData:
        """Advance a realtime sim clock by `real_seconds`, fold the waiting watch events into
        the mirror, and say which kinds changed (plus CLOCK when cluster time moved)."""
        clock = self.clock
        if clock is not None and real_seconds > 0:
            clock.tick(real_seconds)
        changed: set[str] = set()
        batch: list[WatchEvent] = []
        # A worker thread running an action on a real cluster holds the runner's lock while
        # it waits for the API; the screen must not wait with it, so that frame skips the drain.
        if self.runner.lock.acquire(blocking=False):
            try:
                batch = self._drain(changed)
            finally:
                self.runner.lock.release()
        now = self.now()
        if now != self._last_now:
            changed.add(CLOCK)
            self._last_now = now
        self.frames += 1
        return LiveData(self.state, self.log, self.timebase, now, changed, batch)

    def _drain(self, changed: set[str]) -> list[WatchEvent]:
        if self.state.generation != self._seen_generation:
            # The runner folded events in after an action: which kinds changed is unknown, so
            # every pane looks.
            changed.add(ALL)
        batch = self.stream.drain(MAX_EVENTS_PER_FRAME)
        for event in batch:
            before = self.state.generation
            self.state.apply(event)
            if self.state.generation != before:  # a re-list's unchanged repeat is dropped
                changed.add(str(event.object.get("kind", "")))
        self._seen_generation = self.state.generation
        if batch and self.sync is not None:
            self.sync.poke()
        return batch

    def live(self, changed: set[str] | None = None) -> LiveData:
        """The current data without draining (for a full redraw)."""
        return LiveData(self.state, self.log, self.timebase, self.now(), set(changed or ()), [])

    @property
    def connection(self) -> str:
        """The watch's status line: "" when healthy, else e.g. "reconnecting (attempt 2)"."""
        if self.stream.closed.is_set():
            return "disconnected"
        return self.stream.status

    # -- grading ------------------------------------------------------------------------------
    def verdicts(self, *, wait: bool = False) -> tuple[list[Verdict], list[str]]:
        """The checklist's verdicts, re-graded only when the mirror changed, and the ids of
        items newly passed (remembered in the progress file).

        Without `wait`, an action holding the mirror's lock means the last verdicts (grade
        again later); a grading thread passes `wait=True`.
        """
        stamp = (self.state.generation, len(self.state.history),
                 tuple(sorted(self.progress.answers.items())))
        if stamp == self._graded_at:
            return self._ahead(self._verdicts), []
        if not self.runner.lock.acquire(blocking=wait):
            # An action is running in a worker thread: grade on a later frame.
            return self._ahead(self._verdicts), []
        try:
            raw = grading.verdicts(self.grader, self.state, self.progress.answers)
        finally:
            self.runner.lock.release()
        self._graded_at = stamp
        out, fresh = [], []
        with self._progress_lock:  # a grading thread and the screen both touch progress
            for v in raw:
                if v.state == "passed" and v.item not in self.progress.passed:
                    self.progress.passed[v.item] = self.now() - self.timebase.origin
                    fresh.append(v.item)
                if v.state != "passed" and v.item in self.progress.passed:
                    v = Verdict(v.item, "earlier", v.detail or "passed earlier", v.hint)
                out.append(v)
        self._verdicts = out
        if fresh:
            with self._progress_lock:
                self._mark_steps_by_items()
            self.save()
        return self._ahead(out), fresh

    def attempted(self) -> set[str]:
        """Steps the learner has worked on: opened in this session, or finished."""
        return self._visited | self.steps_done() | {self.step.id}

    def _ahead(self, verdicts: list[Verdict]) -> list[Verdict]:
        """Unmet items of steps the learner has not worked on are `todo`, not failures:
        red means "tried, and the cluster does not show it", never "not started"."""
        attempted = self.attempted()
        out = []
        for v in verdicts:
            step = self.lesson.item(v.item).step
            if v.state in ("failed", "pending") and step is not None and step not in attempted:
                v = Verdict(v.item, "todo", v.detail, v.hint)
            out.append(v)
        return out

    def answer(self, question_id: str, choice: int) -> None:
        with self._progress_lock:
            self.progress.answers[question_id] = choice
        self.save()

    # -- steps --------------------------------------------------------------------------------
    @property
    def step(self) -> Step:
        return self.lesson.step(self.progress.step or self.lesson.steps[0].id)

    def go(self, step_id: str) -> Step:
        """Open a step (remembered for the next run)."""
        with self._progress_lock:
            self.progress.step = self.lesson.step(step_id).id
        self._visited.add(step_id)
        self.save()
        return self.step

    def move(self, delta: int) -> Step | None:
        """The next (+1) or previous (-1) step, or None at either end. Moving on marks a
        step with nothing to grade as done."""
        steps = self.lesson.steps
        i = steps.index(self.step) + delta
        if not 0 <= i < len(steps):
            return None
        if delta > 0 and not self._items_of(self.step.id) and (
                not self.step.actions or self.step.id in self._acted):
            with self._progress_lock:
                self.progress.steps_done.add(self.step.id)
        return self.go(steps[i].id)

    def steps_done(self) -> set[str]:
        """A copy of the finished steps (a grading thread may be adding to them)."""
        with self._progress_lock:
            return set(self.progress.steps_done)

    def _items_of(self, step_id: str) -> list[str]:
        return [i.id for i in self.lesson.checklist if i.step == step_id]

    def _mark_steps_by_items(self) -> None:
        for step in self.lesson.steps:
            items = self._items_of(step.id)
            if items and all(i in self.progress.passed for i in items):
                self.progress.steps_done.add(step.id)

    # -- actions ------------------------------------------------------------------------------
    def blocked(self, action: Action) -> str:
        """Why a workshop learner may not run `action` in the current step ("" if they may,
        and always outside a workshop)."""
        if self.workshop is None:
            return ""
        return self.workshop.blocked(self.step.id, action)

    def run(self, action: Action) -> Outcome:
        """Run one action through the shared runner. Never raises for cluster trouble: the
        learner gets a sentence and a hint instead."""
        refused = self.blocked(action)
        if refused:
            return Outcome(False, f"Not in this workshop: {refused}.",
                           "watch the instructor's screen for this one")
        if action.kind == "advance-clock" and self.clock is None:
            return self._count_down(action)
        try:
            outcome = self.runner.run(action)
        except ClusterError as exc:
            return Outcome(False, exc.message, exc.hint or "")
        except K8slabError as exc:
            return Outcome(False, exc.message, exc.hint or "")
        ok = bool(getattr(outcome, "ok", True))
        message = str(getattr(outcome, "message", "") or action.label())
        hint = str(getattr(outcome, "hint", "") or "")
        if ok:
            self._track(action)
            self._acted.add(self.step.id)
        return Outcome(ok, message, hint)

    def _count_down(self, action: Action) -> Outcome:
        now = self.now()
        timer, message, hint = realwait.countdown(action, self.state, self.timebase, now)
        if timer is None:
            return Outcome(False, message, hint)
        self._countdown = timer
        realwait.record(self.state, self.lesson.id, self.namespace, action, now, message,
                        self.runner.lock)
        self._acted.add(self.step.id)
        return Outcome(True, message)

    def _track(self, action: Action) -> None:
        """Remember which workloads an action should bring to Ready, for the wait bar."""
        targets: list[tuple[str, str]] = []
        if action.kind == "apply":
            manifest = self.lesson.manifests.get(action.params.get("manifest", ""))
            for obj in manifest.objects if manifest else ():
                if obj.get("kind") in ("StatefulSet", "DaemonSet"):
                    targets.append((str(obj["kind"]), o.name(obj)))
        elif action.kind in ("scale", "set-image", "patch", "rollout-undo"):
            kind = str(action.params.get("kind") or "StatefulSet")
            if kind in ("StatefulSet", "DaemonSet"):
                targets.append((kind, str(action.params.get("name", ""))))
        for t in targets:
            self._waits[t] = self.state.generation

    def waiting(self) -> Wait | None:
        """A countdown on a real cluster, or the first tracked workload not yet fully Ready
        (and rolled out), or None."""
        timer = self._countdown
        if timer is not None:
            now = self.now()
            if timer.left(now) > 0:
                total = int(timer.end - timer.start)
                return Wait(timer.what, int(now - timer.start), total,
                            f"{duration(timer.left(now))} left")
            self._countdown = None
        for (kind, name) in list(self._waits):
            obj = self.state.get(kind, name)
            if obj is None:
                continue  # not seen yet: the apply's watch event has not arrived
            done, total = readiness(obj)
            updated, should = rollout(obj)
            if done >= total and updated >= should and observed(obj):
                del self._waits[(kind, name)]
                continue
            if done >= total and updated < should:
                return Wait(f"{kind.lower()}/{name}", updated, should,
                            f"rolling out: {updated}/{should} updated")
            return Wait(f"{kind.lower()}/{name}", done, total)
        return None

    # -- progress -----------------------------------------------------------------------------
    def save(self) -> ProgressError | None:
        """Save progress (and, in a workshop, have it written to the learner's namespace
        soon); a failure to save locally is returned (to show), never raised."""
        if self.sync is not None:
            self.sync.poke()
        if self.store is None:
            return None
        try:
            with self._progress_lock:
                self.store.save(self.progress)
        except ProgressError as exc:
            return exc
        return None

    @property
    def remote_problem(self) -> ClusterError | None:
        """Why progress could not be written to the workshop namespace, or None."""
        return self.sync.problem if self.sync is not None else None

    def _snapshot(self) -> Snapshot:
        # Called from the sync thread: the progress under its lock, the history under the
        # runner's (the screen folds events in and actions record under it).
        with self._progress_lock:
            progress = self.progress.to_json()
        with self.runner.lock:
            history = list(self.state.history)
        return progress, history

    def close(self) -> None:
        self.save()
        if self.sync is not None:
            self.sync.close()
        self.stream.close()
        self.cluster.close()

