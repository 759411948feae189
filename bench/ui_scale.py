"""UI at scale: keypress-to-repaint latency, render time per update batch and peak RSS of the
lab with the sim at 1,000 nodes with a DaemonSet, a 500-replica StatefulSet, and 10,000 Job
pods, against the same keys on the empty lab.

Each scenario runs in a fresh child process (so peak RSS is its own) on a 120x40
pseudo-terminal: the lab as `k8slab run day10` builds it, under Textual's
`run_test(headless=False)`, so frames go through the real terminal driver. The workload is
applied and the lab's own realtime frames drive the sim clock (speed 1 for the DaemonSet and
the StatefulSet, 60, the fastest, for the 10,000 Job pods); keys are pressed while it rolls
out ("busy") and after it has settled ("idle").

- **keypress to repaint**: from posting the key event to the end of the terminal write that
  has repainted every widget that asked for a repaint after the key, once the key's action
  has returned (`App.run_action`). The keys cycle through `down down up` in the scenario's
  pane (a table of 1,000 nodes, of 500 ordinals, or the Jobs pane), `tab`, `shift+tab`,
  `n`, `p` (next and previous step: new text, re-grading) and `space` twice (pause, resume).
- **render time per update batch**: for each frame that folded watch events in, the frame's
  own work (drain, mirror, panes, grading) plus the compositor's layout, render and write
  until the next frame.
- **peak RSS**: `ru_maxrss` of the child.

The baseline is the empty lab in its own child, same keys, same size; `ratio` is the
scenario's keypress p95 over the baseline's.

Run:  .venv/bin/python bench/ui_scale.py                 (all three and the baseline)
      .venv/bin/python bench/ui_scale.py --only jobs
      .venv/bin/python bench/ui_scale.py --quick         (small sizes, for a smoke test)
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()
sys.path.insert(0, str(HERE.parent))

from _common import (  # noqa: E402 - the bench folder is not a package
    LabProbe,
    Profile,
    emit,
    latency_summary,
    machine,
    peak_rss_mb,
    python_argv,
    ratio,
    report,
    run_in_pty,
)

TARGET_KEY_P95_MS = 100.0
TARGET_RSS_MB = 300.0
SIZE = (120, 40)
KEYS = ("down", "down", "up", "tab", "shift+tab", "n", "p", "space", "space")
KEY_CHARS = {"tab": "\t", "space": " ", "n": "n", "p": "p"}
#: Wall seconds a key may take before it counts as never repainted.
KEY_TIMEOUT = 5.0

# -- scenarios: (extra nodes, workload, speed, pane id, done?) at full size and quick --------


def _container(script: str, image: str = "busybox:1.36") -> dict[str, Any]:
    return {"name": "main", "image": image, "command": ["/bin/sh", "-c", script]}


def _daemonset(n: int) -> list[dict[str, Any]]:
    return [{"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "agent"},
             "spec": {"selector": {"matchLabels": {"app": "agent"}},
                      "template": {"metadata": {"labels": {"app": "agent"}},
                                   "spec": {"tolerations": [{"operator": "Exists"}],
                                            "containers": [_container("sleep 86400")]}}}}]


def _statefulset(n: int) -> list[dict[str, Any]]:
    return [
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
         "spec": {"clusterIP": "None", "selector": {"app": "web"}, "ports": [{"port": 80}]}},
        {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "web"},
         "spec": {"serviceName": "web", "replicas": n, "podManagementPolicy": "Parallel",
                  "selector": {"matchLabels": {"app": "web"}},
                  "template": {"metadata": {"labels": {"app": "web"}},
                               "spec": {"containers": [
                                   {"name": "nginx", "image": "nginx:1.27"}]}}}}]


def _jobs(n: int) -> list[dict[str, Any]]:
    return [{"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "crunch"},
             "spec": {"completions": n, "parallelism": min(500, n),
                      "template": {"spec": {"restartPolicy": "Never",
                                            "containers": [_container("sleep 20")]}}}}]


def _ready(kind: str, name: str, field: str, want: int) -> Callable[[Any], bool]:
    def done(state: Any) -> bool:
        st = (state.get(kind, name) or {}).get("status") or {}
        return int(st.get(field) or 0) >= want
    return done


SCENARIOS: dict[str, dict[str, Any]] = {
    "daemonset": {"full": 1000, "quick": 60, "what": "{n:,} nodes with a DaemonSet",
                  "workload": _daemonset, "speed": 1.0, "pane": "coverage", "lesson": "day10",
                  "done": lambda n: _ready("DaemonSet", "agent", "numberReady", n)},
    "statefulset": {"full": 500, "quick": 40, "what": "a {n:,}-replica StatefulSet (Parallel)",
                    "workload": _statefulset, "speed": 1.0, "pane": "timeline",
                    "lesson": "day10",
                    "done": lambda n: _ready("StatefulSet", "web", "readyReplicas", n)},
    "jobs": {"full": 10000, "quick": 200, "what": "{n:,} Job pods (parallelism 500)",
             "workload": _jobs, "speed": 60.0, "pane": "jobs", "lesson": "day11",
             "done": lambda n: _ready("Job", "crunch", "succeeded", n)},
}
#: The baselines: each lesson's lab with nothing applied, its keys in the same pane.
for _lesson, _pane in (("day10", "coverage"), ("day11", "jobs")):
    SCENARIOS[f"empty-{_lesson}"] = {"full": 0, "quick": 0, "workload": None, "done": None,
                                     "what": f"the empty {_lesson} lab (baseline)",
                                     "speed": 1.0, "pane": _pane, "lesson": _lesson}
#: Nodes for the StatefulSet and Job scenarios (room for 500 pods at 110 a node).
WORKERS = {"statefulset": 6, "jobs": 8}


# -- timing keys ----------------------------------------------------------------------------


class KeyTimer:
    """Presses keys and times each to the terminal write that finishes its repaint."""

    def __init__(self, app: Any, probe: LabProbe) -> None:
        from textual.widget import Widget

        self.app = app
        self.samples: list[tuple[str, str, float | None]] = []  # (phase, key, ms)
        self._dirtied: set[Any] = set()
        self._collecting = False
        self._handled = False
        self._done: asyncio.Event | None = None
        self._t1 = 0.0
        timer = self
        refresh = Widget.refresh

        def noting(widget: Any, *args: Any, **kwargs: Any) -> Any:
            if timer._collecting:
                timer._dirtied.add(widget)
            return refresh(widget, *args, **kwargs)

        Widget.refresh = noting  # type: ignore[method-assign]
        run_action = app.run_action

        async def handled(*args: Any, **kwargs: Any) -> bool:
            result: bool = await run_action(*args, **kwargs)
            if timer._collecting:
                timer._handled = True
                timer._check(None, time.perf_counter())
            return result

        app.run_action = handled
        probe.on_display(self._on_display)

    def _on_display(self, screen: Any, dirty: set[Any], end: float) -> None:
        if not self._collecting:
            return
        if screen in dirty or screen._layout_required:
            self._dirtied.clear()
        else:
            self._dirtied -= dirty
        self._check(screen, end)

    def _check(self, screen: Any, end: float) -> None:
        if not self._handled or self._done is None:
            return
        current = self.app.screen
        left = {w for w in self._dirtied
                if w.is_attached and w.display and getattr(w, "screen", None) is current}
        # Nothing left to repaint: done at this write, or, when the key changed nothing on
        # the screen (or the writes already showed it), as soon as its action returned.
        if not left:
            self._t1 = end
            self._collecting = False
            self._done.set()

    async def press(self, key: str, phase: str) -> None:
        from textual import events

        self._dirtied = set()
        self._handled = False
        self._done = asyncio.Event()
        self._collecting = True
        t0 = time.perf_counter()
        event = events.Key(key, KEY_CHARS.get(key))
        self.app.post_message(event)
        try:
            await asyncio.wait_for(self._done.wait(), KEY_TIMEOUT)
            ms: float | None = (self._t1 - t0) * 1000
        except asyncio.TimeoutError:
            ms = None
        self._collecting = False
        self.samples.append((phase, key, ms))


# -- the child -------------------------------------------------------------------------------


def _focus_pane(app: Any, pane_id: str) -> None:
    """Focus the scenario's pane (its table when it has one), as a learner would by clicking."""
    from textual.widgets import DataTable

    pane = app.lab.query_one(f"#{pane_id}")
    tables = [pane] if isinstance(pane, DataTable) else list(pane.query(DataTable))
    target = tables[0] if tables else pane
    if target.can_focus:
        target.focus()


async def measure(name: str, size: int, busy_keys_every: float, idle_keys: int,
                  profile: str | None) -> dict[str, Any]:
    """In the child: build the scenario and time frames and keys."""
    spec = SCENARIOS[name]
    probe = LabProbe()
    probe.install_class_hooks()
    from k8slab.tui.app import create_app

    app = create_app(spec["lesson"], realtime=True, save_progress=False, speed=spec["speed"])
    async with app.run_test(headless=False, size=SIZE) as pilot:
        await pilot.pause()
        session = app.session
        cluster = session.cluster
        probe.attach(app)
        keys = KeyTimer(app, probe)
        extra = (size - cluster.core.store.count("Node") if name == "daemonset"
                 else WORKERS.get(name, 0))
        for i in range(extra):
            cluster.add_node(f"bench-{i:04d}", labels={"bench": "yes"})
        await asyncio.sleep(0.3)
        _focus_pane(app, spec["pane"])
        profiler = Profile(profile)
        profiler.start()
        probe.recording = True
        started = time.perf_counter()
        finished = None
        if spec["workload"] is not None:
            cluster.apply(spec["workload"](size))
            done = spec["done"](size)
            n = 0
            deadline = time.perf_counter() + 600
            while not done(session.state) and time.perf_counter() < deadline:
                await asyncio.sleep(busy_keys_every)
                _focus_pane(app, spec["pane"])
                await keys.press(KEYS[n % len(KEYS)], "busy")
                n += 1
            finished = done(session.state)
        busy_seconds = time.perf_counter() - started
        await asyncio.sleep(0.5)
        for n in range(idle_keys):
            if n % len(KEYS) == 0:
                _focus_pane(app, spec["pane"])
            await keys.press(KEYS[n % len(KEYS)], "idle")
            await asyncio.sleep(0.05)
        probe.recording = False
        profiler.stop()
        pods = session.state.count("Pod")
        transitions = sum(1 for t in session.state.history if t.kind == "Pod")
    batches = [f for f in probe.frames if f.events]
    timed = [ms for _, _, ms in keys.samples if ms is not None]
    by_key: dict[str, list[float]] = {}
    for _, key, ms in keys.samples:
        if ms is not None:
            by_key.setdefault(key, []).append(ms)
    return {
        "scenario": name,
        "what": spec["what"].format(n=size),
        "lesson": spec["lesson"],
        "size": size,
        "speed": spec["speed"],
        "finished": finished,
        "busy_seconds": round(busy_seconds, 2),
        "pods_now": pods,
        "pod_transitions": transitions,
        "keys": latency_summary(timed),
        "keys_busy": latency_summary([ms for ph, _, ms in keys.samples
                                      if ph == "busy" and ms is not None]),
        "keys_idle": latency_summary([ms for ph, _, ms in keys.samples
                                      if ph == "idle" and ms is not None]),
        "keys_by_key_p50_ms": {key: latency_summary(times)["p50_ms"]
                               for key, times in by_key.items()},
        "keys_never_repainted": sum(1 for *_, ms in keys.samples if ms is None),
        "batches": len(batches),
        "events_per_batch_max": max((f.events for f in batches), default=0),
        "batch_render_ms": latency_summary([(f.end - f.start + f.paint_seconds) * 1000
                                            for f in batches]),
        "batch_frame_ms": latency_summary([(f.end - f.start) * 1000 for f in batches]),
        "batch_paint_ms": latency_summary([f.paint_seconds * 1000 for f in batches]),
        "peak_rss_mb": peak_rss_mb(),
    }


# -- the parent ------------------------------------------------------------------------------


def ms(value: float | None) -> str:
    """A latency for people: `12 ms`, or `-` when there is none."""
    return "-" if value is None else f"{value:.0f} ms"


def run_scenario(name: str, quick: bool, profile: str | None) -> dict[str, Any]:
    spec = SCENARIOS[name]
    size = spec["quick" if quick else "full"]
    args = ["--child", name, "--size", str(size),
            "--idle-keys", str(len(KEYS) if quick else 4 * len(KEYS))]
    if profile:
        args += ["--profile", str(Path(f"{profile}.{name}.txt").resolve())]
    result: dict[str, Any] = run_in_pty(python_argv(HERE, *args), size=SIZE,
                                        timeout=1200).result
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    names = [n for n in SCENARIOS if not n.startswith("empty")]
    parser.add_argument("--only", choices=names, action="append",
                        help="run only this scenario (repeatable); its baseline always runs")
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke test")
    parser.add_argument("--profile", metavar="PREFIX",
                        help="write a pyinstrument profile per scenario to PREFIX.<name>.txt")
    parser.add_argument("--child", choices=list(SCENARIOS), help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--idle-keys", type=int, default=36, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        report(asyncio.run(measure(args.child, args.size, 0.3, args.idle_keys, args.profile)))
        return 0
    results: dict[str, dict[str, Any]] = {}
    try:
        chosen = args.only or names
        baselines = [f"empty-{s}" for s in dict.fromkeys(SCENARIOS[n]["lesson"] for n in chosen)]
        for name in [*baselines, *chosen]:
            results[name] = r = run_scenario(name, args.quick, args.profile)
            k, b = r["keys"], r["batch_render_ms"]
            print(f"{name:12} {r['what']}: {r['pods_now']} pods, {r['pod_transitions']} "
                  f"transitions in {r['busy_seconds']:.1f} s; keys p50 {ms(k['p50_ms'])} "
                  f"p95 {ms(k['p95_ms'])} (n={k['n']}, {r['keys_never_repainted']} timed "
                  f"out); per batch p50 {ms(b['p50_ms'])} p95 {ms(b['p95_ms'])} over "
                  f"{r['batches']} batches; peak RSS {r['peak_rss_mb']:.0f} MB", flush=True)
    except (RuntimeError, TimeoutError) as err:
        print(err, file=sys.stderr)
        return 1
    bases = {results[b]["lesson"]: results.pop(b) for b in baselines}
    for r in results.values():
        base = bases[r["lesson"]]
        r["key_p95_ratio_vs_empty"] = ratio(r["keys"]["p95_ms"], base["keys"]["p95_ms"])
        r["rss_ratio_vs_empty"] = ratio(r["peak_rss_mb"], base["peak_rss_mb"])
        r["targets_met"] = {"key_p95": (r["keys"]["p95_ms"] or 1e9) < TARGET_KEY_P95_MS,
                            "rss": r["peak_rss_mb"] < TARGET_RSS_MB}
        print(f"{r['scenario']:12} keys p95 {ms(r['keys']['p95_ms'])} = "
              f"{r['key_p95_ratio_vs_empty']}x the empty lab (target < "
              f"{TARGET_KEY_P95_MS:g} ms: {'met' if r['targets_met']['key_p95'] else 'MISSED'});"
              f" RSS {r['peak_rss_mb']:.0f} MB = {r['rss_ratio_vs_empty']}x (target < "
              f"{TARGET_RSS_MB:g} MB: {'met' if r['targets_met']['rss'] else 'MISSED'})")
    emit({
        "benchmark": "ui_scale",
        "unit": "ms",
        "terminal": f"{SIZE[0]}x{SIZE[1]}",
        "quick": args.quick,
        "scenarios": results,
        "baseline": bases,
        "ratio": {n: r["key_p95_ratio_vs_empty"] for n, r in results.items()},
        "target": {"key_p95_ms_max": TARGET_KEY_P95_MS, "peak_rss_mb_max": TARGET_RSS_MB},
        "target_met": all(all(r["targets_met"].values()) for r in results.values()),
        "machine": machine(),
    })
    return 0


if __name__ == "__main__":
    sys.exit(main())
