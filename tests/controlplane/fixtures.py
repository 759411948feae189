"""pytest plugin: the real control plane as fixtures.

Load it from the root conftest with `pytest_plugins = ["tests.controlplane.fixtures"]`.

Fixtures:
    controlplane            session-scoped ControlPlane, started once, stopped at the end
    controlplane_exec       the same plane, for tests of `kubectl exec`: skipped (saying why)
                            where the plane cannot play exec (see exec_jail.py)
    controlplane_client     session-scoped kubernetes.client.ApiClient (admin)
    controlplane_namespace  a fresh namespace per test, deleted afterwards

Environment:
    K8SLAB_CONTROLPLANE_BUILD=0   never run build.sh from the tests; fail if binaries are missing
    K8SLAB_CONTROLPLANE_ATTACH=1  use the plane `scripts/controlplane up` left running (or =DIR
                                  for a plane's work directory); it is not stopped afterwards.
                                  Tests that stop or restart their own plane still start one.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.controlplane.plane import (
    ControlPlane,
    ControlPlaneError,
    default_run_dir,
    ensure_binaries,
    reap_stale,
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "controlplane: runs against a real kube-apiserver, controller-manager, scheduler and KWOK",
    )


@pytest.fixture(scope="session")
def controlplane(request: pytest.FixtureRequest) -> Iterator[ControlPlane]:
    """A running control plane: 3 fake nodes, a default `standard` StorageClass, 30 PVs,
    and the static user `learner` (see DEFAULT_USERS) besides `admin`."""
    attach = os.environ.get("K8SLAB_CONTROLPLANE_ATTACH", "")
    if attach:
        yield _attached(Path(attach) if attach != "1" else default_run_dir())
        return
    build = os.environ.get("K8SLAB_CONTROLPLANE_BUILD", "1") != "0"
    capture = request.config.pluginmanager.getplugin("capturemanager")
    try:
        reap_stale()
        # A cold build takes many minutes: show its progress rather than a silent pause.
        if capture is not None:
            with capture.global_and_fixture_disabled():
                bin_dir = ensure_binaries(build=build, stream=sys.stderr)
        else:
            bin_dir = ensure_binaries(build=build, stream=sys.stderr)
        cp = ControlPlane(bin_dir=bin_dir).start()
    except ControlPlaneError as e:
        problem = str(e)
    else:
        problem = ""
    if problem:
        pytest.fail(problem, pytrace=False)
    yield cp
    cp.stop()


def _attached(directory: Path) -> ControlPlane:
    try:
        cp = ControlPlane.attach(directory)
    except ControlPlaneError as e:
        problem = f"{e}\nStart one with: scripts/controlplane up"
    else:
        dead = [name for name, ok in cp.alive().items() if not ok]
        problem = f"control plane in {directory} has dead components: {dead}" if dead else ""
    if problem:
        pytest.fail(problem, pytrace=False)
    return cp


@pytest.fixture(scope="session")
def controlplane_exec(controlplane: ControlPlane) -> ControlPlane:
    """The session's plane, when KWOK serves `kubectl exec` on it (see exec_play.py).

    A plane that cannot play exec fails the tests that need it, rather than skipping them
    unseen; K8SLAB_CONTROLPLANE_NO_EXEC=1 turns that into a skip, deliberately.
    """
    if not controlplane.exec_served:
        why = f"the control plane does not play kubectl exec: {controlplane.exec_problem}"
        if os.environ.get("K8SLAB_CONTROLPLANE_NO_EXEC") == "1":
            pytest.skip(why)
        pytest.fail(f"{why} (set K8SLAB_CONTROLPLANE_NO_EXEC=1 to skip these tests instead)")
    return controlplane


@pytest.fixture(scope="session")
def controlplane_client(controlplane: ControlPlane) -> Iterator[Any]:
    api = controlplane.api_client()
    yield api
    api.close()


@pytest.fixture
def controlplane_namespace(
    controlplane: ControlPlane, request: pytest.FixtureRequest
) -> Iterator[str]:
    """A namespace of its own for one test; deleted (without waiting) when the test ends."""
    stem = "".join(c if c.isalnum() else "-" for c in request.node.name.lower())[:40].strip("-")
    name = f"{stem}-{secrets.token_hex(3)}"
    controlplane.request(
        "POST",
        "/api/v1/namespaces",
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}},
    )
    yield name
    with contextlib.suppress(OSError):
        controlplane.request("DELETE", f"/api/v1/namespaces/{name}")
