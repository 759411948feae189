"""Find the cluster to talk to: kubeconfig (`--kubeconfig`, `KUBECONFIG`, ~/.kube/config) with
an optional `--context`, or the in-cluster service account when running inside a pod."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from k8slab.errors import ClusterError

IN_CLUSTER = "in-cluster"


@dataclass(frozen=True, slots=True)
class Connection:
    """Where and as whom k8slab connects.

    Attributes:
        configuration: a `kubernetes.client.Configuration` ready for use.
        server: the API server's URL.
        context: the kubeconfig context used ("" in-cluster).
        user: the kubeconfig user name, or the service account in-cluster.
        source: the kubeconfig path(s), or "in-cluster".
        namespace: the context's default namespace, or None.
    """

    configuration: Any
    server: str
    context: str
    user: str
    source: str
    namespace: str | None = None


def kubeconfig_paths(kubeconfig: str | None = None) -> list[Path]:
    """The kubeconfig files to read, in kubectl's order of precedence."""
    raw = kubeconfig or os.environ.get("KUBECONFIG") or ""
    if raw:
        return [Path(p).expanduser() for p in raw.split(os.pathsep) if p]
    return [Path("~/.kube/config").expanduser()]


def _in_cluster_available() -> bool:
    return bool(os.environ.get("KUBERNETES_SERVICE_HOST")) and Path(
        "/var/run/secrets/kubernetes.io/serviceaccount/token").exists()


def load(kubeconfig: str | None = None, context: str | None = None) -> Connection:
    """Load client configuration the way kubectl would.

    Raises:
        ClusterError: no kubeconfig, an unreadable one, or a context it does not define.
    """
    from kubernetes import client, config

    paths = kubeconfig_paths(kubeconfig)
    existing = [p for p in paths if p.is_file()]
    if not existing:
        if not kubeconfig and not os.environ.get("KUBECONFIG") and _in_cluster_available():
            return _load_in_cluster()
        shown = ", ".join(str(p) for p in paths)
        raise ClusterError(
            f"No kubeconfig found at {shown}.",
            "Point --kubeconfig or KUBECONFIG at your cluster's kubeconfig (for kind: "
            "`kind get kubeconfig > ~/.kube/config`), or drop --kube to use the built-in "
            "simulated cluster.", reason="BadConfig")
    source = os.pathsep.join(str(p) for p in existing)
    try:
        contexts, active = config.list_kube_config_contexts(config_file=source)
    except Exception as exc:  # the loader raises ConfigException, yaml and OS errors alike
        raise _bad_config(source, exc) from None
    names = [str(c.get("name")) for c in contexts or []]
    chosen_name = context or (active or {}).get("name")
    if not chosen_name:
        raise ClusterError(f"The kubeconfig {source} has no current context.",
                           "Choose one with --context (available: "
                           f"{', '.join(names) or 'none'}).", reason="BadConfig")
    chosen = next((c for c in contexts or [] if c.get("name") == chosen_name), None)
    if chosen is None:
        raise ClusterError(
            f"Context {chosen_name} not found in kubeconfig {source}; available: "
            f"{', '.join(names) or 'none'}.",
            "Pass one of those names with --context, or check `kubectl config get-contexts`.",
            reason="BadConfig")
    conf = client.Configuration()
    try:
        config.load_kube_config(config_file=source, context=chosen_name,
                                client_configuration=conf, persist_config=False)
    except Exception as exc:
        raise _bad_config(source, exc, chosen_name) from None
    details = chosen.get("context") or {}
    return Connection(configuration=_tune(conf), server=str(conf.host), context=chosen_name,
                      user=str(details.get("user") or ""), source=source,
                      namespace=details.get("namespace") or None)


def _load_in_cluster() -> Connection:
    from kubernetes import client, config

    conf = client.Configuration()
    try:
        config.load_incluster_config(client_configuration=conf)
    except Exception as exc:
        raise ClusterError(f"Cannot use the in-cluster service account: {exc}.",
                           "Mount a service account token or pass --kubeconfig.",
                           reason="BadConfig") from None
    ns_file = Path("/var/run/secrets/kubernetes.io/serviceaccount/namespace")
    namespace = ns_file.read_text().strip() if ns_file.exists() else None
    return Connection(configuration=_tune(conf), server=str(conf.host), context="",
                      user="service account", source=IN_CLUSTER, namespace=namespace)


def _tune(conf: Any) -> Any:
    # A dozen watches stay open at once; a pool smaller than that discards connections.
    conf.connection_pool_maxsize = max(int(conf.connection_pool_maxsize or 0), 32)
    return conf


def _bad_config(source: str, exc: BaseException, context: str | None = None) -> ClusterError:
    text = " ".join(str(exc).split()) or type(exc).__name__
    where = f" (context {context})" if context else ""
    return ClusterError(f"Cannot use kubeconfig {source}{where}: {text}.",
                        "Check the file with `kubectl config view`; it may be malformed or "
                        "refer to certificate files that no longer exist.", reason="BadConfig")
