"""The lesson outline: parts and their steps, with a ✓ on each step done."""

from __future__ import annotations

from collections.abc import Mapping

from rich.text import Text
from textual.message import Message
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from k8slab.lessons.model import Lesson, Step


class LessonNavigator(Tree[str]):
    """Parts as branches, steps as leaves. Enter or a click opens a step."""

    DEFAULT_CSS = """
    LessonNavigator { width: 100%; height: 1fr; background: $surface; padding: 0 1; }
    """

    class StepChosen(Message):
        """The learner picked a step in the outline."""

        def __init__(self, step_id: str) -> None:
            super().__init__()
            self.step_id = step_id

    def __init__(self, lesson: Lesson, *, marks: Mapping[str, tuple[str, str]] | None = None,
                 name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        """`marks`: step id → (glyph, style) after the title, instead of the cluster-admin
        ⚠ (a workshop learner's ◌ demos and ↪ rewritten steps)."""
        super().__init__(lesson.title, name=name, id=id, classes=classes)
        self.lesson = lesson
        self.marks = dict(marks) if marks is not None else None
        self.show_root = False
        self.guide_depth = 2
        self._step_nodes: dict[str, TreeNode[str]] = {}
        self._done: set[str] = set()
        self._current: str | None = None
        self.border_title = "Lesson"

    def on_mount(self) -> None:
        number = 0
        for part in self.lesson.parts:
            branch = self.root.add(Text(part.title, style="bold"), data="", expand=True)
            for step in part.steps:
                number += 1
                node = branch.add_leaf(self._step_label(step, number), data=step.id)
                self._step_nodes[step.id] = node

    def _step_label(self, step: Step, number: int) -> Text:
        done = step.id in self._done
        current = step.id == self._current
        mark = ("✓ ", "bold green") if done else ("▸ ", "bold yellow") if current else ("  ", "")
        text = Text.assemble(mark, (f"{number}. ", "dim"),
                             (step.title, "bold" if current else ("green" if done else "")))
        if self.marks is not None:
            glyph, style = self.marks.get(step.id, ("", ""))
            if glyph:
                text.append(f" {glyph}", style)
        elif step.cluster_admin:
            text.append(" ⚠", "yellow")
        return text

    def show_progress(self, current: str | None, done: set[str]) -> None:
        """Mark the current step and the steps done; relabel only the nodes that change."""
        changed = (done ^ self._done) | {current, self._current}
        self._done, self._current = set(done), current
        for number, step in enumerate(self.lesson.steps, start=1):
            if step.id in changed and step.id in self._step_nodes:
                self._step_nodes[step.id].set_label(self._step_label(step, number))
        if current in self._step_nodes:
            node = self._step_nodes[current]
            if self.cursor_node is not node:
                self.move_cursor(node, animate=False)

    def on_tree_node_selected(self, event: Tree.NodeSelected[str]) -> None:
        event.stop()
        if event.node.data:
            self.post_message(self.StepChosen(event.node.data))
