"""The binaries that build.sh compiles and caches."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
BUILD_SCRIPT = HERE / "build.sh"
BINARIES = ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok")


class ControlPlaneError(RuntimeError):
    """The control plane could not be built, started or reached. The message says why."""


def binaries_dir() -> Path:
    """Where build.sh puts (or has put) the binaries."""
    out = subprocess.run(
        ["bash", str(BUILD_SCRIPT), "--print-dir"], check=True, capture_output=True, text=True
    )
    return Path(out.stdout.strip().splitlines()[-1])


def missing_binaries(bin_dir: Path) -> list[str]:
    return [b for b in BINARIES if not os.access(bin_dir / b, os.X_OK)]


def built_versions(bin_dir: Path) -> dict[str, str]:
    """The versions build.sh recorded: {"kubernetes": "v1.37.1", "etcd": ..., "kwok": ...}."""
    versions = {}
    try:
        lines = (Path(bin_dir) / "versions").read_text().splitlines()
    except OSError:
        return {}
    for line in lines:
        parts = line.split()
        if len(parts) >= 2:
            versions[parts[0]] = parts[1]
    return versions


def ensure_binaries(build: bool = True, stream: Any = None) -> Path:
    """Return the binaries' directory, after running build.sh if `build`.

    build.sh returns at once when the binaries match its pinned versions, and builds what is
    missing or stale otherwise; its progress goes to `stream` (default: inherited stderr).
    With build=False, a missing binary raises ControlPlaneError that points at build.sh.
    """
    bin_dir = binaries_dir()
    if not build:
        missing = missing_binaries(bin_dir)
        if missing:
            raise ControlPlaneError(
                f"control-plane binaries missing in {bin_dir}: {', '.join(missing)}.\n"
                f"Build them once with: {BUILD_SCRIPT}  (cold build: about 8 min on 2 cores)"
            )
        return bin_dir
    proc = subprocess.run(
        ["bash", str(BUILD_SCRIPT)], stdout=subprocess.PIPE, stderr=stream, text=True
    )
    if proc.returncode != 0:
        raise ControlPlaneError(f"{BUILD_SCRIPT} failed with exit code {proc.returncode}")
    missing = missing_binaries(bin_dir)
    if missing:
        raise ControlPlaneError(
            f"{BUILD_SCRIPT} succeeded but {', '.join(missing)} missing in {bin_dir}"
        )
    return bin_dir
