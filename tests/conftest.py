"""Shared fixtures. The real control plane's fixtures live in tests/controlplane/fixtures.py."""

from __future__ import annotations

import importlib.util

import pytest

if importlib.util.find_spec("tests.controlplane.fixtures") is not None:
    pytest_plugins = ["tests.controlplane.fixtures"]


@pytest.fixture(autouse=True)
def _isolated_state(tmp_path_factory: pytest.TempPathFactory,
                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep every test's progress files and lesson cache out of the user's directories."""
    monkeypatch.setenv("K8SLAB_STATE_DIR", str(tmp_path_factory.mktemp("state")))
    monkeypatch.setenv("K8SLAB_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
