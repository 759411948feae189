"""Outcomes recorded on the real control plane, so the sim is held to them without one.

`test_comparison.py` checks sim == real live (it needs the control plane). Each real outcome
is also kept in `recorded/<scenario>.json`; `test_scenarios_sim.py` checks the sim against it
on every run, plane or not. Re-record after a Kubernetes version bump (once the live
comparison passes again) with:

    K8SLAB_RECORD_COMPARISON=1 pytest tests/comparison -m controlplane
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from tests.comparison.outcome import Outcome

DIRECTORY = Path(__file__).parent / "recorded"
RECORD_ENV = "K8SLAB_RECORD_COMPARISON"


def path_for(scenario_id: str) -> Path:
    return DIRECTORY / f"{scenario_id}.json"


def load(scenario_id: str) -> tuple[Outcome, dict[str, Any]] | None:
    """(the recorded outcome, where it was recorded), or None if it never was."""
    path = path_for(scenario_id)
    if not path.exists():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    return data["outcome"], data["recorded on"]


def recording() -> bool:
    return os.environ.get(RECORD_ENV, "") not in ("", "0")


def save(scenario_id: str, outcome: Outcome, version: str) -> None:
    """Write the real cluster's outcome (sorted keys, so re-recording diffs cleanly)."""
    DIRECTORY.mkdir(exist_ok=True)
    data = {"recorded on": {"kubernetes": version, "nodes": "KWOK (tests/controlplane)"},
            "outcome": outcome}
    path_for(scenario_id).write_text(json.dumps(data, indent=1, sort_keys=True,
                                                ensure_ascii=False) + "\n", encoding="utf-8")
