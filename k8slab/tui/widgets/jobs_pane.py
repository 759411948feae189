"""Every Job in the lab namespace, one card each, updated in place."""

from __future__ import annotations

from typing import ClassVar

from textual.containers import VerticalScroll
from textual.widgets import Static

from k8slab.tui.live import CLOCK, LiveData
from k8slab.tui.views.jobs import job_rows
from k8slab.tui.widgets.job_card import JobCard


class JobsPane(VerticalScroll):
    """Job progress: completions, parallelism, retries against backoffLimit and deadlines."""

    KINDS: ClassVar[frozenset[str]] = frozenset({"Job", CLOCK})
    ALLOW_MAXIMIZE = True

    DEFAULT_CSS = """
    JobsPane { height: 1fr; }
    JobsPane > .empty { color: $text-muted; padding: 0 1; }
    """

    def __init__(self, *, name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.border_title = "Jobs"
        self._cards: dict[str, JobCard] = {}
        self._deadlines = False  # any running Job has a deadline: the clock matters

    def update_live(self, data: LiveData, *, force: bool = False) -> None:
        kinds = self.KINDS if self._deadlines else self.KINDS - {CLOCK}
        if not (force or data.touches(kinds)):
            return
        rows = job_rows(data.state, data.timebase, data.now)
        self._deadlines = any(r.deadline_left is not None for r in rows)
        wanted = {r.name for r in rows}
        for name in [n for n in self._cards if n not in wanted]:
            self._cards.pop(name).remove()
        order = [r.name for r in rows]
        for row in rows:
            card = self._cards.get(row.name)
            if card is None:
                card = JobCard(row)
                self._cards[row.name] = card
                before = self._next_card(order, row.name)
                if before is not None:
                    self.mount(card, before=before)
                else:
                    self.mount(card)
            else:
                card.show(row, data.timebase)
        for empty in self.query(".empty"):
            empty.display = not rows
        if not rows and not self.query(".empty"):
            self.mount(Static("No Jobs yet. Apply a Job manifest, or wait for a CronJob run.",
                              classes="empty"))
        done = sum(1 for r in rows if r.state == "Complete")
        failed = sum(1 for r in rows if r.state == "Failed")
        self.border_title = f"Jobs · {len(rows)}" + (f" · {done} complete" if done else "") + (
            f" · {failed} failed" if failed else "")

    def _next_card(self, order: list[str], name: str) -> JobCard | None:
        for later in order[order.index(name) + 1:]:
            card = self._cards.get(later)
            if card is not None and card.is_attached:
                return card
        return None
