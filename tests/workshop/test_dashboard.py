"""The workshop dashboard, driven by Pilot with synthetic learners (no cluster)."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable, Static

from k8slab.state.mirror import ClusterState
from k8slab.workshop.dashboard import TOTAL_ROW, LearnerScreen, WorkshopDashboard
from k8slab.workshop.status import WorkshopStatus, grade_learner, state_from_objects
from tests.workshop.lessons import statefulset_lesson
from tests.workshop.objects import (
    NOW,
    namespace,
    pod,
    progress,
    service,
    statefulset,
    warning,
    web_ready,
)


class FakeSource:
    """Two learners graded from synthetic namespaces; `objects` can change between polls."""

    def __init__(self) -> None:
        self.lesson = statefulset_lesson()
        self.objects = {
            "ana": [*web_ready("ws-ana"),
                    progress("ws-ana", "day10", {"answers": {"identity": 1}})],
            "ben": [statefulset("ws-ben", ready=1), service("ws-ben"), pod("ws-ben", "web-0"),
                    pod("ws-ben", "web-1", ready=False),
                    warning("ws-ben", "web-1", "FailedScheduling",
                            "0/3 nodes are available: 3 Insufficient memory.", NOW - 20)],
        }
        self.states: dict[str, ClusterState] = {}
        self.refreshes = 0

    @property
    def status(self) -> str:
        return ""

    def refresh(self) -> WorkshopStatus:
        self.refreshes += 1
        rows = []
        for learner, objects in self.objects.items():
            ns = f"ws-{learner}"
            state = state_from_objects(ns, [namespace(ns, NOW - 600), *objects], NOW)
            self.states[learner] = state
            rows.append(grade_learner(self.lesson, learner, ns, state, demo=set(), now=NOW))
        items = tuple((i.id, i.title) for i in self.lesson.checklist)
        return WorkshopStatus("ws", "day10", items, tuple(rows), NOW)

    def state_of(self, learner: str) -> ClusterState | None:
        return self.states.get(learner)


def text(value: object) -> Text:
    assert isinstance(value, Text)
    return value


async def settle(app: WorkshopDashboard, pilot) -> None:  # type: ignore[no-untyped-def]
    await app.workers.wait_for_complete()
    await pilot.pause()


async def test_grid_shows_every_learner_item_and_total() -> None:
    source = FakeSource()
    app = WorkshopDashboard(source, interval=3600)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(app, pilot)
        grid = app.query_one("#grid", DataTable)
        assert grid.row_count == 3  # ana, ben, totals
        assert grid.get_row_index(TOTAL_ROW) == 2
        ana_ready = text(grid.get_cell("ana", "sts-ready"))
        assert (ana_ready.plain, str(ana_ready.style)) == ("✔", "bold green")
        quiz = text(grid.get_cell("ana", "quiz"))
        assert (quiz.plain, str(quiz.style)) == ("✓", "green")  # reported by the learner
        ben_ready = text(grid.get_cell("ben", "sts-ready"))
        assert (ben_ready.plain, str(ben_ready.style)) == ("✘", "bold red")
        assert text(grid.get_cell("ben", "quiz")).plain == "·"
        assert text(grid.get_cell("ana", "done")).plain == "3/3"
        assert text(grid.get_cell(TOTAL_ROW, "sts-created")).plain == "2"
        assert text(grid.get_cell(TOTAL_ROW, "sts-ready")).plain == "1"
        assert "FailedScheduling" in text(grid.get_cell("ben", "stuck")).plain
        summary = app.query_one("#summary", Static).render()
        assert "2 learners" in str(summary) and "1 stuck" in str(summary)


async def test_cells_follow_the_cluster() -> None:
    source = FakeSource()
    app = WorkshopDashboard(source, interval=3600)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(app, pilot)
        source.objects["ben"] = web_ready("ws-ben")
        await pilot.press("r")
        await settle(app, pilot)
        grid = app.query_one("#grid", DataTable)
        assert text(grid.get_cell("ben", "sts-ready")).plain == "✔"
        assert text(grid.get_cell(TOTAL_ROW, "sts-ready")).plain == "2"
        assert text(grid.get_cell("ben", "stuck")).plain == ""


async def test_a_learner_joins() -> None:
    source = FakeSource()
    app = WorkshopDashboard(source, interval=3600)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(app, pilot)
        source.objects["carla"] = []
        await pilot.press("r")
        await settle(app, pilot)
        grid = app.query_one("#grid", DataTable)
        assert grid.row_count == 4
        assert grid.get_row_index(TOTAL_ROW) == 3  # the totals stay last


async def test_select_a_learner_to_see_their_resources() -> None:
    source = FakeSource()
    app = WorkshopDashboard(source, interval=3600)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        grid = app.query_one("#grid", DataTable)
        grid.move_cursor(row=grid.get_row_index("ben"), column=0)
        await pilot.press("enter")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, LearnerScreen) and screen.learner == "ben"
        resources = str(screen.query_one("#learner-resources", Static).render())
        assert "statefulset/web" in resources and "1/3 ready" in resources
        assert "web-1" in resources and "FailedScheduling" in resources
        items = screen.query_one("#learner-items", DataTable)
        assert items.row_count == 3
        assert "failing" in str(items.get_cell("sts-ready", "detail"))
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, LearnerScreen)
        assert app._viewing is None


async def test_highlighting_a_cell_explains_it() -> None:
    source = FakeSource()
    app = WorkshopDashboard(source, interval=3600)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(app, pilot)
        grid = app.query_one("#grid", DataTable)
        column = list(grid.columns).index(next(k for k in grid.columns if k.value == "sts-ready"))
        grid.move_cursor(row=grid.get_row_index("ben"), column=column)
        await pilot.pause()
        detail = str(app.query_one("#detail", Static).render())
        assert detail.startswith("2. Every replica Ready — ben: failing: FailedScheduling")


def test_snapshot_at_projector_size(snap_compare) -> None:  # type: ignore[no-untyped-def]
    async def settled(pilot) -> None:  # type: ignore[no-untyped-def]
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()

    app = WorkshopDashboard(FakeSource(), interval=3600)
    assert snap_compare(app, terminal_size=(80, 24), run_before=settled)
