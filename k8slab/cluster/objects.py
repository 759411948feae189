"""Small accessors over Kubernetes objects kept as plain dicts, the shape the watch API sends."""

from collections.abc import Mapping
from typing import Any

Obj = dict[str, Any]
Key = tuple[str, str, str]  # (kind, namespace or "", name)


def meta(obj: Mapping[str, Any]) -> dict[str, Any]:
    return obj.get("metadata") or {}


def name(obj: Mapping[str, Any]) -> str:
    return str(meta(obj).get("name", ""))


def namespace(obj: Mapping[str, Any]) -> str:
    return str(meta(obj).get("namespace") or "")


def uid(obj: Mapping[str, Any]) -> str:
    return str(meta(obj).get("uid", ""))


def labels(obj: Mapping[str, Any]) -> dict[str, str]:
    return dict(meta(obj).get("labels") or {})


def annotations(obj: Mapping[str, Any]) -> dict[str, str]:
    return dict(meta(obj).get("annotations") or {})


def key(obj: Mapping[str, Any]) -> Key:
    return (str(obj.get("kind", "")), namespace(obj), name(obj))


def owner(obj: Mapping[str, Any], kind: str | None = None) -> dict[str, Any] | None:
    """The controlling owner reference (or the first of `kind`), or None."""
    refs = meta(obj).get("ownerReferences") or []
    for ref in refs:
        if kind is None and ref.get("controller"):
            return dict(ref)
        if kind is not None and ref.get("kind") == kind:
            return dict(ref)
    return None


def dig(obj: Mapping[str, Any], path: str, default: Any = None) -> Any:
    """Follow a dotted path (`spec.template.spec.containers.0.image`) through dicts and lists."""
    cur: Any = obj
    for part in path.split("."):
        if type(cur) is dict:  # noqa: SIM114 - plain dicts skip the slower ABC isinstance check
            if part not in cur:
                return default
            cur = cur[part]
        elif isinstance(cur, Mapping):
            if part not in cur:
                return default
            cur = cur[part]
        elif isinstance(cur, list) and part.lstrip("-").isdigit():
            idx = int(part)
            if not -len(cur) <= idx < len(cur):
                return default
            cur = cur[idx]
        else:
            return default
    return cur


def condition(obj: Mapping[str, Any], ctype: str) -> dict[str, Any] | None:
    """The status condition of type `ctype`, or None."""
    for cond in dig(obj, "status.conditions", []) or []:
        if cond.get("type") == ctype:
            return dict(cond)
    return None


def condition_true(obj: Mapping[str, Any], ctype: str) -> bool:
    cond = condition(obj, ctype)
    return bool(cond and cond.get("status") == "True")


def pod_ready(pod: Mapping[str, Any]) -> bool:
    return condition_true(pod, "Ready") and dig(pod, "metadata.deletionTimestamp") is None


def pod_phase(pod: Mapping[str, Any]) -> str:
    return str(dig(pod, "status.phase", "Pending"))


def ordinal(pod_name: str, set_name: str) -> int | None:
    """The StatefulSet ordinal of `pod_name` (`web-2` in set `web` → 2), or None."""
    prefix = set_name + "-"
    if not pod_name.startswith(prefix):
        return None
    rest = pod_name[len(prefix):]
    return int(rest) if rest.isdigit() else None


def container_images(pod_spec: Mapping[str, Any]) -> dict[str, str]:
    return {c.get("name", ""): c.get("image", "") for c in pod_spec.get("containers") or []}


def selector_matches(selector: Mapping[str, Any] | None, obj_labels: Mapping[str, str]) -> bool:
    """Whether a LabelSelector (matchLabels + matchExpressions) selects these labels.

    An empty selector selects everything, as in the API; a None selector selects nothing.
    """
    if selector is None:
        return False
    for k, v in (selector.get("matchLabels") or {}).items():
        if obj_labels.get(k) != v:
            return False
    for expr in selector.get("matchExpressions") or []:
        k, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or []
        present = k in obj_labels
        if op == "In" and not (present and obj_labels[k] in values):
            return False
        if op == "NotIn" and present and obj_labels[k] in values:
            return False
        if op == "Exists" and not present:
            return False
        if op == "DoesNotExist" and present:
            return False
    return True


def parse_label_selector(text: str) -> dict[str, Any]:
    """Parse `app=web,tier!=db,gpu` (the kubectl `-l` form) into a LabelSelector dict."""
    match_labels: dict[str, str] = {}
    exprs: list[dict[str, Any]] = []
    for raw in filter(None, (p.strip() for p in text.split(","))):
        if "!=" in raw:
            k, v = raw.split("!=", 1)
            exprs.append({"key": k.strip(), "operator": "NotIn", "values": [v.strip()]})
        elif "==" in raw or "=" in raw:
            k, v = raw.replace("==", "=").split("=", 1)
            match_labels[k.strip()] = v.strip()
        elif raw.startswith("!"):
            exprs.append({"key": raw[1:].strip(), "operator": "DoesNotExist"})
        else:
            exprs.append({"key": raw, "operator": "Exists"})
    sel: dict[str, Any] = {"matchLabels": match_labels}
    if exprs:
        sel["matchExpressions"] = exprs
    return sel
