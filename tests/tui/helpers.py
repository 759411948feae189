"""Driving the lab deterministically: the sim's clock only moves when a test moves it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from rich.text import Text
from textual.pilot import Pilot

from k8slab.tui.app import LabApp, create_app
from k8slab.tui.widgets.keyed_table import KeyedTable

DATA = Path(__file__).parent / "data"
TUILAB = str(DATA / "tuilab")


def make_app(lesson: str = "day10", **kwargs: object) -> LabApp:
    """The app as `k8slab run` builds it, but with the clock driven by the test."""
    kwargs.setdefault("realtime", False)
    return create_app(lesson, **kwargs)  # type: ignore[arg-type]


def advance(app: LabApp, seconds: float, step: float = 0.5) -> None:
    """Move the sim clock forward in small steps, drawing a frame after each."""
    clock = app.session.clock
    assert clock is not None
    moved = 0.0
    while moved < seconds:
        clock.advance(step)
        app.lab.frame()
        moved += step


def until(app: LabApp, condition: Callable[[], bool], *, within: float = 300.0,
          step: float = 0.5, each: Callable[[], None] | None = None) -> float:
    """Advance virtual time until `condition()` holds; return the virtual seconds it took.

    Fails the test if it does not hold within `within` virtual seconds. `each` runs after
    every frame (to record what the screen showed along the way).
    """
    clock = app.session.clock
    assert clock is not None
    start = clock.now
    app.lab.frame()
    while not condition():
        if clock.now - start > within:
            raise AssertionError(f"not true after {within:g}s of cluster time")
        clock.advance(step)
        app.lab.frame()
        if each is not None:
            each()
    return clock.now - start


def table_rows(table: KeyedTable) -> dict[str, list[str]]:
    """Row key -> the plain text of each cell, as the table shows them."""
    out: dict[str, list[str]] = {}
    for row_key in table.rows:
        cells = table.get_row(row_key)
        out[str(row_key.value)] = [c.plain if isinstance(c, Text) else str(c) for c in cells]
    return out


async def settle(pilot: Pilot[int]) -> None:
    """Let Textual process what the last frame posted (mounts, refreshes)."""
    await pilot.pause()
    await pilot.pause()
