"""How fast and how big the embedded sim runs at scale, with its clock unthrottled.

Three scenarios, each in a fresh Python process so that peak RSS belongs to it alone:

- `daemonset`:   1,000 nodes and a DaemonSet that covers them;
- `statefulset`: a 500-replica StatefulSet with podManagementPolicy Parallel;
- `jobs`:        10,000 Job pods (completions 10000, parallelism 500).

For each it reports pod lifecycle transitions (Pod entries in the watch-fed History) per second
of wall time, and peak RSS (ru_maxrss). It also reports them per second of the process's CPU
time, with the load average: on a machine shared with other work, wall time stretches while CPU
time does not. Because absolute times on a shared machine are noisy,
each process also times a baseline on the same machine in the same run: a bare heap event loop
that makes as many store-style writes (copy a pod dict with a new status, push the next
happening) as the scenario did. The ratio `sim seconds / baseline seconds` is what the sim costs
per write over the cheapest loop that could do the same work, and it moves much less between
machines than the raw rate.

Run:  python bench/sim_scale.py            (all three, each 3 times; the median run counts;
                                             the last line is one JSON object)
      python bench/sim_scale.py --only jobs --repeat 1
"""

from __future__ import annotations

import argparse
import heapq
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TARGET_TRANSITIONS_PER_S = 5000.0
TARGET_RSS_MB = 300.0
NS = "bench"

# -- scenarios -----------------------------------------------------------------------------------


def _container(image: str = "busybox:1.36", script: str | None = None) -> dict[str, Any]:
    c: dict[str, Any] = {"name": "main", "image": image}
    if script is not None:
        c["command"] = ["/bin/sh", "-c", script]
    return c


def _nodes(sim: Any, count: int) -> None:
    for i in range(count):
        sim.add_node(f"node-{i:04d}", labels={"bench": "yes"})


def daemonset(sim: Any) -> Callable[[], bool]:
    """A DaemonSet on 1,000 nodes (997 workers added to the default three)."""
    sim.apply([{"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "agent"},
                "spec": {"selector": {"matchLabels": {"app": "agent"}},
                         "template": {"metadata": {"labels": {"app": "agent"}},
                                      "spec": {"tolerations": [{"operator": "Exists"}],
                                               "containers": [_container(
                                                   script="while true; do sleep 60; done")]}}}}])
    return lambda: _ready(sim, "DaemonSet", "agent", "numberReady", "desiredNumberScheduled",
                          1000)


def statefulset(sim: Any) -> Callable[[], bool]:
    """A 500-replica StatefulSet, Parallel pod management, on 6 extra workers."""
    sim.apply([
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
         "spec": {"clusterIP": "None", "selector": {"app": "web"}, "ports": [{"port": 80}]}},
        {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "web"},
         "spec": {"serviceName": "web", "replicas": 500, "podManagementPolicy": "Parallel",
                  "selector": {"matchLabels": {"app": "web"}},
                  "template": {"metadata": {"labels": {"app": "web"}},
                               "spec": {"containers": [_container("nginx:1.27")]}}}},
    ])
    return lambda: _ready(sim, "StatefulSet", "web", "readyReplicas", None, 500)


def jobs(sim: Any) -> Callable[[], bool]:
    """10,000 Job pods, 500 at a time, on 8 extra workers."""
    sim.apply([{"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "crunch"},
                "spec": {"completions": 10000, "parallelism": 500,
                         "template": {"spec": {"restartPolicy": "Never",
                                               "containers": [_container(script="sleep 20")]}}}}])

    def done() -> bool:
        job = sim.core.store.get("Job", NS, "crunch")
        return any(c.get("type") == "Complete" for c in (job.get("status") or {}).get(
            "conditions") or ())

    return done


def _ready(sim: Any, kind: str, name: str, field: str, want_field: str | None, want: int
           ) -> bool:
    obj = sim.core.store.get(kind, NS, name)
    st = (obj or {}).get("status") or {}
    target = st.get(want_field, want) if want_field else want
    return int(st.get(field, 0)) >= want and int(target) == want


# name -> (extra worker nodes added before the clock starts, the workload)
SCENARIOS: dict[str, tuple[int, Callable[[Any], Callable[[], bool]]]] = {
    "daemonset": (997, daemonset), "statefulset": (6, statefulset), "jobs": (8, jobs)}

# -- measuring -----------------------------------------------------------------------------------


def bare_loop(writes: int, pod: dict[str, Any]) -> float:
    """Seconds a minimal heap event loop takes to make `writes` copy-on-write pod updates.

    Timed over at least 200,000 writes and scaled, fastest of five tries: the try least
    disturbed by other work on the machine.
    """
    n = max(writes, 200_000)
    return min(_bare_loop_once(n, pod) for _ in range(5)) * writes / n


def _bare_loop_once(writes: int, pod: dict[str, Any]) -> float:
    objects = {i: pod for i in range(1000)}
    heap: list[tuple[float, int, int]] = [(0.0, i, i) for i in range(1000)]
    heapq.heapify(heap)
    seq = 1000
    start = time.perf_counter()
    for n in range(writes):
        t, _, key = heapq.heappop(heap)
        old = objects[key]
        objects[key] = {**old, "status": {**old.get("status", {}), "observed": n}}
        seq += 1
        heapq.heappush(heap, (t + 1.0, seq, key))
    return time.perf_counter() - start


def run_scenario(name: str, limit: float = 36000.0) -> dict[str, Any]:
    """Run one scenario in this process and return its figures."""
    from k8slab.cluster.sim import SimCluster
    from k8slab.state.mirror import ClusterState

    sim = SimCluster(NS, seed=1)
    extra_nodes, workload = SCENARIOS[name]
    _nodes(sim, extra_nodes)
    state = ClusterState(NS)
    stream = sim.watch()
    state.apply_all(stream.drain())
    writes_before = sim.core.store.changes
    load = os.getloadavg()[0]
    start, cpu_start = time.perf_counter(), time.process_time()
    done = workload(sim)
    mirror_time = 0.0
    clock = sim.core.clock
    while not done() and clock.now < limit:
        sim.advance(1.0)
        t0 = time.perf_counter()
        state.apply_all(stream.drain())
        mirror_time += time.perf_counter() - t0
    t0 = time.perf_counter()
    state.apply_all(stream.drain())
    mirror_time += time.perf_counter() - t0
    wall = time.perf_counter() - start
    cpu = time.process_time() - cpu_start
    pod_transitions = sum(1 for t in state.history if t.kind == "Pod")
    writes = sim.core.store.changes - writes_before
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    sample: dict[str, Any] = next(iter(sim.core.store.list("Pod")), {"status": {}})
    baseline = bare_loop(writes, sample)
    return {
        "scenario": name,
        "finished": bool(done()),
        "virtual_seconds": round(clock.now, 1),
        "wall_seconds": round(wall, 3),
        "nodes": sim.core.store.count("Node"),
        "pods": sum(1 for t in state.history if t.kind == "Pod" and t.what == "created"),
        "pod_transitions": pod_transitions,
        "transitions_per_s": round(pod_transitions / wall, 1),
        "cpu_seconds": round(cpu, 3),
        "transitions_per_cpu_s": round(pod_transitions / cpu, 1) if cpu else None,
        "load_average": round(load, 2),
        "cpus": os.cpu_count(),
        "store_writes": writes,
        "mirror_seconds": round(mirror_time, 3),
        "peak_rss_mb": round(rss_mb, 1),
        "baseline_seconds": round(baseline, 3),
        "baseline_writes_per_s": round(writes / baseline, 1) if baseline else None,
        "cost_vs_baseline": round(wall / baseline, 1) if baseline else None,
    }


def _measure(name: str) -> dict[str, Any]:
    proc = subprocess.run([sys.executable, __file__, "--in-process", name],
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{name} failed:\n{proc.stderr}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=sorted(SCENARIOS), action="append",
                        help="run only this scenario (repeatable)")
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs per scenario, each in a fresh process; the median run is "
                             "reported (default 3)")
    parser.add_argument("--in-process", metavar="SCENARIO", choices=sorted(SCENARIOS),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.in_process:
        print(json.dumps(run_scenario(args.in_process)))
        return 0
    results = []
    for name in args.only or list(SCENARIOS):
        try:
            runs = sorted((_measure(name) for _ in range(max(1, args.repeat))),
                          key=lambda r: r["transitions_per_s"])
        except RuntimeError as err:
            print(err, file=sys.stderr)
            return 1
        fig = {**runs[len(runs) // 2],
               "runs_transitions_per_s": [r["transitions_per_s"] for r in runs]}
        results.append(fig)
        ok_rate = fig["transitions_per_s"] >= TARGET_TRANSITIONS_PER_S
        ok_rss = fig["peak_rss_mb"] < TARGET_RSS_MB
        print(f"{name:12} {fig['pods']:6d} pods  {fig['pod_transitions']:7d} transitions in "
              f"{fig['wall_seconds']:7.2f}s wall ({fig['virtual_seconds']:.0f}s virtual): "
              f"{fig['transitions_per_s']:7.0f}/s {'ok' if ok_rate else 'BELOW TARGET'} "
              f"(runs {', '.join(f'{x:.0f}' for x in fig['runs_transitions_per_s'])}; "
              f"{fig['transitions_per_cpu_s']:.0f} per CPU second, load "
              f"{fig['load_average']:.1f} on {fig['cpus']} CPUs); "
              f"peak RSS {fig['peak_rss_mb']:.0f} MB {'ok' if ok_rss else 'ABOVE TARGET'}; "
              f"{fig['cost_vs_baseline']}x a bare event loop "
              f"({fig['baseline_writes_per_s']:.0f} writes/s)")
    summary = {
        "targets": {"transitions_per_s": TARGET_TRANSITIONS_PER_S, "peak_rss_mb": TARGET_RSS_MB},
        "scenarios": {r["scenario"]: r for r in results},
        "all_targets_met": all(r["finished"] and r["transitions_per_s"] >= TARGET_TRANSITIONS_PER_S
                               and r["peak_rss_mb"] < TARGET_RSS_MB for r in results),
    }
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
