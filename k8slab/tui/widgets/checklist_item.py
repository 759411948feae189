"""One checklist line: a mark that turns green, what the grader saw, and a hint when it failed."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Collapsible, Static

from k8slab.lessons.model import ChecklistItem
from k8slab.tui.verdicts import Verdict
from k8slab.tui.views.workshop import item_tag
from k8slab.tui.widgets.quiz import QuizQuestion

_MARK = {"passed": ("✓", "bold green"), "earlier": ("✓", "green"),
         "failed": ("✗", "bold red"), "pending": ("○", "yellow"), "todo": ("○", "dim")}


class ChecklistItemView(Vertical):
    """The item's title with its mark; the grader's detail below; the hint on a failed item
    of the current step (on every failed item after `h`); quiz questions inline.

    Nothing here changes size on focus: a click must land where it was aimed."""

    DEFAULT_CSS = """
    ChecklistItemView { height: auto; padding: 0 1; }
    ChecklistItemView:focus-within, ChecklistItemView:focus { background: $boost; }
    ChecklistItemView > .item-title { height: auto; }
    ChecklistItemView > .item-detail { height: auto; color: $text-muted; padding-left: 2; }
    ChecklistItemView > .item-hint { height: auto; color: $warning; padding-left: 2;
                                     display: none; }
    ChecklistItemView.-failed.-current > .item-hint { display: block; }
    ChecklistItemView.-passed > .item-title { color: $success; }
    ChecklistItemView > Collapsible { border: none; padding: 0; margin: 0 0 0 2;
                                      background: transparent; }
    ChecklistItemView > Collapsible > Contents { padding: 0; }
    """

    def __init__(self, item: ChecklistItem, number: int, answers: dict[str, int], *,
                 demo: bool = False, name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        """`demo`: in a workshop, only the instructor can show this item."""
        super().__init__(name=name, id=id, classes=classes)
        self.item = item
        self.demo = demo
        self.number = number
        self.answers = answers
        self.verdict = Verdict(item.id, "pending")
        self.can_focus = True
        self._quiz: Collapsible | None = None
        self._questions_mounted = False

    def compose(self) -> ComposeResult:
        yield Static(self._title_text(), classes="item-title")
        yield Static(classes="item-detail")
        yield Static(classes="item-hint")
        if self.item.quiz:
            n = len(self.item.quiz)
            self._quiz = Collapsible(title=f"answer {n} question{'s' if n > 1 else ''}",
                                     collapsed=True, classes="item-quiz")
            yield self._quiz

    def set_current(self, current: bool) -> None:
        """Mark the item as taught by the current step: its quiz unfolds, its hint shows."""
        self.set_class(current, "-current")
        if self._quiz is not None and self._quiz.collapsed == current:
            self._quiz.collapsed = not current

    async def on_collapsible_expanded(self, event: Collapsible.Expanded) -> None:
        # The questions are built when first unfolded: a lesson's checklist holds dozens of
        # radio buttons that most of the time nobody looks at.
        event.stop()
        await self._mount_questions()

    async def _mount_questions(self) -> None:
        if self._quiz is None or self._questions_mounted:
            return
        self._questions_mounted = True
        contents = self._quiz.query_one(Collapsible.Contents)
        await contents.mount_all([QuizQuestion(q, self.answers.get(q.id))
                                  for q in self.item.quiz])

    def _title_text(self) -> Text:
        glyph, st = _MARK[self.verdict.state]
        text = Text.assemble((glyph + " ", st), (f"{self.number:>2}. ", "dim"),
                             (self.item.title, "bold" if self.verdict.done else ""))
        if self.item.quiz and not self.item.checks:
            text.append("  quiz", "italic cyan")
        if self.verdict.state == "earlier":
            text.append("  (earlier)", "dim")
        tag = item_tag(self.demo and not self.verdict.done)
        if tag is not None:
            text.append(*tag)
        return text

    def show(self, verdict: Verdict) -> bool:
        """Show a new verdict; True if the mark changed.

        A failing item of a step the learner has not worked on shows as `todo` (a dim
        circle, no detail): red means "tried and not there", not "not started".
        """
        if verdict == self.verdict:
            return False
        changed = verdict.state != self.verdict.state
        self.verdict = verdict
        self.set_class(verdict.done, "-passed")
        self.set_class(verdict.state == "failed", "-failed")
        self.query_one(".item-title", Static).update(self._title_text())
        detail = "" if verdict.state == "todo" else verdict.detail
        shown = self.query_one(".item-detail", Static)
        shown.update(detail)
        shown.display = bool(detail)
        hint = verdict.hint or self.item.hint
        self.query_one(".item-hint", Static).update(Text.assemble(("hint: ", "bold"), hint)
                                                    if hint else "")
        return changed
