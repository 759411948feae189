"""The TTL-after-finished controller (pkg/controller/ttlafterfinished).

A finished Job with `ttlSecondsAfterFinished` is deleted that many seconds after its Complete
or Failed condition's lastTransitionTime, with foreground propagation as upstream does (its
pods go with it). Changing the TTL of a finished Job moves the deadline; a TTL of 0 deletes
the Job as soon as it finishes.
"""

from __future__ import annotations

from k8slab.cluster.sim.core import Controller, SyncKey
from k8slab.cluster.sim.store import Obj, parse_timestamp
from k8slab.errors import ClusterError


def expiry(job: Obj) -> float | None:
    """When a finished Job's TTL runs out (virtual time), or None if it has none yet."""
    ttl = (job.get("spec") or {}).get("ttlSecondsAfterFinished")
    if ttl is None:
        return None
    for c in (job.get("status") or {}).get("conditions") or ():
        if c.get("type") in ("Complete", "Failed") and c.get("status") == "True":
            return parse_timestamp(c["lastTransitionTime"]) + float(ttl)
    return None


class TTLAfterFinishedController(Controller):
    """Deletes finished Jobs whose time to live has passed."""

    name = "ttl-after-finished-controller"
    primary = "Job"
    component = "ttl-after-finished-controller"

    def sync(self, key: SyncKey) -> None:
        job = self.core.store.get("Job", *key)
        if job is None or job["metadata"].get("deletionTimestamp"):
            return
        expires = expiry(job)
        if expires is None:
            return
        now = self.core.clock.now
        if now < expires:
            self.queue(key, expires - now)
            return
        try:
            self.core.api.delete("Job", key[1], key[0], propagation="Foreground")
        except ClusterError:
            return  # already gone, or being deleted by someone else
