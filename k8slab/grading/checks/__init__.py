"""Every check kind of `k8slab.grading.catalog.CHECKS`, as a pure function over a
`GradingContext`, registered by kind.

`evaluate()` is the one entry point: it fills in the catalog's defaults, runs the function and
turns a missing implementation into a failing result rather than an exception.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from k8slab.grading.catalog import CHECKS
from k8slab.grading.context import CheckFn, CheckResult, GradingContext, fail

REGISTRY: dict[str, CheckFn] = {}


def check(kind: str) -> Callable[[CheckFn], CheckFn]:
    """Register the decorated function as the implementation of check `kind`."""
    if kind not in CHECKS:
        raise ValueError(f"check kind {kind!r} is not in the catalog")

    def register(fn: CheckFn) -> CheckFn:
        REGISTRY[kind] = fn
        return fn

    return register


def evaluate(kind: str, params: Mapping[str, Any], ctx: GradingContext) -> CheckResult:
    """Run check `kind` with `params` (catalog defaults filled in) against `ctx`."""
    fn = REGISTRY.get(kind)
    spec = CHECKS.get(kind)
    if fn is None or spec is None:
        return fail(f"k8slab cannot grade check kind {kind!r}",
                    "update k8slab, or fix the check's kind in the lesson file")
    return fn(ctx, spec.with_defaults(dict(params)))


# Importing the modules registers their checks.
from k8slab.grading.checks import (  # noqa: E402
    cronjob,
    daemonset,
    generic,
    job,
    statefulset,
    storage,
    updates,
)

__all__ = ["REGISTRY", "check", "cronjob", "daemonset", "evaluate", "generic", "job",
           "statefulset", "storage", "updates"]
