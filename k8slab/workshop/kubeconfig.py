"""Per-learner kubeconfig files with time-limited ServiceAccount tokens (TokenRequest API).

Tokens are bound to the ServiceAccount and expire on their own; nothing long-lived is stored in
the cluster (no token Secrets). Running `workshop create` again issues fresh tokens and rewrites
the files. Files are written atomically with mode 0600, in a 0700 folder.
"""

from __future__ import annotations

import base64
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from k8slab.errors import K8slabError
from k8slab.workshop.admin import Endpoint

_DURATION = re.compile(r"(\d+)([smhd])")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400}
MIN_SECONDS = 600  # the TokenRequest API's floor
MAX_SECONDS = 7 * 86400


def parse_duration(text: str) -> int:
    """Seconds in `8h`, `90m`, `1h30m`, `2d` (10 minutes to 7 days).

    Raises:
        K8slabError: not a duration, or out of range.
    """
    s = text.strip().lower()
    parts = _DURATION.findall(s)
    if not s or not parts or "".join(n + u for n, u in parts) != s:
        raise K8slabError(f"--duration {text!r} is not a duration",
                          hint="write it like 8h, 90m, 1h30m or 2d")
    seconds = sum(int(n) * _UNIT[u] for n, u in parts)
    if not MIN_SECONDS <= seconds <= MAX_SECONDS:
        raise K8slabError(f"--duration {text}: tokens last between 10m and 7d",
                          hint="a workshop day is typically 8h")
    return seconds


@dataclass(frozen=True, slots=True)
class LearnerCredentials:
    """What goes into one learner's kubeconfig."""

    workshop: str
    learner: str
    namespace: str
    user: str  # system:serviceaccount:<ns>:<sa>
    token: str
    expires: str  # RFC 3339, as the API server reported it


def render(endpoint: Endpoint, creds: LearnerCredentials) -> dict[str, Any]:
    """The kubeconfig as a dict: one cluster, one user, one context defaulting to the learner's
    namespace."""
    cluster: dict[str, Any] = {"server": endpoint.server}
    if endpoint.ca_data:
        cluster["certificate-authority-data"] = base64.b64encode(endpoint.ca_data).decode()
    if endpoint.insecure:
        cluster["insecure-skip-tls-verify"] = True
    context = f"{creds.workshop}-{creds.learner}"
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": creds.workshop, "cluster": cluster}],
        "users": [{"name": creds.user, "user": {"token": creds.token}}],
        "contexts": [{"name": context, "context": {
            "cluster": creds.workshop, "user": creds.user, "namespace": creds.namespace}}],
        "current-context": context,
        "preferences": {},
    }


def write(path: Path, kubeconfig: dict[str, Any]) -> Path:
    """Write `kubeconfig` as YAML to `path` atomically, readable only by its owner."""
    from ruamel.yaml import YAML

    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            yaml = YAML(typ="safe", pure=True)
            yaml.default_flow_style = False
            yaml.dump(kubeconfig, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def file_for(out_dir: Path, learner: str) -> Path:
    return out_dir / f"{learner}.kubeconfig"
