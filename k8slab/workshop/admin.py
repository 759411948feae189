"""The instructor's connection to the cluster, for what the lab's `Cluster` protocol leaves out:
namespaces, RBAC, quotas, the TokenRequest API and cluster-wide lists.

It rides on the kube backend's kubeconfig loading and JSON transport
(`k8slab.cluster.kube.config`, `.transport`), so errors read the same as the lab's and
`kubernetes` stays imported by the kube backend alone. Objects are plain dicts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from k8slab.cluster.kinds import Kind, kind_of
from k8slab.cluster.kube.config import Connection, load
from k8slab.cluster.kube.errors import Call
from k8slab.cluster.kube.transport import PATCH_TYPES, Api, collection_path, object_path
from k8slab.errors import K8slabError, NotFound
from k8slab.workshop.names import FIELD_MANAGER

Outcome = Literal["created", "configured", "unchanged"]
PAGE = 500


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where the cluster is and how to trust it, as a learner's kubeconfig needs it."""

    server: str
    ca_data: bytes | None  # PEM; None when the system's CAs are trusted
    insecure: bool = False


class AdminClient:
    """REST access with the instructor's kubeconfig credentials.

    Args:
        context: kubeconfig context (default: the current one).
        kubeconfig: kubeconfig file (default: $KUBECONFIG or ~/.kube/config).

    Raises:
        ClusterError: the kubeconfig or context cannot be used.
    """

    def __init__(self, context: str | None = None, kubeconfig: str | None = None) -> None:
        self.connection: Connection = load(kubeconfig, context)
        self.api = Api(self.connection.configuration)

    @property
    def context(self) -> str:
        return self.connection.context

    def endpoint(self) -> Endpoint:
        """The server URL and CA the instructor's kubeconfig trusts."""
        conf = self.connection.configuration
        ca: bytes | None = None
        if conf.ssl_ca_cert:
            try:
                with open(conf.ssl_ca_cert, "rb") as f:
                    ca = f.read()
            except OSError as e:
                raise K8slabError(f"cannot read the cluster's CA file {conf.ssl_ca_cert}: {e}",
                                  hint="check the kubeconfig's certificate-authority") from e
        return Endpoint(self.connection.server, ca, insecure=not conf.verify_ssl)

    # -- objects ----------------------------------------------------------------------------
    def get(self, kind: str, name: str, namespace: str | None = None) -> dict[str, Any]:
        k = kind_of(kind)
        ns = namespace if k.namespaced else None
        found = self.api.request("GET", object_path(k, name, ns),
                                 Call("get", k.plural, k.kind, name, ns or ""))
        return _with_kind(found, k)

    def list(self, kind: str, namespace: str | None = None, *,
             label_selector: str | None = None) -> tuple[list[dict[str, Any]], str]:
        """Objects of `kind` (all namespaces when `namespace` is None), page by page, and the
        list's resourceVersion."""
        k = kind_of(kind)
        call = Call("list", k.plural, k.kind, namespace=namespace or "")
        items: list[dict[str, Any]] = []
        cont: str | None = None
        rv = ""
        while True:
            page = self.api.request("GET", collection_path(k, namespace), call,
                                    query={"limit": PAGE, "continue": cont,
                                           "labelSelector": label_selector}) or {}
            rv = rv or str((page.get("metadata") or {}).get("resourceVersion") or "")
            items.extend(_with_kind(i, k) for i in page.get("items") or [])
            cont = (page.get("metadata") or {}).get("continue") or None
            if not cont:
                return items, rv

    def apply(self, obj: dict[str, Any]) -> tuple[dict[str, Any], Outcome]:
        """Server-side apply `obj` as the workshop's field manager, forcing conflicts (the
        workshop owns these objects). Returns the object and what happened to it."""
        k = kind_of(str(obj["kind"]))
        name = str(obj["metadata"]["name"])
        ns = obj["metadata"].get("namespace") if k.namespaced else None
        path = object_path(k, name, ns)
        try:
            before = self.get(k.kind, name, ns)["metadata"].get("resourceVersion")
        except NotFound:
            before = None
        code, after = self.api.request_status(
            "PATCH", path, Call("apply", k.plural, k.kind, name, ns or ""), body=obj,
            content_type=PATCH_TYPES["apply"],
            query={"fieldManager": FIELD_MANAGER, "force": True})
        after_rv = ((after or {}).get("metadata") or {}).get("resourceVersion")
        outcome: Outcome = ("created" if code == 201 or before is None
                            else "unchanged" if before == after_rv else "configured")
        return _with_kind(after or {}, k), outcome

    def delete(self, kind: str, name: str, namespace: str | None = None) -> None:
        k = kind_of(kind)
        ns = namespace if k.namespaced else None
        self.api.request("DELETE", object_path(k, name, ns),
                         Call("delete", k.plural, k.kind, name, ns or ""),
                         body={"apiVersion": "v1", "kind": "DeleteOptions",
                               "propagationPolicy": "Background"})

    def request_token(self, namespace: str, service_account: str, seconds: int
                      ) -> tuple[str, str]:
        """A ServiceAccount token from the TokenRequest API and its expiry (RFC 3339).

        The API server may shorten the lifetime (`--service-account-max-token-expiration`);
        the expiry returned is the real one.
        """
        k = kind_of("ServiceAccount")
        body = {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
                "spec": {"expirationSeconds": int(seconds)}}
        out = self.api.request(
            "POST", object_path(k, service_account, namespace, "token"),
            Call("create", "serviceaccounts/token", "ServiceAccount", service_account,
                 namespace), body=body)
        status = (out or {}).get("status") or {}
        return str(status["token"]), str(status.get("expirationTimestamp", ""))

    def close(self) -> None:
        self.api.close()


def _with_kind(obj: dict[str, Any], kind: Kind) -> dict[str, Any]:
    # Lists return items without kind/apiVersion; the rest of k8slab relies on them.
    obj.setdefault("kind", kind.kind)
    obj.setdefault("apiVersion", kind.api_version)
    return obj
