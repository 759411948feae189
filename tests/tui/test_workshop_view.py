"""A workshop learner's lab, without a cluster: the badges over adapted steps, the actions a
learner may not run, the outline and checklist marks, and a progress save problem shown once.

The real control plane runs the same lab with a provisioned learner's kubeconfig in
test_workshop_learner.py; here the workshop is given to the session on the sim, so every run
is exact.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import Button, RadioButton, Static

from k8slab.cluster.factory import open_cluster
from k8slab.errors import Forbidden
from k8slab.lessons import load_lesson, render_text
from k8slab.lessons.model import Lesson
from k8slab.tui.app import LabApp
from k8slab.tui.session import LabSession
from k8slab.tui.views.workshop import DEMO, REWRITTEN, item_tag, outline_mark, step_badge
from k8slab.tui.widgets.checklist import Checklist
from k8slab.tui.widgets.navigator import LessonNavigator
from k8slab.workshop.adapt import StepView
from k8slab.workshop.learner import LearnerWorkshop
from k8slab.workshop.progress_store import Membership, ProgressMirror
from tests.tui.helpers import buttons, settle, shown, until
from tests.workshop.lessons import mini_lesson

# -- the badge, as words and colours ---------------------------------------------------------


def test_badges_say_how_each_mode_runs() -> None:
    assert step_badge(None) is None and step_badge(StepView("ok")) is None
    labels = StepView("demo", "only the instructor may change node labels", earnable=True)
    badge = step_badge(labels)
    assert badge is not None
    assert badge.plain.startswith(f" {DEMO} ")
    assert "only the instructor may change node labels." in badge.plain
    assert "still counts" in badge.plain
    refused = step_badge(StepView("demo", "fluentd.yaml needs hostPath", earnable=False))
    assert refused is not None and "still counts" not in refused.plain
    assert "fluentd.yaml needs hostPath." in refused.plain  # a file name keeps its case
    moved = step_badge(StepView("rewritten", "agent.yaml targets kube-system"))
    assert moved is not None and moved.plain.startswith(f" {REWRITTEN} ")
    assert "↪" in REWRITTEN and "◌" in DEMO


def test_outline_marks_and_item_tags() -> None:
    assert outline_mark(StepView("demo", "x")) == ("◌", "magenta")
    assert outline_mark(StepView("rewritten", "x")) == ("↪", "cyan")
    assert outline_mark(StepView("ok")) is None and outline_mark(None) is None
    assert item_tag(False) is None
    tag = item_tag(True)
    assert tag is not None and "instructor demo" in tag[0]


# -- the lab on the sim, as a workshop learner sees it ---------------------------------------

def workshop_app(lesson: Lesson, mirror_cluster: Any = None) -> LabApp:
    """The lab as `create_app` builds it for a learner of workshop `ws-<lesson>`."""
    cluster = open_cluster(lesson, realtime=False)
    workshop = LearnerWorkshop.for_lesson(Membership(f"ws-{lesson.id}", "ana"), lesson)
    mirror = None
    if mirror_cluster is not None:
        mirror = ProgressMirror(mirror_cluster, cluster.namespace, lesson.id)
    session = LabSession(lesson, cluster, store=None, workshop=workshop, mirror=mirror,
                         render=lambda text: render_text(text, namespace=cluster.namespace))
    return LabApp(session, realtime=False)


def worker_labels(app: LabApp) -> dict[str, str]:
    node = app.session.state.get("Node", "worker-1")
    assert node is not None
    return dict(node["metadata"].get("labels") or {})


async def test_a_node_label_demo_keeps_apply_and_refuses_the_labels() -> None:
    app = workshop_app(load_lesson("day10"))
    async with app.run_test(size=(130, 42)) as pilot:
        await settle(pilot)
        assert "workshop ws-day10" in shown(app, "#status-where")
        assert any(n.title == "Workshop ws-day10" for n in app.lab.notices)
        app.lab.go_to("node-selector")
        await settle(pilot)
        badge = shown(app, "#step-badge")
        assert DEMO in badge and "only the instructor may change node labels" in badge
        assert "still counts" in badge
        assert "needs cluster-admin" not in shown(app, "#step-heading")
        state = buttons(app)
        assert state["1 apply selective-daemonset.yaml"] is True
        assert [enabled for label, enabled in state.items() if "label" in label] == \
            [False, False]
        assert "only the instructor" in str(app.lab.query_one("#action-2", Button).tooltip)

        before = worker_labels(app)
        await pilot.press("2")  # the key works where the mouse cannot: refused all the same
        await settle(pilot)
        assert worker_labels(app) == before
        refusal = app.lab.notices[-1]
        assert refusal.severity == "warning" and "only the instructor" in refusal.message
        await pilot.press("e")  # the node form is the instructor's too
        await settle(pilot)
        assert "shared" in app.lab.notices[-1].message
        assert len(app.screen_stack) == 1

        await pilot.press("ctrl+p")  # the palette lists them, and refuses them the same way
        await settle(pilot)
        await pilot.press(*"Run: label")
        await app.workers.wait_for_complete()
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert worker_labels(app) == before
        assert app.lab.notices[-1].title.endswith("the instructor's")

        await pilot.press("a")
        await settle(pilot)
        until(app, lambda: app.session.state.get("DaemonSet", "gpu-monitor") is not None)
        assert buttons(app)["1 apply selective-daemonset.yaml"] is True


async def test_a_demo_the_namespace_refuses_runs_nothing() -> None:
    app = workshop_app(load_lesson("day10"))
    async with app.run_test(size=(130, 42)) as pilot:
        await settle(pilot)
        app.lab.go_to("log-collector")
        await settle(pilot)
        badge = shown(app, "#step-badge")
        assert DEMO in badge and "hostPath" in badge and "still counts" not in badge
        assert list(buttons(app).values()) == [False]
        await pilot.press("a")
        await settle(pilot)
        app.lab.frame()
        assert app.session.state.get("DaemonSet", "log-collector", "kube-system") is None
        assert app.session.state.list("DaemonSet") == []
        assert "hostPath" in app.lab.notices[-1].message

        # The outline marks demos with ◌; the checklist tags what only the instructor shows.
        nav = app.lab.query_one(LessonNavigator)
        label = nav._step_nodes["log-collector"].label
        assert isinstance(label, Text) and label.plain.endswith(" ◌")
        assert "⚠" not in label.plain
        assert nav._step_nodes["statefulset-basics"].label.plain.rstrip()[-1] not in "◌↪⚠"
        item = app.lab.query_one(Checklist).item_view("host-paths")
        assert "instructor demo" in str(item.query_one(".item-title", Static).render())


async def test_a_kube_system_step_is_rewritten_into_the_learners_namespace() -> None:
    app = workshop_app(mini_lesson())
    async with app.run_test(size=(130, 42)) as pilot:
        await settle(pilot)
        app.lab.go_to("agent")
        await settle(pilot)
        badge = shown(app, "#step-badge")
        assert REWRITTEN in badge and "kube-system" in badge
        assert list(buttons(app).values()) == [True]
        nav = app.lab.query_one(LessonNavigator)
        assert nav._step_nodes["agent"].label.plain.endswith(" ↪")
        app.lab.go_to("web")  # a step done as written has no badge
        await settle(pilot)
        assert shown(app, "#step-badge") == ""


async def test_outside_a_workshop_nothing_changes() -> None:
    from tests.tui.helpers import make_app

    app = make_app("day10", save_progress=False)
    async with app.run_test(size=(130, 42)) as pilot:
        await settle(pilot)
        app.lab.go_to("node-selector")
        await settle(pilot)
        assert shown(app, "#step-badge") == ""
        assert "needs cluster-admin" in shown(app, "#step-heading")
        assert all(buttons(app).values())
        assert "workshop" not in shown(app, "#status-where")


class Refusing:
    """A cluster that refuses the progress ConfigMap, as an expired token would."""

    def patch(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        raise Forbidden("configmaps \"k8slab-progress\" is forbidden: token expired",
                        "ask the instructor for a fresh kubeconfig")


async def test_a_save_problem_is_shown_once() -> None:
    app = workshop_app(load_lesson("day10"), mirror_cluster=Refusing())
    async with app.run_test(size=(130, 42)) as pilot:
        await settle(pilot)
        sync = app.session.sync
        assert sync is not None
        app.lab.go_to("statefulset-basics")
        await settle(pilot)
        item = app.lab.query_one(Checklist).item_view("headless-statefulsets")
        question = app.session.lesson.item("headless-statefulsets").quiz[0]
        button = next(b for b in item.query(RadioButton)
                      if str(b.label) == question.choices[question.answer])
        app.lab.query_one(Checklist).scroll_to_widget(button, animate=False)
        await settle(pilot)
        assert await pilot.click(button)
        await settle(pilot)
        assert app.session.progress.answers[question.id] == question.answer
        for _ in range(3):  # several saves fail; the learner hears about it once
            assert sync.flush(timeout=10)
            app.lab.frame()
            await settle(pilot)
            app.lab.go_to("statefulset-dns")
            await settle(pilot)
        assert isinstance(sync.problem, Forbidden)
        warnings = [n for n in app.lab.notices if n.title == "Workshop"]
        assert len(warnings) == 1
        assert "token expired" in warnings[0].message
