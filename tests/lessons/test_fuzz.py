"""Mutated lesson files never make the loader fail with anything but LessonError."""

from __future__ import annotations

import io
import shutil
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from k8slab.errors import LessonError
from k8slab.lessons import load_lesson

BASE = Path(__file__).parent / "corpus" / "valid"
FILES = ["lesson.yaml", "manifests/web.yaml", "manifests/agent.yaml", "manifests/batch.yaml"]

# Values of every YAML type, to put where something else was expected.
VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 10**6), st.floats(allow_nan=False),
    st.text(max_size=12), st.sampled_from(["{{namespace}}", "{{nope}}", "web", "kind", ""]),
    st.lists(st.integers(0, 3), max_size=3), st.dictionaries(st.text(max_size=5),
                                                            st.integers(), max_size=2),
)
SETTINGS = settings(max_examples=120, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def _load_mutated(mutate: Any) -> None:
    """Copy the valid lesson, let `mutate(folder)` break it, load it."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "fuzzed"
        shutil.copytree(BASE, folder, ignore=shutil.ignore_patterns("expect.yaml"))
        mutate(folder)
        try:
            load_lesson(folder)
        except LessonError as exc:
            assert exc.problems, "a LessonError must carry its problems"
            for problem in exc.problems:
                assert problem.message and problem.location.path


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a node below the root."""
    out = []
    items = node.items() if isinstance(node, dict) else (
        enumerate(node) if isinstance(node, list) else [])
    for key, child in items:
        out.append((*prefix, key))
        out.extend(_paths(child, (*prefix, key)))
    return out


@SETTINGS
@given(data=st.data())
def test_structural_mutations_raise_only_lesson_errors(data: st.DataObject) -> None:
    file = data.draw(st.sampled_from(FILES))
    mutation = data.draw(st.sampled_from(["drop", "rename", "retype", "duplicate-doc"]))

    def mutate(folder: Path) -> None:
        yaml = YAML(typ="rt")
        path = folder / file
        docs = list(yaml.load_all(path.read_text(encoding="utf-8")))
        doc_index = data.draw(st.integers(0, len(docs) - 1))
        doc = docs[doc_index]
        paths = _paths(doc)
        if mutation == "duplicate-doc" or not paths:
            docs.append(docs[doc_index])
        else:
            target = data.draw(st.sampled_from(paths))
            parent = doc
            for key in target[:-1]:
                parent = parent[key]
            key = target[-1]
            if mutation == "drop":
                del parent[key]
            elif mutation == "rename" and isinstance(parent, dict):
                new = data.draw(st.text(min_size=1, max_size=10))
                value = parent.pop(key)
                if new not in parent:
                    parent[new] = value
            else:
                parent[key] = data.draw(VALUES)
        out = io.StringIO()
        yaml.dump_all(docs, out)
        path.write_text(out.getvalue(), encoding="utf-8")

    _load_mutated(mutate)


@SETTINGS
@given(data=st.data())
def test_text_corruption_raises_only_lesson_errors(data: st.DataObject) -> None:
    file = data.draw(st.sampled_from(FILES))

    def mutate(folder: Path) -> None:
        path = folder / file
        raw = path.read_bytes()
        start = data.draw(st.integers(0, len(raw)))
        end = data.draw(st.integers(start, min(len(raw), start + 40)))
        junk = data.draw(st.one_of(
            st.binary(max_size=8),
            st.sampled_from([b"\t", b": ", b"- ", b"{", b"]", b"---\n", b"&a ", b"*a",
                             b"!!python/object ", b"\xff\xfe", b"\n  - x\n", b"'", b'"']),
        ))
        path.write_bytes(raw[:start] + junk + raw[end:])

    _load_mutated(mutate)


@settings(max_examples=30, deadline=None)
@given(name=st.sampled_from(FILES))
def test_a_missing_or_empty_file_is_a_lesson_error(name: str) -> None:
    def mutate(folder: Path) -> None:
        (folder / name).write_text("", encoding="utf-8")

    _load_mutated(mutate)
