"""Reading a lesson folder (`lesson.yaml` + `manifests/*.yaml`) into a `Lesson`, strictly.

Every problem found is collected, not just the first, and raised together as one LessonError
whose problems read `file:line:col: message`. See docs/lesson-format.md for the format.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from k8slab.errors import LessonError, Location, Problem
from k8slab.lessons import references as refs
from k8slab.lessons import schema
from k8slab.lessons.manifests import load_manifest
from k8slab.lessons.model import (
    ChecklistItem,
    Lesson,
    Manifest,
    Part,
    Question,
    Step,
)
from k8slab.lessons.simhints import read_sim_hints
from k8slab.lessons.source import Node, Problems, display_path, parse_documents, plain, read_text
from k8slab.lessons.vocabulary import Context, parse_action, parse_check
from k8slab.lessons.where import LESSON_FILE, LESSON_ID, discover, resolve
from k8slab.paths import lessons_root

MANIFESTS_DIR = "manifests"


def load_lesson(path_or_id: str | Path) -> Lesson:
    """Load and check one lesson.

    Args:
        path_or_id: a lesson id such as `day10`, a lesson folder, or its lesson.yaml.

    Raises:
        LessonError: carrying every problem found, each as `file:line:col: message`.
    """
    path = resolve(path_or_id)
    if not path.is_file():
        known = ", ".join(p.parent.name for p in discover()) or "none"
        raise LessonError([Problem(Location(display_path(path)), "no such lesson file")],
                          hint=f"shipped lessons: {known}")
    return _Reader(path).read()


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """The lesson files named by lesson files, lesson folders, folders of lessons, or ids.
    With no paths: the shipped lessons."""
    given = list(paths)
    if not given:
        return discover()
    targets: list[Path] = []
    for raw in given:
        path = Path(raw)
        if path.is_dir() and not (path / LESSON_FILE).is_file():
            found = sorted(path.glob(f"*/{LESSON_FILE}"))
            targets.extend(found or [path / LESSON_FILE])
        else:
            targets.append(resolve(raw))
    return targets


def validate_paths(paths: Iterable[str | Path]) -> list[Problem]:
    """Every problem in the given lessons: lesson files, lesson folders, or folders of lessons.

    With no paths, the shipped lessons are checked.
    """
    targets = expand_paths(paths)
    if not targets:
        return [Problem(Location(display_path(lessons_root())), "no lessons found")]
    out: list[Problem] = []
    for target in targets:
        try:
            load_lesson(target)
        except LessonError as exc:
            out.extend(exc.problems)
    return out


class _Reader:
    """One pass over one lesson folder, collecting problems."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.dir = path.parent
        self.where = display_path(path)
        self.problems = Problems()
        self.step_ids: dict[str, Node] = {}
        self.manifests: dict[str, Manifest] = {}
        self.broken: set[str] = set()  # manifests that could not be read

    def read(self) -> Lesson:
        manifests = self.manifests = self._manifests()
        text = read_text(self.path, self.problems)
        docs = parse_documents(text, self.where, self.problems) if text is not None else None
        lesson = None
        if docs is not None:
            if len(docs) != 1:
                at = docs[1].location if len(docs) > 1 else Location(self.where, 1, 1)
                self.problems.add(at, "a lesson file holds exactly one YAML document"
                                      if docs else "the lesson file is empty")
            else:
                lesson = self._lesson(docs[0], manifests)
        if self.problems or lesson is None:
            raise LessonError(self.problems.sorted(),
                              hint="fix these, then check again with: k8slab validate "
                                   + self.where)
        return lesson

    # -- manifests ----------------------------------------------------------------------------

    def _manifests(self) -> dict[str, Manifest]:
        folder = self.dir / MANIFESTS_DIR
        out: dict[str, Manifest] = {}
        if not folder.is_dir():
            return out
        for file in sorted(folder.iterdir()):
            where = display_path(file)
            if file.is_dir() or file.name.startswith("."):
                continue
            if file.suffix not in (".yaml", ".yml"):
                self.problems.add(Location(where), "manifests/ holds only .yaml files")
                continue
            manifest = load_manifest(file, file.name, where, self.problems)
            if manifest is not None:
                out[file.name] = manifest
            else:
                self.broken.add(file.name)
        return out

    # -- the lesson ---------------------------------------------------------------------------

    def _lesson(self, doc: Node, manifests: dict[str, Manifest]) -> Lesson | None:
        top = schema.fields(doc, schema.LESSON, "the lesson", self.problems)
        if top is None:
            return None
        lesson_id = self.dir.name
        if "id" in top:
            given = top["id"].value
            if given != lesson_id:
                self.problems.add(top["id"].location, f"the lesson id {given!r} must match "
                                                      f"its folder name {lesson_id!r}")
        if not LESSON_ID.match(lesson_id) or len(lesson_id) > 40:
            self.problems.add(top["id"].location if "id" in top else doc.location,
                              f"lesson id {lesson_id!r} must be lower case letters, digits "
                              f"and '-' (it names the namespace k8slab-<id>)")
        ctx = Context(set(manifests) | self.broken, refs.Catalogue(manifests.values()),
                      self.problems)
        ctx.catalogue.incomplete = bool(self.broken)
        parts = self._parts(top.get("parts"), ctx)
        checklist = self._checklist(top.get("checklist"), ctx)
        sim = read_sim_hints(top.get("sim"), ctx.catalogue, self.problems)
        self._unused_manifests(manifests, parts)
        if self.problems:
            return None
        return Lesson(
            id=lesson_id,
            title=top["title"].value,
            summary=top["summary"].value if "summary" in top else "",
            path=self.path,
            parts=tuple(parts),
            checklist=tuple(checklist),
            manifests=manifests,
            sim=tuple(sim),
        )

    def _unique(self, seen: dict[str, Node], node: Node, ident: str, what: str) -> None:
        if ident in seen:
            first = seen[ident]
            self.problems.add(node.location, f"duplicate {what} id {ident!r} (first used at "
                                             f"line {first.line})")
        else:
            seen[ident] = node

    def _id(self, fields: dict[str, Node], what: str) -> str | None:
        node = fields.get("id")
        if node is None:
            return None
        if not LESSON_ID.match(node.value):
            self.problems.add(node.location, f"{what} id {node.value!r}: use lower case "
                                             f"letters, digits and '-'")
        return str(node.value)

    def _parts(self, node: Node | None, ctx: Context) -> list[Part]:
        if node is None:
            return []
        if not node.value:
            self.problems.add(node.location, "a lesson needs at least one part")
        seen: dict[str, Node] = {}
        parts = []
        for _, pnode in node.items():
            what = schema.label("part", pnode)
            f = schema.fields(pnode, schema.PART, what, self.problems)
            if f is None:
                continue
            pid = self._id(f, "part")
            if pid is not None:
                self._unique(seen, f["id"], pid, "part")
            steps = self._steps(f.get("steps"), ctx)
            if pid is not None and "title" in f:
                parts.append(Part(id=pid, title=f["title"].value, steps=tuple(steps)))
        return parts

    def _steps(self, node: Node | None, ctx: Context) -> list[Step]:
        if node is None:
            return []
        if not node.value:
            self.problems.add(node.location, "a part needs at least one step")
        steps = []
        for _, snode in node.items():
            what = schema.label("step", snode)
            f = schema.fields(snode, schema.STEP, what, self.problems)
            if f is None:
                continue
            sid = self._id(f, "step")
            if sid is not None:
                self._unique(self.step_ids, f["id"], sid, "step")
            step = self._step(f, sid, what, ctx)
            if step is not None:
                steps.append(step)
        return steps

    def _step(self, f: dict[str, Node], sid: str | None, what: str,
              ctx: Context) -> Step | None:
        listed: list[str] = []
        for _, mnode in (f["manifests"].items() if "manifests" in f else []):
            if mnode.value not in ctx.manifests:
                self.problems.add(mnode.location, f"{what}: no manifest {mnode.value!r} in "
                                                  f"the lesson's manifests/ folder")
            elif mnode.value not in listed:
                listed.append(str(mnode.value))
        actions = [a for _, anode in (f["actions"].items() if "actions" in f else [])
                   if (a := parse_action(anode, ctx, in_solution=False)) is not None]
        solution = [a for _, anode in (f["solution"].items() if "solution" in f else [])
                    if (a := parse_action(anode, ctx, in_solution=True)) is not None]
        if "actions" in f and f["actions"].value and "solution" not in f:
            self.problems.add(f["id"].location if "id" in f else f["actions"].location,
                              f"{what} offers actions but has no solution")
        for action in (*actions, *solution):
            name = action.params.get("manifest")
            if action.kind in ("apply", "delete-manifest") and isinstance(name, str) \
                    and name not in listed:
                listed.append(name)
        if sid is None or "title" not in f or "text" not in f:
            return None
        admin = bool(f["cluster_admin"].value) if "cluster_admin" in f else False
        admin = admin or any(a.spec.cluster_admin for a in (*actions, *solution))
        admin = admin or any(self.manifests[n].risks for n in listed if n in self.manifests)
        return Step(
            id=sid, title=f["title"].value, text=f["text"].value, manifests=tuple(listed),
            actions=tuple(actions), solution=tuple(solution),
            hints=tuple(plain(f["hints"].value)) if "hints" in f else (), cluster_admin=admin,
        )

    # -- checklist -----------------------------------------------------------------------------

    def _checklist(self, node: Node | None, ctx: Context) -> list[ChecklistItem]:
        if node is None:
            return []
        if not node.value:
            self.problems.add(node.location, "the checklist needs at least one item")
        seen: dict[str, Node] = {}
        questions: dict[str, tuple[Question, Node]] = {}
        by_item: dict[str, list[Question]] = {}
        items = []
        for _, inode in node.items():
            what = schema.label("checklist item", inode)
            f = schema.fields(inode, schema.ITEM, what, self.problems)
            if f is None:
                continue
            iid = self._id(f, "checklist item")
            if iid is not None:
                self._unique(seen, f["id"], iid, "checklist item")
            step = f["step"].value if "step" in f else None
            if step is not None and step not in self.step_ids:
                self.problems.add(f["step"].location, f"{what}: no step {step!r}")
            checks = [c for _, cnode in (f["checks"].items() if "checks" in f else [])
                      if (c := parse_check(cnode, ctx)) is not None]
            quiz = [q for _, qnode in (f["quiz"].items() if "quiz" in f else [])
                    if (q := self._question(qnode, questions)) is not None]
            if "checks" not in f and "quiz" not in f and iid is not None:
                self.problems.add(f["id"].location, f"{what} needs checks or a quiz to be "
                                                    f"graded")
            if iid is None or "title" not in f:
                continue
            by_item[iid] = quiz
            items.append(ChecklistItem(
                id=iid, title=f["title"].value, step=step, checks=tuple(checks),
                quiz=tuple(quiz), hint=f["hint"].value if "hint" in f else ""))
        self._answers(ctx, questions, by_item)
        return items

    def _question(self, node: Node, seen: dict[str, tuple[Question, Node]]) -> Question | None:
        what = schema.label("question", node)
        f = schema.fields(node, schema.QUESTION, what, self.problems)
        if f is None:
            return None
        qid = self._id(f, "question")
        if qid is not None and qid in seen:
            self.problems.add(f["id"].location, f"duplicate question id {qid!r} (first used "
                                                f"at line {seen[qid][1].line})")
        choices = list(plain(f["choices"].value)) if "choices" in f else []
        if "choices" in f:
            if len(choices) < 2:
                self.problems.add(f["choices"].location, f"{what} needs at least two choices")
            if len(set(choices)) != len(choices):
                self.problems.add(f["choices"].location, f"{what} repeats a choice")
        answer = self._answer_index(f.get("answer"), choices, what)
        if qid is None or "prompt" not in f or answer is None:
            return None
        question = Question(id=qid, prompt=f["prompt"].value, choices=tuple(choices),
                            answer=answer,
                            explanation=f["explanation"].value if "explanation" in f else "")
        seen.setdefault(qid, (question, f["id"]))
        return question

    def _answer_index(self, node: Node | None, choices: list[str], what: str) -> int | None:
        if node is None or not choices:
            return None
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            self.problems.add(node.location, f"{what}: answer is the right choice's text or "
                                             f"its 0-based index")
            return None
        if isinstance(value, int):
            if 0 <= value < len(choices):
                return int(value)  # a plain int, not ruamel's ScalarInt (the model is plain)
            self.problems.add(node.location, f"{what}: answer {value} is not a choice index "
                                             f"(0 to {len(choices) - 1})")
            return None
        if value in choices:
            return choices.index(value)
        self.problems.add(node.location, f"{what}: the answer {value!r} is not one of the "
                                         f"choices")
        return None

    def _answers(self, ctx: Context, questions: dict[str, tuple[Question, Node]],
                 by_item: dict[str, list[Question]]) -> None:
        """Solutions' `answer` actions name a question (or an item with one question) and
        give its right answer."""
        for ident, choice, node in ctx.answers:
            if ident in questions:
                question = questions[ident][0]
            elif len(by_item.get(ident, [])) == 1:
                question = by_item[ident][0]
            else:
                self.problems.add(node.location, f"answer: no question {ident!r} (name a "
                                                 f"question id, or an item with one question)")
                continue
            if choice != question.answer:
                self.problems.add(node.location,
                                  f"answer: choice {choice} for {question.id!r} is wrong; the "
                                  f"reference solution must give the right answer "
                                  f"({question.answer})")

    def _unused_manifests(self, manifests: dict[str, Manifest], parts: list[Part]) -> None:
        used = {m for p in parts for s in p.steps for m in s.manifests}
        for name, manifest in manifests.items():
            if name not in used and not self.problems:
                self.problems.add(Location(display_path(manifest.path), 1, 1),
                                  f"manifest {name} is not used by any step (list it in a "
                                  f"step's manifests or apply it in an action)")
