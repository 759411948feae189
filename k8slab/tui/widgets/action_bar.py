"""The step's actions as buttons, numbered so keys 1-9 press them."""

from __future__ import annotations

from collections.abc import Mapping

from textual.containers import HorizontalScroll
from textual.message import Message
from textual.widgets import Button
from textual.widgets.button import ButtonVariant

from k8slab.actions import Action
from k8slab.tui.views.titles import action_title


class ActionBar(HorizontalScroll):
    """One compact button per action of the step: `1 apply web.yaml`, `2 scale web → 5`."""

    DEFAULT_CSS = """
    ActionBar { height: auto; min-height: 1; max-height: 2; padding: 0 1;
                scrollbar-size-horizontal: 1; background: $boost; }
    ActionBar > Button { margin-right: 1; }
    ActionBar > .no-actions { color: $text-muted; }
    """

    class Chosen(Message):
        """The learner pressed an action's button (or its number key)."""

        def __init__(self, action: Action) -> None:
            super().__init__()
            self.action = action

    def __init__(self, *, name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.actions: tuple[Action, ...] = ()
        self.blocked: dict[int, str] = {}
        self._busy = False

    async def show(self, actions: tuple[Action, ...], *, admin: frozenset[str] = frozenset(),
                   blocked: Mapping[int, str] | None = None) -> None:
        """Replace the buttons with this step's actions.

        `blocked`: action number → why it cannot run here (a workshop learner's node
        changes, an instructor's demo); those buttons are disabled, the reason their tooltip.
        """
        self.actions = actions
        self.blocked = dict(blocked or {})
        await self.remove_children()
        buttons = []
        for i, action in enumerate(actions, start=1):
            variant: ButtonVariant = "primary" if action.kind == "apply" else (
                "warning" if action.kind in admin else "default")
            key = f"{i} " if i <= 9 else ""
            why = self.blocked.get(i)
            tooltip = f"Not in this workshop: {why}." if why else action.spec.help
            buttons.append(Button(f"{key}{action_title(action)}", variant=variant, compact=True,
                                  id=f"action-{i}", tooltip=tooltip, disabled=bool(why)))
        if buttons:
            await self.mount_all(buttons)
        else:
            await self.mount(Button("nothing to run in this step: read, then press n",
                                    disabled=True, compact=True, classes="no-actions"))

    def press(self, number: int) -> bool:
        """Press action `number` (1-based); False if there is no such action."""
        if not 1 <= number <= len(self.actions) or self._busy:
            return False
        self.post_message(self.Chosen(self.actions[number - 1]))
        return True

    def set_busy(self, busy: bool) -> None:
        """Disable the buttons while an action runs on a real cluster (blocked ones stay
        disabled after)."""
        self._busy = busy
        for button in self.query(Button):
            if not button.has_class("no-actions"):
                number = int((button.id or "action-0").removeprefix("action-"))
                button.disabled = busy or number in self.blocked

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        bid = event.button.id or ""
        if bid.startswith("action-"):
            self.press(int(bid.removeprefix("action-")))
