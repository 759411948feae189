#!/usr/bin/env python3
"""Export real SVG screenshots of the lab for the README: `python scripts/screenshots.py`.

Each shot runs the app headless on the embedded sim, exactly as `k8slab run` builds it but with
the clock driven from here, takes the lab to a moment worth showing, and saves the screen with
`App.save_screenshot`. The sim is seeded, so the same code gives the same pictures.

    python scripts/screenshots.py              # writes assets/*.svg
    python scripts/screenshots.py --out /tmp   # somewhere else
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from k8slab.tui.app import LabApp, create_app  # noqa: E402
from k8slab.tui.views.titles import action_title  # noqa: E402


@dataclass(frozen=True)
class Shot:
    """One screenshot: file name, lesson, terminal size and how to get there."""

    name: str
    lesson: str
    size: tuple[int, int]
    drive: Callable[[LabApp, Any], Awaitable[None]]


def _frames(app: LabApp, until: Callable[[], bool], *, step: float = 0.5,
            within: float = 600.0) -> None:
    """Move the sim clock in small steps, drawing a frame after each, until `until()`."""
    clock = app.session.clock
    assert clock is not None
    start = clock.now
    app.lab.frame()
    while not until():
        if clock.now - start > within:
            raise RuntimeError(f"{app.session.lesson.id}: the moment never came")
        clock.advance(step)
        app.lab.frame()


def _advance(app: LabApp, seconds: float, step: float = 0.5) -> None:
    clock = app.session.clock
    assert clock is not None
    end = clock.now + seconds
    while clock.now < end:
        clock.advance(step)
        app.lab.frame()


async def _settle(pilot: Any) -> None:
    for _ in range(3):
        await pilot.pause()


async def _open(app: LabApp, pilot: Any, step: str) -> None:
    app.lab.go_to(step)
    await _settle(pilot)


async def _run(app: LabApp, pilot: Any, label: str) -> None:
    """Press the button of the current step's action with this label."""
    labels = [action_title(a) for a in app.session.step.actions]
    await pilot.press(str(labels.index(label) + 1))
    await _settle(pilot)


def _pods(app: LabApp, prefix: str) -> list[dict[str, Any]]:
    return [p for p in app.session.state.list("Pod")
            if p["metadata"]["name"].startswith(prefix)]


def _ready(pod: dict[str, Any]) -> bool:
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in pod.get("status", {}).get("conditions", []))


async def statefulset(app: LabApp, pilot: Any) -> None:
    """nginx-sts with a claim per ordinal; web in a partitioned rolling update: only web-2
    (at or above the partition) is being replaced with the new revision."""
    await _open(app, pilot, "statefulset-basics")
    await pilot.press("a")
    _frames(app, lambda: sum(_ready(p) for p in _pods(app, "web-")) == 3)
    await _open(app, pilot, "statefulset-storage")
    await pilot.press("a")
    _frames(app, lambda: sum(_ready(p) for p in _pods(app, "nginx-sts-")) == 3)
    _advance(app, 4.0)
    await _open(app, pilot, "statefulset-update")
    await _run(app, pilot, "set partition web → 2")
    await _run(app, pilot, "set image web nginx=nginx:1.21")
    revisions = {p["metadata"]["labels"].get("controller-revision-hash")
                 for p in _pods(app, "web-")}

    def rolling() -> bool:
        web2 = next((p for p in _pods(app, "web-") if p["metadata"]["name"] == "web-2"), None)
        return web2 is not None and not _ready(web2) and \
            web2["metadata"]["labels"].get("controller-revision-hash") not in revisions
    _frames(app, rolling, step=0.25)


async def daemonset(app: LabApp, pilot: Any) -> None:
    """Two DaemonSets: one skips the tainted control plane, one follows a node label."""
    await _open(app, pilot, "daemonset-basics")
    await pilot.press("a")
    await _open(app, pilot, "node-selector")
    await _run(app, pilot, "apply selective-daemonset.yaml")
    await _run(app, pilot, "label worker-1 gpu=true")
    _frames(app, lambda: sum(_ready(p) for p in _pods(app, "gpu-monitor-")) == 1
            and sum(_ready(p) for p in _pods(app, "node-logger-")) == 2)


async def jobs(app: LabApp, pilot: Any) -> None:
    """A parallel Job part-way, a Job out of retries, a CronJob with history."""
    await _open(app, pilot, "system-maintenance")
    await pilot.press("a")
    for _ in range(3):
        await pilot.press("j")
        _frames(app, lambda: not any(
            j.get("status", {}).get("active") for j in app.session.state.list("Job")))
    await _open(app, pilot, "job-failures")
    await _run(app, pilot, "apply backoff-limit-job.yaml")
    await _open(app, pilot, "parallel-processor")
    await pilot.press("a")

    def moment() -> bool:
        job = app.session.state.get("Job", "parallel-processor") or {}
        return job.get("status", {}).get("succeeded", 0) >= 4
    _frames(app, moment)


async def help_screen(app: LabApp, pilot: Any) -> None:
    await pilot.press("question_mark")


async def projector(app: LabApp, pilot: Any) -> None:
    """80x24, the size of a projector terminal: the step over tabs."""
    await _open(app, pilot, "statefulset-scaling")
    await _open(app, pilot, "statefulset-basics")
    await pilot.press("a")
    _frames(app, lambda: sum(_ready(p) for p in _pods(app, "web-")) == 3)
    await _open(app, pilot, "statefulset-scaling")
    await _run(app, pilot, "scale web → 5")
    _frames(app, lambda: any(p["metadata"]["name"] == "web-4" for p in _pods(app, "web-")))


SHOTS = (
    Shot("statefulset.svg", "day10", (150, 50), statefulset),
    Shot("daemonset.svg", "day10", (140, 44), daemonset),
    Shot("jobs.svg", "day11", (140, 44), jobs),
    Shot("help.svg", "day10", (100, 34), help_screen),
    Shot("projector.svg", "day10", (80, 24), projector),
)


async def take(shot: Shot, out: Path) -> Path:
    app = create_app(shot.lesson, realtime=False, save_progress=False)
    async with app.run_test(size=shot.size) as pilot:
        await _settle(pilot)
        await shot.drive(app, pilot)
        await _settle(pilot)
        app.clear_notifications()  # toasts would hide the panes
        await _settle(pilot)
        app.save_screenshot(shot.name, str(out))
    return out / shot.name


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "assets")
    parser.add_argument("names", nargs="*", help="only these shots (e.g. jobs.svg)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for shot in SHOTS:
        if args.names and shot.name not in args.names:
            continue
        path = asyncio.run(take(shot, args.out))
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
