"""The lab's layout. Wide terminals: the outline, the step and the checklist side by side on
top, the live panes side by side below. Narrow ones (a projector's 80x24): the step over tabs.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.containers import Container, Grid, Horizontal, Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import TabbedContent, TabPane

from k8slab.lessons.model import Lesson
from k8slab.tui.views.workshop import outline_mark
from k8slab.tui.widgets.action_bar import ActionBar
from k8slab.tui.widgets.action_output import ActionOutput
from k8slab.tui.widgets.checklist import Checklist
from k8slab.tui.widgets.claims_table import ClaimsTable
from k8slab.tui.widgets.coverage_grid import CoverageGridPane
from k8slab.tui.widgets.cronjobs_pane import CronJobsPane
from k8slab.tui.widgets.events_log import EventsLog
from k8slab.tui.widgets.jobs_pane import JobsPane
from k8slab.tui.widgets.navigator import LessonNavigator
from k8slab.tui.widgets.step_view import StepView
from k8slab.tui.widgets.timeline import OrdinalTimeline

if TYPE_CHECKING:
    from k8slab.workshop.learner import LearnerWorkshop

#: Below this width or height the layout is compact (tabs).
WIDE_MIN_WIDTH, WIDE_MIN_HEIGHT = 110, 30


@dataclass(frozen=True, slots=True)
class PaneSpec:
    """A live pane: its id, tab label, the kinds that make it relevant, and its class."""

    id: str
    label: str
    kinds: frozenset[str]
    widget: type[Widget]


PANES = (
    PaneSpec("timeline", "Ordinals", frozenset({"StatefulSet"}), OrdinalTimeline),
    PaneSpec("claims", "PVCs", frozenset({"PersistentVolumeClaim", "StatefulSet"}),
             ClaimsTable),
    PaneSpec("coverage", "Nodes", frozenset({"DaemonSet"}), CoverageGridPane),
    PaneSpec("jobs", "Jobs", frozenset({"Job", "CronJob"}), JobsPane),
    PaneSpec("cronjobs", "CronJobs", frozenset({"CronJob"}), CronJobsPane),
    PaneSpec("events", "Events", frozenset(), EventsLog),
)


def lesson_panes(lesson: Lesson) -> list[PaneSpec]:
    """The panes a lesson needs: those whose kinds its manifests use, and Events."""
    kinds = {str(obj.get("kind", "")) for m in lesson.manifests.values() for obj in m.objects}
    chosen = [p for p in PANES if not p.kinds or p.kinds & kinds]
    return chosen if len(chosen) > 1 else list(PANES)


def pane_for(kinds: set[str], specs: list[PaneSpec]) -> str | None:
    """The pane that best shows a step using these kinds (for switching tabs)."""
    for kind, pane in (("CronJob", "cronjobs"), ("Job", "jobs"), ("DaemonSet", "coverage"),
                       ("StatefulSet", "timeline")):
        if kind in kinds and any(s.id == pane for s in specs):
            return pane
    return None


class LabBody(Container):
    """The outline, the step with its actions, the checklist, and the live panes.

    `compact` switches between the layouts by recomposing; every widget in here is drawn
    from the session, so a rebuild loses nothing but scroll positions.
    """

    DEFAULT_CSS = """
    LabBody { height: 1fr; }
    """

    compact: reactive[bool] = reactive(False, init=False)
    """Tabs instead of side-by-side panes (80x24)."""

    class Rebuilt(Message):
        """The layout was rebuilt: the screen refills every widget."""

    def __init__(self, lesson: Lesson, answers: dict[str, int], render: Any, *,
                 compact: bool = False, workshop: LearnerWorkshop | None = None,
                 name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        """`workshop`: a workshop learner's lab; the outline marks the demos and rewritten
        steps, the checklist the items only the instructor can show."""
        super().__init__(name=name, id=id, classes=classes)
        self.lesson = lesson
        self.answers = answers
        self.render_text = render
        self.workshop = workshop
        self.specs = lesson_panes(lesson)
        self._panes: list[Widget] = []
        self.set_reactive(LabBody.compact, compact)

    def _make_panes(self) -> list[Widget]:
        # Kept, so each frame reaches the panes without a DOM query (a query walks every
        # node, and the outline and markdown make hundreds).
        self._panes = [spec.widget(id=spec.id, classes="pane") for spec in self.specs]
        return self._panes

    def compose(self) -> ComposeResult:
        self.set_class(self.compact, "-compact")
        if self.compact:
            yield from self._compose_compact()
        else:
            yield from self._compose_wide()

    def _navigator(self) -> LessonNavigator:
        marks = None
        if self.workshop is not None:
            found = {step.id: outline_mark(self.workshop.view(step.id))
                     for step in self.lesson.steps}
            marks = {sid: mark for sid, mark in found.items() if mark is not None}
        return LessonNavigator(self.lesson, marks=marks, id="navigator")

    def _checklist(self) -> Checklist:
        demo = self.workshop.demo_items if self.workshop is not None else frozenset()
        return Checklist(self.lesson, self.answers, demo_items=demo, id="checklist")

    def _compose_wide(self) -> Iterator[Widget]:
        with Horizontal(id="top"):
            yield self._navigator()
            with Vertical(id="work"):
                yield StepView(self.lesson, self.render_text, id="step")
                yield ActionBar(id="actions")
                yield ActionOutput(id="output")
            yield self._checklist()
        with Grid(id="panes", classes=f"panes-{len(self.specs)}"):
            yield from self._make_panes()

    def _compose_compact(self) -> Iterator[Widget]:
        with Vertical(id="work"):
            yield StepView(self.lesson, self.render_text, id="step")
            yield ActionBar(id="actions")
            yield ActionOutput(id="output")
            with TabbedContent(id="tabs", initial="tab-checklist"):
                with TabPane("Steps", id="tab-steps"):
                    yield self._navigator()
                with TabPane("Checklist", id="tab-checklist"):
                    yield self._checklist()
                for spec, pane in zip(self.specs, self._make_panes(), strict=True):
                    with TabPane(spec.label, id=f"tab-{spec.id}"):
                        yield pane

    async def watch_compact(self, compact: bool) -> None:
        await self.recompose()
        self.post_message(self.Rebuilt())

    def panes(self) -> list[Any]:
        """The live pane widgets (each has `update_live`)."""
        return [p for p in self._panes if p.is_attached]

    def show_pane(self, pane_id: str) -> None:
        """Bring a pane to the front: its tab when compact; when wide, the first place in the
        grid (top left), marked as the step's pane."""
        pane = next((p for p in self._panes if p.id == pane_id), None)
        if pane is None or not pane.is_attached:
            return
        if self.compact:
            tabs = self.query(TabbedContent)
            if tabs:
                tabs.first().active = f"tab-{pane_id}"
            return
        grid = pane.parent
        if isinstance(grid, Grid) and grid.children and grid.children[0] is not pane:
            grid.move_child(pane, before=0)
        for p in self._panes:
            p.set_class(p is pane, "-primary")
