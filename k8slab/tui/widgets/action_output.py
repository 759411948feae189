"""What the last action printed, kubectl-style, under the buttons: `exec` output stays on
screen (a toast would vanish before the class has read it)."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


class ActionOutput(Static):
    """`$ exec web-0: cat /data/file.txt` and its output, or the failure and its hint."""

    DEFAULT_CSS = """
    ActionOutput { height: auto; max-height: 6; padding: 0 1; background: $boost;
                   display: none; overflow-y: auto; }
    ActionOutput.-shown { display: block; }
    ActionOutput.-failed { border-left: thick $error; }
    """

    def __init__(self, *, name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.shown: tuple[str, bool, str, str] | None = None

    def on_mount(self) -> None:
        if self.shown is not None:
            self.show(*self.shown)

    def clear(self) -> None:
        """Hide the output (a new step starts with a clean slate)."""
        self.shown = None
        self.update("")
        self.set_class(False, "-shown")

    def show(self, title: str, ok: bool, message: str, hint: str = "") -> None:
        """Show an action's outcome (kept across layout changes by the screen)."""
        self.shown = (title, ok, message, hint)
        text = Text()
        text.append("$ ", "dim")
        text.append(title, "bold")
        text.append("  ✓" if ok else "  ✗ failed", "green" if ok else "bold red")
        for line in message.splitlines()[-8:]:
            text.append("\n" + line, "" if ok else "red")
        if hint:
            text.append("\nhint: ", "bold yellow")
            text.append(hint, "yellow")
        self.update(text)
        self.set_class(True, "-shown")
        self.set_class(not ok, "-failed")
