"""The command palette (ctrl+p): go to any step, run any action of the current step, and the
lab's own commands (pause, nodes, layout, screenshot)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider

from k8slab.tui.views.titles import action_title

TIMES = "\N{MULTIPLICATION SIGN}"

if TYPE_CHECKING:
    from k8slab.tui.screens.lab import LabScreen


class LabCommands(Provider):
    """Steps, the current step's actions, and lab commands, fuzzy-matched."""

    def _lab(self) -> LabScreen | None:
        from k8slab.tui.screens.lab import LabScreen

        for screen in reversed(self.app.screen_stack):
            if isinstance(screen, LabScreen):
                return screen
        return None

    def _lab_commands(self) -> Iterator[tuple[str, Callable[[], object], str]]:
        lab = self._lab()
        if lab is None:
            return
        session = lab.session
        for i, action in enumerate(session.step.actions, start=1):
            why = session.blocked(action)
            yield (f"Run: {action_title(action)}", partial(lab.run_lab_action, action),
                   f"action {i} of this step · "
                   + (f"the instructor's in this workshop: {why}" if why else action.spec.help))
        for n, step in enumerate(session.lesson.steps, start=1):
            done = "✓ " if step.id in session.steps_done() else ""
            yield (f"Go to step {n}: {done}{step.title}", partial(lab.go_to, step.id),
                   "open this step")
        yield ("Show a hint", lab.action_hint, "the current step's next hint")
        yield ("Nodes: add, remove, label or taint a node…", lab.action_edit_nodes,
               "the seed's testing scenarios")
        if session.clock is not None:
            paused = session.clock.paused
            yield ("Resume the clock" if paused else "Pause the clock", lab.action_toggle_pause,
                   "sim clock")
            yield ("Clock faster", lab.action_faster, f"sim clock speed, up to 60{TIMES}")
            yield ("Clock slower", lab.action_slower, f"sim clock speed, down to 0.25{TIMES}")
            yield ("Step the clock", lab.action_step_clock, "run the next thing the sim does")
            yield ("Jump to the next CronJob run", lab.action_jump_cron, "sim clock")
        yield ("Toggle layout (tabs / side by side)", lab.action_toggle_layout, "layout")
        yield ("Zoom the focused pane", lab.action_zoom, "layout")
        yield ("Save an SVG screenshot", self.app.action_screenshot, "to the current folder")

    async def discover(self) -> Hits:
        for text, command, help_text in self._lab_commands():
            yield DiscoveryHit(text, command, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for text, command, help_text in self._lab_commands():
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, matcher.highlight(text), command, text=text, help=help_text)
