"""Startup: time from process start to the first complete frame of `k8slab run day10` on the
sim, against the same for a minimal Textual app (the floor for any Textual program).

Each run is a fresh Python process on a pseudo-terminal of 120x40, so Textual uses its real
terminal driver and writes real escape sequences. The clock starts just before the parent
spawns the process (`time.monotonic()`, which is system-wide on Linux) and stops in the child
at the first complete frame:

- k8slab: `k8slab.cli.main(["run", "day10"])`, exactly what the `k8slab` command runs, with
  progress kept in a throw-away state directory. The frame is complete once the lab screen has
  mounted and filled every widget (`LabScreen.on_mount`), the first frame tick has folded the
  sim's initial watch events into the mirror (so the panes show the cluster, not an empty
  one: at the end of `on_mount` if the screen folds them in before it fills the panes, else
  after the first frame tick), and Textual has painted the result: the first moment
  `call_after_refresh` fires after that, when nothing on the screen is left to repaint.
- floor: an `App` whose `compose` yields one `Static`, timed to its first `call_after_refresh`
  after `on_mount`.

Both start through this script, so both pay for the same interpreter start and the same few
lines of instrumentation. One warm-up run of each (it writes the .pyc files a fresh checkout
lacks, and k8slab's cache of loaded lessons) is not counted; then the two alternate so that
the machine's load falls on both alike. One more run with an empty lesson cache shows the
first start after installing k8slab or editing a lesson; it is reported, not in the ratio.
When the ratio misses its target, a run under `python -X importtime` names the imports that
cost most.

Run:  .venv/bin/python bench/startup.py             (7 runs each)
      .venv/bin/python bench/startup.py --runs 3 --importtime
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()
sys.path.insert(0, str(HERE.parent))

from _common import (  # noqa: E402 - the bench folder is not a package
    emit,
    machine,
    python_argv,
    ratio,
    report,
    run_in_pty,
    spread,
)

TARGET_RATIO = 1.5
SIZE = (120, 40)
LESSON = "day10"


# -- the children: each reports the monotonic time of its first complete frame ---------------


def _child_lab(lesson: str) -> int:
    import k8slab.tui.screens.lab as lab_module
    from k8slab.cli import main

    screen_cls = lab_module.LabScreen
    on_mount, frame = screen_cls.on_mount, screen_cls.frame
    marks: dict[str, float] = {}

    def arm(self: Any, mark: str) -> None:
        marks[mark] = time.monotonic()
        if "armed" not in marks and self.session.state.count("Node"):
            # The mirror holds the cluster's initial list: the next paint is complete.
            marks["armed"] = marks[mark]
            self.call_after_refresh(painted, self)

    async def mounted(self: Any) -> None:
        await on_mount(self)
        arm(self, "mounted")

    def ticked(self: Any) -> None:
        frame(self)
        if "mounted" in marks and "ticked" not in marks:
            arm(self, "ticked")

    def painted(self: Any) -> None:
        marks["painted"] = time.monotonic()
        report({"first_frame": marks["painted"], "marks": marks,
                "pods": self.session.state.count("Pod"),
                "nodes": self.session.state.count("Node")})
        self.app.exit(0)

    screen_cls.on_mount = mounted  # type: ignore[method-assign]
    screen_cls.frame = ticked  # type: ignore[method-assign]
    return main(["run", lesson])


def _child_floor() -> int:
    from textual.app import App, ComposeResult
    from textual.widgets import Static

    class Floor(App[int]):
        def compose(self) -> ComposeResult:
            yield Static("the floor: one Static")

        def on_mount(self) -> None:
            self.call_after_refresh(self.painted)

        def painted(self) -> None:
            report({"first_frame": time.monotonic()})
            self.exit(0)

    return int(Floor().run() or 0)


def child(kind: str, lesson: str) -> int:
    """Run one child: `lab` (k8slab run LESSON) or `floor` (a minimal Textual app)."""
    if kind == "lab":
        return _child_lab(lesson)
    return _child_floor()


# -- the parent ------------------------------------------------------------------------------


def measure(kind: str, lesson: str, scratch: str, *, flags: tuple[str, ...] = (),
            cache: str = "cache") -> tuple[float, dict[str, Any], bytes]:
    """One run: milliseconds from spawn to the first complete frame, the child's report and
    what it drew. Progress and the lesson cache live in `scratch`."""
    env = {"K8SLAB_STATE_DIR": f"{scratch}/state", "K8SLAB_CACHE_DIR": f"{scratch}/{cache}"}
    run = run_in_pty(python_argv(HERE, "--child", kind, "--lesson", lesson, flags=flags),
                     size=SIZE, env=env, timeout=120)
    result = run.result
    return (result["first_frame"] - run.started) * 1000, result, run.output


_IMPORT_LINE = re.compile(rb"import time:\s+(\d+) \|\s+(\d+) \|( *)([\w.]+)")


def import_offenders(lesson: str, scratch: str, top: int = 12) -> dict[str, Any]:
    """Run the lab once under `-X importtime`; the packages and modules whose imports cost
    most (self time, in ms), largest first."""
    _, _, output = measure("lab", lesson, scratch, flags=("-X", "importtime"))
    by_package: dict[str, int] = defaultdict(int)
    modules: list[tuple[int, int, str]] = []
    for m in _IMPORT_LINE.finditer(output):
        self_us, cumulative_us, name = int(m.group(1)), int(m.group(2)), m.group(4).decode()
        by_package[name.split(".")[0]] += self_us
        modules.append((self_us, cumulative_us, name))
    packages = sorted(by_package.items(), key=lambda kv: -kv[1])[:top]
    heavy = sorted(modules, reverse=True)[:top]
    return {
        "total_ms": round(sum(by_package.values()) / 1000, 1),
        "packages_ms": {name: round(us / 1000, 1) for name, us in packages},
        "modules_self_ms": {name: round(s / 1000, 1) for s, _, name in heavy},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="timed runs of each (default 7)")
    parser.add_argument("--lesson", default=LESSON, help=argparse.SUPPRESS)
    parser.add_argument("--quick", action="store_true", help="2 runs each, for a smoke test")
    parser.add_argument("--importtime", action="store_true",
                        help="list the costliest imports even when the target is met")
    parser.add_argument("--child", choices=("lab", "floor"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(args.child, args.lesson)
    runs = 2 if args.quick else max(1, args.runs)
    times: dict[str, list[float]] = {"lab": [], "floor": []}
    breakdown: list[dict[str, float]] = []
    with tempfile.TemporaryDirectory(prefix="k8slab-bench-") as scratch:
        try:
            # Warm-up: compiles .pyc files, fills the page cache and the lesson cache.
            for kind in ("lab", "floor"):
                measure(kind, args.lesson, scratch)
            # Once with an empty lesson cache: the first run after installing or editing.
            cold, _, _ = measure("lab", args.lesson, scratch, cache="empty-cache")
            for _ in range(runs):
                for kind in ("lab", "floor"):
                    ms, result, _ = measure(kind, args.lesson, scratch)
                    times[kind].append(ms)
                    if kind == "lab":
                        start = result["first_frame"] - ms / 1000
                        breakdown.append({k: (v - start) * 1000
                                          for k, v in result["marks"].items()})
        except (RuntimeError, TimeoutError) as err:
            print(err, file=sys.stderr)
            return 1
        lab, floor = spread(times["lab"]), spread(times["floor"])
        r = ratio(lab["median"], floor["median"])
        offenders = (import_offenders(args.lesson, scratch)
                     if args.importtime or (r is not None and r > TARGET_RATIO) else None)
    phases = {k: round(sorted(b.get(k, 0.0) for b in breakdown)[len(breakdown) // 2], 1)
              for k in ("mounted", "armed", "painted")}
    print(f"k8slab run {args.lesson}: first complete frame after {lab['median']:.0f} ms "
          f"(median of {runs}; {lab['min']:.0f}-{lab['max']:.0f}); lab screen mounted at "
          f"{phases['mounted']:.0f} ms, cluster folded in at {phases['armed']:.0f} ms")
    print(f"  with an empty lesson cache (first run after installing or editing a lesson): "
          f"{cold:.0f} ms")
    print(f"minimal Textual app:  first frame after {floor['median']:.0f} ms "
          f"({floor['min']:.0f}-{floor['max']:.0f})")
    met = r is not None and r <= TARGET_RATIO
    print(f"ratio {r} (target <= {TARGET_RATIO}: {'met' if met else 'MISSED'}); "
          f"{machine()['cpus']} CPUs, load {machine()['load_average']}")
    if offenders:
        print(f"imports under -X importtime: {offenders['total_ms']} ms in all; by package:")
        for name, ms in offenders["packages_ms"].items():
            print(f"  {ms:8.1f} ms  {name}")
    emit({
        "benchmark": "startup",
        "unit": "ms",
        "lesson": args.lesson,
        "terminal": f"{SIZE[0]}x{SIZE[1]}",
        "k8slab": {**lab, "runs": [round(t, 1) for t in times["lab"]], "phases_ms": phases,
                   "empty_lesson_cache_ms": round(cold, 1)},
        "baseline": {"what": "minimal Textual app (one Static)", **floor,
                     "runs": [round(t, 1) for t in times["floor"]]},
        "ratio": r,
        "target": {"ratio_max": TARGET_RATIO},
        "target_met": met,
        "import_offenders": offenders,
        "machine": machine(),
    })
    return 0


if __name__ == "__main__":
    sys.exit(main())
