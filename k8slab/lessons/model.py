"""What a loaded lesson is: plain, immutable dataclasses. The loader builds them; the runner,
grader and TUI read them. See docs/lesson-format.md for the file format."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from k8slab.actions import Action


@dataclass(frozen=True, slots=True)
class Manifest:
    """One manifest file of a lesson: its text as written, and the objects it declares."""

    name: str  # file name relative to the lesson's manifests/ folder
    path: Path
    text: str
    objects: tuple[dict[str, Any], ...]
    # Why this manifest needs cluster-wide power, e.g. ("kube-system", "hostPath").
    risks: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Step:
    """One step of a part: text to read, YAML to apply, things to do."""

    id: str
    title: str
    text: str  # markdown with {{namespace}} placeholders; see k8slab.lessons.render_text()
    manifests: tuple[str, ...] = ()
    actions: tuple[Action, ...] = ()
    hints: tuple[str, ...] = ()
    solution: tuple[Action, ...] = ()
    # Needs cluster-wide power (node labels, kube-system): an instructor demo in a workshop.
    cluster_admin: bool = False


@dataclass(frozen=True, slots=True)
class Part:
    id: str
    title: str
    steps: tuple[Step, ...]


@dataclass(frozen=True, slots=True)
class Check:
    """A declarative check: a kind from `k8slab.grading.catalog.CHECKS` and its parameters."""

    kind: str
    params: dict[str, Any] = field(default_factory=dict)
    line: int = 0


@dataclass(frozen=True, slots=True)
class Question:
    """A multiple-choice quiz question."""

    id: str
    prompt: str
    choices: tuple[str, ...]
    answer: int  # index into choices
    explanation: str = ""


@dataclass(frozen=True, slots=True)
class ChecklistItem:
    """One line of the lesson's checklist, graded by checks or by quiz questions (or both)."""

    id: str
    title: str
    step: str | None = None  # the step that teaches it
    checks: tuple[Check, ...] = ()
    quiz: tuple[Question, ...] = ()
    hint: str = ""


@dataclass(frozen=True, slots=True)
class SimBehaviour:
    """How the sim should play a container: a hint from the lesson author.

    `match` selects containers by the top-level workload (`{kind: Job, name: resilient-job}`)
    and optionally a container name. Unset fields fall back to interpreting the command.
    """

    match: dict[str, str]
    container: str | None = None
    duration: float | None = None  # seconds until the main process exits; None = runs forever
    exit_code: int | None = None
    failure_rate: float | None = None  # chance in [0, 1] that a run exits 1
    # The first N runs of the workload's containers exit 1 whatever failure_rate says, so a
    # lesson can show a retry deterministically; later runs follow exit_code / failure_rate.
    fail_first: int | None = None
    ready_after: float | None = None  # seconds from start until Ready
    logs: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Lesson:
    id: str
    title: str
    summary: str
    path: Path  # the lesson file
    parts: tuple[Part, ...]
    checklist: tuple[ChecklistItem, ...]
    manifests: dict[str, Manifest]
    sim: tuple[SimBehaviour, ...] = ()

    @property
    def steps(self) -> list[Step]:
        return [s for p in self.parts for s in p.steps]

    def step(self, step_id: str) -> Step:
        for s in self.steps:
            if s.id == step_id:
                return s
        raise KeyError(step_id)

    def item(self, item_id: str) -> ChecklistItem:
        for i in self.checklist:
            if i.id == item_id:
                return i
        raise KeyError(item_id)

    def default_namespace(self) -> str:
        return f"k8slab-{self.id}"
