"""The cluster as k8slab sees it: a mirror fed by watch events, and a history of transitions."""

from k8slab.state.history import History, Transition
from k8slab.state.mirror import ClusterState

__all__ = ["ClusterState", "History", "Transition"]
