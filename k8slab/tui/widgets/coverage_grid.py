"""The DaemonSet node-coverage grid: nodes down, DaemonSets across, the reason in each gap."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from k8slab.tui.live import ALL, LiveData
from k8slab.tui.views.coverage import (
    CoverageGrid,
    NodeLine,
    coverage_grid,
    daemonset_marks,
    touched_nodes,
    update_grid,
)
from k8slab.tui.views.tones import GLYPHS, style
from k8slab.tui.widgets.keyed_table import Cells, KeyedTable


class CoverageGridPane(Vertical):
    """Which nodes each DaemonSet covers. A covered node shows its pod's state; a skipped node
    shows why (`taint`, `nodeSelector`, `resources`, `affinity`), and the line below the grid
    explains the selected cell in full."""

    KINDS: ClassVar[frozenset[str]] = frozenset({"DaemonSet", "Node", "Pod"})
    ALLOW_MAXIMIZE = True

    DEFAULT_CSS = """
    CoverageGridPane { height: 1fr; }
    CoverageGridPane > KeyedTable { height: 1fr; }
    CoverageGridPane > #coverage-detail { height: auto; max-height: 3; color: $text-muted;
                                          padding: 0 1; }
    """

    def __init__(self, *, name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.border_title = "DaemonSet coverage"
        self._columns: tuple[str, ...] | None = None
        self._grid: CoverageGrid | None = None
        # Each node's line and the cells drawn for it: a frame usually changes a few nodes
        # out of hundreds, and rebuilding every row's Text costs more than the whole diff.
        self._drawn: dict[str, tuple[NodeLine, Cells]] = {}
        self._detail: Text | None = None
        self._marks: tuple[tuple[str, str, int], ...] = ()

    def compose(self) -> ComposeResult:
        table = KeyedTable(id="coverage-table")
        table.cursor_type = "cell"
        yield table
        yield Static("", id="coverage-detail")

    @property
    def table(self) -> KeyedTable:
        return self.query_one("#coverage-table", KeyedTable)

    def update_live(self, data: LiveData, *, force: bool = False) -> None:
        if not (force or data.touches(self.KINDS)):
            return
        grid = self._next_grid(data, force)
        if grid is self._grid:
            return
        self._grid = grid
        table = self.table
        rebuilt = grid.daemonsets != self._columns
        if rebuilt:
            self._columns = grid.daemonsets
            cols: list[tuple[str, str, int | None]] = [("node", "node", None)]
            cols += [(f"ds:{ds}", ds, None) for ds in grid.daemonsets]
            table.set_columns(cols)
        table.sync([(line.node, self._cells_of(line)) for line in grid.nodes])
        if len(self._drawn) > len(grid.nodes):
            wanted = {line.node for line in grid.nodes}
            self._drawn = {n: d for n, d in self._drawn.items() if n in wanted}
        if rebuilt and grid.daemonsets and grid.nodes:
            # Start on the first DaemonSet's column, so the line below explains a cell.
            table.move_cursor(row=table.cursor_row, column=1, animate=False)
        if grid.daemonsets:
            parts = []
            for ds in grid.daemonsets:
                covered = sum(1 for n in grid.nodes
                              if n.cells[grid.daemonsets.index(ds)].tone == "ok")
                parts.append(f"{ds} {covered}/{len(grid.nodes)}")
            self.border_title = "DaemonSet coverage · " + " · ".join(parts)
        else:
            self.border_title = f"DaemonSet coverage · {len(grid.nodes)} nodes · no DaemonSets"
        self._explain()

    def _next_grid(self, data: LiveData, force: bool) -> CoverageGrid:
        """The grid after this frame: only the lines of nodes whose pods changed are
        computed again, unless a node or a DaemonSet's spec changed (or the screen cannot
        tell what did). A pod changing on a 1,000-node grid then costs one line, not 1,000."""
        marks = daemonset_marks(data.state)
        same, self._marks = marks == self._marks, marks
        touched = (touched_nodes(data.batch)
                   if same and not force and ALL not in data.changed and self._grid is not None
                   else None)
        if touched is None or self._grid is None:
            return coverage_grid(data.state)
        return update_grid(self._grid, data.state, touched)

    def _cells_of(self, line: NodeLine) -> Cells:
        drawn = self._drawn.get(line.node)
        if drawn is not None and drawn[0] == line:
            return drawn[1]
        cells = self._cells(line)
        self._drawn[line.node] = (line, cells)
        return cells

    @staticmethod
    def _cells(line: NodeLine) -> Cells:
        node = Text(line.node, style="bold")
        if line.taints:
            node.append(" ⚑", style="yellow")  # tainted; the line below names the taints
        if line.roles != "worker":
            node.append(f" {line.roles}", style="dim")
        cells = [node]
        for cell in line.cells:
            st = style(cell.tone)
            glyph = "✗" if cell.tone == "idle" else GLYPHS.get(cell.tone, " ")
            cells.append(Text.assemble((glyph + " ", st if cell.tone != "idle" else "red"),
                                       (cell.label, st if cell.tone != "idle" else "dim")))
        return tuple(cells)

    def on_data_table_cell_highlighted(self, event: DataTable.CellHighlighted) -> None:
        event.stop()
        self._explain()

    def _explain(self) -> None:
        text = self._explanation()
        if text is None or text == self._detail:
            # Unchanged (the usual case, every frame): updating the Static would ask for a
            # layout of the whole screen.
            return
        self._detail = text
        self.query_one("#coverage-detail", Static).update(text)

    def _explanation(self) -> Text | None:
        grid, table = self._grid, self.table
        if grid is None or not grid.nodes or not table.row_count:
            return Text("")
        row, col = table.cursor_coordinate
        if row >= len(grid.nodes):
            return None
        line = grid.nodes[row]
        if col < 1 or col - 1 >= len(line.cells):
            taints = "taints " + ", ".join(line.taints) if line.taints else "no taints"
            return Text.assemble((line.node, "bold"), f" ({line.roles}): {taints}")
        cell = line.cells[col - 1]
        ds = grid.daemonsets[col - 1]
        what = f"pod {cell.pod}, {cell.label}" if cell.pod else f"no pod ({cell.label})"
        return Text.assemble((f"{ds} on {line.node}: ", "bold"), what,
                             (f": {cell.detail}" if cell.detail else "", "italic"))
