"""`?`: every key the lab answers to, generated from the live bindings (so a remapped key
shows its new key), plus the mouse and what the colours mean."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from k8slab.tui.views.tones import GLYPHS, STYLES


@dataclass(frozen=True, slots=True)
class KeyHelp:
    """One line of help: the key as shown, what it does, and where it comes from."""

    key: str
    description: str
    group: str


LEGEND = (("ok", "done, Ready, Bound, complete"), ("wait", "waiting, pending, starting"),
          ("bad", "failed, unschedulable, warning"), ("gone", "terminating, being removed"),
          ("idle", "excluded, suspended, removed"))


class HelpScreen(ModalScreen[None]):
    """A list of keys grouped by where they work, the mouse, and the colour legend."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,q", "close", "Close help", id="k8slab.help.close"),
    ]

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 84; max-width: 100%; height: 90%;
                                  border: thick $primary; background: $surface;
                                  padding: 0 1; }
    """

    def __init__(self, keys: list[KeyHelp], *, name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.keys = keys

    def compose(self) -> ComposeResult:
        with VerticalScroll() as scroll:
            scroll.border_title = "k8slab keys  (esc closes)"
            yield Static(self._table())
            yield Static(self._extras())

    def _table(self) -> Group:
        width = max((len(k.key) for k in self.keys), default=8)
        parts: list[Text | Table] = []
        for group in dict.fromkeys(k.group for k in self.keys):
            parts.append(Text(("\n" if parts else "") + group, style="bold underline"))
            table = Table(box=None, show_header=False, expand=True, padding=(0, 1))
            table.add_column("key", style="bold cyan", no_wrap=True, width=width)
            table.add_column("what", ratio=1)
            for k in self.keys:
                if k.group == group:
                    table.add_row(k.key, k.description)
            parts.append(table)
        return Group(*parts)

    def _extras(self) -> Text:
        text = Text("\n")
        text.append("Mouse\n", "bold underline")
        text.append("  click a step in the outline to open it; click a button to run its "
                    "action;\n  click a tab, a table row or a quiz answer; scroll any pane.\n\n")
        text.append("Command palette\n", "bold underline")
        text.append("  ctrl+p, then type: a step's title, an action, \"pause\", \"node\"...\n\n")
        text.append("Colours\n", "bold underline")
        for tone, meaning in LEGEND:
            text.append(f"  {GLYPHS[tone]} ", STYLES[tone])
            text.append(f"{meaning}\n")
        return text

    def action_close(self) -> None:
        self.dismiss(None)
