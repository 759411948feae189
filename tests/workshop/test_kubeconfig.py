"""Per-learner kubeconfig files: durations, content and file mode."""

from __future__ import annotations

import base64
import stat
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from k8slab.errors import K8slabError
from k8slab.workshop.admin import Endpoint
from k8slab.workshop.kubeconfig import LearnerCredentials, parse_duration, render, write


@pytest.mark.parametrize(("text", "seconds"), [
    ("8h", 8 * 3600), ("90m", 5400), ("1h30m", 5400), ("2d", 172800), ("600s", 600),
])
def test_parse_duration(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "8", "h", "5m", "8x", "1h 30m", "8d"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(K8slabError):
        parse_duration(text)


CREDS = LearnerCredentials("ws", "ana", "ws-ana", "system:serviceaccount:ws-ana:learner",
                           "tok3n", "2030-01-01T00:00:00Z")


def test_render_points_at_the_learner_namespace() -> None:
    cfg = render(Endpoint("https://10.0.0.1:6443", b"PEM"), CREDS)
    ctx = cfg["contexts"][0]
    assert cfg["current-context"] == ctx["name"] == "ws-ana"
    assert ctx["context"]["namespace"] == "ws-ana"
    cluster = cfg["clusters"][0]["cluster"]
    assert cluster["server"] == "https://10.0.0.1:6443"
    assert base64.b64decode(cluster["certificate-authority-data"]) == b"PEM"
    assert "insecure-skip-tls-verify" not in cluster
    assert cfg["users"][0]["user"] == {"token": "tok3n"}


def test_write_is_private_and_readable(tmp_path: Path) -> None:
    path = write(tmp_path / "out" / "ana.kubeconfig", render(Endpoint("https://x", None), CREDS))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert YAML(typ="safe").load(path.read_text())["users"][0]["user"]["token"] == "tok3n"
    assert [p.name for p in path.parent.iterdir()] == ["ana.kubeconfig"]  # no temp file left
