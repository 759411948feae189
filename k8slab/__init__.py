"""k8slab: an interactive terminal lab for Kubernetes specialized workloads."""

__version__ = "0.1.0"
