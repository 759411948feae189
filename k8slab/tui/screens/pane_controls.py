"""Moving around the lab screen's panes: cycle, zoom, switch layout (mixed into LabScreen)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.widget import Widget
from textual.widgets import TabbedContent

from k8slab.tui.widgets.checklist import Checklist
from k8slab.tui.widgets.navigator import LessonNavigator
from k8slab.tui.widgets.step_view import StepView

if TYPE_CHECKING:
    from textual.screen import Screen

    from k8slab.tui.widgets.lab_body import LabBody

    _Base = Screen[None]  # for the type checker: this is mixed into the lab screen
else:
    _Base = object


class PaneControls(_Base):
    """`tab` cycles the panes (the tabs when compact), `z` zooms one, `l` switches layout."""

    _forced_layout: bool | None

    if TYPE_CHECKING:
        @property
        def body(self) -> LabBody: ...

    def action_cycle_pane(self, direction: int) -> None:
        body = self.body
        if body.compact:
            for tabs in self.query(TabbedContent):
                ids = [pane.id for pane in tabs.query("TabPane") if pane.id]
                if ids:
                    i = ids.index(tabs.active) if tabs.active in ids else 0
                    tabs.active = ids[(i + direction) % len(ids)]
            return
        regions: list[Widget] = [self.query_one(LessonNavigator), self.query_one(StepView),
                                 self.query_one(Checklist), *body.panes()]
        current = self.focused
        i = next((n for n, r in enumerate(regions)
                  if current is not None and (current is r or r in current.ancestors)), -1)
        target = regions[(i + direction) % len(regions)]
        focusable = target if target.can_focus else next(
            (w for w in target.query("*") if w.can_focus), target)
        focusable.focus()

    def action_zoom(self) -> None:
        """Fill the screen with the focused pane (or the first one); again to restore."""
        if self.maximized is not None:
            self.minimize()
            return
        target = self.focused
        while target is not None and not target.has_class("pane"):
            target = target.parent if isinstance(target.parent, Widget) else None
        if target is None:
            panes = self.body.panes()
            target = panes[0] if panes else None
        if target is not None:
            if target.can_focus:
                target.focus()
            self.maximize(target, container=False)

    def action_toggle_layout(self) -> None:
        body = self.body
        self._forced_layout = not body.compact
        body.compact = self._forced_layout
