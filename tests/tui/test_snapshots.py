"""Snapshot tests (pytest-textual-snapshot): the screens as a learner sees them.

They use the test lesson in tests/tui/data/tuilab, so a change to the shipped lessons' wording
does not break them. Update after an intended change with `pytest --snapshot-update` and look
at the report before committing.
"""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot

from k8slab.tui.app import LabApp
from tests.tui.helpers import TUILAB, make_app, settle, until


def lab() -> LabApp:
    # No progress file: a snapshot must not depend on an earlier run.
    return make_app(TUILAB, save_progress=False)


async def _quiet(pilot: Pilot[Any]) -> None:
    """Drop the toasts: they would cover the panes the snapshot is about."""
    await settle(pilot)
    pilot.app.clear_notifications()
    await settle(pilot)


async def _open(pilot: Pilot[Any], step: str) -> LabApp:
    app = pilot.app
    assert isinstance(app, LabApp)
    await settle(pilot)
    app.lab.go_to(step)
    await settle(pilot)
    return app


def test_main_screen_statefulset_with_claims(snap_compare: Any) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        app = await _open(pilot, "sts-storage")
        await pilot.press("a")
        until(app, lambda: len([p for p in app.session.state.list("Pod")
                                if p["metadata"]["name"].startswith("nginx-sts")]) == 2)
        await _quiet(pilot)

    assert snap_compare(lab(), terminal_size=(120, 40), run_before=run_before)


def test_coverage_grid_with_one_excluded_node(snap_compare: Any) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        app = await _open(pilot, "ds-simple")
        await pilot.press("a")
        until(app, lambda: (app.session.state.get("DaemonSet", "node-logger") or {})
              .get("status", {}).get("numberReady") == 2)
        await _quiet(pilot)

    assert snap_compare(lab(), terminal_size=(80, 24), run_before=run_before)


def test_job_pane(snap_compare: Any) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        app = await _open(pilot, "jobs")
        await pilot.press("1")
        await pilot.press("2")
        until(app, lambda: any(
            c.get("type") == "Failed" for c in (app.session.state.get("Job", "broken-import")
                                                or {}).get("status", {}).get("conditions", [])))
        await _quiet(pilot)

    assert snap_compare(lab(), terminal_size=(100, 30), run_before=run_before)


def test_help_screen(snap_compare: Any) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)

    assert snap_compare(lab(), terminal_size=(80, 24), run_before=run_before)
