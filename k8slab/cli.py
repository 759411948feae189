"""The `k8slab` command line. Each subcommand lives in `k8slab.commands.<name>` and is imported
only when used, so `k8slab --help` and `k8slab list` start fast."""

from __future__ import annotations

import argparse
import importlib
import sys
import traceback
from collections.abc import Sequence

from k8slab import __version__
from k8slab.errors import K8slabError, LessonError


def _cluster_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("cluster")
    g.add_argument("--kube", action="store_true",
                   help="use a real cluster from your kubeconfig instead of the embedded sim")
    g.add_argument("--context", help="kubeconfig context (with --kube)")
    g.add_argument("--kubeconfig", help="kubeconfig file (with --kube; default $KUBECONFIG)")
    g.add_argument("--namespace", "-N",
                   help="lab namespace (default k8slab-LESSON, or a workshop kubeconfig's)")
    g.add_argument("--seed", type=int, default=0, help="sim random seed (default 0)")


def _fast_cron_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--fast-cron", action="store_true",
                   help="with --kube: the CronJobs the lab applies run every minute instead of "
                        "on the lesson's schedules (a real cluster's clock cannot jump to the "
                        "next run); each keeps its schedule in an annotation")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="k8slab",
        description="An interactive terminal lab for Kubernetes DaemonSets, StatefulSets, "
                    "Jobs and CronJobs.",
        epilog="Start with: k8slab run day10",
    )
    parser.add_argument("--version", action="version", version=f"k8slab {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    sub.add_parser("list", help="list the lessons")

    p = sub.add_parser("validate", help="check lesson files and their manifests")
    p.add_argument("paths", nargs="*", help="lesson folders or files (default: shipped lessons)")

    p = sub.add_parser("run", help="work through a lesson in the terminal lab")
    p.add_argument("lesson", help="lesson id, e.g. day10")
    _cluster_options(p)
    _fast_cron_option(p)
    p.add_argument("--speed", type=float, default=1.0,
                   help="sim clock speed, 0.25 to 60 (default 1)")

    p = sub.add_parser("check", help="grade a lesson's checklist headlessly")
    p.add_argument("lesson")
    _cluster_options(p)
    _fast_cron_option(p)
    p.add_argument("--solve", action="store_true", help="run the reference solution first")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print one JSON object")
    out.add_argument("--junit", metavar="FILE", help="write a JUnit XML report")

    p = sub.add_parser("reset", help="forget progress (and with --kube, delete what the lab made)")
    p.add_argument("lesson")
    _cluster_options(p)

    p = sub.add_parser("doctor", help="check that a cluster can run the lessons")
    _cluster_options(p)

    # The workshop command parses its own arguments (and its own --help).
    p = sub.add_parser("workshop", add_help=False,
                       help="run a workshop for many learners on one cluster")
    p.add_argument("workshop_args", nargs=argparse.REMAINDER,
                   help="create | dashboard | status | delete")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["workshop"]:
        # argparse's REMAINDER cannot start with an option, so hand the rest over as it is.
        args = argparse.Namespace(command="workshop", workshop_args=argv[1:])
    else:
        args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 2
    try:
        module = importlib.import_module(f"k8slab.commands.{args.command}")
        return int(module.run(args) or 0)
    except K8slabError as exc:
        from k8slab.commands import print_error

        print_error(exc)
        return 1 if isinstance(exc, LessonError) else 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # Output piped into `head` and the reader went away: not an error for a CLI.
        _silence_stdout()
        return 0
    except Exception:  # pragma: no cover - last line of defence: no traceback for users
        return _crash()


def _silence_stdout() -> None:
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def _crash() -> int:
    try:
        from k8slab.paths import state_dir

        log = state_dir() / "crash.log"
        log.write_text(traceback.format_exc(), encoding="utf-8")
        where = f" The details are in {log}."
    except Exception:
        where = ""
    print(f"error: k8slab hit an internal error.{where} Please report it.", file=sys.stderr)
    return 70
