"""`k8slab run` and `k8slab reset` as commands: errors are one line (no traceback) and a
non-zero exit before any screen starts; reset forgets progress."""

from __future__ import annotations

import pytest

from k8slab.cli import main
from k8slab.progress import Progress, ProgressStore
from tests.tui.helpers import TUILAB


def test_run_unknown_lesson_is_one_line_and_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "day99"]) == 1
    err = capsys.readouterr().err
    assert "day99" in err and "Traceback" not in err
    assert "hint:" in err


@pytest.mark.parametrize("speed", ["0.1", "61"])
def test_run_speed_out_of_range(speed: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "day10", "--speed", speed]) == 2
    err = capsys.readouterr().err
    assert f"--speed {float(speed):g} is out of range" in err
    assert "0.25" in err and "60" in err


def test_run_context_without_kube_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "day10", "--context", "kind-kind"]) == 2
    assert "add --kube" in capsys.readouterr().err


def test_run_kube_without_a_cluster_fails_before_the_screen(
        tmp_path: object, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("KUBECONFIG", str(tmp_path) + "/missing-kubeconfig")
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert main(["run", TUILAB, "--kube"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "Traceback" not in err


def test_reset_forgets_progress_on_the_sim_only(capsys: pytest.CaptureFixture[str]) -> None:
    store = ProgressStore()
    store.save(Progress("day10", "sim", "k8slab-day10", step="statefulset-basics"))
    store.save(Progress("day10", "kube", "k8slab-day10", step="daemonset-basics"))
    assert main(["reset", "day10"]) == 0
    assert "forgot your progress in day10 (sim, namespace k8slab-day10)" in \
        capsys.readouterr().out
    assert not store.load("day10", "sim", "k8slab-day10").resumed
    assert store.load("day10", "kube", "k8slab-day10").resumed
    assert main(["reset", "day10"]) == 0
    assert "no saved progress" in capsys.readouterr().out


def test_reset_with_a_namespace(capsys: pytest.CaptureFixture[str]) -> None:
    store = ProgressStore()
    store.save(Progress("day11", "sim", "alice", step="hello-job"))
    assert main(["reset", "day11", "--namespace", "alice"]) == 0
    assert not store.load("day11", "sim", "alice").resumed


@pytest.mark.parametrize("command", ["run", "check"])
def test_fast_cron_without_kube_is_refused(command: str,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert main([command, "day11", "--fast-cron"]) == 2
    err = capsys.readouterr().err
    assert "error: --fast-cron is for real clusters" in err
    assert "hint: add --kube" in err and "Traceback" not in err
