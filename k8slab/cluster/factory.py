"""Open the cluster backend a command asked for. Backends are imported only when chosen, so the
sim never pays for the `kubernetes` client's import time."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from k8slab.cluster.kube import KubeCluster
    from k8slab.cluster.protocol import Cluster
    from k8slab.lessons.model import Lesson


def open_cluster(lesson: Lesson, *, kube: bool = False, context: str | None = None,
                 kubeconfig: str | None = None, namespace: str | None = None, seed: int = 0,
                 realtime: bool = False, fast_cron: bool = False) -> Cluster:
    """A connected backend for `lesson`, working in `namespace`.

    Without `namespace` the lab works in `k8slab-<lesson>`, except on a real cluster whose
    kubeconfig context names a workshop learner's namespace (see `context_namespace`): a
    learner runs `k8slab run day10 --kube --kubeconfig ana.kubeconfig` and lands at home.

    Args:
        kube: a real cluster from kubeconfig instead of the embedded sim.
        realtime: (sim) the caller advances the clock from a timer, as the TUI does, instead
            of the clock jumping from one happening to the next during waits.
        fast_cron: (kube) CronJobs the lab applies run every minute (the sim's clock jumps to
            the next run instead).

    Raises:
        ClusterError: the cluster cannot be reached or the namespace cannot be used.
    """
    ns = namespace or lesson.default_namespace()
    if kube:
        from k8slab.cluster.kube import KubeCluster

        # The namespace is settled before anything is created in it.
        cluster = KubeCluster(namespace=ns, lesson_id=lesson.id, context=context,
                              kubeconfig=kubeconfig, ensure_namespace=False,
                              fast_cron=fast_cron)
        try:
            if namespace is None:
                cluster.namespace = context_namespace(cluster) or ns
            cluster.ensure_namespace()
        except BaseException:
            cluster.close()
            raise
        return cluster
    from k8slab.cluster.sim import SimCluster

    return SimCluster(namespace=ns, seed=seed, behaviours=lesson.sim, realtime=realtime)


def context_namespace(cluster: KubeCluster) -> str | None:
    """The kubeconfig context's namespace, when the lab should work there rather than in
    `k8slab-<lesson>`: it belongs to a workshop (the labels `k8slab workshop create` sets), or
    these credentials may not even read it (credentials bound to one namespace, which could
    not create `k8slab-<lesson>` either). None otherwise: a context that merely points at
    `default` or a team namespace does not pull the lab's objects in there.
    """
    from k8slab.cluster import objects as o
    from k8slab.errors import Forbidden, NotFound
    from k8slab.workshop.names import LABEL_MANAGED_BY, LABEL_WORKSHOP, MANAGED_BY

    wanted = cluster.connection.namespace
    if not wanted:
        return None
    try:
        found = cluster.get("Namespace", wanted)
    except Forbidden:
        return wanted
    except NotFound:  # an ordinary context naming a namespace long gone
        return None
    labels = o.labels(found)
    if labels.get(LABEL_MANAGED_BY) == MANAGED_BY and labels.get(LABEL_WORKSHOP):
        return wanted
    return None
