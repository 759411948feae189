"""Reading YAML files with a position for every node, and collecting problems against them.

ruamel.yaml's round-trip loader keeps the line and column of every mapping key, mapping value
and sequence item. `Node` wraps one loaded value with the place it was written, so the loader
can say `lesson.yaml:42:9: ...` about anything it finds wrong.
"""

from __future__ import annotations

import datetime
import os
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from k8slab.errors import Location, Problem


def display_path(path: Path) -> str:
    """The path as a user wants to read it: relative to the working directory when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(path)


class Problems:
    """An ordered, de-duplicated collection of problems."""

    def __init__(self) -> None:
        self._items: list[Problem] = []
        self._seen: set[Problem] = set()

    def add(self, location: Location, message: str) -> None:
        problem = Problem(location, message)
        if problem not in self._seen:
            self._seen.add(problem)
            self._items.append(problem)

    def extend(self, problems: list[Problem]) -> None:
        for p in problems:
            self.add(p.location, p.message)

    def __bool__(self) -> bool:
        return bool(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def sorted(self) -> list[Problem]:
        """Problems by file, then line, then column (stable for equal positions)."""
        return sorted(self._items, key=lambda p: (p.location.path, p.location.line,
                                                  p.location.column))


@dataclass(frozen=True, slots=True)
class Node:
    """A loaded YAML value and where it was written (1-based line and column)."""

    value: Any
    file: str
    line: int
    col: int
    # The file's lines, shared by every node of it, to place characters inside strings.
    source: tuple[str, ...] = field(default=(), repr=False, compare=False)

    @property
    def location(self) -> Location:
        return Location(self.file, self.line, self.col)

    @property
    def is_map(self) -> bool:
        return isinstance(self.value, dict)

    @property
    def is_seq(self) -> bool:
        return isinstance(self.value, list)

    def key_location(self, key: Any) -> Location:
        """Where a key of this mapping was written (the mapping itself if unknown)."""
        pos = _lc(self.value, "key", key)
        return Location(self.file, *pos) if pos else self.location

    def child(self, key: Any) -> Node:
        """The value under `key` of this mapping, or item `key` of this sequence."""
        value = self.value[key]
        if isinstance(self.value, dict):
            pos = _lc(self.value, "value", key) or _lc(self.value, "key", key)
        else:
            pos = _lc(self.value, "item", key)
        line, col = pos or (self.line, self.col)
        if isinstance(value, (CommentedMap, CommentedSeq)) and _has_own_position(value):
            # Block collections start on the line after their key; point at their content.
            line, col = value.lc.line + 1, value.lc.col + 1
        return Node(value, self.file, line, col, self.source)

    def items(self) -> Iterator[tuple[Any, Node]]:
        """(key, value node) for a mapping; (index, item node) for a sequence."""
        if isinstance(self.value, dict):
            for key in list(self.value):
                yield key, self.child(key)
        elif isinstance(self.value, list):
            for i in range(len(self.value)):
                yield i, self.child(i)

    def at(self, path: list[Any] | tuple[Any, ...]) -> tuple[Node, bool]:
        """Follow `path` down from here. Returns the deepest node reached, and whether the
        whole path exists."""
        node = self
        for step in path:
            value = node.value
            in_map = isinstance(value, dict) and step in value
            in_seq = isinstance(value, list) and isinstance(step, int) \
                and 0 <= step < len(value)
            if not (in_map or in_seq):
                return node, False
            node = node.child(step)
        return node, True

    def text_location(self, offset: int) -> Location:
        """Where character `offset` of this string value was written: exact for block
        scalars (`|`, `>`) and one-line scalars, the value's start otherwise."""
        text = str(self.value)
        before = text[:offset]
        style = getattr(self.value, "style", None)
        if style in ("|", ">"):
            # Block scalar content starts on the line after the indicator.
            line = self.line + 1 + before.count("\n")
            src = self.source[line - 1] if 0 < line <= len(self.source) else ""
            indent = len(src) - len(src.lstrip(" "))
            col = indent + len(before.rsplit("\n", 1)[-1]) + 1
            return Location(self.file, line, col)
        if "\n" not in text and 0 < self.line <= len(self.source):
            src = self.source[self.line - 1]
            quoted = src[self.col - 1:self.col] in ("'", '"')
            return Location(self.file, self.line, self.col + offset + int(quoted))
        return self.location


def _has_own_position(value: Any) -> bool:
    """Flow collections (`{a: 1}`, `[1]`) share the line of their key; block ones do not."""
    fa = getattr(value, "fa", None)
    return fa is not None and not fa.flow_style()


def _lc(container: Any, what: str, key: Any) -> tuple[int, int] | None:
    lc = getattr(container, "lc", None)
    if lc is None:
        return None
    try:
        line, col = getattr(lc, what)(key)
    except (KeyError, IndexError, TypeError, AttributeError):
        return None
    if line is None:
        return None
    return int(line) + 1, int(col) + 1


def read_text(path: Path, problems: Problems) -> str | None:
    """A file's text, or None after reporting why it cannot be read (missing, not UTF-8)."""
    where = display_path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        problems.add(Location(where), "file not found")
        return None
    except OSError as exc:
        problems.add(Location(where), f"cannot read file: {exc.strerror or exc}")
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        problems.add(Location(where, line, col),
                     f"file is not UTF-8 (byte 0x{data[exc.start]:02x}); save it as UTF-8")
        return None


def _yaml(version: tuple[int, int] | None) -> YAML:
    yaml = YAML(typ="rt", pure=True)
    if version is not None:
        yaml.version = version
    return yaml


def parse_documents(text: str, where: str, problems: Problems, *,
                    yaml_11: bool = False) -> list[Node] | None:
    """Every document of a YAML stream as a located node (empty documents are skipped).

    `yaml_11` reads the text the way kubectl does (YAML 1.1: `yes` and `on` are booleans).
    Returns None after reporting a syntax error.
    """
    try:
        with warnings.catch_warnings():
            # ruamel warns (to stderr) about YAML 1.1 oddities such as `1e3`; the schema
            # check reports what matters about such values.
            warnings.simplefilter("ignore")
            docs = list(_yaml((1, 1) if yaml_11 else None).load_all(text))
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (0, 0)
        problems.add(Location(where, line, col), f"YAML syntax error: {_yaml_message(exc)}")
        return None
    except YAMLError as exc:  # errors without a position
        problems.add(Location(where), f"YAML syntax error: {exc}")
        return None
    out = []
    source = tuple(text.splitlines())
    for doc in docs:
        if doc is None:
            continue
        line = col = 1
        if isinstance(doc, (CommentedMap, CommentedSeq)):
            line, col = doc.lc.line + 1, doc.lc.col + 1
        out.append(Node(doc, where, line, col, source))
    return out


def _yaml_message(exc: MarkedYAMLError) -> str:
    problem = exc.problem or ""
    if "found duplicate key" in problem:
        # ruamel's text is long and points at its own docs; say it plainly.
        key = problem.split('"')[1] if '"' in problem else "?"
        return f"duplicate key {key!r}"
    context = ""
    if exc.context and "tab" not in problem:
        mark = exc.context_mark
        started = f" started at line {mark.line + 1}" if mark is not None \
            and exc.problem_mark is not None and mark.line != exc.problem_mark.line else ""
        context = f"{exc.context}{started}: "
    text = f"{context}{problem}".strip()
    return text.replace("\n", " ") or str(exc).splitlines()[0]


def plain(value: Any) -> Any:
    """A ruamel value as plain Python: dict, list, str, int, float, bool, None."""
    if isinstance(value, dict):
        return {str(k) if not isinstance(k, (int, float, bool)) else k: plain(v)
                for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return value


def as_list(value: Any) -> list[Any]:
    """`value` if it is a list, else [] (for reading objects whose types are not yet known
    to be right: the schema check reports wrong types)."""
    return value if isinstance(value, list) else []


def as_map(value: Any) -> dict[str, Any]:
    """`value` if it is a mapping, else {}."""
    return value if isinstance(value, dict) else {}


def describe(value: Any) -> str:
    """A value's YAML type in words, for `must be a string, not a list` messages."""
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, int):
        return f"a number ({value})"
    if isinstance(value, float):
        return f"a number ({value})"
    if isinstance(value, str):
        short = value if len(value) <= 30 else value[:27] + "..."
        return f"a string ({short!r})"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


def relative_to_lesson(path: Path, lesson_dir: Path) -> str:
    """`manifests/web.yaml` rather than an absolute path, for short messages."""
    try:
        return os.path.relpath(path, lesson_dir)
    except ValueError:
        return str(path)
