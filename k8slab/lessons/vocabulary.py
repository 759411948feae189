"""Actions and checks as a lesson file writes them, read into `Action` and `Check`.

An action is a one-key mapping, `- scale: {name: web, replicas: 5}`, or a shorthand scalar,
`- apply: simple-statefulset.yaml`. A check is a mapping with `kind` and its parameters beside
it: `{kind: pvc-per-replica, statefulset: nginx-sts}`. Both are checked against their specs
(k8slab.actions.ACTIONS, k8slab.grading.catalog.CHECKS) and against what the lesson declares.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from k8slab.actions import ACTIONS, Action
from k8slab.grading.catalog import CHECKS
from k8slab.lessons import references as refs
from k8slab.lessons.model import Check
from k8slab.lessons.source import Node, Problems, as_map, describe, plain
from k8slab.lessons.text import unknown_placeholders
from k8slab.params import Spec

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


@dataclass
class Context:
    """What an action or check may refer to while a lesson is being read."""

    manifests: set[str]
    catalogue: refs.Catalogue
    problems: Problems
    # Quiz answers given by solutions, checked once the checklist has been read:
    # (question or item id, choice, where).
    answers: list[tuple[str, int, Node]] = field(default_factory=list)


def _params_problems(spec: Spec, params: dict[str, Any], at: Node, params_node: Node | None,
                     what: str, problems: Problems) -> bool:
    """Report Spec.problems() at the offending parameter. True if there were none."""
    found = spec.problems(params)
    for name, message in found:
        where = at.location
        if name is not None and params_node is not None and params_node.is_map \
                and name in params_node.value:
            where = params_node.child(name).location
            if name not in {p.name for p in spec.params}:
                where = params_node.key_location(name)
        problems.add(where, f"{what}: {message}")
    return not found


def parse_action(node: Node, ctx: Context, *, in_solution: bool) -> Action | None:
    """One action of a step's `actions` or `solution` list, or None after problems."""
    what = "solution" if in_solution else "action"
    if isinstance(node.value, str) and node.value in ACTIONS:
        ctx.problems.add(node.location, f"{what} {node.value!r} needs parameters: write "
                                        f"`- {node.value}: ...`")
        return None
    if not node.is_map or len(node.value) != 1:
        ctx.problems.add(node.location, f"an {what} is a one-key mapping such as "
                                        f"`- apply: web.yaml` or `- scale: {{name: web, "
                                        f"replicas: 5}}`, not {describe(node.value)}"
                         + (f" with keys {', '.join(map(str, node.value))}"
                            if node.is_map else ""))
        return None
    kind = next(iter(node.value))
    spec = ACTIONS.get(kind) if isinstance(kind, str) else None
    if spec is None:
        close = difflib.get_close_matches(str(kind), list(ACTIONS), n=1, cutoff=0.5)
        tip = f"; did you mean {close[0]!r}?" if close else f" (known: {', '.join(ACTIONS)})"
        ctx.problems.add(node.key_location(kind), f"unknown action {kind!r}{tip}")
        return None
    value_node = node.child(kind)
    raw = value_node.value
    params_node: Node | None = None
    if raw is None:
        params: dict[str, Any] = {}
    elif isinstance(raw, dict):
        params, params_node = plain(raw), value_node
    elif spec.shorthand:
        params = {spec.shorthand: plain(raw)}
    else:
        names = ", ".join(p.name for p in spec.params)
        ctx.problems.add(value_node.location, f"{kind} takes a mapping of parameters "
                                              f"({names}), not {describe(raw)}")
        return None
    label = f"{what} {kind}"
    if not _params_problems(spec, params, value_node, params_node, label, ctx.problems):
        return None
    # The runner fills in {{namespace}} in parameters too (e.g. an nslookup of a full name).
    for text in _strings(params):
        for _, message in unknown_placeholders(text):
            ctx.problems.add(value_node.location, f"{label}: {message}")
    params = spec.with_defaults(params)
    ok = _ACTION_RULES.get(kind, _no_rule)(params, value_node, params_node, ctx, in_solution)
    if not ok:
        return None
    return Action(kind=kind, params=params, line=node.line)


def parse_check(node: Node, ctx: Context, what: str = "check") -> Check | None:
    """One check mapping (`{kind: ..., params...}`), or None after problems."""
    if not node.is_map:
        ctx.problems.add(node.location, f"a {what} is a mapping with `kind` and parameters, "
                                        f"not {describe(node.value)}")
        return None
    kind = node.value.get("kind")
    if kind is None:
        ctx.problems.add(node.location, f"a {what} needs a `kind` (one of the check kinds)")
        return None
    spec = CHECKS.get(kind) if isinstance(kind, str) else None
    if spec is None:
        close = difflib.get_close_matches(str(kind), list(CHECKS), n=1, cutoff=0.5)
        tip = f"; did you mean {close[0]!r}?" if close else f" (known: {', '.join(CHECKS)})"
        ctx.problems.add(node.child("kind").location, f"unknown check kind {kind!r}{tip}")
        return None
    params = {k: v for k, v in plain(node.value).items() if k != "kind"}
    if not _params_problems(spec, params, node, node, f"check {kind}", ctx.problems):
        return None
    ok = True
    namespace = params.get("namespace")
    for pname, value in params.items():
        target = refs.PARAM_KINDS.get(pname)
        if target is not None:
            problem = refs.reference_problem(target, value, namespace, ctx.catalogue)
            if problem:
                ctx.problems.add(node.child(pname).location, f"check {kind}: {problem}")
                ok = False
    if kind in ("exists", "field-equals"):
        problem = refs.reference_problem(params["kind"], params["name"], namespace,
                                         ctx.catalogue)
        if problem:
            ctx.problems.add(node.child("name").location, f"check {kind}: {problem}")
            ok = False
    if kind == "daemonset-follows-labels" and not re.match(r"^[^=\s]+=[^=\s]*$",
                                                           params["label"]):
        ctx.problems.add(node.child("label").location,
                         f"check {kind}: label must be written key=value, not "
                         f"{params['label']!r}")
        ok = False
    if not ok:
        return None
    return Check(kind=kind, params=spec.with_defaults(params), line=node.line)


def _strings(value: Any) -> list[str]:
    """Every string inside a parameter value."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


# -- per-action rules -------------------------------------------------------------------------

Rule = Callable[[dict[str, Any], Node, "Node | None", Context, bool], bool]


def _at(value_node: Node, params_node: Node | None, name: str) -> Node:
    if params_node is not None and params_node.is_map and name in params_node.value:
        return params_node.child(name)
    return value_node


def _report(ctx: Context, node: Node, kind: str, message: str) -> bool:
    ctx.problems.add(node.location, f"{kind}: {message}")
    return False


def _no_rule(params: dict[str, Any], vn: Node, pn: Node | None, ctx: Context,
             sol: bool) -> bool:
    return True


def _manifest_rule(kind: str) -> Rule:
    def rule(params: dict[str, Any], vn: Node, pn: Node | None, ctx: Context,
             sol: bool) -> bool:
        name = params["manifest"]
        if name in ctx.manifests:
            return True
        close = difflib.get_close_matches(name, sorted(ctx.manifests), n=1, cutoff=0.6)
        tip = f"; did you mean {close[0]!r}?" if close else ""
        return _report(ctx, _at(vn, pn, "manifest"), kind,
                       f"no manifest {name!r} in the lesson's manifests/ folder{tip}")
    return rule


def _object_rule(kind: str, default_kind: str | None = None) -> Rule:
    def rule(params: dict[str, Any], vn: Node, pn: Node | None, ctx: Context,
             sol: bool) -> bool:
        problem = refs.reference_problem(params.get("kind") or default_kind or "",
                                         params["name"], params.get("namespace"),
                                         ctx.catalogue)
        if problem:
            return _report(ctx, _at(vn, pn, "name"), kind, problem)
        return True
    return rule


def _set_image(params: dict[str, Any], vn: Node, pn: Node | None, ctx: Context,
               sol: bool) -> bool:
    if not _object_rule("set-image")(params, vn, pn, ctx, sol):
        return False
    found = ctx.catalogue.find(params["kind"], params["name"])
    names = refs.containers_of(found[0].obj) if found else []
    if found and params["container"] not in names:
        return _report(ctx, _at(vn, pn, "container"), "set-image",
                       f"{params['kind']} {params['name']!r} has no container "
                       f"{params['container']!r} (containers: {', '.join(names)})")
    return True


def _delete_pod(params: dict[str, Any], vn: Node, pn: Node | None, ctx: Context,
                sol: bool) -> bool:
    name, selector = params.get("name"), params.get("selector")
    if (name is None) == (selector is None):
        return _report(ctx, vn, "delete-pod", "give either name or selector (not both)")
    problem = refs.pod_problem(name, ctx.catalogue) if name is not None \
        else refs.selector_problem(str(selector), ctx.catalogue)
    if problem:
        return _report(ctx, _at(vn, pn, "name" if name is not None else "selector"),
                       "delete-pod", problem)
    return True


def _exec(params: dict[str, Any], vn: Node, pn: Node | None, ctx: Context, sol: bool) -> bool:
    problem = refs.pod_problem(params["pod"], ctx.catalogue)
    if problem:
        return _report(ctx, _at(vn, pn, "pod"), "exec", problem)
    command = params["command"]
    if not command or not all(isinstance(c, str) for c in command):
        return _report(ctx, _at(vn, pn, "command"), "exec",
                       "command must be a non-empty list of strings, e.g. [cat, /data/f.txt]")
    owner = refs.statefulset_of(params["pod"], ctx.catalogue)
    container = params.get("container")
    if owner is not None and container is not None \
            and container not in refs.containers_of(owner.obj):
        return _report(ctx, _at(vn, pn, "container"), "exec",
                       f"StatefulSet {owner.name!r} has no container {container!r}")
    return True


def _node_rule(kind: str, key: str = "node") -> Rule:
    def rule(params: dict[str, Any], vn: Node, pn: Node | None, ctx: Context,
             sol: bool) -> bool:
        node = params.get(key)
        if node is not None and node not in ctx.catalogue.nodes:
            return _report(ctx, _at(vn, pn, key), kind,
                           f"no node {node!r} (the sim's nodes: "
                           f"{', '.join(ctx.catalogue.nodes)}; add more with add-node)")
        if kind == "label-node":
            for k, v in params["labels"].items():
                if not isinstance(v, str):
                    return _report(ctx, _at(vn, pn, "labels"), kind,
                                   f"label {k} must have a string value: quote it "
                                   f"({k}: \"{str(v).lower()}\")")
        if kind == "unlabel-node" and not all(isinstance(k, str) for k in params["keys"]):
            return _report(ctx, _at(vn, pn, "keys"), kind, "keys must be label keys (strings)")
        return True
    return rule


def _add_node(params: dict[str, Any], vn: Node, pn: Node | None, ctx: Context,
              sol: bool) -> bool:
    # A step's actions and its solution may both add the same node; only the sim's own
    # nodes are certain to exist already.
    if params["name"] in refs.DEFAULT_NODES:
        return _report(ctx, _at(vn, pn, "name"), "add-node",
                       f"node {params['name']!r} is one of the sim's own nodes")
    if params["name"] not in ctx.catalogue.nodes:
        ctx.catalogue.nodes.append(params["name"])
    return True


def _cronjob_rule(kind: str) -> Rule:
    def rule(params: dict[str, Any], vn: Node, pn: Node | None, ctx: Context,
             sol: bool) -> bool:
        problem = refs.reference_problem("CronJob", params["cronjob"], None, ctx.catalogue)
        if problem:
            return _report(ctx, _at(vn, pn, "cronjob"), kind, problem)
        if kind == "trigger-cronjob":
            job = params["job"]
            if not _DNS_LABEL.match(job) or len(job) > 63:
                return _report(ctx, _at(vn, pn, "job"), kind,
                               f"{job!r} is not a valid Job name (lower case letters, digits "
                               f"and '-')")
            found = ctx.catalogue.find("CronJob", params["cronjob"])
            cronjob = found[0].obj if found else {}
            template = as_map(as_map(as_map(cronjob.get("spec")).get("jobTemplate"))
                              .get("spec"))
            ctx.catalogue.add("Job", job, {"kind": "Job", "spec": template})
        return True
    return rule


def _advance_clock(params: dict[str, Any], vn: Node, pn: Node | None, ctx: Context,
                   sol: bool) -> bool:
    seconds, to_next = params.get("seconds"), params.get("to-next-cron")
    times = params.get("scheduled-times")
    if sum((seconds is not None, bool(to_next), times is not None)) != 1:
        return _report(ctx, vn, "advance-clock", "give one of seconds, to-next-cron: true or "
                                                 "scheduled-times (with cronjob)")
    if seconds is not None and seconds <= 0:
        return _report(ctx, _at(vn, pn, "seconds"), "advance-clock", "seconds must be positive")
    if times is not None and times <= 0:
        return _report(ctx, _at(vn, pn, "scheduled-times"), "advance-clock",
                       "scheduled-times must be positive")
    cronjob = params.get("cronjob")
    if times is not None and cronjob is None:
        return _report(ctx, _at(vn, pn, "scheduled-times"), "advance-clock",
                       "scheduled-times needs cronjob: whose schedule to follow")
    if cronjob is not None:
        if seconds is not None:
            return _report(ctx, _at(vn, pn, "cronjob"), "advance-clock",
                           "cronjob goes with to-next-cron: true or scheduled-times")
        problem = refs.reference_problem("CronJob", cronjob, None, ctx.catalogue)
        if problem:
            return _report(ctx, _at(vn, pn, "cronjob"), "advance-clock", problem)
    return True


def _wait(params: dict[str, Any], vn: Node, pn: Node | None, ctx: Context, sol: bool) -> bool:
    if not sol:
        return _report(ctx, vn, "wait", "wait belongs in a solution, not in actions")
    if params["timeout"] <= 0:
        return _report(ctx, _at(vn, pn, "timeout"), "wait", "timeout must be positive")
    assert pn is not None  # `for` is required, so the parameters were a mapping
    return parse_check(pn.child("for"), ctx, "wait condition") is not None


def _answer(params: dict[str, Any], vn: Node, pn: Node | None, ctx: Context,
            sol: bool) -> bool:
    if not sol:
        return _report(ctx, vn, "answer", "answer belongs in a solution, not in actions")
    ctx.answers.append((params["item"], params["choice"], _at(vn, pn, "item")))
    return True


_ACTION_RULES: dict[str, Rule] = {
    "apply": _manifest_rule("apply"),
    "delete-manifest": _manifest_rule("delete-manifest"),
    "delete": _object_rule("delete"),
    "scale": _object_rule("scale", "StatefulSet"),
    "rollout-undo": _object_rule("rollout-undo", "DaemonSet"),
    "patch": _object_rule("patch"),
    "set-image": _set_image,
    "delete-pod": _delete_pod,
    "exec": _exec,
    "label-node": _node_rule("label-node"),
    "unlabel-node": _node_rule("unlabel-node"),
    "taint-node": _node_rule("taint-node"),
    "untaint-node": _node_rule("untaint-node"),
    "remove-node": _node_rule("remove-node", "name"),
    "add-node": _add_node,
    "trigger-cronjob": _cronjob_rule("trigger-cronjob"),
    "suspend-cronjob": _cronjob_rule("suspend-cronjob"),
    "resume-cronjob": _cronjob_rule("resume-cronjob"),
    "advance-clock": _advance_clock,
    "wait": _wait,
    "answer": _answer,
}
