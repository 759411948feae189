"""A workshop learner's lab screen: the badge and the refused actions of each step, and what
the learner is told about the workshop (mixed into LabScreen; inert outside a workshop).

`k8slab.workshop.learner` decides what a learner may run; the session refuses it whatever
the route (a button, keys 1-9, `a`, the palette, the node form); this says so on screen.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text

from k8slab.actions import Action
from k8slab.lessons.model import Step
from k8slab.tui.views.titles import action_title
from k8slab.tui.views.workshop import step_badge

if TYPE_CHECKING:
    from textual.screen import Screen

    from k8slab.tui.session import LabSession

    _Base = Screen[None]  # for the type checker: this is mixed into the lab screen
else:
    _Base = object


class WorkshopControls(_Base):
    """Badges, disabled actions and notices for a workshop learner."""

    session: LabSession
    _remote_problem: object  # the save problem last shown, so each is shown once

    def workshop_welcome(self) -> None:
        """Tell a workshop learner, once at start, what the marks mean."""
        workshop = self.session.workshop
        if workshop is not None:
            self.notify("Your instructor sees your checklist. Steps marked ◌ are their "
                        "demos: watch the projector. ↪ steps run in your own namespace.",
                        title=f"Workshop {workshop.workshop}", timeout=10)

    def step_workshop(self, step: Step) -> tuple[Text | None, dict[int, str]]:
        """The step's badge, and its action numbers the learner may not run, with why."""
        workshop = self.session.workshop
        if workshop is None:
            return None, {}
        blocked = {i: why for i, action in enumerate(step.actions, start=1)
                   if (why := self.session.blocked(action))}
        return step_badge(workshop.view(step.id)), blocked

    def refuse(self, action: Action) -> bool:
        """Say why the learner may not run `action` here; False if they may."""
        why = self.session.blocked(action)
        if why:
            self.notify(f"{why}.", title=f"{action_title(action)}: the instructor's",
                        severity="warning", timeout=6)
        return bool(why)

    def refuse_node_form(self) -> bool:
        """The node form is the instructor's in a workshop; False outside one."""
        from k8slab.workshop.learner import NODES_ARE_SHARED

        if self.session.workshop is None:
            return False
        self.notify(f"{NODES_ARE_SHARED[:1].upper()}{NODES_ARE_SHARED[1:]}.", title="Nodes",
                    severity="warning")
        return True

    def show_remote_problem(self) -> None:
        """Say once that progress cannot reach the instructor (again after it recovered)."""
        problem = self.session.remote_problem
        if problem is not None and self._remote_problem is None:
            self.notify(f"Your instructor cannot see your progress: {problem.message} The lab "
                        "goes on and tries again.", title="Workshop", severity="warning",
                        timeout=10)
        self._remote_problem = problem
