"""The embedded simulated cluster: a deterministic discrete-event model of the API server,
controllers, scheduler and kubelets. See README.md in this folder for how controllers plug in.

`SimCluster` is imported lazily so that the pure helpers here (predicates, quantity) stay cheap
to import for code that only needs them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from k8slab.cluster.sim.cluster import SimCluster

__all__ = ["SimCluster"]


def __getattr__(name: str) -> Any:
    if name == "SimCluster":
        from k8slab.cluster.sim.cluster import SimCluster

        return SimCluster
    raise AttributeError(name)
