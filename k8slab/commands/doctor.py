"""`k8slab doctor [--kube ...]`: can this cluster run the lessons, and if not, what breaks?

Exit status 0 when everything the lessons need works, 1 otherwise.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table
from rich.text import Text

from k8slab.errors import ClusterError

if TYPE_CHECKING:
    from k8slab.cluster.kube.diagnose import Diagnosis

OK, NO, WARN = "[green]✓[/]", "[red]✗[/]", "[yellow]![/]"
DEFAULT_NAMESPACE = "k8slab-day10"


def run(args: argparse.Namespace) -> int:
    console = Console(highlight=False)
    if not getattr(args, "kube", False):
        return _sim(console)
    namespace = getattr(args, "namespace", None) or DEFAULT_NAMESPACE
    from k8slab.cluster.kube.diagnose import diagnose

    console.print("[bold]k8slab doctor[/] — checking the cluster from your kubeconfig …")
    try:
        d = diagnose(namespace, context=getattr(args, "context", None),
                     kubeconfig=getattr(args, "kubeconfig", None))
    except ClusterError as exc:
        console.print(f"{NO} {exc.message}")
        if exc.hint:
            console.print(f"  [dim]hint:[/] {exc.hint}")
        return 1
    render(console, d, namespace_given=bool(getattr(args, "namespace", None)))
    return 0 if d.ok else 1


def _sim(console: Console) -> int:
    console.print(f"{OK} [bold]The embedded simulated cluster[/] is the default: it needs no "
                  "Docker, kind or network.")
    console.print("  It plays a control-plane node and workers, a default StorageClass "
                  "[bold]standard[/], the StatefulSet, DaemonSet, Job and CronJob controllers, "
                  "and a clock you can speed up or pause.")
    console.print("  To check a real cluster: [bold]k8slab doctor --kube[/] "
                  "[dim][--context C] [--namespace N][/]")
    return 0


def render(console: Console, d: Diagnosis, *, namespace_given: bool = True) -> None:
    """Print a diagnosis: cluster, nodes, storage, permissions, then what will not work."""
    console.print()
    console.print("[bold]Cluster[/]")
    where = f"{d.context} [dim](from {d.source})[/]" if d.context else d.source
    console.print(f"  context    {where}")
    console.print(f"  server     {d.server}  [dim]Kubernetes[/] {d.version or '?'}")
    if d.user:
        console.print(f"  user       {d.user}")
    ns_note = "" if namespace_given else (
        "  [dim](the day10 lab; pass --namespace to check another)[/]")
    console.print(f"  namespace  {d.namespace} {d.namespace_state}{ns_note}")

    console.print()
    if d.nodes is None:
        console.print(f"[bold]Nodes[/]  {WARN} not allowed to list nodes")
    else:
        console.print(f"[bold]Nodes[/] ({len(d.nodes)})")
        for n in d.nodes:
            state = "[green]Ready[/]" if n.ready else "[red]NotReady[/]"
            taints = ", ".join(n.taints) if n.taints else "[dim]no taints[/]"
            fake = "  [dim](KWOK)[/]" if n.fake else ""
            console.print(f"  {n.name:<24} {state}  {taints}{fake}")

    console.print()
    if d.storage_classes is None:
        console.print(f"[bold]Storage[/]  {WARN} not allowed to list StorageClasses")
    elif d.default_class:
        console.print(f"[bold]Storage[/]  {OK} default StorageClass: {d.default_class}")
    else:
        shown = ", ".join(d.storage_classes) or "none"
        console.print(f"[bold]Storage[/]  {NO} no default StorageClass (classes: {shown})")

    console.print()
    console.print(_permission_table(d))

    console.print()
    for note in d.notes:
        console.print(f"{WARN} {note}")
    if d.ok:
        console.print(f"{OK} [bold green]Everything the lessons need works on this cluster.[/]")
        return
    console.print("[bold]What will not work[/]")
    for problem in d.problems:
        console.print(Text.from_markup(f"  {NO} ") + Text(problem))


def _permission_table(d: Diagnosis) -> Table:
    from k8slab.cluster.kube.diagnose import ALL

    table = Table(title="Permissions (SelfSubjectAccessReview)", title_justify="left",
                  title_style="bold", show_edge=False, pad_edge=False)
    table.add_column("resource")
    table.add_column("where", style="dim")
    for verb in ALL:
        table.add_column(verb, justify="center")
    rows: dict[tuple[str, str], dict[str, bool]] = {}
    for p in d.permissions:
        rows.setdefault((p.resource, p.namespace or "cluster"), {})[p.verb] = p.allowed
    for (resource, where), verbs in rows.items():
        cells = [(OK if verbs[v] else NO) if v in verbs else "" for v in ALL]
        table.add_row(resource, where, *cells)
    return table
