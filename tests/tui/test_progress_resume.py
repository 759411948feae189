"""Progress: saved as the learner goes, resumed on the next run, a corrupt file reported."""

from __future__ import annotations

from textual.widgets import RadioButton

from k8slab.progress import ProgressStore
from k8slab.tui.widgets.checklist import Checklist
from tests.tui.helpers import TUILAB, make_app, settle


async def test_step_and_answers_are_resumed_on_the_next_run() -> None:
    app = make_app(TUILAB)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert not app.session.resumed
        await pilot.press("n", "n")
        await settle(pilot)
        assert app.session.step.id == "sts-storage"
        item = app.lab.query_one(Checklist).item_view("explain")
        item.set_current(True)  # unfold the quiz (a click on its title does the same)
        await settle(pilot)
        wrong = next(b for b in item.query(RadioButton) if str(b.label) == "StatefulSet")
        app.lab.query_one(Checklist).scroll_to_widget(wrong, animate=False)
        await settle(pilot)
        await pilot.click(wrong)
        await settle(pilot)
        await pilot.press("q")
    saved = ProgressStore().load("tuilab", "sim", "k8slab-tuilab")
    assert saved.resumed
    assert saved.progress.step == "sts-storage"
    assert saved.progress.answers == {"q-daemonset": 2}

    again = make_app(TUILAB)
    async with again.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert again.session.resumed
        assert again.session.step.id == "sts-storage"
        assert any("Welcome back" in n.message for n in again.lab.notices)
        item = again.lab.query_one(Checklist).item_view("explain")
        item.set_current(True)
        await settle(pilot)
        chosen = [str(b.label) for b in item.query(RadioButton) if b.value]
        assert chosen == ["StatefulSet"]
        assert item.verdict.state == "failed"  # answered, but wrong


async def test_corrupt_progress_is_set_aside_and_reported() -> None:
    store = ProgressStore()
    path = store.path("tuilab", "sim", "k8slab-tuilab")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('{"version": 1, "lesson": "tuilab", "step": ')
    app = make_app(TUILAB)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        warnings = [n for n in app.lab.notices if n.severity == "warning"]
        assert any("unreadable" in n.message and ".corrupt-" in n.message for n in warnings)
        assert app.session.step.id == "ds-simple"
        await pilot.press("n")
        await settle(pilot)
        assert app.session.step.id == "ds-system"
    assert [p.name for p in path.parent.glob("*.corrupt-*")]
    assert store.load("tuilab", "sim", "k8slab-tuilab").progress.step == "ds-system"


async def test_passed_items_stay_passed_in_the_next_session() -> None:
    app = make_app(TUILAB)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.lab.go_to("sts-storage")
        await settle(pilot)
        await pilot.press("a")
        from tests.tui.helpers import until

        checklist = app.lab.query_one(Checklist)
        until(app, lambda: checklist.item_view("sts-ready").verdict.state == "passed")
        await pilot.press("q")
    again = make_app(TUILAB)
    async with again.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        view = again.lab.query_one(Checklist).item_view("sts-ready")
        assert view.verdict.state == "earlier"  # the new sim is empty, the item stays earned
        assert view.verdict.done
