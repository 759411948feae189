"""The keys a lesson file may use, their types, and a checker that reports every deviation.

Each mapping in a lesson file (the lesson, a part, a step, a checklist item, a question, a sim
hint) has a fixed set of keys. Unknown keys are reported with the closest known key, wrong
types with what was found instead, missing keys at the mapping they belong to.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from k8slab.lessons.source import Node, Problems, describe, plain
from k8slab.lessons.text import unknown_placeholders


@dataclass(frozen=True, slots=True)
class Field:
    """One key of a lesson-file mapping.

    `type` is one of: str, text (a string that may hold {{placeholders}}), int, number, bool,
    map, list, str-list, text-list, any.
    """

    name: str
    type: str
    required: bool = False
    help: str = ""


LESSON = (
    Field("id", "str", help="the lesson id; must match its folder name"),
    Field("title", "str", True),
    Field("summary", "text"),
    Field("parts", "list", True),
    Field("checklist", "list", True),
    Field("sim", "list", help="how the sim plays containers whose behaviour matters"),
)
PART = (Field("id", "str", True), Field("title", "str", True), Field("steps", "list", True))
STEP = (
    Field("id", "str", True),
    Field("title", "str", True),
    Field("text", "text", True),
    Field("manifests", "str-list", help="manifest files the step shows"),
    Field("actions", "list", help="what the learner can do"),
    Field("hints", "text-list"),
    Field("solution", "list", help="the reference solution for this step"),
    Field("cluster_admin", "bool", help="force the cluster-admin flag"),
)
ITEM = (
    Field("id", "str", True),
    Field("title", "str", True),
    Field("step", "str", help="the step that teaches it"),
    Field("hint", "text"),
    Field("checks", "list"),
    Field("quiz", "list"),
)
QUESTION = (
    Field("id", "str", True),
    Field("prompt", "text", True),
    Field("choices", "text-list", True),
    Field("answer", "any", True, help="the right choice: its text or its 0-based index"),
    Field("explanation", "text"),
)
SIM = (
    Field("match", "map", True, help="{kind: Job, name: resilient-job}"),
    Field("container", "str"),
    Field("duration", "number"),
    Field("exit_code", "int"),
    Field("failure_rate", "number"),
    Field("fail_first", "int"),
    Field("ready_after", "number"),
    Field("logs", "str-list"),
)

_WORDS = {"str": "a string", "text": "a string", "int": "an integer", "number": "a number",
          "bool": "true or false", "map": "a mapping", "list": "a list",
          "str-list": "a list of strings", "text-list": "a list of strings", "any": "a value"}


def type_ok(kind: str, value: object) -> bool:
    """Whether a YAML value has this field type."""
    if kind in ("str", "text"):
        return isinstance(value, str)
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "map":
        return isinstance(value, dict)
    if kind == "list":
        return isinstance(value, list)
    if kind in ("str-list", "text-list"):
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    return value is not None


def check_text(node: Node, problems: Problems) -> None:
    """Report unknown {{placeholders}} in a text value, at the placeholder itself."""
    if isinstance(node.value, str):
        for offset, message in unknown_placeholders(node.value):
            problems.add(node.text_location(offset), message)


def fields(node: Node, spec: tuple[Field, ...], what: str,
           problems: Problems) -> dict[str, Node] | None:
    """The well-typed keys of a mapping, after reporting unknown, mistyped and missing ones.

    Returns None (after a problem) if `node` is not a mapping at all.
    """
    if not node.is_map:
        problems.add(node.location, f"{what} must be a mapping, not {describe(node.value)}")
        return None
    known = {f.name: f for f in spec}
    out: dict[str, Node] = {}
    for key, child in node.items():
        f = known.get(key) if isinstance(key, str) else None
        if f is None:
            close = difflib.get_close_matches(str(key), list(known), n=1, cutoff=0.6)
            tip = (f"; did you mean {close[0]!r}?" if close
                   else f" (known keys: {', '.join(known)})")
            problems.add(node.key_location(key), f"unknown key {key!r} in {what}{tip}")
            continue
        if child.value is None:
            problems.add(child.location if f.required else node.key_location(key),
                         f"{what}: {key!r} is empty")
            continue
        if not type_ok(f.type, child.value):
            if f.type in ("str-list", "text-list") and isinstance(child.value, list):
                for i, item in child.items():
                    if not isinstance(item.value, str):
                        problems.add(item.location, f"{what}: {key}[{i}] must be a string, "
                                                    f"not {describe(item.value)}")
            else:
                problems.add(child.location, f"{what}: {key!r} must be {_WORDS[f.type]}, "
                                             f"not {describe(child.value)}")
            continue
        if f.type == "text":
            check_text(child, problems)
        elif f.type == "text-list":
            for _, item in child.items():
                check_text(item, problems)
        if f.type in ("str", "text") and not child.value.strip():
            problems.add(child.location, f"{what}: {key!r} is empty")
            continue
        if f.type in ("str", "text", "int", "number", "bool"):
            # Scalars reach the model as plain Python, not ruamel types. (Collections keep
            # their ruamel form, which knows where each item was written.)
            child = Node(plain(child.value), child.file, child.line, child.col, child.source)
        out[key] = child
    for f in spec:
        if f.required and f.name not in out and f.name not in node.value:
            problems.add(node.location, f"{what} has no {f.name!r}"
                         + (f" ({f.help})" if f.help else ""))
    return out


def label(what: str, node: Node) -> str:
    """`step 'web'` when the mapping has a usable id, else `step` alone."""
    ident = node.value.get("id") if node.is_map else None
    return f"{what} {ident!r}" if isinstance(ident, str) and ident else what
