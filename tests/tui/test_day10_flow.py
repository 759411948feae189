"""Pilot tests: a learner works through Day 10's StatefulSet steps on the sim.

The clock only moves when the test moves it (`realtime=False`), so every run sees the same
sequence: web-0, then web-1 once web-0 is Ready, then web-2.
"""

from __future__ import annotations

from textual.widgets import RadioButton, Static

from k8slab.tui.widgets.action_output import ActionOutput
from k8slab.tui.widgets.checklist import Checklist
from k8slab.tui.widgets.claims_table import ClaimsTable
from k8slab.tui.widgets.step_view import StepView
from k8slab.tui.widgets.timeline import OrdinalTimeline
from tests.tui.helpers import make_app, settle, table_rows, until


def heading(app) -> str:  # type: ignore[no-untyped-def]
    return str(app.lab.query_one("#step-heading", Static).render())


async def go_to_step(pilot, app, title: str) -> None:  # type: ignore[no-untyped-def]
    """Press `n` until the step with this title is on screen (as a learner would)."""
    for _ in range(len(app.session.lesson.steps)):
        if title in heading(app):
            return
        await pilot.press("n")
        await settle(pilot)
    raise AssertionError(f"no step titled {title!r}")


async def test_apply_simple_statefulset_shows_ordinals_in_order() -> None:
    app = make_app("day10")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert "Step 1/" in heading(app)
        await go_to_step(pilot, app, "Your first StatefulSet")
        timeline = app.lab.query_one(OrdinalTimeline)
        assert "web-0" not in table_rows(timeline)

        await pilot.press("a")
        await settle(pilot)
        assert any("web" in n.message and "created" in n.message for n in app.lab.notices)

        # Record what the timeline showed frame by frame.
        seen: list[tuple[str, str]] = []

        def record() -> None:
            for key, cells in table_rows(timeline).items():
                if key.startswith("web/") and not cells[1].endswith("not created") \
                        and (key, cells[1]) not in seen:
                    seen.append((key, cells[1]))

        until(app, lambda: all(
            table_rows(timeline).get(f"web/{n}", ["", ""])[1].endswith("Ready")
            for n in range(3)), each=record)
        await settle(pilot)

        def first(key: str, state: str = "") -> int:
            return next(i for i, (k, s) in enumerate(seen) if k == key and state in s)

        # Each ordinal appears only after its predecessor was shown Ready.
        assert first("web/0") < first("web/0", "Ready") < first("web/1")
        assert first("web/1") < first("web/1", "Ready") < first("web/2")
        header = table_rows(timeline)["sts:web"]
        assert header[1] == "3/3 ready"


async def test_storage_step_shows_a_claim_per_replica_and_scaling() -> None:
    app = make_app("day10")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await go_to_step(pilot, app, "StatefulSets with persistent storage")
        await pilot.press("a")
        claims = app.lab.query_one(ClaimsTable)
        until(app, lambda: all(
            table_rows(claims).get(f"www-nginx-sts-{n}", ["", "", ""])[2].endswith("Bound")
            for n in range(3)))
        await settle(pilot)
        rows = table_rows(claims)
        assert [rows[f"www-nginx-sts-{n}"][1] for n in range(3)] == [
            "nginx-sts-0", "nginx-sts-1", "nginx-sts-2"]
        assert "3" in str(claims.border_title)

        # Scale down (the scale-down scenario step): the claims stay, marked retained.
        app.lab.go_to("scenario-scale-down")
        await settle(pilot)
        actions = app.session.step.actions
        number = next(i for i, a in enumerate(actions, 1)
                      if a.kind == "scale" and a.params["name"] == "nginx-sts"
                      and a.params["replicas"] == 1)
        await pilot.press(str(number))
        timeline = app.lab.query_one(OrdinalTimeline)
        until(app, lambda: "nginx-sts-2" not in {
            c[0].strip() for k, c in table_rows(timeline).items()
            if k.startswith("nginx-sts/") and not c[1].endswith("removed")})
        until(app, lambda: table_rows(timeline)["nginx-sts/1"][1].endswith("removed"))
        await settle(pilot)
        rows = table_rows(claims)
        assert rows["www-nginx-sts-1"][4] == "retained"
        assert rows["www-nginx-sts-2"][4] == "retained"
        assert rows["www-nginx-sts-0"][4] == "nginx-sts-0"
        assert "2 retained" in str(claims.border_title)


async def test_scaling_up_and_down_is_ordered_in_the_timeline() -> None:
    app = make_app("day10")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await go_to_step(pilot, app, "Your first StatefulSet")
        await pilot.press("a")
        timeline = app.lab.query_one(OrdinalTimeline)
        until(app, lambda: table_rows(timeline)["sts:web"][1] == "3/3 ready")
        await go_to_step(pilot, app, "Scaling StatefulSets")
        labels = [a.label() for a in app.session.step.actions]
        await pilot.press(str(labels.index("scale web → 5") + 1))
        until(app, lambda: table_rows(timeline)["sts:web"][1] == "5/5 ready")
        await pilot.press(str(labels.index("scale web → 3") + 1))
        gone: list[str] = []

        def record() -> None:
            for n in (3, 4):
                row = table_rows(timeline).get(f"web/{n}")
                if row and row[1].endswith("removed") and f"web-{n}" not in gone:
                    gone.append(f"web-{n}")

        until(app, lambda: len(gone) == 2, each=record)
        assert gone == ["web-4", "web-3"]  # highest ordinal first


async def test_checklist_turns_green_as_checks_pass_and_quiz_is_answered() -> None:
    app = make_app("day10")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await go_to_step(pilot, app, "Your first StatefulSet")
        checklist = app.lab.query_one(Checklist)
        item = checklist.item_view("headless-statefulsets")
        assert item.verdict.state == "failed"  # the current step's item, not applied yet
        await pilot.press("a")
        until(app, lambda: "does not exist" not in item.verdict.detail
              and "Pending" not in item.verdict.detail and "not Ready" not in
              item.verdict.detail and "web-2" in app.session.state.list("Pod").__repr__())
        until(app, lambda: app.session.state.get("StatefulSet", "web") is not None and
              (app.session.state.get("StatefulSet", "web") or {}).get("status", {})
              .get("readyReplicas") == 3)
        await settle(pilot)
        # The checks pass; the item waits (yellow, not red) for its quiz, answered in place.
        assert item.verdict.state == "pending"
        assert "answer the question below" in item.verdict.detail
        question = app.session.lesson.item("headless-statefulsets").quiz[0]
        right = question.choices[question.answer]
        button = next(b for b in item.query(RadioButton) if str(b.label) == right)
        app.lab.query_one(Checklist).scroll_to_widget(button, animate=False)
        await settle(pilot)
        assert await pilot.click(button)
        await settle(pilot)
        assert app.session.progress.answers.get(question.id) == question.answer
        assert item.verdict.state == "passed"
        assert item.has_class("-passed")
        assert "1/13" in str(checklist.border_title) or "/13" in str(checklist.border_title)
        assert any(n.title == "Checklist" for n in app.lab.notices)
        assert app.session.progress.answers[question.id] == question.answer
        assert "headless-statefulsets" in app.session.progress.passed


async def test_hint_key_reveals_the_steps_hints_in_place() -> None:
    app = make_app("day10")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await go_to_step(pilot, app, "Your first StatefulSet")
        step = app.session.step
        hint = app.lab.query_one("#step-hint", Static)
        assert not hint.has_class("-shown")
        await pilot.press("h")
        await settle(pilot)
        assert hint.has_class("-shown")
        if step.hints:
            assert app.lab.query_one(StepView).hints_shown == 1


async def test_exec_output_stays_on_screen_and_data_survives_the_pod() -> None:
    app = make_app("day10")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.lab.go_to("statefulset-storage")
        await settle(pilot)
        await pilot.press("a")
        until(app, lambda: sum(
            1 for p in app.session.state.list("Pod")
            if p["metadata"]["name"].startswith("nginx-sts-") and any(
                c["type"] == "Ready" and c["status"] == "True"
                for c in p.get("status", {}).get("conditions", []))) == 3)
        app.lab.go_to("statefulset-persistence")
        await settle(pilot)
        output = app.lab.query_one(ActionOutput)
        assert not output.has_class("-shown")  # a new step starts clean
        await pilot.press("2", "4")  # write on nginx-sts-1, then read it back
        await settle(pilot)
        text = str(output.render())
        assert "$ exec nginx-sts-1: cat /usr/share/nginx/html/custom.txt" in text
        assert "Custom data for pod 1" in text
        old_uid = (app.session.state.get("Pod", "nginx-sts-1") or {})["metadata"]["uid"]
        await pilot.press("5")  # delete the pod; the controller recreates it

        def back() -> bool:
            pod = app.session.state.get("Pod", "nginx-sts-1")
            return pod is not None and pod["metadata"]["uid"] != old_uid and any(
                c["type"] == "Ready" and c["status"] == "True"
                for c in pod.get("status", {}).get("conditions", []))

        until(app, back)
        await pilot.press("4")
        await settle(pilot)
        assert "Custom data for pod 1" in str(output.render())
        assert not output.has_class("-failed")


async def test_wait_bar_follows_a_partitioned_rollout() -> None:
    app = make_app("day10")
    async with app.run_test(size=(160, 48)) as pilot:  # wide enough for the rev column
        await settle(pilot)
        app.lab.go_to("statefulset-basics")
        await settle(pilot)
        await pilot.press("a")
        until(app, lambda: app.session.waiting() is None)
        app.lab.go_to("statefulset-update")
        await settle(pilot)
        await pilot.press("1", "2")  # partition 2, then a new image
        seen: list[str] = []

        def record() -> None:
            w = app.session.waiting()
            if w is not None and w.detail and w.detail not in seen:
                seen.append(w.detail)

        record()
        until(app, lambda: app.session.waiting() is None, each=record)
        assert seen and seen[0] == "rolling out: 0/1 updated"
        timeline = app.lab.query_one(OrdinalTimeline)
        rows = table_rows(timeline)
        # Only web-2 (at or above the partition) got the new revision; web-0, web-1 held.
        assert rows["web/0"][3].endswith("⏸") and rows["web/1"][3].endswith("⏸")
        assert rows["web/2"][3] == rows["sts:web"][3]
        assert rows["web/0"][3].split()[0] != rows["web/2"][3]
