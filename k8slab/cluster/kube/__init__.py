"""The kube backend: the lab on a real cluster (kind, minikube, any kubeconfig).

The `kubernetes` client is imported only when a KubeCluster connects, so importing this
package stays cheap. Modules: `config` (kubeconfig and context), `transport` (JSON over the
client's connection pool), `errors` (API and network failures as sentences), `apply`
(server-side apply and namespace policy), `watch` (list+watch with re-list and back-off),
`nodes` (recording node labels the lab adds), `rollout`, `pods` (exec and logs), `reset`,
`diagnose` (what `k8slab doctor --kube` reports).
"""

from k8slab.cluster.kube.cluster import KubeCluster
from k8slab.cluster.kube.reset import ResetReport

__all__ = ["KubeCluster", "ResetReport"]
