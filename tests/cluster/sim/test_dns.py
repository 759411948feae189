"""Cluster DNS: the pure resolver's rules, and what the sim answers as pods become ready."""

from __future__ import annotations

from typing import Any

from k8slab.cluster import dns
from tests.cluster.sim.simlab import SimLab, headless, ready, statefulset, sts_ready


def _pod(name: str, ip: str, *, ready_: bool = True, ns: str = "lab", app: str = "web",
         subdomain: str | None = "web") -> dict[str, Any]:
    spec: dict[str, Any] = {"hostname": name}
    if subdomain:
        spec["subdomain"] = subdomain
    return {"metadata": {"name": name, "namespace": ns, "labels": {"app": app}},
            "spec": spec,
            "status": {"phase": "Running", "podIP": ip, "conditions": [
                {"type": "Ready", "status": "True" if ready_ else "False"}]}}


def _svc(name: str, ns: str = "lab", ip: str = "None", **spec: Any) -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": ns},
            "spec": {"clusterIP": ip, "selector": {"app": "web"}, **spec}}


PODS = [_pod("web-0", "10.244.1.2"), _pod("web-1", "10.244.2.2", ready_=False)]


def test_headless_service_answers_ready_pod_ips() -> None:
    svcs = [_svc("web")]
    assert dns.resolve("web.lab.svc.cluster.local", services=svcs, pods=PODS) == [
        "10.244.1.2"]


def test_pod_hostname_under_headless_service_only_when_ready() -> None:
    svcs = [_svc("web")]
    assert dns.resolve("web-0.web.lab.svc.cluster.local", services=svcs, pods=PODS) == [
        "10.244.1.2"]
    assert dns.resolve("web-1.web.lab.svc.cluster.local", services=svcs, pods=PODS) == []


def test_publish_not_ready_addresses() -> None:
    svcs = [_svc("web", publishNotReadyAddresses=True)]
    assert dns.resolve("web-1.web.lab.svc.cluster.local", services=svcs, pods=PODS) == [
        "10.244.2.2"]


def test_pod_names_need_a_matching_subdomain_and_a_headless_service() -> None:
    pods = [_pod("web-0", "10.244.1.2", subdomain=None)]
    assert dns.resolve("web-0.web.lab.svc.cluster.local", services=[_svc("web")],
                       pods=pods) == []
    assert dns.resolve("web-0.web.lab.svc.cluster.local",
                       services=[_svc("web", ip="10.96.0.50")], pods=PODS) == []


def test_cluster_ip_service_and_short_names() -> None:
    svcs = [_svc("api", ip="10.96.3.4"), _svc("web")]
    assert dns.resolve("api.lab.svc.cluster.local", services=svcs, pods=PODS) == ["10.96.3.4"]
    assert dns.resolve("api", services=svcs, pods=PODS, namespace="lab") == ["10.96.3.4"]
    assert dns.resolve("api.lab", services=svcs, pods=PODS, namespace="other") == [
        "10.96.3.4"]
    assert dns.resolve("web-0.web", services=svcs, pods=PODS, namespace="lab") == [
        "10.244.1.2"]
    assert dns.resolve("api", services=svcs, pods=PODS, namespace="other") == []
    assert dns.resolve("api", services=svcs, pods=PODS) == []


def test_pod_ip_records() -> None:
    assert dns.resolve("10-244-1-2.lab.pod.cluster.local", services=[], pods=[]) == [
        "10.244.1.2"]


def test_sim_resolves_statefulset_pods_only_once_ready() -> None:
    lab = SimLab()
    lab.apply(headless(), statefulset())
    lab.run_until(lambda lb: lb.state.get("Pod", "web-0") is not None)
    name = "web-0.web.lab.svc.cluster.local"
    assert lab.sim.resolve(name) == []
    lab.run_until(lambda lb: ready(lb, "web-0"))
    ip = lab.sim.get("Pod", "web-0")["status"]["podIP"]
    assert lab.sim.resolve(name) == [ip]
    lab.run_until(lambda lb: sts_ready(lb, "web", 3))
    assert len(lab.sim.resolve("web.lab.svc.cluster.local")) == 3
    out = lab.sim.exec("web-1", ["nslookup", "web-0.web"])
    assert out.ok and f"Name:\t{name}\nAddress: {ip}\n" in out.stdout
    missing = lab.sim.exec("web-1", ["nslookup", "web-9.web"])
    assert missing.exit_code == 1
    assert "** server can't find web-9.web.lab.svc.cluster.local: NXDOMAIN" in missing.stdout
    ep = lab.sim.get("Endpoints", "web")
    hosts = sorted(a["hostname"] for a in ep["subsets"][0]["addresses"])
    assert hosts == ["web-0", "web-1", "web-2"]
