"""CronJobs: the schedule in words, the next runs, active Jobs and the history kept."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from k8slab.tui.live import CLOCK, LiveData
from k8slab.tui.views.cronjobs import CronJobRow, cronjob_rows
from k8slab.tui.views.timebase import Timebase, short
from k8slab.tui.views.tones import GLYPHS, style

_CHIP = {"ok": "✓", "bad": "✗", "wait": "●"}


class CronJobsPane(VerticalScroll):
    """One card per CronJob: `*/1 * * * *` and what it means, when it runs next, which of its
    Jobs are running, and the finished Jobs its history limits keep."""

    KINDS: ClassVar[frozenset[str]] = frozenset({"CronJob", "Job", CLOCK})
    ALLOW_MAXIMIZE = True

    DEFAULT_CSS = """
    CronJobsPane { height: 1fr; }
    CronJobsPane > Static { padding: 0 1; margin-bottom: 1; text-wrap: nowrap;
                            text-overflow: ellipsis; }
    CronJobsPane > .empty { color: $text-muted; }
    """

    def __init__(self, *, name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.border_title = "CronJobs"
        self._cards: dict[str, Static] = {}
        self._shown: dict[str, Text] = {}
        self._second = -1

    def update_live(self, data: LiveData, *, force: bool = False) -> None:
        second = int(data.now)
        clock_only = not data.touches(self.KINDS - {CLOCK})
        if not force and clock_only and (second == self._second or not self._cards):
            return
        self._second = second
        rows = cronjob_rows(data.state, data.timebase, data.now)
        wanted = {r.name for r in rows}
        for name in [n for n in self._cards if n not in wanted]:
            self._cards.pop(name).remove()
            self._shown.pop(name, None)
        for row in rows:
            text = self._card(row, data.timebase, data.now)
            card = self._cards.get(row.name)
            if card is None:
                card = Static(text, classes="cronjob")
                self._cards[row.name] = card
                self.mount(card)
            elif self._shown.get(row.name) != text:
                card.update(text)
            self._shown[row.name] = text
        for empty in self.query(".empty"):
            empty.display = not rows
        if not rows and not self.query(".empty"):
            self.mount(Static("No CronJobs yet.", classes="empty"))
        self.border_title = f"CronJobs · {len(rows)}" if rows else "CronJobs"

    @staticmethod
    def _card(row: CronJobRow, tb: Timebase, now: float) -> Text:
        st = style(row.tone)
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(("⏸" if row.suspended else GLYPHS.get(row.tone, " ")) + " ", st)
        text.append(row.name, "bold")
        text.append(f"  concurrency {row.policy}", "dim")
        text.append(f"\n  {row.schedule}", "bold cyan")
        text.append(f"  {row.words}", "italic")
        text.append("\n  next ")
        if row.suspended:
            text.append("suspended: no new runs", "yellow")
        elif row.next_runs:
            text.append(f"in {short(row.next_runs[0] - now)}", "bold")
            text.append("  (" + "  ".join(tb.clock(t) for t in row.next_runs) + ")", "dim")
        else:
            text.append("—", "dim")
        text.append("\n  active ")
        text.append(", ".join(row.active) if row.active else "none",
                    "yellow" if row.active else "dim")
        text.append("\n  history ")
        if row.history:
            for chip in row.history:
                text.append(_CHIP.get(chip.tone, "·"), style(chip.tone))
        else:
            text.append("—", "dim")
        text.append(f"  keep {row.kept}", "dim")
        if row.last_schedule is not None:
            text.append(f"   last run {tb.elapsed(row.last_schedule)}", "dim")
        return text
