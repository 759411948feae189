"""Declarative checks, evaluated as pure functions over ClusterState and History."""
