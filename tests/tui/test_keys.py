"""Keys, help, the command palette, the sim clock, the node form and the two layouts."""

from __future__ import annotations

from textual.binding import Binding
from textual.containers import Grid
from textual.widgets import Input, Select, Static, TabbedContent

from k8slab.tui.app import LabApp
from k8slab.tui.screens.help import HelpScreen
from k8slab.tui.screens.lab import LabScreen
from k8slab.tui.screens.node_form import NodeForm, build_action
from k8slab.tui.widgets.coverage_grid import CoverageGridPane
from k8slab.tui.widgets.navigator import LessonNavigator
from k8slab.tui.widgets.step_view import StepView
from tests.tui.helpers import TUILAB, make_app, settle, table_rows, until


def help_text(app: LabApp) -> str:
    screen = app.screen
    assert isinstance(screen, HelpScreen)
    return "\n".join(str(s.render()) for s in screen.query(Static))


def help_keys(app: LabApp) -> dict[str, str]:
    """Description -> key, as the help screen lists them."""
    screen = app.screen
    assert isinstance(screen, HelpScreen)
    return {k.description: k.key for k in screen.keys}


async def test_help_lists_every_key_of_the_lab_and_the_app() -> None:
    app = make_app(TUILAB)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        text = help_text(app)
        keys = help_keys(app)
        for binding in LabScreen.BINDINGS:
            assert isinstance(binding, Binding)
            what = (binding.group.description if binding.group
                    else binding.tooltip or binding.description)
            assert what in keys, binding
        assert keys["Run the step's action with that number"] == "1-9"
        assert keys["Pause or resume the sim's clock"] == "space"
        shown = [k for key in keys.values() for k in key.split(" / ")]
        for key in ("q", "?", "^s", "^p", "tab", "+", "-", ".", "j", "e", "z", "l"):
            assert key in shown, key
        assert "Colours" in text and "Mouse" in text
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, LabScreen)


async def test_help_follows_a_remapped_key() -> None:
    app = make_app(TUILAB)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.set_keymap({"k8slab.next_step": "f6"})
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        next_step = next(b for b in LabScreen.BINDINGS
                         if isinstance(b, Binding) and b.id == "k8slab.next_step")
        assert help_keys(app)[next_step.tooltip] == "f6"
        await pilot.press("escape")
        await pilot.press("f6")
        await settle(pilot)
        assert app.session.step.id == "ds-system"


async def test_command_palette_goes_to_a_step() -> None:
    app = make_app(TUILAB)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await settle(pilot)
        await pilot.press(*"A CronJob")
        await app.workers.wait_for_complete()
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert app.session.step.id == "cron"
        assert "A CronJob" in str(app.lab.query_one("#step-heading", Static).render())


async def test_clock_keys_pause_speed_step_and_jump() -> None:
    app = make_app(TUILAB)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        clock = app.session.clock
        assert clock is not None and not clock.paused and clock.speed == 1
        await pilot.press("space")
        assert clock.paused
        await pilot.press("space")
        assert not clock.paused
        await pilot.press("plus", "plus")
        assert clock.speed == 4
        await pilot.press("minus", "minus", "minus", "minus")
        assert clock.speed == 0.25
        clock_label = app.lab.query_one("#status-clock", Static)
        await settle(pilot)
        assert "0.25" in str(clock_label.render())
        await pilot.press("j")
        assert any("No CronJob" in n.message for n in app.lab.notices)
        app.lab.go_to("cron")
        await settle(pilot)
        await pilot.press("a")
        until(app, lambda: app.session.state.get("CronJob", "cleanup") is not None)
        before = clock.now
        await pilot.press("j")
        await settle(pilot)
        assert before < 60 <= clock.now < 61  # "*/1 * * * *": the next minute
        until(app, lambda: bool(app.session.state.list("Job")), within=30)
        t = clock.now
        await pilot.press("full_stop")
        assert clock.paused and clock.now >= t


async def test_node_form_adds_a_node_and_the_grid_shows_it() -> None:
    app = make_app(TUILAB)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        assert isinstance(app.screen, NodeForm)
        app.screen.query_one("#node-op", Select).value = "add-node"
        await settle(pilot)
        name = app.screen.query_one("#node-name", Input)
        name.focus()
        await pilot.press(*"worker-9")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, LabScreen)
        until(app, lambda: app.session.state.get("Node", "worker-9") is not None)
        await settle(pilot)
        grid = app.lab.query_one(CoverageGridPane)
        assert "worker-9" in table_rows(grid.table)


async def test_node_form_explains_bad_input() -> None:
    app = make_app(TUILAB)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, NodeForm)
        form.query_one("#node-pick", Select).value = "worker-1"
        form.query_one("#node-text", Input).value = "gpu"
        await pilot.click("#node-run")
        await settle(pilot)
        assert isinstance(app.screen, NodeForm)
        assert "key=value" in str(form.query_one("#node-error", Static).render())
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, LabScreen)


def test_build_action_covers_every_operation() -> None:
    assert build_action("label-node", "worker-1", "gpu=true", "NoSchedule").params == {
        "node": "worker-1", "labels": {"gpu": "true"}}
    assert build_action("unlabel-node", "worker-1", "gpu-", "").params == {
        "node": "worker-1", "keys": ["gpu"]}
    assert build_action("taint-node", "worker-2", "dedicated=gpu", "NoExecute").params == {
        "node": "worker-2", "key": "dedicated", "value": "gpu", "effect": "NoExecute"}
    assert build_action("untaint-node", "worker-2", "dedicated", "").params == {
        "node": "worker-2", "key": "dedicated"}
    added = build_action("add-node", "worker-3", "zone=b", "")
    assert added.params["name"] == "worker-3" and added.params["labels"] == {"zone": "b"}
    assert build_action("remove-node", "worker-3", "", "").params == {"name": "worker-3"}


async def test_layout_is_tabs_at_80x24_and_side_by_side_when_wide() -> None:
    app = make_app(TUILAB)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.lab.query(TabbedContent) and not app.lab.query("#panes")
        tabs = app.lab.query_one(TabbedContent)
        assert tabs.active == "tab-coverage"  # the first step is about a DaemonSet
        await pilot.press("tab")
        await settle(pilot)
        assert tabs.active != "tab-coverage"
        await pilot.resize_terminal(160, 48)
        await settle(pilot)
        await settle(pilot)
        assert app.lab.query(Grid) and not app.lab.query(TabbedContent)
        assert app.lab.query_one(StepView).step is not None
        assert len(app.lab.body.panes()) == 6


async def test_mouse_opens_a_step_and_presses_an_action_button() -> None:
    app = make_app(TUILAB)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        nav = app.lab.query_one(LessonNavigator)
        node = next(n for n in nav._step_nodes.values() if n.data == "cron")
        await pilot.click(nav, offset=(8, node.line - int(nav.scroll_y) + 1))
        await settle(pilot)
        assert app.session.step.id == "cron"
        await pilot.click("#action-1")
        await settle(pilot)
        until(app, lambda: app.session.state.get("CronJob", "cleanup") is not None)


async def test_zoom_fills_the_screen_with_a_pane_and_restores_it() -> None:
    app = make_app(TUILAB)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        grid = app.lab.query_one(CoverageGridPane)
        grid.table.focus()
        await pilot.press("z")
        await settle(pilot)
        assert app.lab.maximized is grid
        await pilot.press("z")
        await settle(pilot)
        assert app.lab.maximized is None
