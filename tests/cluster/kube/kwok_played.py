"""A KubeCluster whose pods carry KWOK's directions, taken from the lesson's sim hints.

On the test control plane KWOK plays the containers. Its stages (tests/controlplane/
kwok-stages.yaml) read three pod annotations: how long the container runs
(`k8slab.dev/duration`), the exit code (`k8slab.dev/exit-code`), and how many runs fail
before that exit code applies (`k8slab.dev/fail-first`; with restartPolicy OnFailure KWOK
restarts the container in the same pod, as the kubelet would). The lessons say the same
things to the sim as hints; this wrapper turns the hints into the annotations on the pod
templates of the Jobs, and of the CronJobs' job templates, that the lab applies.
"""

from __future__ import annotations

import copy
from typing import Any

from k8slab.cluster import objects as o
from k8slab.cluster.kube import KubeCluster
from k8slab.lessons.model import SimBehaviour

DURATION = "k8slab.dev/duration"
EXIT_CODE = "k8slab.dev/exit-code"
FAIL_FIRST = "k8slab.dev/fail-first"


def pod_template(obj: dict[str, Any]) -> dict[str, Any] | None:
    """The pod template of a Job or a CronJob's job template, or None."""
    if obj.get("kind") == "Job":
        return o.dig(obj, "spec.template")
    if obj.get("kind") == "CronJob":
        return o.dig(obj, "spec.jobTemplate.spec.template")
    return None


def directions(hint: SimBehaviour) -> dict[str, str]:
    """The KWOK annotations that play `hint`."""
    notes: dict[str, str] = {}
    if hint.duration is not None:
        notes[DURATION] = f"{hint.duration:g}s"
    if hint.exit_code is not None:
        notes[EXIT_CODE] = str(hint.exit_code)
    if hint.fail_first:
        notes[FAIL_FIRST] = str(hint.fail_first)
    return notes


def direct(obj: dict[str, Any], hints: tuple[SimBehaviour, ...]) -> dict[str, Any]:
    """`obj` with its pod template annotated from the hint that matches it (a copy)."""
    hint = next((h for h in hints if h.match.get("kind") == obj.get("kind")
                 and h.match.get("name") == o.name(obj)), None)
    if hint is None or pod_template(obj) is None:
        return obj
    obj = copy.deepcopy(obj)
    template = pod_template(obj)
    assert template is not None
    template.setdefault("metadata", {}).setdefault("annotations", {}).update(directions(hint))
    return obj


class KwokPlayed(KubeCluster):
    """A KubeCluster that annotates the Jobs and CronJobs it applies for KWOK."""

    def __init__(self, *args: Any, behaviours: tuple[SimBehaviour, ...], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.behaviours = behaviours

    def apply(self, objects: Any, **kwargs: Any) -> Any:
        return super().apply([direct(obj, self.behaviours) for obj in objects], **kwargs)
