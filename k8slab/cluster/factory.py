"""Open the cluster backend a command asked for. Backends are imported only when chosen, so the
sim never pays for the `kubernetes` client's import time."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from k8slab.cluster.protocol import Cluster
    from k8slab.lessons.model import Lesson


def open_cluster(lesson: Lesson, *, kube: bool = False, context: str | None = None,
                 kubeconfig: str | None = None, namespace: str | None = None, seed: int = 0,
                 realtime: bool = False) -> Cluster:
    """A connected backend for `lesson`, working in `namespace` (default `k8slab-<lesson>`).

    Args:
        kube: a real cluster from kubeconfig instead of the embedded sim.
        realtime: (sim) the caller advances the clock from a timer, as the TUI does, instead
            of the clock jumping from one happening to the next during waits.

    Raises:
        ClusterError: the cluster cannot be reached or the namespace cannot be used.
    """
    ns = namespace or lesson.default_namespace()
    if kube:
        from k8slab.cluster.kube import KubeCluster

        return KubeCluster(namespace=ns, lesson_id=lesson.id, context=context,
                           kubeconfig=kubeconfig)
    from k8slab.cluster.sim import SimCluster

    return SimCluster(namespace=ns, seed=seed, behaviours=lesson.sim, realtime=realtime)
