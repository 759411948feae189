"""`k8slab list`: the shipped lessons, with their titles, step counts and checklist sizes."""

from __future__ import annotations

import argparse


def run(args: argparse.Namespace) -> int:
    """Print a table of the shipped lessons. A lesson that fails to load is listed as invalid
    (and the exit code is 1); `k8slab validate` says why."""
    from rich.console import Console
    from rich.table import Table

    from k8slab.errors import LessonError
    from k8slab.lessons import discover, load_lesson
    from k8slab.paths import lessons_root

    console = Console(highlight=False)
    files = discover()
    if not files:
        console.print(f"no lessons found in {lessons_root()}")
        return 1
    table = Table(title="k8slab lessons", title_justify="left")
    table.add_column("lesson", style="bold cyan", no_wrap=True)
    table.add_column("title")
    table.add_column("parts", justify="right")
    table.add_column("steps", justify="right")
    table.add_column("checklist", justify="right")
    table.add_column("manifests", justify="right")
    invalid = 0
    for path in files:
        try:
            lesson = load_lesson(path)
        except LessonError as exc:
            invalid += 1
            table.add_row(path.parent.name,
                          f"[red]invalid: {len(exc.problems)} problem(s); run k8slab "
                          f"validate[/red]", "", "", "", "")
            continue
        table.add_row(lesson.id, lesson.title, str(len(lesson.parts)), str(len(lesson.steps)),
                      str(len(lesson.checklist)), str(len(lesson.manifests)))
    console.print(table)
    console.print("Start one with: [bold]k8slab run day10[/bold]")
    return 1 if invalid else 0
