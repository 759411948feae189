"""The TUI's doorway to the shared action runner and grader.

`k8slab.runner.ActionRunner` runs actions for the TUI, `check --solve` and the workshop alike;
`k8slab.grading.grader.Grader` grades a lesson. This module turns the grader's report into
what the checklist shows (`Verdict`), so the widgets never depend on the grader's internals.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from k8slab.cluster.protocol import Cluster, EventStream
from k8slab.lessons.model import Lesson
from k8slab.state.mirror import ClusterState
from k8slab.tui.verdicts import Verdict

if TYPE_CHECKING:
    from k8slab.grading.grader import Grader, ItemResult
    from k8slab.runner.runner import ActionRunner


def make_runner(cluster: Cluster, lesson: Lesson, state: ClusterState,
                answers: dict[str, int], stream: EventStream) -> ActionRunner:
    """The shared ActionRunner for this session. It folds `stream` into `state` after each
    action, so whoever else drains `stream` holds `runner.lock`."""
    from k8slab.runner.runner import ActionRunner

    return ActionRunner(cluster, lesson, state, answers=answers, stream=stream)


def make_grader(lesson: Lesson, backend: str, namespace: str) -> Grader:
    from k8slab.grading.grader import Grader

    return Grader(lesson, backend, namespace)


def verdicts(grader: Grader, state: ClusterState, answers: Mapping[str, int]) -> list[Verdict]:
    """One verdict per checklist item, in checklist order.

    A check that crashes must not take the lab down with it: if the whole report fails,
    the items are graded one by one and only the broken one says so.
    """
    try:
        report = grader.grade(state, answers)
    except Exception:
        return _one_by_one(grader, state, answers)
    return [verdict(item) for item in report.items]


def _one_by_one(grader: Grader, state: ClusterState, answers: Mapping[str, int]
                ) -> list[Verdict]:
    from k8slab.grading.context import GradingContext
    from k8slab.grading.grader import grade_item

    ctx = GradingContext(state, grader.namespace or state.namespace, dict(answers))
    out = []
    for item in grader.lesson.checklist:
        try:
            out.append(verdict(grade_item(item, ctx)))
        except Exception as exc:
            out.append(Verdict(item.id, "failed",
                               f"k8slab could not grade this item ({type(exc).__name__}: "
                               f"{exc})", "this is a bug in k8slab; please report it"))
    return out


def verdict(result: ItemResult) -> Verdict:
    """Passed, failed, or pending (a quiz item whose questions are not all answered yet)."""
    if result.passed:
        return Verdict(result.id, "passed", result.detail)
    checks_pass = all(c.passed for c in result.checks)
    unanswered = [q for q in result.quiz if q.choice is None]
    wrong = [q for q in result.quiz if q.choice is not None and not q.passed]
    if checks_pass and unanswered and not wrong:
        # The cluster shows it; only the learner's answer is missing: waiting, not failing.
        n = len(unanswered)
        detail = ("the cluster part is done; " if result.checks else "") + \
            ("answer the question below" if n == 1 else f"answer the {n} questions below")
        return Verdict(result.id, "pending", detail, result.hint)
    return Verdict(result.id, "failed", result.detail, result.hint)
