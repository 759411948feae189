"""ControllerRevisions: the template history of StatefulSets and DaemonSets.

As in pkg/controller/history: a revision stores the pod template as a patch
(`{"spec": {"template": {..., "$patch": "replace"}}}`), is named `<owner>-<hash>` where the
hash is an FNV-32a of the template safe-encoded into the alphabet the API uses for generated
names, and carries a `revision` number. When the template goes back to one an older revision
holds, that revision is reused and renumbered as the newest (this is what makes
`kubectl rollout undo` produce a new revision number). Old revisions beyond
`revisionHistoryLimit` that no pod uses are pruned.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from k8slab.cluster.sim.store import Obj, clone
from k8slab.errors import ClusterError, NotFound

if TYPE_CHECKING:
    from k8slab.cluster.sim.core import SimCore

_ALPHANUMS = "bcdfghjklmnpqrstvwxz2456789"
CHANGE_CAUSE = "kubernetes.io/change-cause"


def template_hash(template: dict[str, Any], collision_count: int = 0) -> str:
    """The revision hash of a pod template (FNV-32a, safe-encoded as upstream does)."""
    data = json.dumps(template, sort_keys=True, separators=(",", ":")).encode()
    if collision_count:
        data += str(collision_count).encode()
    h = 0x811C9DC5
    for b in data:
        h ^= b
        h = (h * 0x01000193) & 0xFFFFFFFF
    return "".join(_ALPHANUMS[b % len(_ALPHANUMS)] for b in str(h).encode())


def revision_template(rev: Obj) -> dict[str, Any]:
    """The pod template a ControllerRevision holds."""
    tmpl = dict(((rev.get("data") or {}).get("spec") or {}).get("template") or {})
    tmpl.pop("$patch", None)
    return tmpl


def owned_revisions(core: SimCore, owner: Obj) -> list[Obj]:
    """The owner's revisions, oldest (lowest revision number) first."""
    revs = core.store.owned_by(owner["metadata"]["uid"], "ControllerRevision")
    return sorted(revs, key=lambda r: (int(r.get("revision", 0)), r["metadata"]["name"]))


def sync_revisions(core: SimCore, owner: Obj, *, hash_label: str, full_name_label: bool
                   ) -> tuple[Obj, list[Obj]]:
    """Make sure a revision for the owner's current template exists and is the newest.

    Returns (the current revision, every revision oldest first).
    """
    template = owner["spec"]["template"]
    h = template_hash(template)
    md = owner["metadata"]
    name = f"{md['name']}-{h}"
    revs = owned_revisions(core, owner)
    top = max((int(r.get("revision", 0)) for r in revs), default=0)
    cur = next((r for r in revs if r["metadata"]["name"] == name), None)
    if cur is None:
        labels = dict((template.get("metadata") or {}).get("labels") or {})
        labels[hash_label] = name if full_name_label else h
        ann = {}
        cause = (md.get("annotations") or {}).get(CHANGE_CAUSE)
        if cause:
            ann[CHANGE_CAUSE] = cause
        cur = core.store.create({
            "apiVersion": "apps/v1", "kind": "ControllerRevision",
            "metadata": {"name": name, "namespace": md["namespace"], "labels": labels,
                         **({"annotations": ann} if ann else {}),
                         "ownerReferences": [{
                             "apiVersion": owner["apiVersion"], "kind": owner["kind"],
                             "name": md["name"], "uid": md["uid"], "controller": True,
                             "blockOwnerDeletion": True}]},
            "data": {"spec": {"template": {**clone(template), "$patch": "replace"}}},
            "revision": top + 1,
        })
    elif int(cur.get("revision", 0)) < top:
        cur = core.store.update({**cur, "revision": top + 1})
    return cur, owned_revisions(core, owner)


def prune(core: SimCore, owner: Obj, live: set[str]) -> None:
    """Delete the oldest revisions beyond revisionHistoryLimit that are not in `live`."""
    limit = int(owner["spec"].get("revisionHistoryLimit", 10))
    revs = owned_revisions(core, owner)
    old = [r for r in revs if r["metadata"]["name"] not in live]
    excess = len(old) - limit
    for r in old[:max(0, excess)]:
        core.store.remove("ControllerRevision", r["metadata"]["namespace"],
                          r["metadata"]["name"])


def history(core: SimCore, kind: str, namespace: str, name: str) -> list[dict[str, Any]]:
    """`kubectl rollout history`: one entry per revision, oldest first."""
    owner = core.store.get(kind, namespace, name)
    if owner is None:
        from k8slab.cluster.sim.store import not_found_message

        raise NotFound(not_found_message(kind, name), resource=f"{kind}/{name}")
    out = []
    for r in owned_revisions(core, owner):
        tmpl = revision_template(r)
        images = {c.get("name", ""): c.get("image", "")
                  for c in (tmpl.get("spec") or {}).get("containers") or ()}
        out.append({"revision": int(r.get("revision", 0)), "name": r["metadata"]["name"],
                    "hash": r["metadata"]["name"][len(name) + 1:], "images": images,
                    "change_cause": (r["metadata"].get("annotations") or {}).get(
                        CHANGE_CAUSE, "")})
    return out


def undo(core: SimCore, kind: str, namespace: str, name: str, to_revision: int | None = None
         ) -> int:
    """`kubectl rollout undo`: put the previous (or the given) revision's template back.

    Returns the revision number rolled back to. Raises ClusterError when there is none.
    """
    if kind not in ("DaemonSet", "StatefulSet"):
        raise ClusterError(f"rollout undo is not supported for {kind}", reason="BadRequest",
                           hint="k8slab rolls back DaemonSets and StatefulSets.")
    owner = core.store.get(kind, namespace, name)
    if owner is None:
        from k8slab.cluster.sim.store import not_found_message

        raise NotFound(not_found_message(kind, name), resource=f"{kind}/{name}")
    revs = owned_revisions(core, owner)
    current = template_hash(owner["spec"]["template"])
    if to_revision:
        target = next((r for r in revs if int(r.get("revision", 0)) == to_revision), None)
        if target is None:
            raise ClusterError(f"unable to find specified revision {to_revision} in history",
                               reason="NotFound")
    else:
        older = [r for r in revs if not r["metadata"]["name"].endswith("-" + current)]
        if not older:
            raise ClusterError("no rollout history found for "
                               f"{kind.lower()}.apps/{name}" if not revs else
                               "no previous revision to roll back to", reason="BadRequest",
                               hint="Change the template first (e.g. set a new image).")
        target = older[-1]
    tmpl = revision_template(target)
    core.api.update({**owner, "spec": {**owner["spec"], "template": clone(tmpl)}}, owned=True)
    return int(target.get("revision", 0))
