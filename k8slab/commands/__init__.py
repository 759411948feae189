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


def require_kube_for_kube_options(args: object) -> None:
    """Refuse options that only mean something on a real cluster when `--kube` is missing,
    rather than silently running on the sim."""
    if getattr(args, "kube", False):
        return
    if getattr(args, "context", None) or getattr(args, "kubeconfig", None):
        raise K8slabError("--context and --kubeconfig choose a real cluster",
                          hint="add --kube to use them")
    if getattr(args, "fast_cron", False):
        raise K8slabError("--fast-cron is for real clusters",
                          hint="add --kube; on the embedded sim, jump the clock to the next "
                               "run instead (the lab's clock controls)")
