"""The bottom line: backend and namespace, the cluster clock, the connection, and a progress
bar while the lab waits for the cluster."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.widgets import ProgressBar, Static


@dataclass(frozen=True, slots=True)
class ClockReading:
    """What the clock segment shows."""

    time: str  # "+2:13" lab time
    speed: float | None  # None on a real cluster
    paused: bool


@dataclass(frozen=True, slots=True)
class Waiting:
    """Something the lab is waiting on: `web` with 2 of 3 replicas Ready."""

    what: str
    done: int
    total: int
    detail: str = ""  # instead of "done/total ready", e.g. "1:05 left"


class LabStatusBar(Horizontal):
    """`sim · k8slab-day10 │ ⏱ +2:13 x4 ▶ │ ● watching │ waiting: web 2/3 ▓▓▓░`"""

    DEFAULT_CSS = """
    LabStatusBar { height: 1; background: $panel; color: $text; }
    LabStatusBar > Static { width: auto; padding: 0 1; }
    LabStatusBar > #status-conn.-bad { background: $error; color: $text; text-style: bold; }
    LabStatusBar > #status-wait { color: $warning; }
    LabStatusBar > ProgressBar { width: 24; display: none; }
    LabStatusBar > ProgressBar Bar { width: 16; }
    LabStatusBar.-waiting > ProgressBar { display: block; }
    """

    connection: reactive[str] = reactive("", init=False)
    """The backend's stream status: "" when healthy, else e.g. "reconnecting…"."""

    def __init__(self, where: str, *, name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.where = where
        self._clock_shown: ClockReading | None = None
        self._clock_width = -1
        self._waiting: Waiting | None = None
        # Updated every frame: keep references rather than query the DOM each time.
        self._clock_label = Static(id="status-clock")
        self._conn_label = Static(Text("● watching", style="green"), id="status-conn")
        self._wait_label = Static(id="status-wait")
        self._bar = ProgressBar(total=1, show_eta=False, show_percentage=False,
                                id="status-progress")

    def compose(self) -> ComposeResult:
        yield Static(Text(self.where, style="bold"), id="status-where")
        yield self._clock_label
        yield self._conn_label
        yield self._wait_label
        yield self._bar

    def show_clock(self, reading: ClockReading) -> None:
        if reading == self._clock_shown:
            return
        self._clock_shown = reading
        text = Text.assemble(("⏱ ", "cyan"), (reading.time, "bold"))
        if reading.speed is not None:
            speed = f"{reading.speed:g}\N{MULTIPLICATION SIGN}"
            text.append(f" {speed}", "cyan")
            text.append("  ⏸ paused" if reading.paused else "  ▶", "bold yellow" if
                        reading.paused else "green")
        # The clock changes every second, at 60x every frame; its width rarely does. A
        # layout pass re-arranges the whole screen, so ask for one only when the width moves.
        width = text.cell_len
        self._clock_label.update(text, layout=width != self._clock_width)
        self._clock_width = width

    def watch_connection(self, status: str) -> None:
        conn = self._conn_label
        conn.set_class(bool(status), "-bad")
        conn.update(Text(f"⚠ {status}") if status else Text("● watching", style="green"))

    def show_waiting(self, waiting: Waiting | None) -> None:
        """Show (or with None, hide) the waiting indicator."""
        if waiting == self._waiting:
            return
        self._waiting = waiting
        self.set_class(waiting is not None, "-waiting")
        label = self._wait_label
        if waiting is None:
            label.update("")
            return
        count = (f" {waiting.detail}" if waiting.detail else
                 f" {waiting.done}/{waiting.total} ready" if waiting.total
                 else " (the controller has not acted yet)")
        label.update(Text.assemble("waiting: ", (waiting.what, "bold"), count))
        self._bar.update(total=max(1, waiting.total), progress=waiting.done)
