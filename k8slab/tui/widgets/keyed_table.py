"""A DataTable that is told the rows it should show and changes only what differs."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import DataTable
from textual.widgets.data_table import RowKey

Cells = tuple[Text, ...]


class KeyedTable(DataTable[Text]):
    """Rows keyed by a stable id (`web/0`, a node name); `sync()` updates cells in place.

    Most frames change a cell or two (a pod turns Ready), so `sync()` compares each row with
    what it showed last and calls `update_cell` only for cells that differ. A new row that
    belongs at the end is appended; one that belongs in the middle (a new StatefulSet above
    another) costs a rebuild, which is rare.
    """

    DEFAULT_CSS = """
    KeyedTable {
        height: 1fr;
        background: $surface;
    }
    """

    def __init__(self, *, name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes, cursor_type="row",
                         zebra_stripes=False, show_cursor=True)
        self._shown: dict[str, Cells] = {}
        self._order: list[str] = []
        self.rebuilds = 0  # full rebuilds, for tests and the benchmark
        self.cell_updates = 0

    def set_columns(self, columns: Sequence[tuple[str, str, int | None]]) -> None:
        """(key, label, width or None for auto) for each column; clears the rows."""
        self.clear(columns=True)
        self._shown.clear()
        self._order.clear()
        for key, label, width in columns:
            self.add_column(label, key=key, width=width)

    def sync(self, rows: Sequence[tuple[str, Cells]]) -> None:
        """Make the table show exactly `rows`, in this order."""
        wanted = [key for key, _ in rows]
        keep = set(wanted)  # once: a set per row made every sync quadratic in the rows
        for key in [k for k in self._order if k not in keep]:
            self.remove_row(key)
            del self._shown[key]
        self._order = [k for k in self._order if k in self._shown]
        existing = [k for k in wanted if k in self._shown]
        if existing != self._order or wanted[:len(existing)] != existing:
            self._rebuild(rows)
            return
        columns = [c.key for c in self.ordered_columns]
        for key, cells in rows:
            old = self._shown.get(key)
            if old is None:
                self.add_row(*cells, key=key)
                self._order.append(key)
            elif old != cells:
                for col, before, after in zip(columns, old, cells, strict=False):
                    if before != after:
                        self.update_cell(key, col, after)
                        self.cell_updates += 1
            self._shown[key] = cells

    def _rebuild(self, rows: Sequence[tuple[str, Cells]]) -> None:
        selected = self._selected_key()
        self.clear()
        self._shown.clear()
        for key, cells in rows:
            self.add_row(*cells, key=key)
            self._shown[key] = cells
        self._order = [key for key, _ in rows]
        self.rebuilds += 1
        if selected is not None and selected in self._shown:
            self.move_cursor(row=self.get_row_index(selected), animate=False)

    def _selected_key(self) -> str | None:
        if not self.row_count:
            return None
        try:
            key: RowKey = self.coordinate_to_cell_key(self.cursor_coordinate).row_key
        except Exception:
            return None
        return key.value
