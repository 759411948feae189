"""A manifest of the step, syntax-highlighted, with a badge when it needs cluster-wide power."""

from __future__ import annotations

from rich.console import Group
from rich.syntax import Syntax
from rich.text import Text
from textual.widgets import Static

from k8slab.lessons.model import Manifest

#: What each risk means for a learner in a shared cluster.
RISKS = {
    "kube-system": "lives in kube-system, the cluster's own namespace",
    "hostPath": "mounts a directory of the node (hostPath)",
    "privileged": "runs a privileged container",
    "hostNetwork": "uses the node's network (hostNetwork)",
    "hostPID": "sees the node's processes (hostPID)",
}


def risk_badge(risks: tuple[str, ...] | list[str]) -> Text:
    """`⚠ cluster-wide: kube-system · hostPath`, or an empty Text."""
    if not risks:
        return Text("")
    return Text.assemble((" ⚠ cluster-wide: " + " · ".join(risks) + " ", "bold black on yellow"))


class ManifestView(Static):
    """The YAML as written in the lesson file, with line numbers, under a title bar that names
    the file and flags kube-system, hostPath, privileged, hostNetwork and hostPID."""

    DEFAULT_CSS = """
    ManifestView { height: auto; margin: 1 0 0 0; border: round $primary-darken-2;
                   padding: 0 1; }
    ManifestView.-risky { border: round $warning; }
    """

    def __init__(self, manifest: Manifest, *, name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.manifest = manifest
        self.border_title = manifest.name
        if manifest.risks:
            self.add_class("-risky")
            self.border_subtitle = "⚠ " + " · ".join(manifest.risks)

    def on_mount(self) -> None:
        parts: list[Text | Syntax] = []
        if self.manifest.risks:
            why = "; ".join(RISKS.get(r, r) for r in self.manifest.risks)
            parts.append(Text.assemble(risk_badge(self.manifest.risks), " ",
                                       (f"This manifest {why}.", "italic yellow")))
        parts.append(Syntax(self.manifest.text.rstrip("\n"), "yaml", theme="ansi_dark",
                            line_numbers=True, word_wrap=False, background_color="default"))
        self.update(Group(*parts))
