"""How a workshop learner sees a step the lesson adapts for them: a badge over the step's text,
a mark in the outline, and a tag on the checklist items only the instructor can show.

`k8slab.workshop.adapt` decides each step's mode; this only words and colours it. The glyphs
carry the meaning on a monochrome projector: ◌ is the instructor's demo (as on their
dashboard), ↪ is a manifest moved into the learner's own namespace.
"""

from __future__ import annotations

from rich.text import Text

from k8slab.workshop.adapt import StepView

DEMO = "◌ demo · instructor"
REWRITTEN = "↪ in your namespace"
_BADGE_STYLE = {"demo": "bold black on magenta", "rewritten": "bold black on cyan"}
_MARKS = {"demo": ("◌", "magenta"), "rewritten": ("↪", "cyan")}


def step_badge(view: StepView | None) -> Text | None:
    """`◌ demo · instructor  <why>` or `↪ in your namespace  <why>`; None for a step the
    learner does as written (and outside a workshop)."""
    if view is None or view.mode == "ok":
        return None
    label = DEMO if view.mode == "demo" else REWRITTEN
    text = Text.assemble((f" {label} ", _BADGE_STYLE[view.mode]))
    if view.reason:
        text.append("  ")
        text.append(view.reason + ".", "italic")  # may start with a file name: as is
    if view.mode == "demo" and view.earnable:
        text.append(" This step still counts.", "bold")
    return text


def outline_mark(view: StepView | None) -> tuple[str, str] | None:
    """The glyph and style after a step's title in the outline, or None."""
    if view is None:
        return None
    return _MARKS.get(view.mode)


def item_tag(demo: bool) -> tuple[str, str] | None:
    """The tag after a checklist item's title when only the instructor can show it."""
    return ("  ◌ instructor demo", "italic magenta") if demo else None
