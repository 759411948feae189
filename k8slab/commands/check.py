"""`k8slab check LESSON`: grade a lesson's checklist headlessly, for authors, CI and workshops.

Exit status: 0 when every item passed, 1 when some did not, 2 when grading itself failed
(unknown lesson, unreachable cluster, ...).

In a workshop learner's namespace (`--kube` with the kubeconfig `k8slab workshop create` wrote)
quiz answers also come from the namespace's `k8slab-progress` ConfigMap, the result is saved
there for the instructor's dashboard, and the items only the instructor can show are marked
as demos and left out of the exit status.
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
import time
from pathlib import Path
from typing import TYPE_CHECKING

from k8slab.commands import print_error, require_kube_for_kube_options
from k8slab.errors import K8slabError

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

    from k8slab.cluster.protocol import Cluster
    from k8slab.grading.grader import ItemResult, Report
    from k8slab.progress import Progress
    from k8slab.runner import ActionOutcome
    from k8slab.state.history import Transition
    from k8slab.workshop.learner import LearnerWorkshop
    from k8slab.workshop.progress_store import ProgressRecord


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

    require_kube_for_kube_options(args)
    lesson = load_lesson(args.lesson)
    started = time.monotonic()
    cluster = open_cluster(lesson, kube=args.kube, context=args.context,
                           kubeconfig=args.kubeconfig, namespace=args.namespace,
                           seed=args.seed, fast_cron=args.fast_cron)
    try:
        origin = cluster.now()
        state = ClusterState(cluster.namespace)
        workshop = remote = None
        if cluster.backend == "kube":
            from k8slab.workshop.learner import detect
            from k8slab.workshop.progress_store import load_progress

            workshop = detect(cluster, lesson)
            if workshop is not None:
                remote = load_progress(cluster, cluster.namespace, lesson.id)
        progress = _saved_progress(lesson.id, cluster.backend, cluster.namespace, remote)
        answers = {} if args.solve else dict(progress.answers)
        runner = ActionRunner(cluster, lesson, state, answers=answers)
        runner.settle()
        outcomes: list[ActionOutcome] = runner.solve() if args.solve else []
        runner.sync()
        report = Grader(lesson, cluster.backend, cluster.namespace).grade(state, runner.answers)
        # A reference solution's answers are not the learner's: only a plain check reports.
        if workshop is not None and not args.solve:
            for item in report.items:
                if item.passed:
                    progress.passed.setdefault(item.id, round(cluster.now() - origin, 3))
            _report_to_instructor(cluster, lesson.id, progress,
                                  list(remote.history) if remote and remote.history
                                  else list(state.history))
    finally:
        cluster.close()
    demo = workshop.demo_items if workshop is not None else frozenset()
    seconds = time.monotonic() - started
    failed = [o for o in outcomes if not o.ok and not o.skipped]
    if failed:
        _solve_failure(failed[0], lesson.id)
    for skipped in (o for o in outcomes if o.skipped):
        label = skipped.action.label() if skipped.action else "?"
        print(f"warning: skipped `{label}` and the rest of its step: {skipped.message}",
              file=sys.stderr)
    if args.json:
        print(json.dumps(_json(report, outcomes, seconds, workshop), indent=2,
                         ensure_ascii=False))
    else:
        _print(report, outcomes, seconds, solved=args.solve, workshop=workshop)
    if args.junit:
        from k8slab.grading.export import report_junit

        path = Path(args.junit)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(report_junit(report, seconds=seconds, demo=demo),
                            encoding="utf-8")
        except OSError as exc:
            raise K8slabError(f"could not write {path}: {exc.strerror or exc}",
                              "choose a writable path for --junit") from exc
    return 0 if _earned_all(report, demo) and not failed else 1


def _earned_all(report: Report, demo: frozenset[str]) -> bool:
    """Every item passed, apart from the instructor's demos in a workshop."""
    return all(item.passed or item.id in demo for item in report.items)


def _saved_progress(lesson: str, backend: str, namespace: str,
                    remote: ProgressRecord | None) -> Progress:
    """The learner's progress from `k8slab run` (quiz answers, passed items), joined in a
    workshop with the record their namespace holds (answers given on another machine)."""
    from k8slab.progress import ProgressStore

    loaded = ProgressStore().load(lesson, backend, namespace)
    if loaded.problem is not None:
        print(f"warning: {loaded.problem.message}", file=sys.stderr)
    if remote is None:
        return loaded.progress
    from k8slab.workshop.learner import merge_progress

    return merge_progress(loaded.progress, remote)


def _report_to_instructor(cluster: Cluster, lesson: str, progress: Progress,
                          history: list[Transition]) -> None:
    """Save the learner's answers and passed items in their namespace, where the workshop
    dashboard reads them. A check watches for an instant, so the longer history a `k8slab
    run` saved there is kept. A refusal is a warning: the grade stands."""
    from k8slab.errors import ClusterError
    from k8slab.workshop.progress_store import save_progress

    try:
        save_progress(cluster, cluster.namespace, lesson, progress, history)
    except ClusterError as exc:
        print(f"warning: your instructor cannot see this result: {exc.message}",
              file=sys.stderr)
        if exc.hint:
            print(f"hint: {exc.hint}", file=sys.stderr)


def _solve_failure(outcome: ActionOutcome, lesson: str) -> None:
    label = outcome.action.label() if outcome.action else "?"
    line = f" (line {outcome.action.line})" if outcome.action and outcome.action.line else ""
    print(f"error: the reference solution of {lesson} failed at `{label}`{line}: "
          f"{outcome.message}", file=sys.stderr)
    if outcome.hint:
        print(f"hint: {outcome.hint}", file=sys.stderr)


def _json(report: Report, outcomes: list[ActionOutcome], seconds: float,
          workshop: LearnerWorkshop | None = None) -> dict[str, object]:
    from k8slab.grading.export import report_json

    data = report_json(report)
    data["seconds"] = round(seconds, 3)
    if workshop is not None:
        data["ok"] = _earned_all(report, workshop.demo_items)
        data["workshop"] = {"name": workshop.workshop, "learner": workshop.learner,
                            "demo_items": sorted(workshop.demo_items)}
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
           solved: bool, workshop: LearnerWorkshop | None = None) -> None:
    from rich.text import Text

    console = _console()
    demo = workshop.demo_items if workshop is not None else frozenset()
    head = Text()
    head.append(f"{report.lesson}", style="bold")
    head.append(f" · {report.backend} · namespace {report.namespace}", style="dim")
    if workshop is not None:
        head.append(f" · workshop {workshop.workshop}", style="dim")
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
        console.print(_item_text(item, console.width, demo=item.id in demo))
    console.print()
    style = "bold green" if _earned_all(report, demo) else "bold red"
    summary = Text(f"{report.passed}/{report.total} passed", style=style)
    shown = sum(1 for item in report.items if item.id in demo and not item.passed)
    if shown:
        summary.append(f", {shown} shown by the instructor", style="magenta")
    summary.append(f"  ({seconds:.1f}s)", style="dim")
    console.print(summary)


def _item_text(item: ItemResult, width: int, *, demo: bool = False) -> Text:
    """A mark and the title, then the detail (and a hint) wrapped and indented beneath; an
    instructor's demo that did not pass here is one line."""
    from rich.text import Text

    text = Text()
    if item.passed:
        text.append(" ✓ ", style="bold green")
        text.append(item.title)
    elif demo:
        text.append(" ◌ ", style="magenta")
        text.append(item.title)
        text.append("  (instructor demo)", style="italic magenta")
        return text
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
