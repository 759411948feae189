"""A tiny RBAC rule evaluator, to assert what a Role allows the way the API server decides."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def allows(rules: Iterable[Mapping[str, Any]], verb: str, resource: str, group: str = "",
           name: str | None = None) -> bool:
    """Whether any rule grants `verb` on `group/resource` (and object `name`, when given)."""
    for rule in rules:
        if group not in rule.get("apiGroups", []) and "*" not in rule.get("apiGroups", []):
            continue
        if resource not in rule.get("resources", []) and "*" not in rule.get("resources", []):
            continue
        if verb not in rule.get("verbs", []) and "*" not in rule.get("verbs", []):
            continue
        names = rule.get("resourceNames")
        if names and (name is None or name not in names):
            continue
        return True
    return False
