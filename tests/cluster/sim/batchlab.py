"""A small harness for the Job and CronJob fidelity tests: a seeded SimCluster whose watch
feeds a ClusterState, plus manifest builders and history queries."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.cluster.sim.simlab import NS, SimLab

__all__ = ["NS", "Lab"]


class Lab(SimLab):
    """The fidelity harness, with virtual time advanced in whole steps (as a CronJob's
    schedule is easiest to reason about) and Job-centred queries."""

    def run(self, seconds: float) -> None:
        """Let `seconds` of virtual time pass."""
        self.sim.advance(seconds)
        self.sync()

    def run_until(self, done: Callable[[Lab], bool], limit: float = 3600.0,
                  step: float = 1.0) -> float:
        """Advance in steps until `done(lab)`; return the virtual time. Fails at `limit`."""
        end = self.sim.now() + limit
        while not done(self):
            assert self.sim.now() < end, f"condition not met within {limit}s"
            self.run(step)
        return self.sim.now()

    @property
    def now(self) -> float:
        return self.sim.now()

    def job(self, name: str) -> dict[str, Any] | None:
        return self.state.get("Job", name)

    def pods_of(self, job: str) -> list[str]:
        """Names of every pod the Job ever created, in creation order."""
        return [t.name for t in self.history(kind="Pod", what="created", owner=f"Job/{job}")]

    def events(self, reason: str, kind: str | None = None) -> list[dict[str, Any]]:
        out = [e for e in self.sim.list("Event") if e.get("reason") == reason]
        if kind is not None:
            out = [e for e in out if e["involvedObject"]["kind"] == kind]
        return out


def condition(obj: dict[str, Any] | None, ctype: str) -> dict[str, Any] | None:
    for c in ((obj or {}).get("status") or {}).get("conditions") or ():
        if c.get("type") == ctype and c.get("status") == "True":
            return dict(c)
    return None


def finished(lab: Lab, name: str) -> bool:
    job = lab.job(name)
    return condition(job, "Complete") is not None or condition(job, "Failed") is not None


def job(name: str, script: str, *, restart: str = "Never", **spec: Any) -> dict[str, Any]:
    """A busybox Job running `sh -c script`."""
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name},
            "spec": {**spec, "template": {"spec": {
                "restartPolicy": restart,
                "containers": [{"name": "work", "image": "busybox:1.36",
                                "command": ["/bin/sh", "-c", script]}]}}}}


def cronjob(name: str, schedule: str, script: str = "sleep 10", *,
            job_spec: dict[str, Any] | None = None, **spec: Any) -> dict[str, Any]:
    """A CronJob whose Jobs run `sh -c script` with restartPolicy OnFailure."""
    template = job("x", script, restart="OnFailure", **(job_spec or {}))["spec"]
    return {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": name},
            "spec": {"schedule": schedule, **spec, "jobTemplate": {"spec": template}}}


def active_over_time(lab: Lab, job_name: str) -> list[tuple[float, int]]:
    """(time, number of active pods) after each pod transition of the Job, where active means
    created and not yet succeeded, failed, terminating or deleted (the Job's notion)."""
    active: set[str] = set()
    out = []
    for t in lab.history(kind="Pod", owner=f"Job/{job_name}"):
        if t.what == "created":
            active.add(t.uid)
        elif t.what in ("succeeded", "failed", "terminating", "deleted"):
            active.discard(t.uid)
        out.append((t.time, len(active)))
    return out
