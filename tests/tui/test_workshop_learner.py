"""A workshop learner runs the lab on the real control plane with the kubeconfig `k8slab
workshop create` wrote for them, and no --namespace: the lab works in their namespace, the
steps only the instructor can do show it and refuse, a kube-system manifest lands in their own
namespace, and a quiz answer reaches the instructor through the `k8slab-progress` ConfigMap.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from textual.widgets import RadioButton

from k8slab.cli import main
from k8slab.errors import NotFound
from k8slab.tui.app import create_app
from k8slab.tui.views.workshop import DEMO, REWRITTEN
from k8slab.tui.widgets.checklist import Checklist
from k8slab.tui.widgets.quiz import QuizQuestion
from tests.controlplane.plane import ControlPlane
from tests.tui.helpers import buttons, settle, shown, until_real
from tests.workshop.lessons import mini_lesson
from tests.workshop.provisioned import Provisioned, provisioned

pytestmark = pytest.mark.controlplane


@pytest.fixture(scope="module")
def workshop(controlplane: ControlPlane,
             tmp_path_factory: pytest.TempPathFactory) -> Iterator[Provisioned]:
    with provisioned(controlplane, tmp_path_factory.mktemp("kubeconfigs"),
                     ["ana", "carla"]) as ws:
        yield ws


async def test_a_learner_runs_day10_with_their_kubeconfig(
        workshop: Provisioned, capsys: pytest.CaptureFixture[str]) -> None:
    own = workshop.ns("ana")
    app = create_app("day10", kube=True, kubeconfig=workshop.kubeconfig("ana"))
    async with app.run_test(size=(130, 42)) as pilot:
        await settle(pilot)
        session = app.session
        assert session.namespace == own  # from the kubeconfig's context
        assert session.workshop is not None and session.workshop.learner == "ana"
        assert f"workshop {workshop.name}" in shown(app, "#status-where")

        # Node labels: the instructor's. The learner's own DaemonSet still counts.
        app.lab.go_to("node-selector")
        await settle(pilot)
        badge = shown(app, "#step-badge")
        assert DEMO in badge and "node labels" in badge
        state = buttons(app)
        assert state["1 apply selective-daemonset.yaml"] is True
        assert [on for label, on in state.items() if "label" in label] == [False, False]
        await pilot.press("2")
        await settle(pilot)
        assert "only the instructor" in app.lab.notices[-1].message
        worker = workshop.admin.get("Node", "worker-1")
        assert "gpu" not in worker["metadata"].get("labels", {})
        await pilot.press("a")
        await app.workers.wait_for_complete()
        await settle(pilot)
        ds = workshop.admin.get("DaemonSet", "gpu-monitor", own)
        assert ds["metadata"]["namespace"] == own

        # hostPath: the namespace's Pod Security level refuses it; nothing to press.
        app.lab.go_to("log-collector")
        await settle(pilot)
        assert "hostPath" in shown(app, "#step-badge")
        assert list(buttons(app).values()) == [False]

        # Quiz answers reach the instructor, whose status grades the item on them.
        app.lab.go_to("choosing-a-controller")
        await settle(pilot)
        item_id = next(i.id for i in session.lesson.checklist
                       if i.step == "choosing-a-controller" and i.quiz)
        checklist = app.lab.query_one(Checklist)
        for question in session.lesson.item(item_id).quiz:
            quiz = next(q for q in checklist.item_view(item_id).query(QuizQuestion)
                        if q.question.id == question.id)
            button = next(b for b in quiz.query(RadioButton)
                          if str(b.label) == question.choices[question.answer])
            checklist.scroll_to_widget(button, animate=False)
            await settle(pilot)
            assert await pilot.click(button)
            await settle(pilot)
        await until_real(app, lambda: item_id in session.progress.passed,
                         what="the quiz item to pass")
        assert session.sync is not None and session.sync.flush(timeout=30)
        assert session.remote_problem is None
        record = workshop.record("ana", "day10")
        assert record is not None
        assert record.answers == {q.id: q.answer for q in session.lesson.item(item_id).quiz}
        assert record.step == "choosing-a-controller"
        assert not [n for n in app.lab.notices if n.title == "Workshop"]
    capsys.readouterr()
    assert main(["workshop", "status", "--json", "--name", workshop.name,
                 "--kubeconfig", str(workshop.cp.kubeconfig)]) == 0
    rows = {r["learner"]: r for r in json.loads(capsys.readouterr().out)["learners"]}
    cell = rows["ana"]["items"][item_id]
    assert (cell["state"], cell["source"]) == ("passed", "learner"), cell
    assert rows["ana"]["step"] == "choosing-a-controller"
    assert rows["carla"]["items"][item_id]["state"] == "todo"


async def test_a_kube_system_manifest_is_rewritten_into_the_learners_namespace(
        workshop: Provisioned) -> None:
    own = workshop.ns("carla")
    app = create_app(mini_lesson(), kube=True, kubeconfig=workshop.kubeconfig("carla"))
    async with app.run_test(size=(130, 42)) as pilot:
        await settle(pilot)
        assert app.session.namespace == own
        app.lab.go_to("agent")
        await settle(pilot)
        badge = shown(app, "#step-badge")
        assert REWRITTEN in badge and "kube-system" in badge
        assert list(buttons(app).values()) == [True]
        await pilot.press("a")
        await app.workers.wait_for_complete()
        await settle(pilot)
        assert any("moved from kube-system" in n.message for n in app.lab.notices), \
            app.lab.notices
        assert workshop.admin.get("DaemonSet", "agent", own)["metadata"]["namespace"] == own
        with pytest.raises(NotFound):
            workshop.admin.get("DaemonSet", "agent", "kube-system")
        await until_real(app, lambda: app.session.state.get("DaemonSet", "agent") is not None,
                         what="the agent DaemonSet in the lab's mirror")

