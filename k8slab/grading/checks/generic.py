"""Checks on any object: it exists; a field has a value."""

from __future__ import annotations

import json
from typing import Any

from k8slab.cluster import objects as o
from k8slab.cluster.kinds import kind_of
from k8slab.errors import K8slabError
from k8slab.grading.checks import check
from k8slab.grading.context import CheckResult, GradingContext, fail, ok
from k8slab.grading.evidence import missing, ref

_UNSET = object()


def _kind(name: str) -> str:
    try:
        return kind_of(name).kind
    except K8slabError:
        return name


@check("exists")
def exists(ctx: GradingContext, p: dict[str, Any]) -> CheckResult:
    kind, name = _kind(p["kind"]), p["name"]
    obj, ns = ctx.find(kind, name, ctx.ns(p))
    if obj is None:
        return missing(kind, name, ns)
    where = f" in namespace {ns}" if o.namespace(obj) else ""
    return ok(f"{ref(kind, name)} exists{where}")


def _show(value: Any) -> str:
    return json.dumps(value, sort_keys=True) if not isinstance(value, str) else value


def _same(actual: Any, wanted: Any) -> bool:
    if isinstance(actual, bool) or isinstance(wanted, bool):  # True is not 1 here
        return isinstance(actual, bool) and isinstance(wanted, bool) and actual == wanted
    if isinstance(actual, (int, float)) and isinstance(wanted, (int, float)):
        return float(actual) == float(wanted)
    return bool(actual == wanted)


@check("field-equals")
def field_equals(ctx: GradingContext, p: dict[str, Any]) -> CheckResult:
    kind, name, path, wanted = _kind(p["kind"]), p["name"], p["path"], p["value"]
    obj, ns = ctx.find(kind, name, ctx.ns(p))
    if obj is None:
        return missing(kind, name, ns)
    actual = o.dig(obj, path, _UNSET)
    if actual is _UNSET:
        return fail(f"{ref(kind, name)} has no {path} (want {_show(wanted)})",
                    f"set {path} to {_show(wanted)} in the manifest and apply it again")
    if not _same(actual, wanted):
        return fail(f"{path} of {ref(kind, name)} is {_show(actual)} (want {_show(wanted)})",
                    f"set {path} to {_show(wanted)} and apply it again")
    return ok(f"{path} of {ref(kind, name)} is {_show(actual)}")
