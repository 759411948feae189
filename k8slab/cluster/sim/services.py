"""The endpoints and EndpointSlice controllers: which pods back each Service.

Ready pods a Service selects are its addresses; not-ready ones are `notReadyAddresses` (or
addresses anyway with `publishNotReadyAddresses`); terminating pods leave Endpoints and stay
in the EndpointSlice marked `terminating`. An address carries `hostname` when the pod's
`spec.hostname` is set and its `spec.subdomain` is this Service, which is what gives StatefulSet
pods their DNS names.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from k8slab.cluster.sim.apiserver import random_suffix
from k8slab.cluster.sim.core import Controller, SimCore, SyncKey
from k8slab.cluster.sim.store import Obj, timestamp


def _selects(selector: dict[str, str] | None, labels: dict[str, str]) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in (selector or {}).items())


def _ready(pod: Obj) -> bool:
    for c in (pod.get("status") or {}).get("conditions") or ():
        if c.get("type") == "Ready":
            return c.get("status") == "True"
    return False


class EndpointsController(Controller):
    """Keeps an Endpoints object and one EndpointSlice per Service with a selector."""

    name = "endpoint-controller"
    primary = "Service"
    kinds = ("Pod",)
    component = "endpoint-controller"

    def keys_for(self, type_: str, old: Obj | None, new: Obj | None) -> Iterable[SyncKey]:
        obj = new if new is not None else old
        assert obj is not None
        md = obj["metadata"]
        if obj["kind"] == "Service":
            if type_ == "DELETED":
                self._remove(md["namespace"], md["name"])
                return ()
            return [(md["namespace"], md["name"])]
        ns = md["namespace"]
        labels = [(o["metadata"].get("labels") or {}) for o in (old, new) if o is not None]
        out = []
        for svc in self.core.store.list("Service", ns):
            sel = (svc.get("spec") or {}).get("selector")
            if any(_selects(sel, lb) for lb in labels):
                out.append((ns, svc["metadata"]["name"]))
        return out

    def sync(self, key: SyncKey) -> None:
        store = self.core.store
        svc = store.get("Service", *key)
        if svc is None:
            return
        spec = svc.get("spec") or {}
        selector = spec.get("selector")
        if not selector:
            return
        ns, name = key
        publish = bool(spec.get("publishNotReadyAddresses"))
        ready: list[dict[str, Any]] = []
        not_ready: list[dict[str, Any]] = []
        slice_eps: list[dict[str, Any]] = []
        for pod in sorted(store.list("Pod", ns), key=lambda p: p["metadata"]["name"]):
            if not _selects(selector, pod["metadata"].get("labels") or {}):
                continue
            status = pod.get("status") or {}
            ip = status.get("podIP")
            if not ip or status.get("phase") in ("Succeeded", "Failed"):
                continue
            pmd, pspec = pod["metadata"], pod["spec"]
            addr: dict[str, Any] = {"ip": ip}
            if pspec.get("hostname") and pspec.get("subdomain") == name:
                addr["hostname"] = pspec["hostname"]
            addr["nodeName"] = pspec.get("nodeName", "")
            addr["targetRef"] = {"kind": "Pod", "namespace": ns, "name": pmd["name"],
                                 "uid": pmd["uid"]}
            terminating = bool(pmd.get("deletionTimestamp"))
            is_ready = _ready(pod) and not terminating
            if not terminating or publish:
                (ready if (is_ready or publish) else not_ready).append(addr)
            ep: dict[str, Any] = {
                "addresses": [ip],
                "conditions": {"ready": is_ready or publish, "serving": _ready(pod),
                               "terminating": terminating},
                "nodeName": addr["nodeName"],
                "targetRef": addr["targetRef"],
            }
            if "hostname" in addr:
                ep["hostname"] = addr["hostname"]
            slice_eps.append(ep)
        ports = [{k: v for k, v in (("name", p.get("name")), ("port", _target(p)),
                                    ("protocol", p.get("protocol", "TCP"))) if v is not None}
                 for p in spec.get("ports") or ()]
        subset: dict[str, Any] = {}
        if ready:
            subset["addresses"] = ready
        if not_ready:
            subset["notReadyAddresses"] = not_ready
        if subset and ports:
            subset["ports"] = ports
        labels = dict(svc["metadata"].get("labels") or {})
        if spec.get("clusterIP") == "None":
            labels["service.kubernetes.io/headless"] = ""
        now = timestamp(self.core.clock.now)
        endpoints = {
            "apiVersion": "v1", "kind": "Endpoints",
            "metadata": {"name": name, "namespace": ns, "labels": labels,
                         "annotations": {
                             "endpoints.kubernetes.io/last-change-trigger-time": now}},
            "subsets": [subset] if subset else [],
        }
        _upsert(self.core, endpoints, ignore=("annotations",))
        self._slice(svc, labels, slice_eps, ports)

    def _slice(self, svc: Obj, labels: dict[str, str], eps: list[dict[str, Any]],
               ports: list[dict[str, Any]]) -> None:
        store = self.core.store
        md = svc["metadata"]
        ns, name = md["namespace"], md["name"]
        existing = store.owned_by(md["uid"], "EndpointSlice")
        slice_name = existing[0]["metadata"]["name"] if existing else \
            f"{name}-{random_suffix(self.core.rng_names)}"
        obj = {
            "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": {
                "name": slice_name, "namespace": ns, "generateName": f"{name}-",
                "labels": {**labels, "kubernetes.io/service-name": name,
                           "endpointslice.kubernetes.io/managed-by":
                           "endpointslice-controller.k8s.io"},
                "ownerReferences": [{"apiVersion": "v1", "kind": "Service", "name": name,
                                     "uid": md["uid"], "controller": True,
                                     "blockOwnerDeletion": True}],
            },
            "addressType": "IPv4",
            "endpoints": eps,
            "ports": ports,
        }
        _upsert(self.core, obj)

    def _remove(self, ns: str, name: str) -> None:
        if self.core.store.get("Endpoints", ns, name) is not None:
            self.core.store.remove("Endpoints", ns, name)


def _target(port: dict[str, Any]) -> Any:
    tp = port.get("targetPort", port.get("port"))
    return tp if isinstance(tp, int) else port.get("port")


def _upsert(core: SimCore, obj: Obj, ignore: tuple[str, ...] = ()) -> None:
    md = obj["metadata"]
    old = core.store.get(obj["kind"], md["namespace"], md["name"])
    if old is None:
        core.store.create(obj)
        return
    same = all(old.get(k) == obj.get(k) for k in obj if k != "metadata") and all(
        old["metadata"].get(k) == md.get(k) for k in md if k not in ignore)
    if not same:
        core.store.update({**obj, "metadata": {**old["metadata"], **md}})


def register(core: SimCore) -> None:
    """Add the endpoints controller to a sim."""
    core.register(EndpointsController(core))
