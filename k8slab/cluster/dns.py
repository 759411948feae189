"""Cluster DNS as CoreDNS's kubernetes plugin answers it, as a pure function of objects.

The sim's `nslookup` and the grader both use `resolve()`, so a name the grader accepts is a
name a pod in the sim can look up, and the rules match a real cluster:

- `<service>.<ns>.svc.<domain>`: a ClusterIP Service answers with its cluster IP; a headless
  Service (clusterIP None) with the IPs of the ready pods it selects (and of not-ready ones too
  when `publishNotReadyAddresses` is set).
- `<hostname>.<service>.<ns>.svc.<domain>`: a pod whose `spec.hostname` is `<hostname>` and
  whose `spec.subdomain` is `<service>`, when that headless Service selects it: StatefulSet pods
  get hostname = pod name and subdomain = serviceName, hence `web-0.web.<ns>.svc.cluster.local`.
- `<a-b-c-d>.<ns>.pod.<domain>`: a pod IP written with dashes.
- A relative name (fewer than 5 dots, as `ndots:5`) is tried against the pod's search path
  `<ns>.svc.<domain> svc.<domain> <domain>` first, so `web-0.web` and `web.<ns>` work.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

Obj = Mapping[str, Any]


def _md(obj: Obj) -> Mapping[str, Any]:
    return obj.get("metadata") or {}


def _ready(pod: Obj) -> bool:
    if _md(pod).get("deletionTimestamp"):
        return False
    for c in (pod.get("status") or {}).get("conditions") or ():
        if c.get("type") == "Ready":
            return c.get("status") == "True"
    return False


def _selects(selector: Mapping[str, str] | None, pod: Obj) -> bool:
    if not selector:
        return False  # a Service without a selector has hand-managed endpoints
    labels = _md(pod).get("labels") or {}
    return all(labels.get(k) == v for k, v in selector.items())


def _backends(svc: Obj, pods: Iterable[Obj]) -> list[Obj]:
    """Pods behind a Service that DNS may answer with, in name order."""
    spec = svc.get("spec") or {}
    ns = _md(svc).get("namespace", "")
    publish = bool(spec.get("publishNotReadyAddresses"))
    out = []
    for p in pods:
        if _md(p).get("namespace", "") != ns or not (p.get("status") or {}).get("podIP"):
            continue
        if not _selects(spec.get("selector"), p):
            continue
        if (p.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
            continue
        if publish or _ready(p):
            out.append(p)
    return sorted(out, key=lambda p: str(_md(p).get("name", "")))


def _lookup(name: str, services: list[Obj], pods: list[Obj], domain: str) -> list[str] | None:
    """Answers for an absolute name (no trailing dot), or None when it is not in the zone."""
    suffix = "." + domain
    if not name.endswith(suffix):
        return None
    labels = name[: -len(suffix)].split(".")
    if len(labels) == 3 and labels[2] == "svc":
        svc_name, ns = labels[0], labels[1]
        svc = _service(services, ns, svc_name)
        if svc is None:
            return []
        spec = svc.get("spec") or {}
        if spec.get("type") == "ExternalName":
            return []
        ip = spec.get("clusterIP")
        if ip and ip != "None":
            return [str(ip)]
        return sorted({str(p["status"]["podIP"]) for p in _backends(svc, pods)},
                      key=_ip_key)
    if len(labels) == 4 and labels[3] == "svc":
        host, svc_name, ns = labels[0], labels[1], labels[2]
        svc = _service(services, ns, svc_name)
        if svc is None or (svc.get("spec") or {}).get("clusterIP") not in ("None",):
            return []
        out = []
        for p in _backends(svc, pods):
            pspec = p.get("spec") or {}
            if pspec.get("hostname") == host and pspec.get("subdomain") == svc_name:
                out.append(str(p["status"]["podIP"]))
        return out
    if len(labels) == 3 and labels[2] == "pod":
        ip = labels[0].replace("-", ".")
        parts = ip.split(".")
        if len(parts) == 4 and all(x.isdigit() and int(x) < 256 for x in parts):
            return [ip]
        return []
    return []


def _service(services: list[Obj], ns: str, name: str) -> Obj | None:
    for s in services:
        md = _md(s)
        if md.get("name") == name and md.get("namespace", "") == ns:
            return s
    return None


def _ip_key(ip: str) -> tuple[int, ...]:
    try:
        return tuple(int(x) for x in ip.split("."))
    except ValueError:
        return (999,)


def search_path(namespace: str, cluster_domain: str = "cluster.local") -> list[str]:
    """The search domains in a ClusterFirst pod's resolv.conf."""
    return [f"{namespace}.svc.{cluster_domain}", f"svc.{cluster_domain}", cluster_domain]


def candidates(name: str, namespace: str | None = None,
               cluster_domain: str = "cluster.local") -> list[str]:
    """The absolute names a resolver tries for `name`, in order (ndots:5)."""
    name = name.strip().lower()
    if name.endswith("."):
        return [name[:-1]]
    tries: list[str] = []
    if namespace and name.count(".") < 5:
        tries += [f"{name}.{d}" for d in search_path(namespace, cluster_domain)]
    tries.append(name)
    return tries


def qualify(name: str, namespace: str | None = None,
            cluster_domain: str = "cluster.local") -> str:
    """The fully qualified name a lookup of `name` would answer for, or `name` itself."""
    return candidates(name, namespace, cluster_domain)[0]


def resolve_name(name: str, *, services: Iterable[Obj], pods: Iterable[Obj],
                 namespace: str | None = None, cluster_domain: str = "cluster.local"
                 ) -> tuple[str, list[str]]:
    """(the absolute name that answered, its addresses), or (first candidate, [])."""
    svcs, pod_list = list(services), list(pods)
    tries = candidates(name, namespace, cluster_domain)
    for fqdn in tries:
        answer = _lookup(fqdn, svcs, pod_list, cluster_domain)
        if answer:
            return fqdn, answer
    return tries[-1] if tries else name, []


def resolve(fqdn: str, *, services: Iterable[Obj], pods: Iterable[Obj],
            namespace: str | None = None, cluster_domain: str = "cluster.local") -> list[str]:
    """The A records for a name, as a pod in `namespace` (or an absolute lookup) would get.

    Args:
        fqdn: an absolute name (`web-0.web.lab.svc.cluster.local`) or, with `namespace`, a
            relative one (`web-0.web`).
        services: Service objects (any namespaces).
        pods: Pod objects (any namespaces).
        namespace: the namespace whose search path relative names are tried against.
    Returns:
        The addresses, or [] for NXDOMAIN.
    """
    return resolve_name(fqdn, services=services, pods=pods, namespace=namespace,
                        cluster_domain=cluster_domain)[1]
