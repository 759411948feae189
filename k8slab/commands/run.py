"""`k8slab run LESSON`: the terminal lab."""

from __future__ import annotations

import argparse

from k8slab.commands import require_kube_for_kube_options
from k8slab.errors import K8slabError


def run(args: argparse.Namespace) -> int:
    """Load the lesson and connect before the screen takes over, so a typo in the lesson id or
    an unreachable cluster is a one-line message on the terminal, not a broken screen."""
    if not 0.25 <= args.speed <= 60:
        raise K8slabError(f"--speed {args.speed:g} is out of range",
                          hint="the sim clock runs from 0.25 (slow motion) to 60 times real "
                               "time")
    require_kube_for_kube_options(args)
    from k8slab.tui.app import create_app

    app = create_app(args.lesson, kube=args.kube, context=args.context,
                     kubeconfig=args.kubeconfig, namespace=args.namespace, seed=args.seed,
                     speed=args.speed, realtime=True, fast_cron=args.fast_cron)
    result = app.run()
    return int(result or 0)
