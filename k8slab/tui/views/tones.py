"""The meaning of colour in the lab, as names the widgets map to styles."""

from __future__ import annotations

from typing import Literal

Tone = Literal["ok", "wait", "bad", "gone", "idle", "info"]

#: Rich styles for each tone; widgets and the help legend use the same table.
STYLES: dict[str, str] = {
    "ok": "bold green",
    "wait": "yellow",
    "bad": "bold red",
    "gone": "magenta",
    "idle": "dim",
    "info": "cyan",
}

#: One glyph per tone, so meaning survives a monochrome projector.
GLYPHS: dict[str, str] = {
    "ok": "●",
    "wait": "◐",
    "bad": "✗",
    "gone": "◌",
    "idle": "·",
    "info": "◆",
}


def style(tone: str) -> str:
    """The Rich style for a tone (unknown tones render plain)."""
    return STYLES.get(tone, "")
