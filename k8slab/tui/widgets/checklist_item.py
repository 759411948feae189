"""One checklist line: a mark that turns green, what the grader saw, and a hint when it failed."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from k8slab.lessons.model import ChecklistItem
from k8slab.tui.verdicts import Verdict
from k8slab.tui.widgets.quiz import QuizQuestion

_MARK = {"passed": ("✓", "bold green"), "earlier": ("✓", "green"),
         "failed": ("✗", "bold red"), "pending": ("○", "yellow"), "todo": ("○", "dim")}


class ChecklistItemView(Vertical):
    """The item's title with its mark; the grader's detail below; the hint on a failed item
    (always at `-hints`, else when the item has focus); quiz questions inline."""

    DEFAULT_CSS = """
    ChecklistItemView { height: auto; padding: 0 1; }
    ChecklistItemView:focus-within, ChecklistItemView:focus { background: $boost; }
    ChecklistItemView > .item-title { height: auto; }
    ChecklistItemView > .item-detail { height: auto; color: $text-muted; padding-left: 2; }
    ChecklistItemView > .item-hint { height: auto; color: $warning; padding-left: 2;
                                     display: none; }
    ChecklistItemView.-failed:focus > .item-hint,
    ChecklistItemView.-failed:focus-within > .item-hint,
    ChecklistItemView.-failed.-hints > .item-hint { display: block; }
    ChecklistItemView.-passed > .item-title { color: $success; }
    """

    def __init__(self, item: ChecklistItem, number: int, answers: dict[str, int], *,
                 name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.item = item
        self.number = number
        self.answers = answers
        self.verdict = Verdict(item.id, "pending")
        self.can_focus = True

    def compose(self) -> ComposeResult:
        yield Static(self._title_text(), classes="item-title")
        yield Static(classes="item-detail")
        yield Static(classes="item-hint")
        for q in self.item.quiz:
            yield QuizQuestion(q, self.answers.get(q.id))

    def _title_text(self) -> Text:
        glyph, st = _MARK[self.verdict.state]
        text = Text.assemble((glyph + " ", st), (f"{self.number:>2}. ", "dim"),
                             (self.item.title, "bold" if self.verdict.done else ""))
        if self.item.quiz and not self.item.checks:
            text.append("  quiz", "italic cyan")
        if self.verdict.state == "earlier":
            text.append("  (earlier)", "dim")
        return text

    def show(self, verdict: Verdict) -> bool:
        """Show a new verdict; True if the mark changed.

        A failing item of a step the learner has not reached yet shows as `todo` (a dim
        circle, no detail): red means "tried and not there", not "not started".
        """
        if verdict == self.verdict:
            return False
        changed = verdict.state != self.verdict.state
        self.verdict = verdict
        self.set_class(verdict.done, "-passed")
        self.set_class(verdict.state == "failed", "-failed")
        self.query_one(".item-title", Static).update(self._title_text())
        self.query_one(".item-detail", Static).update(
            "" if verdict.state == "todo" else verdict.detail)
        hint = verdict.hint or self.item.hint
        self.query_one(".item-hint", Static).update(Text.assemble(("hint: ", "bold"), hint)
                                                    if hint else "")
        for quiz in self.query(QuizQuestion):
            quiz.display = not verdict.done or quiz.answer is not None
        return changed
