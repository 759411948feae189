"""Button titles for actions, a little more specific than `Action.label()` where two actions
of one step would otherwise read the same (two patches of one StatefulSet)."""

from __future__ import annotations

from k8slab.actions import Action
from k8slab.cluster import objects as o


def action_title(action: Action) -> str:
    """`set partition web → 2`, `delete job/hello`, `rollout undo ds/node-logger`, else the
    action's own label."""
    p = action.params
    if action.kind == "patch":
        partition = o.dig(p.get("patch") or {}, "spec.updateStrategy.rollingUpdate.partition")
        if partition is not None:
            return f"set partition {p['name']} → {partition}"
        if o.dig(p.get("patch") or {}, "spec.replicas") is not None:
            return f"patch {p['name']} replicas → {p['patch']['spec']['replicas']}"
    if action.kind == "delete":
        return f"delete {str(p['kind']).lower()}/{p['name']}"
    if action.kind == "rollout-undo":
        return f"rollout undo {str(p.get('kind') or 'DaemonSet').lower()}/{p['name']}"
    return action.label()
