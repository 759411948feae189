"""Bad states: each shows a clear message and the lab keeps running."""

from __future__ import annotations

import pytest
from textual.widgets import Static

from k8slab.errors import Forbidden
from k8slab.tui.screens.lab import LabScreen
from k8slab.tui.widgets.status_bar import LabStatusBar
from tests.tui.helpers import TUILAB, make_app, settle


def errors(app) -> list[str]:  # type: ignore[no-untyped-def]
    return [f"{n.title}: {n.message}" for n in app.lab.notices if n.severity == "error"]


async def still_running(pilot, app) -> None:  # type: ignore[no-untyped-def]
    """The lab still answers keys: `n` moves to the next step."""
    before = app.session.step.id
    await pilot.press("n")
    await settle(pilot)
    assert isinstance(app.screen, LabScreen)
    assert app.session.step.id != before


async def test_action_on_a_pod_that_does_not_exist() -> None:
    app = make_app(TUILAB)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.lab.go_to("sts-storage")
        await settle(pilot)
        labels = [a.label() for a in app.session.step.actions]
        await pilot.press(str(labels.index("delete pod nginx-sts-9") + 1))
        await settle(pilot)
        [message] = errors(app)
        assert "delete pod nginx-sts-9 failed" in message
        assert "nginx-sts-9" in message and "not found" in message.lower()
        await still_running(pilot, app)


async def test_failing_apply_says_why_and_what_to_do() -> None:
    app = make_app(TUILAB)

    def forbidden(objects, namespace=None):  # type: ignore[no-untyped-def]
        raise Forbidden("daemonsets.apps is forbidden: User \"alice\" cannot create "
                        "resource \"daemonsets\" in namespace \"k8slab-tuilab\"",
                        hint="ask your instructor: this step needs more rights")

    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.session.cluster.apply = forbidden  # type: ignore[method-assign]
        await pilot.press("a")
        await settle(pilot)
        [message] = errors(app)
        assert "apply simple-daemonset.yaml failed" in message
        assert "forbidden" in message and "hint: ask your instructor" in message
        assert app.session.state.get("DaemonSet", "node-logger") is None
        await still_running(pilot, app)


async def test_failing_apply_on_a_real_cluster_runs_in_a_worker() -> None:
    """On a real cluster actions run in a thread; the failure comes back as a message."""
    app = make_app(TUILAB)

    def forbidden(objects, namespace=None):  # type: ignore[no-untyped-def]
        raise Forbidden("namespaces \"kube-system\" is forbidden", hint="use the lab namespace")

    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.session.backend = "kube"  # take the worker path with the sim underneath
        app.session.cluster.apply = forbidden  # type: ignore[method-assign]
        await pilot.press("a")
        await app.workers.wait_for_complete()
        await settle(pilot)
        assert any("forbidden" in m for m in errors(app))
        assert not app.lab.busy
        await still_running(pilot, app)


async def test_unknown_action_number_is_a_warning_not_a_crash() -> None:
    app = make_app(TUILAB)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("9")
        await settle(pilot)
        assert any(n.severity == "warning" and "no action 9" in n.message
                   for n in app.lab.notices)
        await still_running(pilot, app)


@pytest.mark.parametrize("status", ["reconnecting (attempt 2)", "connection refused"])
async def test_backend_disconnect_shows_in_the_status_bar(status: str) -> None:
    app = make_app(TUILAB)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        bar = app.lab.query_one(LabStatusBar)
        conn = bar.query_one("#status-conn", Static)
        assert "watching" in str(conn.render())
        app.session.stream.status = status
        app.lab.frame()
        await settle(pilot)
        assert status in str(conn.render())
        assert conn.has_class("-bad")
        assert any("Lost the watch" in m for m in errors(app))
        await still_running(pilot, app)
        app.session.stream.status = ""
        app.lab.frame()
        await settle(pilot)
        assert "watching" in str(conn.render())
        assert not conn.has_class("-bad")
        assert any("again" in n.message for n in app.lab.notices)


async def test_closed_stream_reads_disconnected() -> None:
    app = make_app(TUILAB)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.session.stream.close()
        app.lab.frame()
        await settle(pilot)
        conn = app.lab.query_one("#status-conn", Static)
        assert "disconnected" in str(conn.render())
        await still_running(pilot, app)
