"""`k8slab check LESSON`: grade a lesson's checklist headlessly, for authors, CI and workshops.

Exit status: 0 when every item passed, 1 when some did not, 2 when grading itself failed
(unknown lesson, unreachable cluster, ...).
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
import time
from pathlib import Path
from typing import TYPE_CHECKING

from k8slab.commands import print_error
from k8slab.errors import K8slabError

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

    from k8slab.grading.grader import ItemResult, Report
    from k8slab.runner import ActionOutcome


def run(args: argparse.Namespace) -> int:
    try:
        return _run(args)
    except K8slabError as exc:
        # Unlike the other commands, check exits 2 for a broken lesson too: 1 means "graded,
        # and not everything passed".
        print_error(exc)
        return 2


def _run(args: argparse.Namespace) -> int:
    from k8slab.cluster.factory import open_cluster
    from k8slab.grading.grader import Grader
    from k8slab.lessons import load_lesson
    from k8slab.runner import ActionRunner
    from k8slab.state.mirror import ClusterState

    lesson = load_lesson(args.lesson)
    started = time.monotonic()
    cluster = open_cluster(lesson, kube=args.kube, context=args.context,
                           kubeconfig=args.kubeconfig, namespace=args.namespace,
                           seed=args.seed)
    try:
        state = ClusterState(cluster.namespace)
        answers = {} if args.solve else _saved_answers(lesson.id, cluster.backend,
                                                       cluster.namespace)
        runner = ActionRunner(cluster, lesson, state, answers=answers)
        runner.settle()
        outcomes: list[ActionOutcome] = runner.solve() if args.solve else []
        runner.sync()
        report = Grader(lesson, cluster.backend, cluster.namespace).grade(state, runner.answers)
    finally:
        cluster.close()
    seconds = time.monotonic() - started
    failed = [o for o in outcomes if not o.ok and not o.skipped]
    if failed:
        _solve_failure(failed[0], lesson.id)
    for skipped in (o for o in outcomes if o.skipped):
        label = skipped.action.label() if skipped.action else "?"
        print(f"warning: skipped `{label}` and the rest of its step: {skipped.message}",
              file=sys.stderr)
    if args.json:
        print(json.dumps(_json(report, outcomes, seconds), indent=2, ensure_ascii=False))
    else:
        _print(report, outcomes, seconds, solved=args.solve)
    if args.junit:
        from k8slab.grading.export import report_junit

        path = Path(args.junit)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(report_junit(report, seconds=seconds), encoding="utf-8")
        except OSError as exc:
            raise K8slabError(f"could not write {path}: {exc.strerror or exc}",
                              "choose a writable path for --junit") from exc
    return 0 if report.all_passed and not failed else 1


def _saved_answers(lesson: str, backend: str, namespace: str) -> dict[str, int]:
    """Quiz answers the learner gave in `k8slab run`, from saved progress."""
    try:
        from k8slab.progress import ProgressStore
    except ImportError:
        return {}
    loaded = ProgressStore().load(lesson, backend, namespace)
    if loaded.problem is not None:
        print(f"warning: {loaded.problem.message}", file=sys.stderr)
    return dict(loaded.progress.answers)


def _solve_failure(outcome: ActionOutcome, lesson: str) -> None:
    label = outcome.action.label() if outcome.action else "?"
    line = f" (line {outcome.action.line})" if outcome.action and outcome.action.line else ""
    print(f"error: the reference solution of {lesson} failed at `{label}`{line}: "
          f"{outcome.message}", file=sys.stderr)
    if outcome.hint:
        print(f"hint: {outcome.hint}", file=sys.stderr)


def _json(report: Report, outcomes: list[ActionOutcome], seconds: float) -> dict[str, object]:
    from k8slab.grading.export import report_json

    data = report_json(report)
    data["seconds"] = round(seconds, 3)
    if outcomes:
        def brief(o: ActionOutcome) -> dict[str, str]:
            return {"action": o.action.label() if o.action else "", "message": o.message}

        data["solution"] = {
            "actions": len(outcomes),
            "failed": [brief(o) for o in outcomes if not o.ok and not o.skipped],
            "skipped": [brief(o) for o in outcomes if o.skipped],
        }
    return data


def _console() -> Console:
    from rich.console import Console

    return Console(highlight=False, soft_wrap=False)


_INDENT = 5


def _print(report: Report, outcomes: list[ActionOutcome], seconds: float, *,
           solved: bool) -> None:
    from rich.text import Text

    console = _console()
    head = Text()
    head.append(f"{report.lesson}", style="bold")
    head.append(f" · {report.backend} · namespace {report.namespace}", style="dim")
    console.print(head)
    if solved:
        bad = sum(1 for o in outcomes if not o.ok and not o.skipped)
        skipped = sum(1 for o in outcomes if o.skipped)
        text = f"reference solution: {len(outcomes)} actions" + (
            f", {bad} failed" if bad else "") + (
            f", {skipped} skipped (this cluster cannot do them)" if skipped else "") + (
            "" if bad or skipped else ", all succeeded")
        console.print(Text(text, style="red" if bad else "yellow" if skipped else "dim"))
    console.print()
    for item in report.items:
        console.print(_item_text(item, console.width))
    console.print()
    style = "bold green" if report.all_passed else "bold red"
    summary = Text(f"{report.passed}/{report.total} passed", style=style)
    summary.append(f"  ({seconds:.1f}s)", style="dim")
    console.print(summary)


def _item_text(item: ItemResult, width: int) -> Text:
    """A mark and the title, then the detail (and a hint) wrapped and indented beneath."""
    from rich.text import Text

    text = Text()
    if item.passed:
        text.append(" ✓ ", style="bold green")
        text.append(item.title)
    else:
        text.append(" ✗ ", style="bold red")
        text.append(item.title, style="bold")
    if not item.checks:
        text.append("  (quiz)", style="dim")
    room = max(30, width - _INDENT)
    for line in textwrap.wrap(item.detail, room, break_on_hyphens=False):
        text.append("\n" + " " * _INDENT)
        text.append(line, style="dim" if item.passed else "red")
    if not item.passed and item.hint:
        for i, line in enumerate(textwrap.wrap("hint: " + item.hint, room, break_on_hyphens=False)):
            text.append("\n" + " " * _INDENT)
            if i == 0:
                text.append("hint:", style="yellow")
                line = line[len("hint:"):]
            text.append(line)
    return text
