"""Grade a lesson's checklist against the cluster state, its history and the quiz answers.

The TUI grades after every batch of watch events, so grading is incremental: checks are pure,
and a report is recomputed only when the state, its history or the answers changed.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field

from k8slab.grading.checks import evaluate
from k8slab.grading.context import CheckResult, GradingContext
from k8slab.lessons.model import ChecklistItem, Lesson, Question
from k8slab.state.mirror import ClusterState


@dataclass(frozen=True, slots=True)
class CheckOutcome:
    """One check of an item and its result."""

    kind: str
    params: Mapping[str, object]
    result: CheckResult

    @property
    def passed(self) -> bool:
        return self.result.passed


@dataclass(frozen=True, slots=True)
class QuizOutcome:
    """One quiz question and how it was answered (`choice` None: not yet)."""

    question: Question
    choice: int | None

    @property
    def passed(self) -> bool:
        return self.choice is not None and self.choice == self.question.answer


@dataclass(frozen=True, slots=True)
class ItemResult:
    """The grade of one checklist item.

    Attributes:
        detail: what was seen: the first failing check's detail, or every check's when passed.
        hint: what to do next ("" when passed).
        checks: each check's outcome; `quiz` each question's.
    """

    id: str
    title: str
    passed: bool
    detail: str
    hint: str = ""
    checks: tuple[CheckOutcome, ...] = ()
    quiz: tuple[QuizOutcome, ...] = ()

    @property
    def auto(self) -> bool:
        """Graded from the cluster (it has checks), not only from quiz answers."""
        return bool(self.checks)


@dataclass(frozen=True, slots=True)
class Report:
    """A graded checklist."""

    lesson: str
    backend: str
    items: tuple[ItemResult, ...]
    namespace: str = ""

    @property
    def passed(self) -> int:
        return sum(1 for i in self.items if i.passed)

    @property
    def total(self) -> int:
        return len(self.items)

    @property
    def all_passed(self) -> bool:
        return self.passed == self.total

    def item(self, item_id: str) -> ItemResult:
        for i in self.items:
            if i.id == item_id:
                return i
        raise KeyError(item_id)


def grade_quiz(item: ChecklistItem, answers: Mapping[str, int]) -> tuple[QuizOutcome, ...]:
    return tuple(QuizOutcome(q, answers.get(q.id)) for q in item.quiz)


def grade_item(item: ChecklistItem, ctx: GradingContext) -> ItemResult:
    """An item passes when every check passes and every quiz question is answered right."""
    checks = tuple(CheckOutcome(c.kind, dict(c.params), evaluate(c.kind, c.params, ctx))
                   for c in item.checks)
    quiz = grade_quiz(item, ctx.answers)
    failed = [c for c in checks if not c.passed]
    passed = not failed and all(q.passed for q in quiz)
    if failed:
        detail, hint = failed[0].result.detail, failed[0].result.hint or item.hint
    elif passed:
        details = [c.result.detail for c in checks]
        if quiz:
            details.append(_quiz_done(quiz))
        detail, hint = "; ".join(details), ""
    else:
        detail, hint = _quiz_problem(quiz), _quiz_hint(item, quiz)
    return ItemResult(item.id, item.title, passed, detail, hint, checks, quiz)


def _quiz_done(quiz: tuple[QuizOutcome, ...]) -> str:
    n = len(quiz)
    return "answered the question correctly" if n == 1 else \
        f"answered all {n} questions correctly"


def _quiz_problem(quiz: tuple[QuizOutcome, ...]) -> str:
    unanswered = [q for q in quiz if q.choice is None]
    wrong = [q for q in quiz if q.choice is not None and not q.passed]
    right = len(quiz) - len(unanswered) - len(wrong)
    if len(quiz) == 1:
        return "not answered yet" if unanswered else \
            f"the answer \"{_choice(wrong[0])}\" is not right"
    parts = [f"{right} of {len(quiz)} answered correctly"]
    if wrong:
        parts.append(f"{len(wrong)} wrong")
    if unanswered:
        parts.append(f"{len(unanswered)} not answered")
    return ", ".join(parts)


def _choice(q: QuizOutcome) -> str:
    choices = q.question.choices
    return choices[q.choice] if q.choice is not None and 0 <= q.choice < len(choices) else \
        str(q.choice)


def _quiz_hint(item: ChecklistItem, quiz: tuple[QuizOutcome, ...]) -> str:
    if item.hint:
        return item.hint
    wrong = [q for q in quiz if q.choice is not None and not q.passed]
    if wrong and wrong[0].question.explanation:
        return wrong[0].question.explanation
    return "answer the quiz in the lab (k8slab run)"


@dataclass
class Grader:
    """Grades one lesson's checklist, re-running checks only when something changed.

    `grade()` is cheap to call after every batch of watch events: the report is cached on
    (state generation, history length, answers).
    """

    lesson: Lesson
    backend: str = "sim"
    namespace: str = ""
    _cache_key: tuple[object, ...] | None = field(default=None, repr=False)
    _cached: Report | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def grade(self, state: ClusterState, answers: Mapping[str, int] | None = None) -> Report:
        """The checklist's grade now. Thread-safe; returns the cached report when nothing
        changed."""
        answers = dict(answers or {})
        key = (id(state), state.generation, len(state.history), tuple(sorted(answers.items())))
        with self._lock:
            if self._cached is not None and key == self._cache_key:
                return self._cached
            ns = self.namespace or state.namespace or self.lesson.default_namespace()
            ctx = GradingContext(state, ns, answers)
            report = Report(self.lesson.id, self.backend,
                            tuple(grade_item(item, ctx) for item in self.lesson.checklist), ns)
            self._cache_key, self._cached = key, report
            return report


def grade(lesson: Lesson, state: ClusterState, answers: Mapping[str, int] | None = None, *,
          backend: str = "sim", namespace: str = "") -> Report:
    """Grade once (no caching)."""
    return Grader(lesson, backend, namespace).grade(state, answers)
