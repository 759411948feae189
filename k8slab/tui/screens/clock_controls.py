"""The sim's clock controls, as actions of the lab screen: pause, speed, step, jump."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from k8slab.tui.views.timebase import short

if TYPE_CHECKING:
    from k8slab.tui.session import LabSession

#: The speeds `+` and `-` step through (virtual seconds per real second).
SPEEDS = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0, 60.0)


def next_speed(speed: float, direction: int) -> float:
    """The next speed up (+1) or down (-1) the ladder from `speed`."""
    if direction > 0:
        return next((s for s in SPEEDS if s > speed + 1e-9), SPEEDS[-1])
    return next((s for s in reversed(SPEEDS) if s < speed - 1e-9), SPEEDS[0])


class ClockControls:
    """Mixed into the lab screen: each action works on the sim and is hidden on a real
    cluster (its `check_action` says so, so Footer and help leave it out)."""

    session: LabSession

    if TYPE_CHECKING:  # provided by the screen this is mixed into
        def notify(self, message: str, *, title: str = "", severity: Any = "information",
                   timeout: float | None = None, markup: bool = True) -> None: ...

        def frame(self) -> None: ...

    def has_clock(self) -> bool:
        return self.session.clock is not None

    def action_toggle_pause(self) -> None:
        clock = self.session.clock
        if clock is None:
            return
        clock.paused = not clock.paused
        self.frame()

    def action_faster(self) -> None:
        self._set_speed(+1)

    def action_slower(self) -> None:
        self._set_speed(-1)

    def _set_speed(self, direction: int) -> None:
        clock = self.session.clock
        if clock is None:
            return
        clock.speed = next_speed(clock.speed, direction)
        self.frame()

    def action_step_clock(self) -> None:
        """Run the sim's next happening (a controller sync, a kubelet step), then stop."""
        clock = self.session.clock
        if clock is None:
            return
        clock.paused = True
        when = clock.step()
        if when is None:
            self.notify("Nothing is scheduled: the cluster is idle.", title="Step")
        self.frame()

    def action_jump_cron(self) -> None:
        """Jump to the next CronJob run and let it happen."""
        clock = self.session.clock
        if clock is None:
            return
        before = clock.now
        when = clock.jump_to_next_cron()
        if when is None:
            self.notify("No CronJob is scheduled to run. Apply a CronJob (or resume one) first.",
                        title="Jump to next run", severity="warning")
        else:
            self.notify(f"Jumped {short(when - before)} ahead to the next CronJob run "
                        f"({self.session.timebase.elapsed(when)}).", title="Jump to next run")
        self.frame()
