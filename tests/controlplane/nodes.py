"""The fake nodes that KWOK plays."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

FAKE_NODE_ANNOTATION = "kwok.x-k8s.io/node"


@dataclass(frozen=True)
class NodeSpec:
    """A fake node that KWOK plays."""

    name: str
    control_plane: bool = False
    cpu: str = "4"
    memory: str = "8Gi"
    pods: str = "110"
    labels: Mapping[str, str] = field(default_factory=dict)

    def manifest(self, kubelet_version: str, internal_ip: str, kubelet_host: str = ""
                 ) -> dict[str, Any]:
        """The Node object. `internal_ip` is the node's own (pods' hostIP, 10.0.0.x).
        `kubelet_host`, when given, is where the API server dials the node's kubelet: KWOK's
        server on loopback. It goes in as an InternalDNS address, which the plane's API server
        prefers (--kubelet-preferred-address-types); KWOK takes hostIPs from the InternalIP."""
        labels = {
            "kubernetes.io/hostname": self.name,
            "kubernetes.io/os": "linux",
            "kubernetes.io/arch": "amd64",
            "beta.kubernetes.io/os": "linux",
            "beta.kubernetes.io/arch": "amd64",
            "type": "kwok",
        }
        taints: list[dict[str, str]] = []
        if self.control_plane:
            labels["node-role.kubernetes.io/control-plane"] = ""
            taints.append({"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"})
        labels.update(self.labels)
        resources = {"cpu": self.cpu, "memory": self.memory, "pods": self.pods}
        addresses = [{"type": "InternalIP", "address": internal_ip},
                     {"type": "Hostname", "address": self.name}]
        if kubelet_host:
            addresses.append({"type": "InternalDNS", "address": kubelet_host})
        return {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {
                "name": self.name,
                "labels": labels,
                "annotations": {FAKE_NODE_ANNOTATION: "fake", "node.alpha.kubernetes.io/ttl": "0"},
            },
            "spec": {"taints": taints},
            "status": {
                "addresses": addresses,
                "capacity": resources,
                "allocatable": resources,
                "nodeInfo": {
                    "architecture": "amd64",
                    "operatingSystem": "linux",
                    "kubeletVersion": kubelet_version,
                    "containerRuntimeVersion": "kwok://fake",
                    "osImage": "k8slab fake node",
                    "kernelVersion": "kwok",
                    "kubeProxyVersion": "",
                    "machineID": "",
                    "systemUUID": "",
                    "bootID": "",
                },
            },
        }


DEFAULT_NODES: tuple[NodeSpec, ...] = (
    NodeSpec("cp-0", control_plane=True),
    NodeSpec("worker-1"),
    NodeSpec("worker-2"),
)
