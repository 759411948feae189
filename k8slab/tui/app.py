"""The Textual application and its factory, shared by `k8slab run` and the tests."""

from __future__ import annotations

from typing import ClassVar

from textual.app import App
from textual.binding import Binding, BindingType
from textual.screen import Screen

from k8slab.lessons.model import Lesson
from k8slab.tui.commands import LabCommands
from k8slab.tui.screens.help import HelpScreen, KeyHelp
from k8slab.tui.screens.lab import LabScreen
from k8slab.tui.session import LabSession


class LabApp(App[int]):
    """k8slab's terminal lab: one LabScreen, a help screen, a node form, the palette."""

    CSS_PATH = "k8slab.tcss"
    TITLE = "k8slab"
    ENABLE_COMMAND_PALETTE = True
    COMMANDS = App.COMMANDS | {LabCommands}

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit", id="k8slab.quit"),
        Binding("question_mark", "help", "Help", key_display="?", id="k8slab.help"),
        Binding("ctrl+s", "screenshot", "Screenshot", show=False, id="k8slab.screenshot"),
    ]

    def __init__(self, session: LabSession, *, realtime: bool = True) -> None:
        super().__init__()
        self.session = session
        self.realtime = realtime

    def get_default_screen(self) -> Screen:
        return LabScreen(self.session, realtime=self.realtime, id="lab")

    @property
    def lab(self) -> LabScreen:
        """The lab screen, wherever it is in the screen stack."""
        for screen in self.screen_stack:
            if isinstance(screen, LabScreen):
                return screen
        raise LookupError("the lab screen is not running")

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            return
        self.push_screen(HelpScreen(self.key_help()))

    def key_help(self) -> list[KeyHelp]:
        """Every active key, grouped by where it works, from the live bindings."""
        seen: dict[tuple[int, str], KeyHelp] = {}
        rank: dict[tuple[int, str], int] = {}
        lab_order = {b.action: i for i, b in enumerate(LabScreen.BINDINGS)
                     if isinstance(b, Binding)}
        for active in self.screen.active_bindings.values():
            binding, node = active.binding, active.node
            group = ("Anywhere" if node is self else
                     "Lab" if isinstance(node, LabScreen) else
                     f"In the focused {type(node).__name__}")
            description = (binding.group.description if binding.group else
                           binding.tooltip or binding.description
                           or binding.action.replace("_", " "))
            if not active.enabled:
                description += " (not now)"
            # One line per action, or per binding group (the action keys 1-9).
            slot = (id(node), description if binding.group else binding.action)
            shown = self.get_key_display(binding)
            if slot in seen:
                old = seen[slot]
                if binding.group:  # the number keys: "1" then "1-2" ... "1-9"
                    first = old.key.split("-")[0]
                    seen[slot] = KeyHelp(f"{first}-{shown}", old.description, group)
                elif shown not in old.key.split(" / "):
                    seen[slot] = KeyHelp(f"{old.key} / {shown}", old.description, group)
            else:
                seen[slot] = KeyHelp(shown, description, group)
                rank[slot] = lab_order.get(binding.action, len(rank) + 100)
        order = {"Lab": 0, "Anywhere": 1}
        return [seen[s] for s in sorted(seen, key=lambda s: (
            order.get(seen[s].group, 2), seen[s].group, rank[s]))]

    async def action_quit(self) -> None:
        self.session.save()
        self.exit(0)

    def on_unmount(self) -> None:
        self.session.close()


def create_app(lesson: str | Lesson, *, kube: bool = False, context: str | None = None,
               kubeconfig: str | None = None, namespace: str | None = None, seed: int = 0,
               speed: float = 1.0, realtime: bool = True, save_progress: bool = True,
               fast_cron: bool = False) -> LabApp:
    """Load the lesson, open the cluster and build the app: what `k8slab run` runs and what
    the tests and the screenshot script drive.

    Args:
        lesson: a lesson id (`day10`), a path, or an already loaded Lesson.
        realtime: (sim) a timer moves the clock at `speed`; off, the caller drives the clock
            (tests do, so every run is exact).
        save_progress: read and write the progress file (off for screenshots) and, in a
            workshop learner's namespace, the `k8slab-progress` ConfigMap the instructor reads.
        fast_cron: (kube) the CronJobs the lab applies run every minute.

    Raises:
        LessonError: the lesson does not exist or does not load.
        ClusterError: the cluster cannot be reached or the namespace cannot be used.
    """
    from k8slab.cluster.factory import open_cluster
    from k8slab.lessons import load_lesson, render_text
    from k8slab.progress import ProgressStore

    loaded = load_lesson(lesson) if isinstance(lesson, str) else lesson
    cluster = open_cluster(loaded, kube=kube, context=context, kubeconfig=kubeconfig,
                           namespace=namespace, seed=seed, realtime=realtime,
                           fast_cron=fast_cron)
    clock = getattr(cluster, "clock", None) if cluster.capabilities.virtual_clock else None
    if clock is not None:
        clock.speed = speed
    ns = cluster.namespace
    workshop = remote = mirror = None
    try:
        if cluster.backend == "kube":
            from k8slab.workshop.learner import detect
            from k8slab.workshop.progress_store import ProgressMirror, load_progress

            workshop = detect(cluster, loaded)
            if workshop is not None and save_progress:
                remote = load_progress(cluster, ns, loaded.id)
                mirror = ProgressMirror(cluster, ns, loaded.id)
        session = LabSession(loaded, cluster, store=ProgressStore() if save_progress else None,
                             render=lambda text: render_text(text, namespace=ns),
                             workshop=workshop, remote=remote, mirror=mirror)
    except BaseException:
        cluster.close()
        raise
    return LabApp(session, realtime=realtime)
