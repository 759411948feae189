"""KeyedTable changes only what differs: cells in place, rows appended, rebuilt rarely."""

from __future__ import annotations

from rich.text import Text
from textual.app import App, ComposeResult

from k8slab.tui.widgets.keyed_table import KeyedTable


class TableApp(App[None]):
    def compose(self) -> ComposeResult:
        yield KeyedTable()


def rows(*spec: tuple[str, str, str]) -> list[tuple[str, tuple[Text, ...]]]:
    return [(key, (Text(a), Text(b))) for key, a, b in spec]


async def test_sync_updates_in_place_and_rebuilds_only_for_a_new_row_in_the_middle() -> None:
    app = TableApp()
    async with app.run_test() as pilot:
        table = app.query_one(KeyedTable)
        table.set_columns([("pod", "pod", None), ("state", "state", None)])
        table.sync(rows(("web/0", "web-0", "Pending")))
        table.sync(rows(("web/0", "web-0", "Ready"), ("web/1", "web-1", "Pending")))
        await pilot.pause()
        assert (table.rebuilds, table.cell_updates) == (0, 1)
        assert [str(c) for c in table.get_row("web/0")] == ["web-0", "Ready"]
        table.sync(rows(("web/0", "web-0", "Ready"), ("web/1", "web-1", "Pending")))
        assert table.cell_updates == 1  # nothing changed, nothing touched
        table.sync(rows(("db/0", "db-0", "Pending"), ("web/0", "web-0", "Ready"),
                        ("web/1", "web-1", "Ready")))
        assert table.rebuilds == 1
        assert [str(k.value) for k in table.rows] == ["db/0", "web/0", "web/1"]
        table.sync(rows(("web/1", "web-1", "Ready")))
        assert table.row_count == 1 and table.rebuilds == 1
