"""The `sim:` section of a lesson: hints on how the embedded cluster plays a container.

A hint matches the pods of one top-level workload (`{kind: Job, name: resilient-job}`, or
`{kind: CronJob, name: ...}` for the pods of a CronJob's Jobs) and optionally one container,
and says what the command alone does not: how long it runs, how it exits, when it is Ready.
"""

from __future__ import annotations

from typing import Any

from k8slab.lessons import references as refs
from k8slab.lessons import schema
from k8slab.lessons.model import SimBehaviour
from k8slab.lessons.source import Node, Problems, plain

KINDS = ("Job", "CronJob", "StatefulSet", "DaemonSet", "Deployment", "ReplicaSet", "Pod")
_BOUNDS = (("failure_rate", 0, 1), ("exit_code", 0, 255), ("duration", 0, None),
           ("ready_after", 0, None), ("fail_first", 0, None))


def read_sim_hints(node: Node | None, catalogue: refs.Catalogue,
                   problems: Problems) -> list[SimBehaviour]:
    """Every well-formed hint of a `sim:` list, after reporting the rest."""
    out = []
    for _, hnode in (node.items() if node is not None else []):
        f = schema.fields(hnode, schema.SIM, "sim hint", problems)
        if f is None or "match" not in f:
            continue
        behaviour = _behaviour(f, catalogue, problems)
        if behaviour is not None:
            out.append(behaviour)
    return out


def _behaviour(f: dict[str, Node], catalogue: refs.Catalogue,
               problems: Problems) -> SimBehaviour | None:
    match_node = f["match"]
    match = plain(match_node.value)
    ok = True
    for key in match:
        if key not in ("kind", "name"):
            problems.add(match_node.key_location(key),
                         f"sim hint: match takes kind and name, not {key!r}")
            ok = False
    kind, name = match.get("kind"), match.get("name")
    if not isinstance(kind, str) or not isinstance(name, str):
        problems.add(match_node.location, "sim hint: match needs a kind and a name, "
                                          "e.g. {kind: Job, name: resilient-job}")
        return None
    if kind not in KINDS:
        problems.add(match_node.child("kind").location,
                     f"sim hint: match kind must be a workload kind ({', '.join(KINDS)}), "
                     f"not {kind!r}")
        return None
    found = catalogue.find(kind, name)
    if not found:
        if not catalogue.incomplete:
            problems.add(match_node.child("name").location,
                         f"sim hint: {refs.missing(kind, name, catalogue)}")
        return None
    values: dict[str, Any] = {k: plain(v.value) for k, v in f.items() if k != "match"}
    container = values.get("container")
    if container is not None and container not in refs.containers_of(found[0].obj):
        problems.add(f["container"].location,
                     f"sim hint: {kind} {name!r} has no container {container!r}")
        ok = False
    for key, low, high in _BOUNDS:
        value = values.get(key)
        if value is not None and (value < low or (high is not None and value > high)):
            bounds = f"{low} to {high}" if high is not None else f"at least {low}"
            problems.add(f[key].location, f"sim hint: {key} must be {bounds}")
            ok = False
    if not ok:
        return None
    values["logs"] = tuple(values.get("logs", ()))
    return SimBehaviour(match={"kind": kind, "name": name}, **values)
