"""The same lab on the kube backend, against the real control plane (kube-apiserver,
controller-manager, scheduler, KWOK): actions run in worker threads, the panes follow the
real watch stream. Waits block on the screen's own "the cluster changed" event, never sleep.
"""

from __future__ import annotations

import secrets
from typing import Any

import pytest

from k8slab.cli import main
from k8slab.tui.app import create_app
from k8slab.tui.widgets.timeline import OrdinalTimeline
from tests.tui.helpers import settle, table_rows, until_real

pytestmark = pytest.mark.controlplane


async def test_statefulset_step_on_a_real_control_plane(
        controlplane: Any, capsys: pytest.CaptureFixture[str]) -> None:
    namespace = f"k8slab-tui-{secrets.token_hex(3)}"
    app = create_app("day10", kube=True, kubeconfig=str(controlplane.kubeconfig),
                     namespace=namespace, save_progress=False)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            assert app.session.clock is None  # no sim controls on a real cluster
            assert "kube" in app.lab.sub_title
            app.lab.go_to("statefulset-basics")
            await settle(pilot)
            await pilot.press("a")
            await app.workers.wait_for_complete()
            await settle(pilot)
            assert any("created" in n.message for n in app.lab.notices), app.lab.notices
            timeline = app.lab.query_one(OrdinalTimeline)
            await until_real(app, lambda: table_rows(timeline).get("sts:web", ["", ""])[1]
                             == "3/3 ready", what="web 3/3 ready", timeout=120.0)
            rows = table_rows(timeline)
            assert [rows[f"web/{n}"][0].strip() for n in range(3)] == ["web-0", "web-1",
                                                                          "web-2"]
            await pilot.press("space")  # no clock to pause: the key does nothing, no crash
            await settle(pilot)
            assert app.session.step.id == "statefulset-basics"
    finally:
        # `k8slab reset --kube` deletes what the lab made (and leaves the plane as it was).
        code = main(["reset", "day10", "--kube", "--kubeconfig", str(controlplane.kubeconfig),
                     "--namespace", namespace])
    out = capsys.readouterr().out
    assert code == 0
    assert "deleted statefulset/web" in out
    assert f"deleted namespace {namespace}" in out
