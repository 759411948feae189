"""pytest plugin: the real control plane as fixtures.

Load it from the root conftest with `pytest_plugins = ["tests.controlplane.fixtures"]`.

Fixtures:
    controlplane            session-scoped ControlPlane, started once, stopped at the end
    controlplane_client     session-scoped kubernetes.client.ApiClient (admin)
    controlplane_namespace  a fresh namespace per test, deleted afterwards

Environment:
    K8SLAB_CONTROLPLANE_BUILD=0   never run build.sh from the tests; fail if binaries are missing
"""

from __future__ import annotations

import contextlib
import os
import secrets
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from tests.controlplane.plane import ControlPlane, ControlPlaneError, ensure_binaries, reap_stale


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "controlplane: runs against a real kube-apiserver, controller-manager, scheduler and KWOK",
    )


@pytest.fixture(scope="session")
def controlplane(request: pytest.FixtureRequest) -> Iterator[ControlPlane]:
    """A running control plane: 3 fake nodes, a default `standard` StorageClass, 30 PVs."""
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
        pytest.fail(str(e), pytrace=False)
    yield cp
    cp.stop()


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
