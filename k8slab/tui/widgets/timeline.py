"""The StatefulSet ordinal timeline: pods by ordinal, with a lane of their life over time."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import events
from textual.widgets.data_table import ColumnKey

from k8slab.tui.live import CLOCK, LiveData
from k8slab.tui.views.lanes import Window
from k8slab.tui.views.statefulsets import OrdinalRow, StatefulSetView, statefulset_views
from k8slab.tui.views.timebase import Timebase, short
from k8slab.tui.views.tones import GLYPHS, style
from k8slab.tui.widgets.keyed_table import Cells, KeyedTable

# Long kubectl states shortened to fit the column (the lane shows the rest).
_SHORT_STATE = {"ContainerCreating": "Creating", "Unschedulable": "Unschedul.",
                "CrashLoopBackOff": "CrashLoop"}
LANE_GLYPHS = {"ok": "█", "wait": "▒", "bad": "▓", "gone": "░", "idle": "·", "info": "▪"}
# Fixed columns' width (cell padding included) in the full and the narrow layout; the pod
# column is sized for names like `nginx-sts-10`.
_FULL, _NARROW = 47, 29


class OrdinalTimeline(KeyedTable):
    """Every StatefulSet's pods by ordinal: state, revision, when each became Ready, and a lane
    that draws the pod's life (▒ starting, █ Ready, ░ terminating) across cluster time."""

    KINDS: ClassVar[frozenset[str]] = frozenset({"StatefulSet", "Pod", CLOCK})

    DEFAULT_CSS = """
    OrdinalTimeline > .datatable--header { text-style: bold; }
    """

    def __init__(self, *, name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._narrow: bool | None = None
        self._lane_width = 0
        self._last: LiveData | None = None
        self._scale = 0.0
        self._marks: list[tuple[Window, int]] = []
        self.border_title = "StatefulSet ordinals"
        self.border_subtitle = "█ ready ▒ starting ▓ failed ░ terminating"

    def on_resize(self, event: events.Resize) -> None:
        self._apply_layout(event.size.width)
        if self._last is not None:
            self.update_live(self._last, force=True)

    def _apply_layout(self, width: int) -> None:
        narrow = width < 60
        lane = max(6, width - (_NARROW if narrow else _FULL) - 2)
        if narrow == self._narrow and lane == self._lane_width:
            return
        self._narrow, self._lane_width = narrow, lane
        cols: list[tuple[str, str, int | None]] = [("pod", "pod", None), ("state", "state", 13)]
        if not narrow:
            cols += [("ready", "ready", 6), ("rev", "rev", 7)]
        cols.append(("lane", "lane", lane))
        self.set_columns(cols)

    def update_live(self, data: LiveData, *, force: bool = False) -> None:
        """Redraw from the mirror when pods or sets changed, or the clock entered a new cell."""
        self._last = data
        if self._narrow is None:
            self._apply_layout(self.size.width or 80)
        if not (force or data.touches(self.KINDS - {CLOCK}) or self._clock_moved(data.now)):
            return
        views = statefulset_views(data.state, data.log, data.now, self._lane_width)
        self._marks = [(v.window, v.window.cell(data.now)) for v in views]
        rows: list[tuple[str, Cells]] = []
        for view in views:
            rows.append((f"sts:{view.name}", self._header(view)))
            rows += [(r.key, self._row(r, data.timebase)) for r in view.rows]
        if views and views[0].window.scale != self._scale:
            self._scale = views[0].window.scale
            col = self.columns.get(ColumnKey("lane"))
            if col is not None:
                col.label = Text(f"lane · {short(self._scale)}/cell")
                self.refresh()
        self.sync(rows)
        self.border_title = ("StatefulSet ordinals" if views
                             else "StatefulSet ordinals · none yet")

    def _clock_moved(self, now: float) -> bool:
        # Lanes only change when `now` enters a new cell of some set's window.
        return any(win.cell(now) != cell for win, cell in self._marks)

    def _header(self, v: StatefulSetView) -> Cells:
        tone = v.tone
        summary = Text.assemble((f"{v.ready}/{v.replicas} ready", style(tone)))
        facts = ["ordered" if v.policy == "OrderedReady" else "parallel"]
        if v.strategy == "OnDelete":
            facts.append("OnDelete")
        if v.partition:
            facts.append(f"partition {v.partition}")
        if v.rolling:
            facts.append(f"{v.current_revision}→{v.update_revision}")
        cells: list[Text] = [Text(v.name, style="bold cyan"), summary]
        if not self._narrow:
            cells += [Text(""), Text(v.update_revision, style="cyan")]
        cells.append(Text(" · ".join(facts), style="dim", overflow="ellipsis", no_wrap=True))
        return tuple(cells)

    def _row(self, r: OrdinalRow, tb: Timebase) -> Cells:
        removed = r.status.label == "removed"
        st = style(r.status.tone)
        cells: list[Text] = [
            Text.assemble(("  ", ""), (r.pod, "dim strike" if removed else "")),
            Text.assemble((GLYPHS.get(r.status.tone, " ") + " ", st),
                          (_SHORT_STATE.get(r.status.label, r.status.label), st)),
        ]
        if not self._narrow:
            rev = Text(r.revision, style="bold cyan" if r.updated else "dim")
            if r.held:
                rev.append(" ⏸", style="yellow")
            cells += [Text(tb.elapsed(r.ready_at) if r.ready_at is not None else "",
                           style="green"), rev]
        lane = Text(no_wrap=True)
        for tone in r.lane:
            lane.append(LANE_GLYPHS.get(tone, " ") if tone else " ", style(tone) if tone else "")
        cells.append(lane)
        return tuple(cells)
