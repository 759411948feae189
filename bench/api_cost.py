"""API cost: requests per minute that k8slab makes to a real API server, idle and while a
lesson runs, with 10 and with 1,000 pods in its namespace, against a naive poller.

It starts the test suite's real control plane (`tests/controlplane`: etcd, kube-apiserver,
controller-manager, scheduler, and KWOK playing 13 fake nodes so 1,000 pods fit) with an
audit policy that records one audit event per request (stage RequestReceived) of two static
users and nothing else:

- `k8slab`: the lab exactly as `k8slab run day10 --kube` runs it (`create_app` with a
  kubeconfig for that user, the Textual app under `run_test`, actions in worker threads);
- `poller`: the baseline, a loop that lists the namespace's pods every 2 s, as k9s redraws
  a pod list (its default refreshRate).

For each size the namespace is filled by a Deployment of that many pods (KWOK runs them),
then k8slab connects. Counted per user from the audit log:

- **connect**: the requests from start until the watches are established;
- **idle**: the requests in a 30 s window with nothing happening, scaled to a minute;
- **lesson**: a 30 s window (scaled to a minute) in which Day 10's first actions run (apply
  a DaemonSet, delete its pods, apply a StatefulSet, scale it to 5 and back to 3).

The target: idle requests per minute do not grow with the number of pods (k8slab watches; it
does not poll). The poller's requests per minute do not grow either, but every one of them
carries the whole pod list: its bytes per minute are printed beside it.

Run:  .venv/bin/python bench/api_cost.py           (about 3 minutes once the binaries exist;
                                                    builds them first if they do not: Go)
      .venv/bin/python bench/api_cost.py --quick   (10 and 50 pods, 10 s windows)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()
sys.path.insert(0, str(HERE.parent))

from _common import ROOT, emit, machine, ratio  # noqa: E402 - the bench folder is not a package

sys.path.insert(0, str(ROOT))
from tests.controlplane.plane import (  # noqa: E402 - the repo root is on the path now
    DEFAULT_NODES,
    ControlPlane,
    ControlPlaneError,
    NodeSpec,
    ensure_binaries,
)

LESSON = "day10"
USERS = {"k8slab": ["system:masters"], "poller": ["system:masters"]}
POLL_EVERY = 2.0
WORKERS = 10  # extra KWOK nodes: 12 workers x 110 pods
AUDIT_POLICY = """\
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["ResponseStarted", "ResponseComplete", "Panic"]
rules:
  - level: Metadata
    users: ["k8slab", "poller"]
  - level: None
"""
#: Day 10's first actions, by step id and index, as a learner presses them.
LESSON_ACTIONS = [("daemonset-basics", 0), ("daemonset-self-healing", 0),
                  ("statefulset-basics", 0), ("statefulset-scaling", 0),
                  ("statefulset-scaling", 1)]


class AuditedPlane(ControlPlane):
    """The test control plane with an audit log of the two users' requests."""

    def _define_components(self) -> None:
        super()._define_components()
        policy = self.workdir / "audit-policy.yaml"
        policy.write_text(AUDIT_POLICY)
        self.audit_log = self.workdir / "audit.log"
        self.components["apiserver"].argv += [
            f"--audit-policy-file={policy}", f"--audit-log-path={self.audit_log}",
            "--audit-log-format=json", "--audit-log-mode=blocking", "--audit-log-maxsize=0"]

    def requests(self) -> list[dict[str, Any]]:
        """Every audit event so far: one per request of `k8slab` or `poller`."""
        if not self.audit_log.exists():
            return []
        out = []
        for line in self.audit_log.read_text().splitlines():
            if line.strip():
                ev = json.loads(line)
                out.append({"user": ev["user"]["username"], "verb": ev["verb"],
                            "uri": ev["requestURI"], "agent": ev.get("userAgent", "")})
        return out


class Window:
    """Counts each user's requests between two moments."""

    def __init__(self, plane: AuditedPlane) -> None:
        self.plane = plane
        self.start_index = len(plane.requests())
        self.started = time.monotonic()
        self.found: list[dict[str, Any]] = []
        self.seconds = 0.0

    def close(self) -> Window:
        self.seconds = time.monotonic() - self.started
        time.sleep(0.5)  # the log is written as requests arrive; let the last lines land
        self.found = self.plane.requests()[self.start_index:]
        return self

    def count(self, user: str) -> int:
        return sum(1 for r in self.found if r["user"] == user)

    def per_minute(self, user: str) -> float:
        return round(self.count(user) * 60 / self.seconds, 1) if self.seconds else 0.0

    def polls(self, user: str) -> int:
        """Requests other than watches: what a poller would make."""
        return sum(1 for r in self.found if r["user"] == user and r["verb"] != "watch")

    def verbs(self, user: str) -> dict[str, int]:
        return dict(Counter(f"{r['verb']} {_resource(r['uri'])}" for r in self.found
                            if r["user"] == user))


def _resource(uri: str) -> str:
    path = uri.split("?")[0].rstrip("/").split("/")
    return path[-1] if path else uri


class Poller(threading.Thread):
    """The baseline: `GET /api/v1/namespaces/NS/pods` every 2 s, like k9s's pod view."""

    def __init__(self, plane: ControlPlane, namespace: str) -> None:
        super().__init__(daemon=True)
        self.plane, self.namespace = plane, namespace
        self.token = plane.token_for("poller")
        self.stopping = threading.Event()
        self.bytes = 0

    def run(self) -> None:
        while not self.stopping.is_set():
            t0 = time.monotonic()
            try:
                body = self.plane.request("GET", f"/api/v1/namespaces/{self.namespace}/pods",
                                          token=self.token, timeout=30)
                self.bytes += len(json.dumps(body))
            except OSError:
                pass
            self.stopping.wait(max(0.0, POLL_EVERY - (time.monotonic() - t0)))


def _filler(namespace: str, pods: int) -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "filler", "namespace": namespace},
            "spec": {"replicas": pods, "selector": {"matchLabels": {"app": "filler"}},
                     "template": {"metadata": {"labels": {"app": "filler"}},
                                  "spec": {"containers": [{"name": "c", "image": "pause"}]}}}}


def _running(plane: ControlPlane, namespace: str) -> int:
    pods = plane.get(f"/api/v1/namespaces/{namespace}/pods").get("items", [])
    return sum(1 for p in pods if (p.get("status") or {}).get("phase") == "Running")


def _wait(what: str, check: Any, timeout: float = 300.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(1.0)


async def _lab(plane: AuditedPlane, namespace: str, pods: int, window: float
               ) -> dict[str, Any]:
    """k8slab on the plane: connect, an idle window, a lesson window."""
    from k8slab.tui.app import create_app

    kubeconfig = plane.kubeconfig_for("k8slab")
    poller = Poller(plane, namespace)
    connect = Window(plane)
    app = create_app(LESSON, kube=True, kubeconfig=str(kubeconfig), namespace=namespace,
                     save_progress=False)
    async with app.run_test(size=(120, 40)) as pilot:
        session = app.session
        # Connected: every kind listed and its watch open, so the mirror holds the pods.
        deadline = time.monotonic() + 120
        while session.state.count("Pod") < pods and time.monotonic() < deadline:
            await asyncio.sleep(0.5)
        await asyncio.sleep(3.0)
        connect.close()
        poller.start()
        idle = Window(plane)
        generation = session.state.generation
        await asyncio.sleep(window)
        idle.close()
        idle_changes = session.state.generation - generation
        lesson = Window(plane)
        outcomes = []
        for step, index in LESSON_ACTIONS:
            action = session.lesson.step(step).actions[index]
            outcome = await asyncio.to_thread(session.run, action)
            outcomes.append(outcome.ok)
            await asyncio.sleep(1.0)
        left = window - (time.monotonic() - lesson.started)
        await asyncio.sleep(max(0.0, left))
        lesson.close()
        poller.stopping.set()
        await pilot.pause()
    poller.join(timeout=10)
    per_poll = poller.bytes / max(1, idle.count("poller") + lesson.count("poller"))
    return {
        "pods": pods,
        "connect_requests": connect.count("k8slab"),
        "connect_by_verb": connect.verbs("k8slab"),
        "idle_window_s": round(idle.seconds, 1),
        "idle_requests": idle.count("k8slab"),
        "idle_per_minute": idle.per_minute("k8slab"),
        "idle_by_verb": idle.verbs("k8slab"),
        "idle_non_watch_requests": idle.polls("k8slab"),
        "idle_watch_events": idle_changes,
        "lesson_window_s": round(lesson.seconds, 1),
        "lesson_actions_ok": outcomes,
        "lesson_requests": lesson.count("k8slab"),
        "lesson_per_minute": lesson.per_minute("k8slab"),
        "lesson_by_verb": lesson.verbs("k8slab"),
        "poller_idle_per_minute": idle.per_minute("poller"),
        "poller_lesson_per_minute": lesson.per_minute("poller"),
        "poller_kb_per_minute": round(per_poll * 60 / POLL_EVERY / 1024, 1),
    }


def measure(sizes: list[int], window: float) -> dict[str, Any]:
    """Start the plane, then measure k8slab at each size."""
    nodes = list(DEFAULT_NODES) + [NodeSpec(f"worker-{i}") for i in range(3, 3 + WORKERS)]
    bin_dir = ensure_binaries(build=True, stream=sys.stderr)
    plane = AuditedPlane(bin_dir=bin_dir, nodes=nodes, users=USERS)
    results = []
    with plane:
        for pods in sizes:
            namespace = f"bench-{pods}"
            plane.request("POST", "/api/v1/namespaces",
                          {"apiVersion": "v1", "kind": "Namespace",
                           "metadata": {"name": namespace}})
            plane.request("POST", f"/apis/apps/v1/namespaces/{namespace}/deployments",
                          _filler(namespace, pods))
            _wait(f"{pods} running pods", lambda ns=namespace, n=pods: _running(plane, ns) >= n)
            results.append(asyncio.run(_lab(plane, namespace, pods, window)))
            plane.request("DELETE", f"/api/v1/namespaces/{namespace}")
            print(_line(results[-1]), flush=True)
    return {"version": plane.version, "sizes": results}


def _line(r: dict[str, Any]) -> str:
    return (f"{r['pods']:5d} pods: k8slab connects with {r['connect_requests']} requests; idle "
            f"{r['idle_per_minute']:g}/min ({r['idle_requests']} in {r['idle_window_s']:g} s, "
            f"{r['idle_watch_events']} watch events); lesson {r['lesson_per_minute']:g}/min "
            f"({r['lesson_requests']} in {r['lesson_window_s']:g} s); naive poller "
            f"{r['poller_idle_per_minute']:g}/min, {r['poller_kb_per_minute']:g} KiB/min")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="10 and 50 pods, 10 s windows (a smoke test)")
    parser.add_argument("--window", type=float, default=30.0,
                        help="seconds of each measured window (default 30)")
    args = parser.parse_args(argv)
    sizes, window = ([10, 50], 10.0) if args.quick else ([10, 1000], args.window)
    try:
        fig = measure(sizes, window)
    except (ControlPlaneError, RuntimeError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    small, large = fig["sizes"][0], fig["sizes"][-1]
    growth = ratio(large["idle_per_minute"], small["idle_per_minute"])
    # Idle, k8slab only re-opens watches when the server ends them (every few minutes per
    # kind, whatever the pod count): any other request while idle would be polling.
    met = all(r["idle_non_watch_requests"] == 0 for r in fig["sizes"])
    print(f"idle requests/min at {large['pods']} pods vs {small['pods']}: "
          f"{large['idle_per_minute']:g} vs {small['idle_per_minute']:g}, none but watches: "
          f"{'yes' if met else 'NO'} (target: no growth with pods: "
          f"{'met' if met else 'MISSED'}); the poller makes "
          f"{large['poller_idle_per_minute']:g}/min carrying {large['poller_kb_per_minute']:g} "
          f"KiB/min at {large['pods']} pods")
    emit({
        "benchmark": "api_cost",
        "unit": "requests per minute",
        "kubernetes": fig["version"],
        "window_seconds": window,
        "sizes": fig["sizes"],
        "baseline": {"what": f"naive poller: list pods every {POLL_EVERY:g} s",
                     **{f"{r['pods']}_pods_per_minute": r["poller_idle_per_minute"]
                        for r in fig["sizes"]},
                     **{f"{r['pods']}_pods_kib_per_minute": r["poller_kb_per_minute"]
                        for r in fig["sizes"]}},
        "ratio": {"idle_growth_large_vs_small": growth,
                  "idle_vs_poller": ratio(large["idle_per_minute"],
                                          large["poller_idle_per_minute"])},
        "target": {"idle_requests": "no growth with pods: watches only, no list or get"},
        "target_met": met,
        "machine": machine(),
    })
    return 0


if __name__ == "__main__":
    sys.exit(main())
