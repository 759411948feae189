"""JSON merge patch (RFC 7386), strategic merge patch and JSON patch (RFC 6902).

Strategic merge follows the patch strategies of the core types for the lists a learner patches:
containers, volumes, env, ports and conditions merge by their key; other lists are replaced.
`$patch: delete` inside a keyed list item removes that item.
"""

from __future__ import annotations

from typing import Any

from k8slab.cluster.sim.store import clone
from k8slab.errors import ClusterError, Invalid

# list field name -> merge key, as `patchMergeKey` tags in k8s.io/api declare them.
MERGE_KEYS: dict[str, str] = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "volumes": "name",
    "env": "name",
    "volumeMounts": "mountPath",
    "volumeDevices": "devicePath",
    "ports": "containerPort",
    "imagePullSecrets": "name",
    "conditions": "type",
    "ownerReferences": "uid",
    "hostAliases": "ip",
    "topologySpreadConstraints": "topologyKey",
}


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386: dicts merge recursively, null deletes, everything else replaces."""
    if not isinstance(patch, dict):
        return clone(patch)
    out = dict(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = merge_patch(out.get(k), v)
    return out


def strategic_merge(target: Any, patch: Any, field: str = "") -> Any:
    """Strategic merge patch: like merge patch, but keyed lists merge item by item."""
    if isinstance(patch, list):
        key = MERGE_KEYS.get(field)
        if key is None or not isinstance(target, list):
            return clone(patch)
        items: list[Any] = [dict(x) if isinstance(x, dict) else x for x in target]
        for item in patch:
            if not isinstance(item, dict) or key not in item:
                continue
            idx = next((i for i, x in enumerate(items)
                        if isinstance(x, dict) and x.get(key) == item[key]), None)
            if item.get("$patch") == "delete":
                if idx is not None:
                    items.pop(idx)
                continue
            if idx is None:
                items.append(clone({k: v for k, v in item.items() if k != "$patch"}))
            else:
                items[idx] = strategic_merge(items[idx], item)
        return items
    if not isinstance(patch, dict):
        return clone(patch)
    if patch.get("$patch") == "replace":
        return clone({k: v for k, v in patch.items() if k != "$patch"})
    out = dict(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if k.startswith("$"):
            continue
        if v is None:
            out.pop(k, None)
        else:
            out[k] = strategic_merge(out.get(k), v, k)
    return out


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise Invalid(f"invalid JSON pointer {path!r}", resource=None)
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _walk(doc: Any, parts: list[str]) -> Any:
    cur = doc
    for p in parts:
        if isinstance(cur, dict):
            if p not in cur:
                raise ClusterError(f"the server rejected our request due to an error in our "
                                   f"request: path /{'/'.join(parts)} not found",
                                   reason="BadRequest")
            cur = cur[p]
        elif isinstance(cur, list):
            cur = cur[int(p)]
        else:
            raise ClusterError(f"path /{'/'.join(parts)} not found", reason="BadRequest")
    return cur


def json_patch(target: Any, ops: list[dict[str, Any]]) -> Any:
    """RFC 6902: add, remove, replace, move, copy and test operations, in order."""
    doc = clone(target)
    for op in ops:
        kind = op.get("op")
        parts = _pointer(str(op.get("path", "")))
        if not parts:
            raise ClusterError("JSON patch on the whole document is not supported",
                               reason="BadRequest")
        parent = _walk(doc, parts[:-1])
        last = parts[-1]
        if kind in ("add", "replace"):
            value = clone(op.get("value"))
            if isinstance(parent, list):
                if last == "-":
                    parent.append(value)
                elif kind == "add":
                    parent.insert(int(last), value)
                else:
                    parent[int(last)] = value
            else:
                if kind == "replace" and last not in parent:
                    raise ClusterError(f"replace operation does not apply: doc is missing path: "
                                       f"{op.get('path')}", reason="BadRequest")
                parent[last] = value
        elif kind == "remove":
            if isinstance(parent, list):
                parent.pop(int(last))
            elif last in parent:
                del parent[last]
            else:
                raise ClusterError(f"remove operation does not apply: doc is missing path: "
                                   f"{op.get('path')}", reason="BadRequest")
        elif kind in ("move", "copy"):
            src = _pointer(str(op.get("from", "")))
            value = clone(_walk(doc, src))
            if kind == "move":
                sp = _walk(doc, src[:-1])
                if isinstance(sp, list):
                    sp.pop(int(src[-1]))
                else:
                    del sp[src[-1]]
            if isinstance(parent, list):
                parent.insert(len(parent) if last == "-" else int(last), value)
            else:
                parent[last] = value
        elif kind == "test":
            if _walk(doc, parts) != op.get("value"):
                raise ClusterError(f"testing value {op.get('path')} failed",
                                   reason="BadRequest")
        else:
            raise ClusterError(f"unexpected JSON patch operation {kind!r}", reason="BadRequest")
    return doc
