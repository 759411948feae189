"""`k8slab reset LESSON`: forget progress, and with --kube delete what the lab created."""

from __future__ import annotations

import argparse


def run(args: argparse.Namespace) -> int:
    """Clear the saved progress for the lesson on this backend and namespace. With --kube,
    also delete the lesson's objects from the cluster: only what carries k8slab's labels."""
    from k8slab.lessons import load_lesson
    from k8slab.progress import ProgressStore

    lesson = load_lesson(args.lesson)
    namespace = args.namespace or lesson.default_namespace()
    backend = "kube" if args.kube else "sim"
    cluster = None
    if args.kube:
        from k8slab.cluster.factory import context_namespace
        from k8slab.cluster.kube import KubeCluster

        # Not open_cluster(): that creates the lab namespace, and a reset must create nothing.
        cluster = KubeCluster(namespace, lesson.id, context=args.context,
                              kubeconfig=args.kubeconfig, ensure_namespace=False)
        if not args.namespace:  # the same namespace `run` and `check` would have used
            cluster.namespace = namespace = context_namespace(cluster) or namespace
    removed = ProgressStore().clear(lesson.id, backend=backend, namespace=namespace)
    if removed:
        print(f"forgot your progress in {lesson.id} ({backend}, namespace {namespace})")
    else:
        print(f"no saved progress for {lesson.id} ({backend}, namespace {namespace})")
    if cluster is None:
        return 0
    try:
        report = cluster.reset(lesson.id)
        for line in report.lines():
            print(line)
        if not report.lines():
            print(f"nothing of {lesson.id} was left in namespace {namespace}")
    finally:
        cluster.close()
    return 0
