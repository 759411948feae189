"""The current step: where it sits in the lesson, its text, a hint when asked, its YAML."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Markdown, Static

from k8slab.lessons.model import Lesson, Step
from k8slab.tui.widgets.manifest_view import ManifestView

CHEVRON = "\N{SINGLE RIGHT-POINTING ANGLE QUOTATION MARK}"


class StepView(VerticalScroll):
    """Heading, markdown text rendered for the lab namespace, hints, then each manifest."""

    DEFAULT_CSS = """
    StepView { height: 1fr; padding: 0 1; }
    StepView > #step-heading { height: auto; margin-bottom: 1; }
    StepView > #step-badge { height: auto; margin-bottom: 1; display: none; }
    StepView > #step-badge.-shown { display: block; }
    StepView > Markdown { margin: 0; padding: 0; }
    StepView > #step-hint { display: none; height: auto; border: round $warning;
                            padding: 0 1; color: $text; margin-top: 1; }
    StepView > #step-hint.-shown { display: block; }
    """

    def __init__(self, lesson: Lesson, render: object = None, *, name: str | None = None,
                 id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.lesson = lesson
        self._render_text = render if callable(render) else (lambda text: text)
        self.step: Step | None = None
        self.hints_shown = 0
        self.can_focus = True

    def compose(self) -> ComposeResult:
        yield Static(id="step-heading")
        yield Static(id="step-badge")
        yield Markdown(id="step-text", open_links=False)
        yield Static(id="step-hint")

    async def show(self, step: Step, badge: Text | None = None) -> None:
        """Switch to `step`: new heading, text and manifests; hints hidden again.

        `badge` says how a workshop learner does this step (`k8slab.tui.views.workshop`);
        it replaces the cluster-admin warning, which tells a learner on their own cluster.
        """
        self.step = step
        self.hints_shown = 0
        steps = self.lesson.steps
        number = steps.index(step) + 1
        part = next(p for p in self.lesson.parts if step in p.steps)
        heading = Text.assemble((f"{part.title}\n", "dim"),
                                (f"Step {number}/{len(steps)} {CHEVRON} ", "bold cyan"),
                                (step.title, "bold"))
        if step.cluster_admin and badge is None:
            heading.append("  ⚠ needs cluster-admin (node labels or kube-system)",
                           "bold black on yellow")
        self.query_one("#step-heading", Static).update(heading)
        shown = self.query_one("#step-badge", Static)
        shown.update(badge or "")
        shown.set_class(badge is not None, "-shown")
        hint = self.query_one("#step-hint", Static)
        hint.remove_class("-shown")
        hint.update("")
        await self.query(ManifestView).remove()
        await self.query_one("#step-text", Markdown).update(self._render_text(step.text))
        views = [ManifestView(self.lesson.manifests[m]) for m in step.manifests
                 if m in self.lesson.manifests]
        if views:
            await self.mount_all(views)
        self.scroll_home(animate=False)

    def reveal_hint(self) -> bool:
        """Show the next hint of the step; False when there is none left to show."""
        if self.step is None or not self.step.hints:
            return False
        more = self.hints_shown < len(self.step.hints)
        self.hints_shown = min(self.hints_shown + 1, len(self.step.hints))
        text = Text()
        for i, h in enumerate(self.step.hints[:self.hints_shown], start=1):
            label = f"Hint {i}/{len(self.step.hints)}: " if len(self.step.hints) > 1 else "Hint: "
            if i > 1:
                text.append("\n")
            text.append(label, "bold yellow")
            text.append(self._render_text(h))
        hint = self.query_one("#step-hint", Static)
        hint.update(text)
        hint.add_class("-shown")
        self.scroll_to_widget(hint, animate=False)
        return more
