"""The benchmarks still run: each script in its quick mode ends with one JSON object carrying
its figures, baseline, ratio and target. No timing is asserted; benchmarks are not tests."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.controlplane.binaries import binaries_dir, missing_binaries

ROOT = Path(__file__).resolve().parents[2]
COMMON = {"benchmark", "baseline", "ratio", "target", "target_met", "machine"}


def run_bench(script: str, *args: str, timeout: float = 600) -> dict[str, Any]:
    """Run bench/<script> from the repository root; its last line, parsed as strict JSON."""
    proc = subprocess.run([sys.executable, f"bench/{script}", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout, check=False)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    last = proc.stdout.strip().splitlines()[-1]
    fig: dict[str, Any] = json.loads(last, parse_constant=_no_constants)
    assert fig.keys() >= COMMON, sorted(COMMON - fig.keys())
    return fig


def _no_constants(name: str) -> None:
    raise AssertionError(f"{name} is not JSON")


def test_startup_reports_lab_and_floor() -> None:
    fig = run_bench("startup.py", "--quick")
    assert fig["benchmark"] == "startup"
    assert fig["k8slab"]["n"] == fig["baseline"]["n"] == 2
    assert fig["baseline"]["median"] > 0 and fig["k8slab"]["median"] > 0
    assert fig["ratio"] == round(fig["k8slab"]["median"] / fig["baseline"]["median"], 2)
    assert set(fig["k8slab"]["phases_ms"]) == {"mounted", "armed", "painted"}
    assert fig["target"] == {"ratio_max": 1.5}


def test_live_latency_times_pod_events() -> None:
    fig = run_bench("live_latency.py", "--quick")
    assert fig["benchmark"] == "live_latency"
    assert fig["pods"] == fig["coverage_rows"] == 100
    assert fig["emit_to_shown"]["n"] > 0 and fig["due_to_shown"]["n"] > 0
    assert fig["emit_to_shown"]["p50_ms"] <= fig["emit_to_shown"]["p99_ms"]
    assert fig["target"] == {"emit_to_shown_p99_ms_max": 50.0}


def test_ui_scale_times_keys_batches_and_memory() -> None:
    fig = run_bench("ui_scale.py", "--quick", "--only", "daemonset")
    assert fig["benchmark"] == "ui_scale"
    ds = fig["scenarios"]["daemonset"]
    assert ds["finished"] is True and ds["pods_now"] == ds["size"] == 60
    assert ds["keys"]["n"] > 0 and ds["keys_never_repainted"] == 0
    assert ds["batches"] > 0 and ds["peak_rss_mb"] > 0
    assert set(fig["baseline"]) == {"day10"}
    assert fig["ratio"]["daemonset"] == ds["key_p95_ratio_vs_empty"]


@pytest.mark.controlplane
@pytest.mark.skipif(bool(missing_binaries(binaries_dir())),
                    reason="control-plane binaries not built (tests/controlplane/build.sh)")
def test_api_cost_counts_requests_per_user() -> None:
    fig = run_bench("api_cost.py", "--quick", timeout=900)
    assert fig["benchmark"] == "api_cost"
    assert [s["pods"] for s in fig["sizes"]] == [10, 50]
    for size in fig["sizes"]:
        assert size["connect_requests"] > 0  # the lists and watches were seen in the audit log
        assert size["lesson_requests"] > 0
        assert all(size["lesson_actions_ok"])
        assert size["poller_idle_per_minute"] > 0
