"""Typed parameter specifications shared by the action and check catalogs.

A lesson file names an action or a check and gives it parameters; the loader checks them
against these specs (reporting file:line:col), and the runner and grader receive clean values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Types a parameter may have, as named in lesson files and docs.
PARAM_TYPES: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "int": (int,),
    "number": (int, float),
    "bool": (bool,),
    "map": (dict,),  # str -> str, e.g. labels
    "list": (list,),
    "any": (object,),
}


@dataclass(frozen=True, slots=True)
class Param:
    """One parameter of an action or check."""

    name: str
    type: str = "str"
    required: bool = False
    default: Any = None
    help: str = ""
    choices: tuple[Any, ...] = ()

    def accepts(self, value: Any) -> bool:
        if self.type in ("int", "number") and isinstance(value, bool):
            return False
        if not isinstance(value, PARAM_TYPES[self.type]):
            return False
        return not self.choices or value in self.choices


@dataclass(frozen=True, slots=True)
class Spec:
    """The parameters one action or check kind takes, and what it does."""

    kind: str
    params: tuple[Param, ...]
    help: str
    # For actions: the parameter a bare scalar stands for (`apply: web.yaml`).
    shorthand: str | None = None
    # Which backends can do it: "sim", "kube".
    backends: tuple[str, ...] = ("sim", "kube")
    # Needs cluster-wide power (node edits, other namespaces); flagged in the UI and workshops.
    cluster_admin: bool = False

    def param(self, name: str) -> Param | None:
        for p in self.params:
            if p.name == name:
                return p
        return None

    def problems(self, values: dict[str, Any]) -> list[tuple[str | None, str]]:
        """(parameter name or None, message) for every problem with `values`."""
        out: list[tuple[str | None, str]] = []
        known = {p.name for p in self.params}
        for key in values:
            if key not in known:
                allowed = ", ".join(sorted(known)) or "none"
                out.append((key, f"{self.kind} has no parameter {key!r} (allowed: {allowed})"))
        for p in self.params:
            if p.name not in values:
                if p.required:
                    out.append((None, f"{self.kind} needs parameter {p.name!r} ({p.help})"))
                continue
            v = values[p.name]
            if not p.accepts(v):
                want = f"one of {list(p.choices)}" if p.choices else f"a {p.type}"
                out.append((p.name, f"{self.kind}.{p.name} must be {want}, not {v!r}"))
        return out

    def with_defaults(self, values: dict[str, Any]) -> dict[str, Any]:
        out = {p.name: p.default for p in self.params if p.default is not None}
        out.update(values)
        return out
