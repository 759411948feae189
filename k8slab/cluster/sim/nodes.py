"""Node objects, shaped like those a kind cluster registers, and the default topology."""

from __future__ import annotations

from typing import Any

from k8slab.cluster.objects import Obj
from k8slab.cluster.sim import quantity

CONTROL_PLANE_TAINT = {"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}
KUBELET_VERSION = "v1.33.1"

# (name, extra labels, taints)
DEFAULT_TOPOLOGY: tuple[tuple[str, dict[str, str], list[dict[str, Any]]], ...] = (
    ("cp-0", {"node-role.kubernetes.io/control-plane": "",
              "node.kubernetes.io/exclude-from-external-load-balancers": ""},
     [CONTROL_PLANE_TAINT]),
    ("worker-1", {}, []),
    ("worker-2", {}, []),
)


def node_ip(index: int) -> str:
    """The node's InternalIP, kind style (172.18.0.2 for the first node)."""
    return f"172.18.{(index + 2) // 256}.{(index + 2) % 256}"


def pod_cidr_prefix(index: int) -> str:
    """The first three octets of the node's pod CIDR: 10.244.<i>.0/24 (wider past 256)."""
    return f"10.{244 + index // 256}.{index % 256}"


def _mem_ki(memory: str) -> str:
    return f"{quantity.mem_bytes(memory) // 1024}Ki"


def make_node(name: str, index: int, *, labels: dict[str, str] | None = None,
              taints: list[dict[str, Any]] | None = None, cpu: str = "4",
              memory: str = "8Gi", pods: int = 110) -> Obj:
    """A Ready node with kind's labels, the given capacity and taints."""
    all_labels = {
        "beta.kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        **(labels or {}),
    }
    capacity = {"cpu": str(cpu), "ephemeral-storage": "102626232Ki", "hugepages-1Gi": "0",
                "hugepages-2Mi": "0", "memory": _mem_ki(memory), "pods": str(pods)}
    prefix = pod_cidr_prefix(index)
    spec: dict[str, Any] = {"podCIDR": f"{prefix}.0/24", "podCIDRs": [f"{prefix}.0/24"],
                            "providerID": f"kind://docker/k8slab/{name}"}
    if taints:
        spec["taints"] = [dict(t) for t in taints]
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "labels": all_labels,
            "annotations": {
                "node.alpha.kubernetes.io/ttl": "0",
                "volumes.kubernetes.io/controller-managed-attach-detach": "true",
            },
        },
        "spec": spec,
        "status": {
            "addresses": [{"type": "InternalIP", "address": node_ip(index)},
                          {"type": "Hostname", "address": name}],
            "allocatable": dict(capacity),
            "capacity": capacity,
            "conditions": [],  # filled in by the node lifecycle (kubelet) on registration
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {
                "architecture": "amd64", "bootID": "", "containerRuntimeVersion":
                "containerd://2.1.1", "kernelVersion": "6.8.0-k8slab", "kubeProxyVersion":
                KUBELET_VERSION, "kubeletVersion": KUBELET_VERSION, "machineID": "",
                "operatingSystem": "linux", "osImage": "Debian GNU/Linux 12 (bookworm)",
                "systemUUID": "",
            },
        },
    }


def ready_conditions(timestamp: str) -> list[dict[str, Any]]:
    """The conditions of a healthy node, as the kubelet reports them."""
    def cond(ctype: str, status: str, reason: str, message: str) -> dict[str, Any]:
        return {"type": ctype, "status": status, "reason": reason, "message": message,
                "lastHeartbeatTime": timestamp, "lastTransitionTime": timestamp}

    return [
        cond("MemoryPressure", "False", "KubeletHasSufficientMemory",
             "kubelet has sufficient memory available"),
        cond("DiskPressure", "False", "KubeletHasNoDiskPressure",
             "kubelet has no disk pressure"),
        cond("PIDPressure", "False", "KubeletHasSufficientPID",
             "kubelet has sufficient PID available"),
        cond("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
    ]


def node_ready(node: Obj) -> bool:
    for c in (node.get("status") or {}).get("conditions") or ():
        if c.get("type") == "Ready":
            return c.get("status") == "True"
    return False


def allocatable(node: Obj) -> tuple[int, int, int]:
    """(millicpu, bytes, pods) the node offers to pods."""
    alloc = (node.get("status") or {}).get("allocatable") or {}
    return (quantity.milli_cpu(alloc.get("cpu", "0")), quantity.mem_bytes(alloc.get("memory",
                                                                                  "0")),
            int(alloc.get("pods", "110")))
