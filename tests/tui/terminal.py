"""A real terminal for the installed `k8slab`: a private tmux server, keys in, screen out.

Waiting never sleeps for a fixed time: tmux copies everything the program draws into a FIFO
(`pipe-pane`), and `wait_for` blocks on that FIFO until the program draws again, then reads
the screen with `capture-pane` and checks the condition.
"""

from __future__ import annotations

import contextlib
import os
import select
import shlex
import subprocess
import time
from collections.abc import Callable
from pathlib import Path


class Terminal:
    """One tmux session of `width` x `height` running one command."""

    def __init__(self, workdir: Path, width: int = 120, height: int = 40) -> None:
        self.socket = f"k8slab-test-{os.getpid()}-{id(self)}"
        self.width, self.height = width, height
        self.fifo = workdir / "pane.fifo"
        self.config = workdir / "tmux.conf"
        self.status_file = workdir / "exit-status"
        os.mkfifo(self.fifo)
        self._fd = os.open(self.fifo, os.O_RDONLY | os.O_NONBLOCK)
        # Our own (silent) writer keeps the FIFO from reading as end-of-file between
        # tmux's writes, so select() blocks until there is real output.
        self._hold = os.open(self.fifo, os.O_WRONLY | os.O_NONBLOCK)
        self.target = "lab:0.0"

    def tmux(self, *args: str) -> str:
        done = subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True,
                              text=True, check=True)
        return done.stdout

    def start(self, command: list[str], env: dict[str, str]) -> None:
        exports = [f"-e{k}={v}" for k, v in env.items()]
        # A shell may export COLUMNS/LINES from before tmux sized the pane; the program must
        # read the pane's real size instead.
        run = shlex.join(["env", "-u", "COLUMNS", "-u", "LINES", *command])
        # When the program ends, the pane's shell signals the channel `wait_exit` blocks on
        # and exits with the program's status.
        line = (f"{run}; status=$?; echo $status > {shlex.quote(str(self.status_file))}; "
                f"tmux -L {shlex.quote(self.socket)} wait-for -S lab-died; exit $status")
        # Read before the program starts: even one that exits at once leaves its pane.
        self.config.write_text("set -g remain-on-exit on\n")
        self.tmux("-f", str(self.config), "new-session", "-d", "-s", "lab",
                  "-x", str(self.width), "-y", str(self.height), *exports, line)
        self.tmux("pipe-pane", "-t", self.target, "-o", f"cat > {shlex.quote(str(self.fifo))}")

    def keys(self, *keys: str) -> None:
        """Send keys as tmux names them (`n`, `Enter`, `Escape`, `?`)."""
        for key in keys:
            self.tmux("send-keys", "-t", self.target, key)

    def screen(self, history: bool = False) -> str:
        """The visible screen as plain text, one line per row (with `history`, the lines
        scrolled off the top too)."""
        extra = ["-S", "-"] if history else []
        return self.tmux("capture-pane", "-p", *extra, "-t", self.target)

    def wait_exit(self, timeout: float) -> int:
        """Block until the program exits; its exit status."""
        # A signal sent before anyone waits is kept, so this cannot miss an early exit.
        try:
            subprocess.run(["tmux", "-L", self.socket, "wait-for", "lab-died"], check=True,
                           timeout=timeout, capture_output=True)
        except subprocess.TimeoutExpired:
            # Make the hung program print where each of its threads is (PYTHONFAULTHANDLER
            # is set for it), then report that.
            pid = self.tmux("display-message", "-p", "-t", self.target, "#{pane_pid}").strip()
            subprocess.run(["pkill", "-ABRT", "-P", pid], capture_output=True)  # the program
            subprocess.run(["tmux", "-L", self.socket, "wait-for", "lab-died"],
                           timeout=10, capture_output=True)
            raise AssertionError(f"still running after {timeout:g}s; then:\n"
                                 f"{self.screen(history=True)}") from None
        return int(self.status_file.read_text())

    def exited(self) -> bool:
        return self.tmux("display-message", "-p", "-t", self.target, "#{pane_dead}").strip() \
            == "1"

    def wait_for(self, condition: str | Callable[[str], bool], timeout: float = 60.0) -> str:
        """Block until the screen shows `condition` (a string, or a test of the screen text);
        return that screen. Fails after `timeout` seconds with the last screen."""
        check = (lambda s: condition in s) if isinstance(condition, str) else condition
        deadline = time.monotonic() + timeout
        screen = self.screen()
        while not check(screen):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"timed out waiting for {condition!r}; the screen:\n"
                                     f"{screen}")
            # Wake up when the program draws something (or the pane dies).
            ready, _, _ = select.select([self._fd], [], [], min(remaining, 2.0))
            if ready:
                with contextlib.suppress(BlockingIOError):
                    os.read(self._fd, 1 << 16)
            elif self.exited():
                # No more output will come; tmux may still be filling in the exit status.
                for _ in range(50):
                    screen = self.screen()
                    if check(screen):
                        return screen
                raise AssertionError(f"k8slab exited before showing {condition!r}; the "
                                     f"screen:\n{screen}")
            screen = self.screen()
        return screen

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True)
        os.close(self._hold)
        os.close(self._fd)
