"""PersistentVolumeClaims, one per replica, with the claims a scale-down left behind."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text

from k8slab.tui.live import LiveData
from k8slab.tui.views.claims import ClaimRow, claim_rows
from k8slab.tui.views.tones import GLYPHS, style
from k8slab.tui.widgets.keyed_table import Cells, KeyedTable


class ClaimsTable(KeyedTable):
    """Each claim: the replica that owns it, its phase, capacity and the pod using it now.
    Claims whose replica was scaled away are marked `retained`: StatefulSets keep them so the
    data is there when the ordinal comes back."""

    KINDS: ClassVar[frozenset[str]] = frozenset({"PersistentVolumeClaim", "StatefulSet", "Pod"})

    def __init__(self, *, name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.border_title = "PersistentVolumeClaims"
        self._ready = False

    def on_mount(self) -> None:
        self.set_columns([("claim", "claim", None), ("owner", "replica", None),
                          ("phase", "phase", 9), ("size", "size", 6),
                          ("used", "used by", None)])
        self._ready = True

    def update_live(self, data: LiveData, *, force: bool = False) -> None:
        if not self._ready or not (force or data.touches(self.KINDS)):
            return
        rows = claim_rows(data.state)
        self.sync([(r.name, self._cells(r)) for r in rows])
        retained = sum(1 for r in rows if r.retained)
        title = f"PersistentVolumeClaims · {len(rows)}" if rows else \
            "PersistentVolumeClaims · none yet"
        if retained:
            title += f" · {retained} retained"
        self.border_title = title

    @staticmethod
    def _cells(r: ClaimRow) -> Cells:
        st = style(r.tone)
        if r.retained:
            used = Text("retained", style="bold magenta")
        elif r.pod:
            used = Text(r.pod)
        else:
            used = Text("—", style="dim")
        return (Text(r.name, style="bold" if r.statefulset else ""),
                Text(r.owner or "—", style="cyan" if r.owner else "dim"),
                Text.assemble((GLYPHS.get(r.tone, " ") + " ", st), (r.phase, st)),
                Text(r.capacity),
                used)
