"""One Job: a progress bar of completions and a line of what the controller is doing."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import ProgressBar, Static

from k8slab.tui.views.jobs import JobRow
from k8slab.tui.views.timebase import Timebase, short
from k8slab.tui.views.tones import GLYPHS, style


class JobCard(Vertical):
    """A Job's name and completions, a bar of them, then active pods, failures against the
    back-off limit, the deadline and the TTL."""

    DEFAULT_CSS = """
    JobCard { height: auto; padding: 0 1; margin-bottom: 1; }
    JobCard > Horizontal { height: 1; }
    JobCard .job-name { width: 1fr; text-wrap: nowrap; text-overflow: ellipsis; }
    JobCard .job-count { width: auto; min-width: 10; text-align: right; }
    JobCard > ProgressBar { width: 100%; height: 1; padding-left: 2; }
    JobCard > ProgressBar > Bar { width: 1fr; }
    JobCard .job-facts { height: 1; color: $text-muted; padding-left: 2; text-wrap: nowrap;
                         text-overflow: ellipsis; }
    JobCard.-ok Bar > .bar--bar, JobCard.-ok Bar > .bar--complete { color: $success; }
    JobCard.-bad Bar > .bar--bar { color: $error; }
    """

    def __init__(self, row: JobRow, *, name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.row = row
        self._shown: tuple[Text, Text, Text] | None = None

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Static(classes="job-name")
            yield Static(classes="job-count")
        yield ProgressBar(total=self.row.total, show_eta=False, show_percentage=False)
        yield Static(classes="job-facts")

    def on_mount(self) -> None:
        self._paint(self.row, None)

    def show(self, row: JobRow, tb: Timebase | None) -> None:
        """Update in place: the bar moves, the texts change only if they differ."""
        self.row = row
        if self.is_mounted:
            self._paint(row, tb)

    def _paint(self, row: JobRow, tb: Timebase | None) -> None:
        st = style(row.tone)
        name = Text.assemble((GLYPHS.get(row.tone, " ") + " ", st), (row.name, "bold"),
                             overflow="ellipsis", no_wrap=True)
        if row.completions is None:
            count = Text.assemble((f"{row.succeeded} done", st))
        else:
            count = Text.assemble((f"{row.succeeded}/{row.completions}", st), " done")
        facts = Text(no_wrap=True, overflow="ellipsis")
        facts.append(row.state + (f" ({row.reason})" if row.reason else ""), st)
        facts.append(f" · active {row.active}/{row.parallelism}")
        facts.append(" · ")
        facts.append(row.retries, "bold red" if row.failed else "")
        if row.deadline is not None:
            if row.deadline_left is not None:
                facts.append(f" · deadline {short(max(0.0, row.deadline_left))} left",
                             "yellow" if row.deadline_left < 10 else "")
            else:
                facts.append(f" · deadline {short(row.deadline)}")
        if row.ttl is not None:
            facts.append(f" · ttl {short(row.ttl)}")
        if row.restart_policy:
            facts.append(f" · {row.restart_policy}", "dim")
        if row.owner:
            facts.append(f" · from {row.owner.split('/')[-1]}", "dim")
        bar = self.query_one(ProgressBar)
        bar.update(total=row.total, progress=row.progress)
        self.set_class(row.tone == "ok", "-ok")
        self.set_class(row.tone == "bad", "-bad")
        shown = (name, count, facts)
        if shown != self._shown:
            self._shown = shown
            self.query_one(".job-name", Static).update(name)
            self.query_one(".job-count", Static).update(count)
            self.query_one(".job-facts", Static).update(facts)
