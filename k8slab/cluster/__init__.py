"""Cluster backends: the shared protocol, the embedded simulator and the real-cluster backend."""

from k8slab.cluster.kinds import KINDS, Kind, kind_of
from k8slab.cluster.protocol import (
    AppliedObject,
    Capabilities,
    Cluster,
    EventStream,
    ExecResult,
    WatchEvent,
)

__all__ = [
    "KINDS",
    "AppliedObject",
    "Capabilities",
    "Cluster",
    "EventStream",
    "ExecResult",
    "Kind",
    "WatchEvent",
    "kind_of",
]
