"""What the benchmarks share: statistics, peak RSS, the JSON last line, and running a child
process in a pseudo-terminal so that a Textual app draws to a real terminal driver.

`bench/sim_scale.py` keeps its own small helpers (it predates this module); the scripts here
use these.
"""

from __future__ import annotations

import json
import math
import os
import pty
import resource
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fcntl import ioctl
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

#: The environment variable that tells a child which file descriptor to report on.
REPORT_FD_ENV = "K8SLAB_BENCH_REPORT_FD"


# -- statistics -----------------------------------------------------------------------------


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (0..100) with linear interpolation between closest ranks, as
    numpy's default; NaN for no values."""
    if not values:
        return math.nan
    xs = sorted(values)
    k = (len(xs) - 1) * p / 100.0
    lo, hi = math.floor(k), math.ceil(k)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def spread(values: Sequence[float], digits: int = 1) -> dict[str, Any]:
    """Median, min, max and interquartile range of repeated runs, rounded."""
    return {
        "n": len(values),
        "median": round(percentile(values, 50), digits),
        "min": round(min(values), digits) if values else None,
        "max": round(max(values), digits) if values else None,
        "iqr": round(percentile(values, 75) - percentile(values, 25), digits),
    }


def latency_summary(values_ms: Sequence[float]) -> dict[str, Any]:
    """p50, p95, p99 and max of latencies in milliseconds (None when there are none)."""
    def pct(p: float) -> float | None:
        return round(percentile(values_ms, p), 2) if values_ms else None

    return {"n": len(values_ms), "p50_ms": pct(50), "p95_ms": pct(95), "p99_ms": pct(99),
            "max_ms": round(max(values_ms), 2) if values_ms else None}


def ratio(value: float | None, baseline: float | None, digits: int = 2) -> float | None:
    """value / baseline, or None when either is missing or the baseline is zero."""
    if value is None or not baseline or math.isnan(value) or math.isnan(baseline):
        return None
    return round(value / baseline, digits)


# -- the machine ----------------------------------------------------------------------------


def peak_rss_mb() -> float:
    """This process's peak resident set size in MB (Linux reports ru_maxrss in KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def machine() -> dict[str, Any]:
    """CPU count and load average: absolute times on a shared machine need both."""
    return {"cpus": os.cpu_count(), "load_average": round(os.getloadavg()[0], 2),
            "python": sys.version.split()[0]}


# -- output ---------------------------------------------------------------------------------


def emit(summary: Mapping[str, Any]) -> None:
    """Print the one JSON object that is every script's last line (strict JSON: no NaN)."""
    print(json.dumps(summary, allow_nan=False), flush=True)


def last_json_line(text: str) -> dict[str, Any]:
    """The JSON object on the last non-empty line of `text`."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise ValueError("no output")
    found: dict[str, Any] = json.loads(lines[-1])
    return found


def report(obj: Mapping[str, Any]) -> None:
    """From a child started by `run_in_pty`: send `obj` to the parent. Its stdout and stderr
    belong to the terminal the app draws on, so the figures go through their own pipe."""
    fd = int(os.environ[REPORT_FD_ENV])
    os.write(fd, (json.dumps(obj) + "\n").encode())


# -- children in a pseudo-terminal ----------------------------------------------------------


@dataclass
class ChildRun:
    """How a child run in a pseudo-terminal went."""

    returncode: int
    reports: list[dict[str, Any]]  # every object the child sent with report()
    output: bytes  # what it drew on the terminal
    started: float  # time.monotonic() just before the child was spawned
    wall: float  # seconds until it exited

    @property
    def result(self) -> dict[str, Any]:
        """The child's last report; RuntimeError (with the terminal's tail) if it sent none."""
        if self.returncode != 0 or not self.reports:
            tail = self.output[-3000:].decode("utf-8", "replace")
            raise RuntimeError(f"child exited with {self.returncode} and no report:\n{tail}")
        return self.reports[-1]


def run_in_pty(argv: Sequence[str], *, size: tuple[int, int] = (120, 40),
               env: Mapping[str, str] | None = None, timeout: float = 300.0) -> ChildRun:
    """Run `argv` with stdin, stdout and stderr on a new pseudo-terminal of `size`
    (columns, rows), reading everything it draws so it never blocks on a full terminal.
    The child reports through the descriptor named by `K8SLAB_BENCH_REPORT_FD`.
    """
    master, slave = pty.openpty()
    ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", size[1], size[0], 0, 0))
    rpipe, wpipe = os.pipe()
    child_env = {**os.environ, "TERM": "xterm-256color", "COLORTERM": "truecolor",
                 **(env or {}), REPORT_FD_ENV: str(wpipe)}
    child_env.pop("TEXTUAL", None)  # no devtools
    started = time.monotonic()
    proc = subprocess.Popen(list(argv), stdin=slave, stdout=slave, stderr=slave,
                            env=child_env, pass_fds=(wpipe,), start_new_session=True,
                            cwd=ROOT)
    os.close(slave)
    os.close(wpipe)
    output, reported = bytearray(), bytearray()
    open_fds = {master, rpipe}
    deadline = started + timeout
    try:
        while open_fds:
            left = deadline - time.monotonic()
            if left <= 0:
                os.killpg(proc.pid, signal.SIGKILL)
                raise TimeoutError(f"{' '.join(argv)} ran longer than {timeout:g}s")
            ready, _, _ = select.select(list(open_fds), [], [], min(left, 1.0))
            for fd in ready:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:  # EIO: the pty's other end is closed
                    chunk = b""
                if not chunk:
                    open_fds.discard(fd)
                elif fd == master:
                    output += chunk
                else:
                    reported += chunk
            if proc.poll() is not None and master in open_fds and not ready:
                open_fds.discard(master)  # exited, and the terminal has nothing more
        returncode = proc.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        os.close(master)
        os.close(rpipe)
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    wall = time.monotonic() - started
    reports = [json.loads(line) for line in reported.decode().splitlines() if line.strip()]
    return ChildRun(returncode, reports, bytes(output), started, wall)


def python_argv(script: Path, *args: str, flags: Sequence[str] = ()) -> list[str]:
    """This interpreter running `script` with `args`."""
    return [sys.executable, *flags, str(script), *args]


# -- timing the lab's frames and paints ----------------------------------------------------


@dataclass
class Frame:
    """One tick of the lab's frame timer, as the probe saw it."""

    start: float  # time.perf_counter() when LabScreen.frame began
    end: float  # ... and when it returned
    events: int  # watch events it folded into the mirror
    # Per Pod event shown by this frame's pane update: (put time, due time). The lab may
    # fold events in over several frames and update its panes in a later one (it paints
    # merged frames at most every PAINT_EVERY): those events wait here for that frame.
    pod_stamps: list[tuple[float, float | None, float]]  # (put, due, sim tick's end or put)
    dirtied_target: bool  # it updated the panes and the target widget asked for a repaint
    sim_seconds: float = 0.0  # of start..end, the sim's clock tick (its controllers)
    painted: float | None = None  # end of the display that first showed the target after it
    paint_seconds: float = 0.0  # compositor work (layout, render, write) until the next frame


def _stamped_stream_class(base: type) -> type:
    """A subclass of the stream's class that tells LabProbe.installed of every put and drain."""

    class StampedStream(base):  # type: ignore[valid-type, misc]
        __slots__ = ()

        def put(self, event: Any) -> None:
            if LabProbe.installed is not None:
                LabProbe.installed._stamp_put(event)
            super().put(event)

        def drain(self, limit: int | None = None) -> list[Any]:
            batch: list[Any] = super().drain(limit)
            if LabProbe.installed is not None:
                LabProbe.installed._stamp_drain(len(batch))
            return batch

    return StampedStream


class LabProbe:
    """Instruments a running LabApp, from inside its process, to time what the learner sees.

    - the session's EventStream: when the sim `put()` each watch event, and, for events that
      a realtime frame's clock tick produced, when that cluster time was due in wall time
      (the tick maps virtual (v0, v1] onto the real interval that just passed);
    - `LabScreen.frame` (patched on the class before the app mounts, since the frame timer
      keeps the bound method): start, end and which events each frame folded in;
    - the app's `_display` (what writes a frame to the terminal) and the screen's layout and
      compositor refreshes: when a frame reaches the terminal, which widgets it repainted
      (`Screen._dirty_widgets` while it renders) and how long the repaint took.

    An event is *shown* at the end of the first display, after the frame whose pane update
    took it in (the frame that folded it into the mirror, or a later one when the lab merges
    frames), whose repaint includes the target widget (the table that draws the pod); Textual
    renders a dirty widget from its current data, so that display shows the event.
    """

    installed: LabProbe | None = None

    def __init__(self) -> None:
        self.frames: list[Frame] = []
        self.displays: list[tuple[float, float, int]] = []  # (start, end, dirty widgets)
        self.recording = False
        self.target: Any = None
        self.unseen = 0  # pod events whose pane update did not touch the target
        self._pending: list[tuple[float, float | None, float]] = []
        self._tick_seconds = 0.0
        self._pane_updated = False
        self._puts: list[tuple[float, float | None, bool]] = []  # FIFO: put, due, is_pod
        self._ticked: list[int] = []  # indexes into the frame's drained events put in a tick
        self._tick: tuple[float, float, float] | None = None  # (real now, v1, speed)
        self._refreshed = False
        self._paint_depth = 0
        self._paint_start = 0.0
        self._display_hooks: list[Any] = []

    # -- installing ----------------------------------------------------------------------
    def install_class_hooks(self) -> None:
        """Patch LabScreen.frame; call before the app is built."""
        from k8slab.tui.screens import lab

        LabProbe.installed = self
        original = lab.LabScreen.frame
        probe = self

        def frame(screen: Any) -> None:
            probe._before_frame(screen)
            try:
                original(screen)
            finally:
                probe._after_frame()

        lab.LabScreen.frame = frame  # type: ignore[method-assign]

    def attach(self, app: Any) -> None:
        """Wrap the session's stream and the app's display; call once the app is running."""
        stream = app.session.stream
        # EventStream has slots, so its methods cannot be wrapped on the instance; a
        # subclass with the same layout can take over the object (and every reference to it).
        stream.__class__ = _stamped_stream_class(type(stream))
        probe = self
        self._drained: list[tuple[float, float | None, bool]] = []
        # Events queued before now carry no stamp: hold their places in the FIFO.
        self._puts = [(math.nan, None, False)] * stream._queue.qsize()
        self._app = app
        display = app._display

        def timed_display(screen: Any, renderable: Any) -> None:
            start = time.perf_counter()
            display(screen, renderable)
            probe._on_display(screen, start, time.perf_counter())

        app._display = timed_display
        clock = app.session.clock
        if clock is not None:
            tick = clock.tick

            def timed_tick(*args: Any, **kwargs: Any) -> Any:
                start = time.perf_counter()
                try:
                    return tick(*args, **kwargs)
                finally:
                    probe._tick_seconds += time.perf_counter() - start
                    probe._tick_end = time.perf_counter()

            clock.tick = timed_tick
        screen = app.lab
        for name in ("_refresh_layout", "_compositor_refresh"):
            setattr(screen, name, self._timed_paint(getattr(screen, name)))

    def _stamp_put(self, event: Any) -> None:
        now = time.perf_counter()
        due = None
        if self._tick is not None:
            real, v1, speed = self._tick
            due = min(now, real - (v1 - event.time) / speed)
        self._puts.append((now, due, event.object.get("kind") == "Pod"))

    def _stamp_drain(self, count: int) -> None:
        taken, self._puts = self._puts[:count], self._puts[count:]
        self._drained.extend(taken)

    def watch_target(self, widget: Any, pane: Any) -> None:
        """The widget whose repaint shows a pod's change (a pane's table), and the pane whose
        `update_live` the screen calls."""
        self.target = widget
        refresh = widget.refresh
        update_live = pane.update_live
        probe = self

        def noted(*args: Any, **kwargs: Any) -> Any:
            probe._pane_updated = True
            return update_live(*args, **kwargs)

        pane.update_live = noted

        def flagged(*args: Any, **kwargs: Any) -> Any:
            probe._refreshed = True
            return refresh(*args, **kwargs)

        widget.refresh = flagged

    def on_display(self, hook: Any) -> None:
        """Call `hook(screen, dirty_widgets, end_time)` after every display."""
        self._display_hooks.append(hook)

    # -- recording -----------------------------------------------------------------------
    def _timed_paint(self, method: Any) -> Any:
        probe = self

        def timed(*args: Any, **kwargs: Any) -> Any:
            if probe._paint_depth == 0:
                probe._paint_start = time.perf_counter()
            probe._paint_depth += 1
            try:
                return method(*args, **kwargs)
            finally:
                probe._paint_depth -= 1
                if probe._paint_depth == 0 and probe.recording and probe.frames:
                    probe.frames[-1].paint_seconds += time.perf_counter() - probe._paint_start

        return timed

    def _before_frame(self, screen: Any) -> None:
        self._frame_start = time.perf_counter()
        self._refreshed = False
        self._pane_updated = False
        self._tick_seconds = 0.0
        self._tick_end = 0.0
        self._drained = []
        clock = screen.session.clock
        if clock is not None and screen.realtime and not clock.paused:
            # What frame() is about to do: tick the clock by the real time since the last
            # tick (capped at 0.25 s, as LabScreen does).
            real = min(0.25, time.monotonic() - screen._last_tick)
            self._tick = (self._frame_start, clock.now + real * clock.speed, clock.speed)
        else:
            self._tick = None

    def _after_frame(self) -> None:
        self._tick = None
        end = time.perf_counter()
        if not self.recording:
            return
        # A pod event put during the sim's tick could not be shown before the tick ended.
        self._pending += [(put, due, max(put, self._tick_end if due is not None else put))
                          for put, due, is_pod in self._drained if is_pod]
        shown: list[tuple[float, float | None, float]] = []
        if self._pane_updated:
            if self._refreshed:
                shown = self._pending
            else:
                self.unseen += len(self._pending)
            self._pending = []
        self.frames.append(Frame(self._frame_start, end, len(self._drained), shown,
                                 self._refreshed and self._pane_updated,
                                 sim_seconds=self._tick_seconds))

    def _on_display(self, screen: Any, start: float, end: float) -> None:
        dirty = screen._dirty_widgets
        if self.recording:
            self.displays.append((start, end, len(dirty)))
            if self.target is not None and (self.target in dirty or screen in dirty
                                            or screen._layout_required):
                for f in reversed(self.frames):
                    if f.painted is not None:
                        break
                    if f.end <= start:
                        f.painted = end
        for hook in list(self._display_hooks):
            hook(screen, dirty, end)

    # -- results -------------------------------------------------------------------------
    def pod_latencies(self) -> tuple[list[float], list[float], list[float], int]:
        """Over the recorded frames: emit-to-shown ms, due-to-shown ms, tick-end-to-shown ms
        (the lab's own part: from when the sim's tick ended, or the put if later), and the
        pod events whose pane update did not repaint the target."""
        shown, due, ui, unseen = [], [], [], self.unseen + len(self._pending)
        for f in self.frames:
            if not f.pod_stamps:
                continue
            if f.painted is None:
                unseen += len(f.pod_stamps)
                continue
            for put, when, ready in f.pod_stamps:
                shown.append((f.painted - put) * 1000)
                ui.append((f.painted - ready) * 1000)
                if when is not None:
                    due.append((f.painted - when) * 1000)
        return shown, due, ui, unseen


class Profile:
    """pyinstrument around a stretch of a benchmark (`--profile FILE`), or nothing.

    pyinstrument is not a dependency of k8slab: `pip install pyinstrument` to use it.
    """

    def __init__(self, path: str | None) -> None:
        self.path = path
        self._profiler: Any = None

    def start(self) -> None:
        if not self.path:
            return
        from pyinstrument import Profiler

        self._profiler = Profiler(interval=0.001, async_mode="disabled")
        self._profiler.start()

    def stop(self) -> None:
        if self._profiler is None or not self.path:
            return
        self._profiler.stop()
        show_all = bool(os.environ.get("K8SLAB_BENCH_PROFILE_ALL"))  # library frames too
        text = self._profiler.output_text(unicode=True, color=False, show_all=show_all)
        Path(self.path).write_text(text)
        self._profiler = None
