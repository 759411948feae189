"""Driving the lab deterministically: the sim's clock only moves when a test moves it."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from pathlib import Path

from rich.text import Text
from textual.pilot import Pilot
from textual.widgets import Button, Static

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


async def until_real(app: LabApp, condition: Callable[[], object], *,
                     what: str = "the condition", timeout: float = 90.0) -> None:
    """On a real cluster: wait for `condition`, woken by each frame that folded a change in
    (or every 2 s); fail the test after `timeout` wall seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"timed out after {timeout:g}s waiting for {what}")
        app.lab.cluster_changed.clear()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(app.lab.cluster_changed.wait(), min(remaining, 2.0))


def shown(app: LabApp, selector: str) -> str:
    """The text of a Static on the lab screen, or "" while it is hidden."""
    widget = app.lab.query_one(selector, Static)
    return str(widget.render()) if widget.display else ""


def buttons(app: LabApp) -> dict[str, bool]:
    """Each action button's label -> enabled."""
    return {str(b.label): not b.disabled for b in app.lab.query("#actions Button")
            if isinstance(b, Button)}


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
