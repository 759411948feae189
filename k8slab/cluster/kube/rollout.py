"""`kubectl rollout undo` for DaemonSets and StatefulSets, done as kubectl does it.

Both controllers keep their template history in ControllerRevisions whose `data` is a strategic
merge patch replacing `spec.template`. Undo finds the revisions the object controls, takes the
newest one whose template is not the object's current one, and patches the object with that
revision's data.

Revision numbers alone are not enough: a controller whose cache had not yet seen its own last
revision can write the next one with the same number, and it renumbers only on a later sync,
which may not come for hours. Comparing templates finds the current revision either way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from k8slab.errors import ClusterError


def owned_revisions(obj: Mapping[str, Any], revisions: Iterable[Mapping[str, Any]]
                    ) -> list[Mapping[str, Any]]:
    """The ControllerRevisions controlled by `obj`, oldest first."""
    uid = (obj.get("metadata") or {}).get("uid")
    mine = [r for r in revisions
            if any(ref.get("uid") == uid and ref.get("controller")
                   for ref in (r.get("metadata") or {}).get("ownerReferences") or [])]
    return sorted(mine, key=lambda r: (int(r.get("revision") or 0),
                                       str((r.get("metadata") or {}).get("creationTimestamp", ""))))


def previous_revision(obj: Mapping[str, Any], revisions: Iterable[Mapping[str, Any]]
                      ) -> Mapping[str, Any]:
    """The revision `rollout undo` returns to: the newest whose template is not the current one.

    Raises:
        ClusterError: there is no earlier revision to go back to.
    """
    mine = owned_revisions(obj, revisions)
    earlier = [r for r in mine if not template_matches(obj, r)]
    kind = str(obj.get("kind") or "object").lower()
    name = (obj.get("metadata") or {}).get("name", "")
    if len(mine) < 2 or not earlier:
        raise ClusterError(
            f"{kind}/{name} has no previous revision to roll back to.",
            "Change its template first (for example set a new image), then undo.",
            resource=f"{kind}/{name}", reason="NoRevision")
    return earlier[-1]


def template_matches(obj: Mapping[str, Any], revision: Mapping[str, Any]) -> bool:
    """Whether the object's template already equals the revision's (undo would do nothing)."""
    wanted = dict(((revision.get("data") or {}).get("spec") or {}).get("template") or {})
    wanted.pop("$patch", None)
    current = (obj.get("spec") or {}).get("template") or {}
    return _subset(wanted, current)


def _subset(want: Any, have: Any) -> bool:
    if isinstance(want, Mapping):
        return isinstance(have, Mapping) and all(
            _subset(v, have.get(k)) for k, v in want.items() if k != "$patch")
    if isinstance(want, list):
        return isinstance(have, list) and len(want) == len(have) and all(
            _subset(w, h) for w, h in zip(want, have, strict=True))
    return bool(want == have)
