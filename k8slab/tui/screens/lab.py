"""The lab screen: read a step, run its actions, watch the controllers, see the checklist."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.widgets import Footer, Header

from k8slab.actions import ACTIONS, Action
from k8slab.lessons.model import Step
from k8slab.tui.gc_policy import FreezeSurvivors
from k8slab.tui.live import CLOCK, LiveData
from k8slab.tui.screens.clock_controls import ClockControls
from k8slab.tui.screens.pane_controls import PaneControls
from k8slab.tui.screens.workshop_controls import WorkshopControls
from k8slab.tui.session import LabSession, Outcome
from k8slab.tui.verdicts import Verdict
from k8slab.tui.views.titles import action_title
from k8slab.tui.widgets.action_bar import ActionBar
from k8slab.tui.widgets.action_output import ActionOutput
from k8slab.tui.widgets.checklist import Checklist
from k8slab.tui.widgets.lab_body import WIDE_MIN_HEIGHT, WIDE_MIN_WIDTH, LabBody, pane_for
from k8slab.tui.widgets.navigator import LessonNavigator
from k8slab.tui.widgets.quiz import QuizQuestion
from k8slab.tui.widgets.status_bar import ClockReading, LabStatusBar, Waiting
from k8slab.tui.widgets.step_view import StepView


@dataclass(frozen=True, slots=True)
class Notice:
    """A message the lab showed the learner."""

    severity: str
    title: str
    message: str


#: Seconds between frames: watch events are drained and panes redrawn at most this often.
FRAME = 1 / 20
#: Re-grade at most this often (seconds of wall time) while the cluster keeps changing.
GRADE_EVERY = 0.25
#: Redraw the live panes at most this often: ten times a second is smooth to the eye, and a
#: flood of events (a 1,000-node DaemonSet) costs one redraw per tenth of a second.
PAINT_EVERY = 0.1
#: ...but when redrawing is cheap, redraw in the frame that brought the change: pane updates
#: wait for the next tenth of a second only while they would take over a fifth of the time.
PAINT_SHARE = 0.2
_ADMIN = frozenset(k for k, spec in ACTIONS.items() if spec.cluster_admin)
_ACTIONS_GROUP = Binding.Group("Run the step's action with that number")


class LabScreen(ClockControls, PaneControls, WorkshopControls, Screen[None]):
    """The whole lab on one screen. Keys work anywhere; every key is listed by `?`."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "next_step", "Next", id="k8slab.next_step",
                tooltip="Next step (a step with nothing to grade counts as done once you move on)"),
        Binding("p", "prev_step", "Prev", id="k8slab.prev_step", tooltip="Previous step"),
        Binding("a", "apply", "Apply", id="k8slab.apply",
                tooltip="Apply the step's manifest (its first apply action)"),
        Binding("h", "hint", "Hint", id="k8slab.hint",
                tooltip="Show the step's next hint, and the hints of failed checklist items"),
        *[Binding(str(i), f"run_action({i})", f"Run action {i}", show=False,
                  id=f"k8slab.action_{i}", group=_ACTIONS_GROUP) for i in range(1, 10)],
        # Priority: the outline and the quiz would take space for themselves (enter still
        # opens a step and picks an answer).
        Binding("space", "toggle_pause", "Pause", priority=True, id="k8slab.pause",
                tooltip="Pause or resume the sim's clock"),
        Binding("plus,equals_sign", "faster", "Faster", show=False, key_display="+",
                id="k8slab.faster", tooltip="Run the sim's clock faster (up to 60x)"),
        Binding("minus", "slower", "Slower", show=False, key_display="-", id="k8slab.slower",
                tooltip="Run the sim's clock slower (down to 0.25x)"),
        Binding("full_stop", "step_clock", "Step clock", show=False, key_display=".",
                id="k8slab.step_clock",
                tooltip="Pause, then run the sim's next happening (a controller sync, a "
                        "kubelet step)"),
        Binding("j", "jump_cron", "Next cron run", show=False, id="k8slab.jump_cron",
                tooltip="Jump the sim's clock to the next CronJob run"),
        Binding("e", "edit_nodes", "Nodes…", show=False, id="k8slab.edit_nodes",
                tooltip="Add, remove, label or taint a node"),
        Binding("tab", "cycle_pane(1)", "Next pane", show=False, id="k8slab.next_pane"),
        Binding("shift+tab", "cycle_pane(-1)", "Previous pane", show=False,
                id="k8slab.prev_pane"),
        Binding("z", "zoom", "Zoom pane", show=False, id="k8slab.zoom",
                tooltip="Fill the screen with the focused pane (z again to restore)"),
        Binding("l", "toggle_layout", "Layout", show=False, id="k8slab.layout",
                tooltip="Switch between tabs and side-by-side panes"),
    ]

    class Graded(Message):
        """The checklist was graded in a worker thread."""

        def __init__(self, verdicts: list[Verdict], fresh: list[str]) -> None:
            super().__init__()
            self.verdicts = verdicts
            self.fresh = fresh

    class ActionFinished(Message):
        """An action run in a worker thread (real cluster) has finished."""

        def __init__(self, action: Action, outcome: Outcome) -> None:
            super().__init__()
            self.action = action
            self.outcome = outcome

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = False) -> None:
        """Show a toast and remember it (`notices`). Markup is off by default: messages carry
        cluster text such as `[a-z0-9]` that is not markup."""
        self.notices.append(Notice(severity, title, message))
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    def __init__(self, session: LabSession, *, realtime: bool = True, name: str | None = None,
                 id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.session = session
        self.realtime = realtime
        self._last_tick = time.monotonic()
        self._last_grade = 0.0
        self._last_paint = 0.0
        self._paint_cost = 0.0  # seconds the last pane update took
        self._gc: FreezeSurvivors | None = None
        self._unpainted: LiveData | None = None
        self._grading = False
        self._grade_pending = True
        self._forced_layout: bool | None = None
        self._connection = ""
        self._remote_problem: object = None  # the last save problem shown, to show it once
        self.busy = False
        self.notices: deque[Notice] = deque(maxlen=100)
        self._body: LabBody | None = None
        self._status_bar: LabStatusBar | None = None
        self._checklist: Checklist | None = None
        self._last_output: tuple[str, bool, str, str] | None = None
        self._last_output_step = ""
        #: Set by every frame that folded a change in; a script or test waiting on a real
        #: cluster clears it and awaits it instead of sleeping.
        self.cluster_changed = asyncio.Event()

    # -- building -----------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        s = self.session
        yield Header(show_clock=False, icon="☸")
        yield LabBody(s.lesson, s.progress.answers, s.render, compact=self._want_compact(),
                      workshop=s.workshop, id="body")
        yield LabStatusBar(self._where(), id="status")
        yield Footer()

    def _where(self) -> str:
        s = self.session
        where = f"{s.backend} · {s.namespace}"
        if s.workshop is not None:
            where += f" · workshop {s.workshop.workshop}"
        return where

    def _want_compact(self) -> bool:
        if self._forced_layout is not None:
            return self._forced_layout
        w, h = self.app.size
        return w < WIDE_MIN_WIDTH or h < WIDE_MIN_HEIGHT

    @property
    def body(self) -> LabBody:
        if self._body is None:
            self._body = self.query_one(LabBody)
        return self._body

    @property
    def status_bar(self) -> LabStatusBar:
        if self._status_bar is None:
            self._status_bar = self.query_one(LabStatusBar)
        return self._status_bar

    @property
    def checklist(self) -> Checklist | None:
        """The checklist (None while the layout is being rebuilt)."""
        if self._checklist is None or not self._checklist.is_attached:
            found = self.query(Checklist)
            self._checklist = found.first() if found else None
        return self._checklist

    async def on_mount(self) -> None:
        self.title = self.session.lesson.title
        self.sub_title = self.session.cluster.describe()
        for problem in self.session.problems:
            self.notify(f"{problem.message}. {problem.hint or ''}", title="Progress",
                        severity="warning", timeout=10)
        if self.session.resumed:
            self.notify(f"Welcome back: resuming at “{self.session.step.title}”.",
                        title="Progress", timeout=5)
        self.workshop_welcome()
        # Fold the watch's initial list in before the first paint, so the first frame shows
        # the cluster rather than empty panes that fill (and re-lay out) a frame later.
        self.session.frame()
        await self._fill()
        if self.realtime:  # a lab that runs for long; tests drive their own frames
            self._gc = FreezeSurvivors()
        self.set_interval(FRAME, self.frame, name="frame")

    def on_unmount(self) -> None:
        if self._gc is not None:
            self._gc.close()
            self._gc = None

    async def _fill(self) -> None:
        """Fill every widget from the session (after mount and after a layout change)."""
        await self._show_step(self.session.step)
        if self._last_output is not None:
            self.query_one(ActionOutput).show(*self._last_output)
        data = self.session.live()
        for pane in self.body.panes():
            pane.update_live(data, force=True)
        self._grade_pending = True
        self._grade()

    @on(LabBody.Rebuilt)
    async def _rebuilt(self) -> None:
        await self._fill()

    def on_resize(self) -> None:
        want = self._want_compact()
        body = self.query(LabBody)
        if body and body.first().compact != want:
            body.first().compact = want

    # -- the frame ----------------------------------------------------------------------------
    def frame(self) -> None:
        """Once per frame: tick a realtime sim, drain the watch, redraw what changed."""
        now = time.monotonic()
        real = min(0.25, now - self._last_tick) if self.realtime else 0.0
        self._last_tick = now
        data = self.session.frame(real)
        if data.changed - {CLOCK}:
            self._grade_pending = True
            self.cluster_changed.set()
        if data.changed:
            self._unpainted = data if self._unpainted is None else self._unpainted.merge(data)
        # Realtime, the panes redraw at most every PAINT_EVERY seconds and grading runs at
        # most every GRADE_EVERY seconds, in a thread. Driven by a test or a script, every
        # frame does both, right here, so the screen is exact after each step.
        if self._unpainted is not None and (
                not self.realtime
                or now - self._last_paint >= min(PAINT_EVERY, self._paint_cost / PAINT_SHARE)):
            self._last_paint = now
            pending, self._unpainted = self._unpainted, None
            started = time.monotonic()
            for pane in self.body.panes():
                pane.update_live(pending)
            self._paint_cost = time.monotonic() - started
        if self._grade_pending:
            if not self.realtime:
                self._grade()
            elif not self._grading and now - self._last_grade >= GRADE_EVERY:
                self._grading = True
                self._grade_pending = False
                self._last_grade = now
                self._grade_in_thread()
        self._update_status()
        if self._gc is not None:
            self._gc.tick()

    @work(thread=True, group="grading")
    def _grade_in_thread(self) -> None:
        # The grader reads the mirror under the runner's lock; the frames meanwhile skip
        # their drain (never wait), so a slow check never freezes the screen.
        verdicts, fresh = self.session.verdicts(wait=True)
        self.post_message(self.Graded(verdicts, fresh))

    @on(Graded)
    def _graded(self, event: Graded) -> None:
        self._grading = False
        self._show_verdicts(event.verdicts, event.fresh)

    def _grade(self) -> None:
        self._last_grade = time.monotonic()
        self._grade_pending = False
        self._show_verdicts(*self.session.verdicts())

    def _show_verdicts(self, verdicts: list[Verdict], fresh: list[str]) -> None:
        checklist = self.checklist
        if checklist is None:
            return
        checklist.show(verdicts)
        for item_id in fresh:
            item = self.session.lesson.item(item_id)
            self.notify(f"✓ {item.title}", title="Checklist", timeout=4)
        if fresh:
            self._show_progress()

    def _update_status(self) -> None:
        bar = self.status_bar
        s = self.session
        clock = s.clock
        reading = ClockReading(
            s.timebase.elapsed(s.now()),
            clock.speed if clock is not None else None,
            bool(clock.paused) if clock is not None else False)
        bar.show_clock(reading)
        status = s.connection
        if status != self._connection:
            if status and not self._connection:
                self.notify(f"Lost the watch on the cluster: {status}. The lab keeps "
                            "running and catches up when it is back.", title="Connection",
                            severity="error", timeout=8)
            elif self._connection and not status:
                self.notify("Watching the cluster again.", title="Connection", timeout=4)
            self._connection = status
        bar.connection = status
        self.show_remote_problem()
        w = s.waiting()
        bar.show_waiting(Waiting(w.what, w.done, w.total, w.detail) if w else None)

    # -- steps --------------------------------------------------------------------------------
    async def _show_step(self, step: Step) -> None:
        if self._last_output is not None and self._last_output_step != step.id:
            self._last_output = None
            self.query_one(ActionOutput).clear()
        badge, blocked = self.step_workshop(step)
        await self.query_one(StepView).show(step, badge)
        await self.query_one(ActionBar).show(step.actions, admin=_ADMIN, blocked=blocked)
        self._show_progress()
        kinds = {str(obj.get("kind")) for m in step.manifests
                 for obj in (self.session.lesson.manifests[m].objects
                             if m in self.session.lesson.manifests else ())}
        pane = pane_for(kinds, self.body.specs)
        if pane is not None:
            self.body.show_pane(pane)
        if self.checklist is not None:
            self.checklist.focus_step(step.id)
        self._grade()  # items of the step just reached stop being `todo`

    def _show_progress(self) -> None:
        for nav in self.query(LessonNavigator):
            nav.show_progress(self.session.progress.step, self.session.steps_done())

    async def action_next_step(self) -> None:
        step = self.session.move(+1)
        if step is None:
            self.notify("That was the last step. Check the checklist: every item should be "
                        "green.", title="End of the lesson")
            return
        await self._show_step(step)

    async def action_prev_step(self) -> None:
        step = self.session.move(-1)
        if step is not None:
            await self._show_step(step)

    def go_to(self, step_id: str) -> None:
        """Open a step by id (from the command palette)."""
        self.call_later(self._show_step, self.session.go(step_id))

    @on(LessonNavigator.StepChosen)
    async def _step_chosen(self, event: LessonNavigator.StepChosen) -> None:
        await self._show_step(self.session.go(event.step_id))

    def action_hint(self) -> None:
        step_view = self.query_one(StepView)
        shown = step_view.reveal_hint()
        if self.checklist is not None:
            self.checklist.show_hints(True)
        if (not shown and not step_view.step) or not (step_view.step and step_view.step.hints):
            self.notify("No hint for this step: the failed checklist items show theirs.",
                        title="Hint")

    # -- actions ------------------------------------------------------------------------------
    def action_apply(self) -> None:
        step = self.session.step
        for i, action in enumerate(step.actions, start=1):
            if action.kind == "apply":
                self.query_one(ActionBar).press(i)
                return
        self.notify("This step has nothing to apply. Its actions are the buttons below the "
                    "text (keys 1\N{EN DASH}9).", title="Apply", severity="warning")

    def action_run_action(self, number: int) -> None:
        if not self.query_one(ActionBar).press(number):
            self.notify(f"This step has no action {number}.", severity="warning")

    @on(ActionBar.Chosen)
    def _action_chosen(self, event: ActionBar.Chosen) -> None:
        self.run_lab_action(event.action)

    def run_lab_action(self, action: Action) -> None:
        """Run an action: on the sim right here (it is fast), on a real cluster in a thread."""
        if self.busy:
            self.notify("Still waiting for the cluster to answer the last action.",
                        severity="warning")
            return
        if self.refuse(action):
            return
        if self.session.backend == "sim":
            self._finished(action, self.session.run(action))
            return
        self.busy = True
        self.query_one(ActionBar).set_busy(True)
        self.notify(f"{action_title(action)}…", timeout=2)
        self._run_in_thread(action)

    @work(thread=True, exclusive=True, group="cluster-action")
    def _run_in_thread(self, action: Action) -> None:
        outcome = self.session.run(action)
        self.post_message(self.ActionFinished(action, outcome))

    @on(ActionFinished)
    def _action_finished(self, event: ActionFinished) -> None:
        self.busy = False
        self.query_one(ActionBar).set_busy(False)
        self._finished(event.action, event.outcome)

    def _finished(self, action: Action, outcome: Outcome) -> None:
        self._last_output = (action_title(action), outcome.ok, outcome.message, outcome.hint)
        self._last_output_step = self.session.step.id
        for output in self.query(ActionOutput):
            output.show(*self._last_output)
        if outcome.ok:
            self.notify(outcome.message, title=action_title(action), timeout=4)
        else:
            text = outcome.message + (f"\nhint: {outcome.hint}" if outcome.hint else "")
            self.notify(text, title=f"{action_title(action)} failed", severity="error", timeout=10)
        self.frame()

    # -- checklist ----------------------------------------------------------------------------
    @on(QuizQuestion.Answered)
    def _answered(self, event: QuizQuestion.Answered) -> None:
        self.session.answer(event.question_id, event.choice)
        self._grade_pending = True
        self._grade()

    # -- nodes --------------------------------------------------------------------------------
    def action_edit_nodes(self) -> None:
        from k8slab.tui.screens.node_form import NodeForm

        if self.refuse_node_form():
            return

        nodes = [str((n.get("metadata") or {}).get("name", ""))
                 for n in self.session.state.list("Node")]

        def done(action: Action | None) -> None:
            if action is not None:
                self.run_lab_action(action)

        self.app.push_screen(NodeForm(nodes, sim=self.session.backend == "sim"), done)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("toggle_pause", "faster", "slower", "step_clock", "jump_cron"):
            return self.has_clock()
        return True
