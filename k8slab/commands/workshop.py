"""`k8slab workshop create|dashboard|status|delete`: one lesson, many learners, one cluster."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from k8slab.errors import K8slabError

if TYPE_CHECKING:
    from k8slab.lessons.model import Lesson
    from k8slab.workshop.admin import AdminClient
    from k8slab.workshop.monitor import WorkshopMonitor
    from k8slab.workshop.status import WorkshopStatus


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="k8slab workshop",
        description="Run one lesson for many learners on a shared cluster: a namespace, "
                    "ServiceAccount, Role, quota and kubeconfig each, and a live dashboard.",
        epilog="Each action has its own help: k8slab workshop create --help")
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    def cluster(p: argparse.ArgumentParser) -> None:
        p.add_argument("--context", help="kubeconfig context with cluster-admin rights")
        p.add_argument("--kubeconfig", help="kubeconfig file (default $KUBECONFIG)")
        p.add_argument("--name", help="workshop name (default: the only workshop on the "
                                      "cluster; for create: ws-LESSON)")

    p = sub.add_parser("create", help="create or repair a workshop and write kubeconfigs")
    p.add_argument("lesson", help="lesson id, e.g. day10")
    p.add_argument("--learners", required=True, metavar="NAMES|N",
                   help="comma-separated learner names, or a count (learner-01, ...)")
    cluster(p)
    p.add_argument("--out", type=Path, help="folder for the kubeconfigs "
                                            "(default ./NAME-kubeconfigs)")
    p.add_argument("--duration", default="8h", help="token lifetime, e.g. 8h, 90m, 2d "
                                                    "(default 8h)")
    p.add_argument("--server", help="API server URL for learners, if not the one in your "
                                    "kubeconfig")

    p = sub.add_parser("dashboard", help="the live dashboard")
    cluster(p)
    p.add_argument("--interval", type=float, default=1.0,
                   help="seconds between screen updates (default 1; data arrives by watch)")
    p.add_argument("--stuck-after", type=float, default=10.0, metavar="MINUTES",
                   help="flag a learner with nothing new for this long (default 10)")

    p = sub.add_parser("status", help="every learner's checklist, once")
    cluster(p)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--stuck-after", type=float, default=10.0, metavar="MINUTES")

    p = sub.add_parser("delete", help="delete what the workshop created, and only that")
    cluster(p)
    return parser


def run(args: argparse.Namespace) -> int:
    """Run `k8slab workshop ACTION ...`; `args.workshop_args` holds what follows `workshop`."""
    argv = list(getattr(args, "workshop_args", None) or [])
    parser = build_parser()
    if not argv:
        parser.print_help()
        return 2
    ns = parser.parse_args(argv)
    handler = {"create": _create, "dashboard": _dashboard, "status": _status,
               "delete": _delete}[ns.action]
    return handler(ns)


def _admin(ns: argparse.Namespace) -> AdminClient:
    from k8slab.workshop.admin import AdminClient

    return AdminClient(context=ns.context, kubeconfig=ns.kubeconfig)


def _lesson(lesson_id: str) -> Lesson:
    from k8slab.lessons import load_lesson

    lesson: Lesson = load_lesson(lesson_id)
    return lesson


# -- create -----------------------------------------------------------------------------------

def _create(ns: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from k8slab.workshop.adapt import adapt_lesson
    from k8slab.workshop.kubeconfig import parse_duration
    from k8slab.workshop.names import check_name, default_workshop_name, parse_learners
    from k8slab.workshop.provision import create_workshop

    seconds = parse_duration(ns.duration)
    learners = parse_learners(ns.learners)
    lesson = _lesson(ns.lesson)
    name = check_name(ns.name or default_workshop_name(lesson.id), "workshop name", max_len=20)
    out = ns.out or Path(f"{name}-kubeconfigs")
    admin = _admin(ns)
    console = Console()
    where = admin.endpoint()
    console.print(f"workshop [bold]{name}[/] · lesson {lesson.id} · {len(learners)} learners "
                  f"· cluster {where.server}" + (f" (context {admin.context})"
                                                 if admin.context else ""))
    with console.status("provisioning") as spinner:
        results = create_workshop(
            admin, lesson, name, learners, out, seconds, server=ns.server,
            progress=lambda r: spinner.update(f"provisioned {r.learner}"))
    table = Table(box=None, pad_edge=False, highlight=False)
    for column in ("learner", "namespace", "kubeconfig", "objects"):
        table.add_column(column, no_wrap=column != "objects")
    for r in results:
        table.add_row(r.learner, r.namespace, r.kubeconfig.name, r.summary())
    console.print(table)
    expiry = min(r.expires for r in results)
    console.print(f"tokens valid until {expiry} (run create again for fresh ones)",
                  highlight=False)
    demos = [(sid, v) for sid, v in adapt_lesson(lesson).items() if v.mode != "ok"]
    if demos:
        console.print(f"\n{len(demos)} steps work differently for workshop learners:")
        steps = Table(box=None, pad_edge=False, show_header=False, highlight=False)
        steps.add_column(style="bold")
        steps.add_column(no_wrap=True)
        steps.add_column(overflow="fold")
        for sid, v in demos:
            steps.add_row(v.mode, sid, v.reason)
        console.print(steps)
    first = results[0]
    console.print(
        f"\nkubeconfigs (mode 0600) are in [bold]{out}/[/]. Give each learner theirs; they run:\n"
        f"  k8slab run {lesson.id} --kube --kubeconfig {first.kubeconfig.name} "
        f"--namespace {first.namespace}\n"
        f"Watch everyone: k8slab workshop dashboard --name {name}", highlight=False)
    return 0


# -- status and dashboard ---------------------------------------------------------------------

def _monitor(ns: argparse.Namespace) -> WorkshopMonitor:
    from k8slab.workshop.monitor import WorkshopMonitor
    from k8slab.workshop.provision import resolve_workshop

    admin = _admin(ns)
    workshop = resolve_workshop(admin, ns.name)
    if not workshop.lesson:
        raise K8slabError(f"workshop {workshop.name} does not record its lesson",
                          hint="run `k8slab workshop create LESSON --name NAME` again to repair it")
    return WorkshopMonitor(admin, workshop, _lesson(workshop.lesson),
                           stuck_after=ns.stuck_after * 60)


def _status(ns: argparse.Namespace) -> int:
    status = _monitor(ns).load()
    if ns.json:
        try:
            sys.stdout.write(json.dumps(status.to_json(), indent=2) + "\n")
            sys.stdout.flush()
        except BrokenPipeError:
            # `| head` closed the pipe: not an error. Keep Python's exit flush quiet.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    _print_status(status)
    return 0


def _print_status(status: WorkshopStatus) -> None:
    from rich.console import Console
    from rich.table import Table

    from k8slab.workshop.dashboard import LEGEND, cell

    console = Console()
    console.print(f"workshop [bold]{status.workshop}[/] · lesson {status.lesson}")
    table = Table(box=None, pad_edge=False)
    table.add_column("learner")
    table.add_column("done")
    table.add_column("items")
    table.add_column("stuck", style="red")
    for row in status.learners:
        glyphs = " ".join(cell(row.items[iid]).markup for iid, _ in status.items)
        table.add_row(row.learner, f"{row.passed}/{row.earnable}", glyphs, row.stuck)
    console.print(table)
    console.print(LEGEND)


def _dashboard(ns: argparse.Namespace) -> int:
    from k8slab.workshop.dashboard import WorkshopDashboard

    monitor = _monitor(ns)
    monitor.load()
    monitor.start()
    try:
        WorkshopDashboard(monitor, interval=ns.interval).run()
    finally:
        monitor.stop()
    return 0


# -- delete -----------------------------------------------------------------------------------

def _delete(ns: argparse.Namespace) -> int:
    from k8slab.workshop.provision import delete_workshop, resolve_workshop

    admin = _admin(ns)
    # With --name, delete by label even if its namespaces are already gone (a half-done delete).
    name = ns.name or resolve_workshop(admin, None).name
    result = delete_workshop(admin, name)
    for namespace in result.namespaces:
        print(f"namespace/{namespace} deleted")
    for ref in result.cluster_objects:
        print(f"{ref} deleted")
    tail = "; the namespaces finish terminating in the background" if result.namespaces else ""
    n, c = len(result.namespaces), len(result.cluster_objects)
    print(f"workshop {name}: {n} namespace{'' if n == 1 else 's'} and {c} cluster-wide "
          f"object{'' if c == 1 else 's'} deleted{tail}")
    return 0
