"""What a check reads (`GradingContext`) and what it returns (`CheckResult`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from k8slab.state.history import History, Transition
from k8slab.state.mirror import ClusterState


@dataclass(frozen=True, slots=True)
class CheckResult:
    """The verdict of one check.

    Attributes:
        passed: whether the cluster shows what the check asks for.
        detail: one line a learner understands, saying what was seen.
        hint: what to do next when it failed ("" when it passed).
    """

    passed: bool
    detail: str
    hint: str = ""


def ok(detail: str) -> CheckResult:
    """A passing result."""
    return CheckResult(True, detail)


def fail(detail: str, hint: str = "") -> CheckResult:
    """A failing result with a hint."""
    return CheckResult(False, detail, hint)


@dataclass(frozen=True, slots=True)
class GradingContext:
    """Everything a check may look at. Checks are pure functions of this.

    Attributes:
        state: the mirror of the cluster, fed by watch events.
        namespace: the lab namespace, used when a check names none.
        answers: quiz answers, question id -> chosen index.
    """

    state: ClusterState
    namespace: str
    answers: Mapping[str, int] = field(default_factory=dict)

    @property
    def history(self) -> History:
        return self.state.history

    @property
    def now(self) -> float:
        return self.state.now

    def ns(self, params: Mapping[str, Any]) -> str:
        """The namespace a check's parameters name, else the lab's."""
        return str(params.get("namespace") or self.namespace)

    def get(self, kind: str, name: str, namespace: str) -> dict[str, Any] | None:
        return self.state.get(kind, name, namespace)

    def find(self, kind: str, name: str, namespace: str) -> tuple[dict[str, Any] | None, str]:
        """An object and the namespace it was found in.

        A manifest written for `kube-system` may have been moved into the lab namespace (a
        real cluster's backend can do that), so the lab namespace is tried second.
        """
        obj = self.state.get(kind, name, namespace)
        if obj is None and namespace != self.namespace:
            moved = self.state.get(kind, name, self.namespace)
            if moved is not None:
                return moved, self.namespace
        return obj, namespace

    def select(self, **filters: Any) -> list[Transition]:
        return self.history.select(**filters)

    def list(self, kind: str, namespace: str, **filters: Any) -> list[dict[str, Any]]:
        return self.state.list(kind, namespace, **filters)


CheckFn = Callable[[GradingContext, dict[str, Any]], CheckResult]
