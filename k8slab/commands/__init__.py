"""One module per `k8slab` subcommand, each with `run(args) -> int`."""

from __future__ import annotations

import sys

from k8slab.errors import K8slabError, LessonError


def print_error(exc: K8slabError) -> None:
    """Tell the user what went wrong and what to do, on stderr: every problem of a lesson as
    `file:line:col: message`, or `error: ...` for anything else, then the hint."""
    if isinstance(exc, LessonError):
        print(exc.report(), file=sys.stderr)
    else:
        print(f"error: {exc.message}", file=sys.stderr)
    if exc.hint:
        print(f"hint: {exc.hint}", file=sys.stderr)
