"""Kubernetes Events as they arrive, newest at the bottom."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.widgets import RichLog

from k8slab.cluster import objects as o
from k8slab.tui.live import ALL, LiveData
from k8slab.tui.views.events import EventLine, event_line
from k8slab.tui.views.timebase import Timebase


class EventsLog(RichLog):
    """`kubectl get events -w` for the lab namespace: Warnings in red, repeats counted.

    Appends only what is new (an Event seen again with a higher count prints again with xN),
    so a busy cluster costs one line per change, never a redraw of the whole log.
    """

    KINDS: ClassVar[frozenset[str]] = frozenset({"Event"})

    DEFAULT_CSS = """
    EventsLog { height: 1fr; background: $surface; }
    """

    def __init__(self, *, name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes, max_lines=500, wrap=False,
                         markup=False, auto_scroll=True)
        self.border_title = "Events"
        self._counts: dict[str, int] = {}
        self.lines_written = 0

    def update_live(self, data: LiveData, *, force: bool = False) -> None:
        if not (force or data.touches(self.KINDS)):
            return
        fresh = []
        if force or ALL in data.changed:
            source = data.state.list("Event", "*")
        else:
            source = [w.object for w in data.batch if w.type != "DELETED"]
        for ev in source:
            if ev.get("kind") != "Event":
                continue
            key = o.uid(ev) or o.name(ev)
            count = int(ev.get("count") or (ev.get("series") or {}).get("count") or 1)
            if self._counts.get(key) == count:
                continue
            self._counts[key] = count
            fresh.append(event_line(ev, data.timebase, data.now))
        fresh.sort(key=lambda e: (e.time or 0.0))
        # The log keeps its last max_lines lines: a flood (a 1,000-pod rollout makes
        # thousands of Events in one frame) would render lines only to evict them at once.
        shown = fresh[-self.max_lines:] if self.max_lines else fresh
        for line in shown:
            self.write(self._format(line, data.timebase))
        self.lines_written += len(fresh)
        if fresh:
            warnings = sum(1 for e in fresh if e.type == "Warning")
            self.border_title = "Events" + (f" · {warnings} new warning(s)" if warnings else "")

    @staticmethod
    def _format(e: EventLine, tb: Timebase) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(f"{tb.elapsed(e.time):>7} ", "dim")
        text.append(e.object, "bold")
        if e.count > 1:
            text.append(f" \N{MULTIPLICATION SIGN}{e.count}", "yellow")
        text.append(f" {e.reason}", "bold red" if e.type == "Warning" else "cyan")
        text.append(f" {e.message}", "" if e.type == "Warning" else "dim")
        return text
