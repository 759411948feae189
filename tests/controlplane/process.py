"""Processes of the control plane: each in its own process group, with its log file."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_is_listening(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def proc_start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot, to tell it from a reused pid."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return fields[19] if len(fields) > 19 else None


def pid_alive(pid: int, start_time: str | None) -> bool:
    current = proc_start_time(pid)
    if current is None or (start_time is not None and current != start_time):
        return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def log_tail(path: Path, lines: int = 40) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 64 * 1024))
            text = f.read().decode("utf-8", "replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])


@dataclass
class Component:
    """One process of the control plane, started in its own process group."""

    name: str
    argv: list[str]
    log: Path
    env: dict[str, str] | None = None
    pid: int | None = None
    start_time: str | None = None
    popen: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def start(self) -> None:
        with open(self.log, "ab") as log:
            log.write(f"\n==== {time.strftime('%H:%M:%S')} starting {self.name}\n".encode())
            log.flush()
            self.popen = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self.env,
                start_new_session=True,  # own process group: killpg reaches its children too
            )
        self.pid = self.popen.pid
        self.start_time = proc_start_time(self.pid)

    def alive(self) -> bool:
        if self.pid is None:
            return False
        if self.popen is not None:
            return self.popen.poll() is None
        return pid_alive(self.pid, self.start_time)

    def exit_code(self) -> int | None:
        return self.popen.poll() if self.popen is not None else None

    def stop(self, grace: float = 10.0) -> None:
        """SIGTERM the process group, then SIGKILL whatever is left after `grace` seconds."""
        if self.pid is None:
            return
        if self.alive():
            self._signal(signal.SIGTERM)
            if not self._wait_gone(grace):
                self._signal(signal.SIGKILL)
                self._wait_gone(5.0)
        if self.popen is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(timeout=5)
        self.pid = None
        self.popen = None

    def _signal(self, sig: signal.Signals) -> None:
        assert self.pid is not None
        # The group id is the pid (start_new_session); only signal it if the leader is ours.
        try:
            if self.popen is not None or pid_alive(self.pid, self.start_time):
                os.killpg(self.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    def _wait_gone(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                return True
            time.sleep(0.05)
        return not self.alive()

    def to_state(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "argv": self.argv,
            "log": str(self.log),
            "env": self.env,
            "pid": self.pid,
            "start_time": self.start_time,
        }

    @classmethod
    def from_state(cls, data: Mapping[str, Any]) -> Component:
        return cls(
            name=data["name"],
            argv=list(data["argv"]),
            log=Path(data["log"]),
            env=data.get("env"),
            pid=data.get("pid"),
            start_time=data.get("start_time"),
        )
