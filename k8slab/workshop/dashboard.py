"""`k8slab workshop dashboard`: every learner's checklist, live, on the instructor's terminal.

Learners are rows and checklist items are columns; the last row totals each item. A cell is
green when done (✔ verified on the cluster, ✓ reported by the learner's k8slab), yellow while
in progress, red when failing with a Warning event, grey for an instructor demo. Enter on a
learner opens their resources: workloads, pods, claims and events.

The only module of `k8slab.workshop` that imports textual. It reads a `StatusSource` (the live
`WorkshopMonitor`, or synthetic data in tests) from one exclusive thread worker.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import ClassVar, Protocol

from rich.text import Text
from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from k8slab.state.mirror import ClusterState
from k8slab.workshop.resources import ResourceTable, resource_tables
from k8slab.workshop.status import ItemStatus, LearnerStatus, WorkshopStatus

TOTAL_ROW = "__total__"
LEGEND = ("[bold green]✔[/] verified  [green]✓[/] reported by learner  "
          "[bold yellow]…[/] in progress  [bold red]✘[/] failing  [dim]·[/] to do  "
          "[dim]◌[/] demo")


class StatusSource(Protocol):
    """What the dashboard reads. `refresh` and `state_of` are called from one worker thread."""

    @property
    def status(self) -> str: ...

    def refresh(self) -> WorkshopStatus: ...

    def state_of(self, learner: str) -> ClusterState | None: ...


def cell(item: ItemStatus) -> Text:
    """The glyph and colour of one dashboard cell."""
    if item.state == "passed":
        return Text("✔" if item.source == "cluster" else "✓",
                    style="bold green" if item.source == "cluster" else "green")
    return {
        "progress": Text("…", style="bold yellow"),
        "failing": Text("✘", style="bold red"),
        "demo": Text("◌", style="dim"),
    }.get(item.state, Text("·", style="dim"))


def describe(item: ItemStatus) -> str:
    words = {"passed": "done", "progress": "in progress", "failing": "failing",
             "todo": "not started", "demo": "instructor demo"}[item.state]
    if item.state == "passed":
        words += " (verified on the cluster)" if item.source == "cluster" else \
            " (reported by the learner)"
    return f"{words}: {item.detail}" if item.detail else words


STUCK_WIDTH = 48  # the detail line under the grid shows the rest


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"


def _same(a: object, b: Text) -> bool:
    # Text equality ignores the base style, and the colour is the point here.
    return isinstance(a, Text) and a.plain == b.plain and a.style == b.style


def ago(seconds: float) -> str:
    s = int(max(0, seconds))
    return f"{s // 60}m ago" if s >= 60 else f"{s}s ago"


@dataclass(frozen=True, slots=True)
class Frame:
    """One refresh's results, handed from the worker to the UI thread."""

    status: WorkshopStatus
    connection: str
    learner: str | None = None
    resources: tuple[ResourceTable, ...] = ()


class LearnerScreen(Screen[None]):
    """One learner: their checklist and what is in their namespace."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="back"),
    ]

    class Opened(Message):
        """Posted once the screen can show frames: the app should fetch one now."""

    def __init__(self, learner: str) -> None:
        super().__init__()
        self.learner = learner

    def on_mount(self) -> None:
        self.post_message(self.Opened())

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="learner-summary")
        table: DataTable[object] = DataTable(id="learner-items", cursor_type="row",
                                             zebra_stripes=True)
        # Columns before mounting: a frame may arrive before on_mount runs.
        table.add_column("", key="state", width=1)
        table.add_column("item", key="title")
        table.add_column("detail", key="detail")
        with VerticalScroll(id="learner-body"):
            yield table
            yield Static("", id="learner-resources")
        yield Footer()

    def action_back(self) -> None:
        self.dismiss(None)

    def show(self, frame: Frame) -> None:
        """Bring this learner's view up to date with one frame."""
        row = next((r for r in frame.status.learners if r.learner == self.learner), None)
        if row is None or not self.is_mounted:
            return  # the next frame will do
        self.query_one("#learner-summary", Static).update(_summary(row, frame.status))
        table = self.query_one("#learner-items", DataTable)
        titles = dict(frame.status.items)
        for iid, item in row.items.items():
            values = (cell(item), titles[iid], describe(item))
            if iid in table.rows:
                for key, value in zip(("state", "title", "detail"), values, strict=True):
                    table.update_cell(iid, key, value)
            else:
                table.add_row(*values, key=iid)
        self.query_one("#learner-resources", Static).update(_tables(frame.resources))


def _summary(row: LearnerStatus, status: WorkshopStatus) -> Text:
    text = Text.assemble((row.learner, "bold"), f" · namespace {row.namespace} · ",
                         (f"{row.passed}/{row.earnable}", "bold green"), " done")
    if row.step:
        text.append(f" · on step {row.step}")
    if row.last_activity:
        text.append(f" · last activity {ago(status.generated - row.last_activity)}")
    if row.stuck:
        text.append(f"\nstuck: {row.stuck}", style="bold red")
    return text


def _tables(tables: tuple[ResourceTable, ...]) -> Text:
    out = Text()
    for table in tables:
        out.append(f"\n{table.title}\n", style="bold")
        if not table.rows:
            out.append("  (none)\n", style="dim")
            continue
        widths = [max(len(c), *(len(r[i]) for r in table.rows))
                  for i, c in enumerate(table.columns)]
        widths[-1] = len(table.columns[-1])  # the last column runs free
        header = "  ".join(c.ljust(w) for c, w in zip(table.columns, widths, strict=True))
        out.append(f"  {header}\n", style="dim")
        for r in table.rows:
            style = "red" if "Warning" in r or "Failed" in " ".join(r) else ""
            out.append("  " + "  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) + "\n",
                       style=style)
    return out


class WorkshopDashboard(App[None]):
    """The live dashboard of one workshop."""

    CSS_PATH = "dashboard.tcss"
    TITLE = "k8slab workshop"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit", id="quit"),
        Binding("enter", "open_learner", "Learner", id="open-learner"),
        Binding("r", "refresh_now", "Refresh", id="refresh"),
    ]

    def __init__(self, source: StatusSource, *, interval: float = 1.0) -> None:
        super().__init__()
        self.source = source
        self.interval = interval
        self.latest: WorkshopStatus | None = None
        self._viewing: str | None = None
        self._columns: tuple[str, ...] = ()

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="summary")
        yield DataTable(id="grid", fixed_columns=2, cursor_type="cell", zebra_stripes=True)
        yield Static(id="detail")
        yield Static(LEGEND + "  [bold]⏎[/] learner", id="legend")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#grid", DataTable).focus()
        self.poll()
        self.set_interval(self.interval, self.poll)

    # -- data -------------------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="poll")
    def poll(self) -> None:
        """Refresh the source off the UI thread and hand the results over."""
        status = self.source.refresh()
        learner = self._viewing
        resources: tuple[ResourceTable, ...] = ()
        if learner is not None:
            state = self.source.state_of(learner)
            row = next((r for r in status.learners if r.learner == learner), None)
            if state is not None and row is not None:
                resources = tuple(resource_tables(state, row.namespace, time.time()))
        self.call_from_thread(self.show, Frame(status, self.source.status, learner, resources))

    def action_refresh_now(self) -> None:
        self.poll()

    def show(self, frame: Frame) -> None:
        """Bring the grid (and an open learner screen) up to date with one frame."""
        status = frame.status
        self.latest = status
        self.sub_title = f"{status.workshop} · lesson {status.lesson}"
        grid = self.query_one("#grid", DataTable)
        columns = tuple(iid for iid, _ in status.items)
        if columns != self._columns:
            grid.clear(columns=True)
            grid.add_column("learner", key="learner")
            grid.add_column("done", key="done")
            for n, iid in enumerate(columns, 1):
                grid.add_column(str(n), key=iid)
            grid.add_column("stuck", key="stuck")
            self._columns = columns
        for row in status.learners:
            self._show_row(grid, row)
        totals = status.totals()
        n = len(status.learners)
        values = {iid: Text(str(totals[iid]), style="bold green" if n and totals[iid] == n
                            else "bold") for iid in columns}
        self._put(grid, TOTAL_ROW, {"learner": Text("Σ done", style="bold"), "done": Text(""),
                                    **values, "stuck": Text(self._stuck_count(status))})
        # Keep the totals row last when learners join.
        if grid.get_row_index(TOTAL_ROW) != grid.row_count - 1:
            self._columns = ()
            self.show(frame)
            return
        self._show_summary(status, frame.connection)
        if isinstance(self.screen, LearnerScreen) and frame.learner == self.screen.learner:
            self.screen.show(frame)

    def _show_row(self, grid: DataTable, row: LearnerStatus) -> None:
        values: dict[str, Text] = {
            "learner": Text(row.learner, style="bold red" if row.stuck else "bold"),
            "done": Text(f"{row.passed}/{row.earnable}",
                         style="bold green" if row.passed == row.earnable else ""),
            "stuck": Text(_clip(row.stuck, STUCK_WIDTH), style="red"),
        }
        for iid, item in row.items.items():
            values[iid] = cell(item)
        self._put(grid, row.learner, values)

    def _put(self, grid: DataTable, key: str, values: dict[str, Text]) -> None:
        if key in grid.rows:
            for column, value in values.items():
                if not _same(grid.get_cell(key, column), value):
                    grid.update_cell(key, column, value, update_width=column == "stuck")
        else:
            order = ["learner", "done", *self._columns, "stuck"]
            grid.add_row(*(values.get(c, Text("")) for c in order), key=key)

    @staticmethod
    def _stuck_count(status: WorkshopStatus) -> str:
        stuck = sum(1 for r in status.learners if r.stuck)
        return f"{stuck} stuck" if stuck else ""

    def _show_summary(self, status: WorkshopStatus, connection: str) -> None:
        done = sum(1 for r in status.learners if r.earnable and r.passed == r.earnable)
        text = Text.assemble((f"{len(status.learners)} learners", "bold"),
                             f" · {done} finished · ", (self._stuck_count(status) or "none stuck",
                                                        "bold red" if any(
                                                            r.stuck for r in status.learners)
                                                        else "green"))
        if connection:
            text.append(f" · {connection}", style="bold yellow")
        self.query_one("#summary", Static).update(text)

    # -- navigation -------------------------------------------------------------------------
    def on_data_table_cell_highlighted(self, event: DataTable.CellHighlighted) -> None:
        if self.latest is None or event.data_table.id != "grid":
            return
        learner, column = event.cell_key.row_key.value, event.cell_key.column_key.value
        row = next((r for r in self.latest.learners if r.learner == learner), None)
        titles = dict(self.latest.items)
        detail = self.query_one("#detail", Static)
        if column in titles:
            n = list(titles).index(column) + 1
            head = f"{n}. {titles[column]}"
            if row is not None:
                detail.update(Text.assemble((head, "bold"), f" — {learner}: ",
                                            describe(row.items[column])))
            else:
                detail.update(Text.assemble((head, "bold"), " — passed by "
                                            f"{self.latest.totals()[column]} of "
                                            f"{len(self.latest.learners)}"))
        elif row is not None:
            detail.update(_summary(row, self.latest))
        else:
            detail.update("")

    def on_data_table_cell_selected(self, event: DataTable.CellSelected) -> None:
        if event.data_table.id == "grid":
            self._open(event.cell_key.row_key.value)

    def action_open_learner(self) -> None:
        grid = self.query_one("#grid", DataTable)
        if grid.row_count:
            key = grid.coordinate_to_cell_key(grid.cursor_coordinate).row_key.value
            self._open(key)

    def _open(self, learner: str | None) -> None:
        if learner is None or learner == TOTAL_ROW or isinstance(self.screen, LearnerScreen):
            return
        self._viewing = learner
        self.push_screen(LearnerScreen(learner), callback=lambda _: self._learner_closed())

    def on_learner_screen_opened(self, _: LearnerScreen.Opened) -> None:
        self.poll()

    def _learner_closed(self) -> None:
        self._viewing = None
