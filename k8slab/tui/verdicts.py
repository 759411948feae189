"""The checklist's verdicts as the TUI shows them, whatever grader produced them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

VerdictState = Literal["passed", "earlier", "failed", "pending", "todo"]


@dataclass(frozen=True, slots=True)
class Verdict:
    """Where one checklist item stands.

    `passed`: the checks pass now. `earlier`: passed in this or a previous session and
    remembered in the progress file (the sim starts empty every run). `failed`: checked and
    not met. `pending`: nothing to judge yet (a quiz not answered). `todo`: not met, but its
    step is still ahead, so it is not a failure yet.
    """

    item: str
    state: VerdictState
    detail: str = ""
    hint: str = ""

    @property
    def done(self) -> bool:
        return self.state in ("passed", "earlier")
