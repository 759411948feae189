"""A small form to change the cluster's nodes: add, remove, label, unlabel, taint, untaint.

It builds an `Action` from the shared vocabulary; the lab screen runs it like any button, so
the seed's testing scenarios ("add a node and watch the DaemonSet follow", "label a node gpu")
go through the same runner and the same history the checklist grades.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from k8slab.actions import ACTIONS, Action

#: Operation id -> (label, needs an existing node, sim only)
OPERATIONS = {
    "add-node": ("Add a worker node", False, True),
    "remove-node": ("Remove a node", True, True),
    "label-node": ("Label a node (key=value)", True, False),
    "unlabel-node": ("Remove a node label (key)", True, False),
    "taint-node": ("Taint a node (key[=value])", True, False),
    "untaint-node": ("Remove a taint (key)", True, False),
}


def build_action(op: str, node: str, text: str, effect: str) -> Action:
    """The action for the form's fields. Raises ValueError with a sentence for bad input."""
    text = text.strip()
    node = node.strip()
    if op == "add-node":
        if not node:
            raise ValueError("give the new node a name, e.g. worker-3")
        labels = dict(_pair(p) for p in text.split(",") if p.strip()) if text else {}
        params: dict[str, object] = {"name": node}
        if labels:
            params["labels"] = labels
        return Action(op, ACTIONS[op].with_defaults(params))
    if not node:
        raise ValueError("choose a node")
    if op == "remove-node":
        return Action(op, {"name": node})
    if op == "label-node":
        if "=" not in text:
            raise ValueError("write the label as key=value, e.g. gpu=true")
        return Action(op, {"node": node, "labels": dict(_pair(p) for p in text.split(","))})
    if op == "unlabel-node":
        keys = [k.strip().rstrip("-") for k in text.split(",") if k.strip()]
        if not keys:
            raise ValueError("write the label key to remove, e.g. gpu")
        return Action(op, {"node": node, "keys": keys})
    key, _, value = text.partition("=")
    if not key.strip():
        raise ValueError("write the taint key, e.g. dedicated=gpu")
    if op == "taint-node":
        params = {"node": node, "key": key.strip(), "effect": effect}
        if value.strip():
            params["value"] = value.strip()
        return Action(op, params)
    return Action(op, {"node": node, "key": key.strip()})


def _pair(text: str) -> tuple[str, str]:
    key, sep, value = text.strip().partition("=")
    if not sep or not key.strip():
        raise ValueError(f"{text.strip()!r} is not key=value")
    return key.strip(), value.strip()


class NodeForm(ModalScreen[Action | None]):
    """Pick an operation and a node, type the label or taint, press Enter."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="k8slab.node_form.cancel"),
    ]

    DEFAULT_CSS = """
    NodeForm { align: center middle; }
    NodeForm > Vertical { width: 64; height: auto; border: thick $primary;
                          background: $surface; padding: 1 2; }
    NodeForm Label { margin-top: 1; }
    NodeForm #node-error { color: $error; height: auto; }
    NodeForm Horizontal { height: auto; margin-top: 1; align-horizontal: right; }
    NodeForm Button { margin-left: 1; }
    """

    def __init__(self, nodes: list[str], *, sim: bool, name: str | None = None,
                 id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.nodes = nodes
        self.sim = sim

    def compose(self) -> ComposeResult:
        ops = [(label, op) for op, (label, _, sim_only) in OPERATIONS.items()
               if self.sim or not sim_only]
        with Vertical():
            yield Static("[b]Nodes[/b]: try the seed's testing scenarios", markup=True)
            yield Label("Operation")
            yield Select(ops, value="label-node", allow_blank=False, id="node-op")
            yield Label("Node")
            yield Select([(n, n) for n in self.nodes], prompt="choose a node",
                         id="node-pick")
            yield Input(placeholder="new node name, e.g. worker-3", id="node-name")
            yield Label("Label / taint", id="node-text-label")
            yield Input(placeholder="gpu=true", id="node-text")
            yield Select([(e, e) for e in ("NoSchedule", "PreferNoSchedule", "NoExecute")],
                         value="NoSchedule", allow_blank=False, id="node-effect")
            yield Static(id="node-error")
            with Horizontal():
                yield Button("Cancel", id="node-cancel")
                yield Button("Run", variant="primary", id="node-run")

    def on_mount(self) -> None:
        self._adapt("label-node")

    @on(Select.Changed, "#node-op")
    def _op_changed(self, event: Select.Changed) -> None:
        self._adapt(str(event.value))

    def _adapt(self, op: str) -> None:
        self.query_one("#node-name").display = op == "add-node"
        self.query_one("#node-pick").display = op != "add-node"
        self.query_one("#node-effect").display = op == "taint-node"
        placeholder = {"add-node": "labels, optional: disktype=ssd,zone=b",
                       "remove-node": "", "label-node": "gpu=true", "unlabel-node": "gpu",
                       "taint-node": "dedicated=gpu", "untaint-node": "dedicated"}[op]
        text = self.query_one("#node-text", Input)
        text.placeholder = placeholder
        text.display = op != "remove-node"
        self.query_one("#node-text-label").display = op != "remove-node"

    @on(Button.Pressed, "#node-run")
    @on(Input.Submitted)
    def _submit(self) -> None:
        op = str(self.query_one("#node-op", Select).value)
        if op == "add-node":
            node = self.query_one("#node-name", Input).value
        else:
            picked = self.query_one("#node-pick", Select).value
            node = "" if picked is Select.NULL else str(picked)
        try:
            action = build_action(op, node, self.query_one("#node-text", Input).value,
                                  str(self.query_one("#node-effect", Select).value))
        except ValueError as exc:
            self.query_one("#node-error", Static).update(f"✗ {exc}")
            return
        self.dismiss(action)

    @on(Button.Pressed, "#node-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
