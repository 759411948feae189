"""The lesson's checklist, graded live: items turn green as the cluster shows them done."""

from __future__ import annotations

from collections.abc import Iterable

from textual.containers import VerticalScroll

from k8slab.lessons.model import Lesson
from k8slab.tui.verdicts import Verdict
from k8slab.tui.widgets.checklist_item import ChecklistItemView


class Checklist(VerticalScroll):
    """Every checklist item of the lesson, in order, with a running count in the title."""

    DEFAULT_CSS = """
    Checklist { height: 1fr; }
    Checklist.-hints ChecklistItemView.-failed > .item-hint { display: block; }
    """

    def __init__(self, lesson: Lesson, answers: dict[str, int], *,
                 demo_items: frozenset[str] = frozenset(), name: str | None = None,
                 id: str | None = None, classes: str | None = None) -> None:
        """`demo_items`: items only the instructor can show in this workshop."""
        super().__init__(name=name, id=id, classes=classes)
        self.lesson = lesson
        self.answers = answers
        self.demo_items = demo_items
        self.border_title = "Checklist"
        self._items: dict[str, ChecklistItemView] = {}

    def compose(self) -> Iterable[ChecklistItemView]:
        for n, item in enumerate(self.lesson.checklist, start=1):
            view = ChecklistItemView(item, n, self.answers, demo=item.id in self.demo_items,
                                     id=f"item-{item.id}")
            self._items[item.id] = view
            yield view

    def show(self, verdicts: Iterable[Verdict]) -> list[str]:
        """Show verdicts; return the ids of items that just turned done."""
        turned: list[str] = []
        for v in verdicts:
            view = self._items.get(v.item)
            if view is None:
                continue
            was_done = view.verdict.done
            if view.show(v) and v.done and not was_done:
                turned.append(v.item)
        done = sum(1 for view in self._items.values() if view.verdict.done)
        self.border_title = f"Checklist · {done}/{len(self._items)}"
        return turned

    def focus_step(self, step_id: str) -> None:
        """Unfold the quizzes of the items this step teaches; fold the others."""
        for view in self._items.values():
            view.set_current(view.item.step == step_id)

    def item_view(self, item_id: str) -> ChecklistItemView:
        return self._items[item_id]

    def show_hints(self, on: bool = True) -> None:
        """Show the hint of every failed item, not only the focused one."""
        self.set_class(on, "-hints")
