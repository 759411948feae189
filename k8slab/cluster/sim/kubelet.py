"""The kubelets of every node: run bound pods through their lifecycle and report status.

A pod bound to a node goes: ContainerCreating (sandbox, volumes, image pulls) → init
containers one at a time → app containers started → Running → Ready (when every container is
ready: at once without a readinessProbe, else at the first probe at or after the app is ready).
Containers exit as their behaviour says; restartPolicy decides between a restart (with the
kubelet's crash back-off, 10s doubling to 5m) and a terminal phase. Deletion sends SIGTERM:
servers stop in a moment, a shell as PID 1 ignores it and is killed when the grace period ends.
"""

from __future__ import annotations

import base64
import functools
import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from k8slab.cluster.sim.behaviour import Run, plan_run
from k8slab.cluster.sim.clock import Happening
from k8slab.cluster.sim.core import Controller, SyncKey
from k8slab.cluster.sim.store import Obj, parse_timestamp, timestamp

SANDBOX_SECONDS = 0.5  # pod sandbox and network set-up
START_SECONDS = 0.2  # create + start a container after its image is there
SIGTERM_STOP_SECONDS = 0.5  # a server shutting down cleanly
BACKOFF_INITIAL, BACKOFF_MAX = 10.0, 300.0
TERMINAL = ("Succeeded", "Failed")


@dataclass(slots=True)
class _Container:
    spec: dict[str, Any]
    init: bool
    state: str = "waiting"  # waiting | running | terminated
    reason: str = "ContainerCreating"
    message: str = ""
    exit_code: int = 0
    started_at: float = 0.0
    finished_at: float = 0.0
    restarts: int = 0
    ready: bool = False
    started: bool = False
    container_id: str = ""
    last: dict[str, Any] | None = None
    run: Run | None = None


@dataclass(slots=True)
class _Pod:
    key: SyncKey
    uid: str
    node: str
    created: float
    containers: list[_Container]
    phase: str = "Pending"
    reason: str = ""
    message: str = ""
    stage: str = "volumes"  # volumes | init | starting | running | done | terminating
    sandbox: bool = False
    ip: str = ""
    host_ip: str = ""
    timers: list[Happening] = field(default_factory=list)
    mount_warned: str = ""
    ip_released: bool = False

    def app(self) -> list[_Container]:
        return [c for c in self.containers if not c.init]

    def inits(self) -> list[_Container]:
        return [c for c in self.containers if c.init]


class Kubelet(Controller):
    """Every node's kubelet, as one controller keyed by pod."""

    name = "kubelet"
    kinds = ("Pod", "PersistentVolumeClaim", "ConfigMap", "Secret")
    component = "kubelet"

    def __init__(self, core: Any) -> None:
        super().__init__(core)
        self._pods: dict[str, _Pod] = {}
        self._images: dict[str, set[str]] = defaultdict(set)
        self._ips: dict[str, set[int]] = defaultdict(set)
        self._next_ip: dict[str, int] = defaultdict(lambda: 1)
        self._waiting: dict[str, set[SyncKey]] = defaultdict(set)  # ns -> pods on volumes

    # -- watching ---------------------------------------------------------------------------
    def keys_for(self, type_: str, old: Obj | None, new: Obj | None) -> Iterable[SyncKey]:
        obj = new if new is not None else old
        assert obj is not None
        md = obj["metadata"]
        if obj["kind"] != "Pod":
            waiting = self._waiting.get(md.get("namespace", ""))
            return sorted(waiting) if waiting else ()
        key = (md["namespace"], md["name"])
        if type_ == "DELETED":
            self._forget(md["uid"], old)
            return ()
        assert new is not None
        if not new["spec"].get("nodeName"):
            return ()
        rt = self._pods.get(md["uid"])
        if rt is None:
            return [key]
        if md.get("deletionTimestamp") and rt.stage != "terminating":
            return [key]
        return ()

    # -- the lifecycle ----------------------------------------------------------------------
    def sync(self, key: SyncKey) -> None:
        pod = self.core.store.get("Pod", *key)
        if pod is None:
            return
        rt = self._pods.get(pod["metadata"]["uid"])
        if pod["metadata"].get("deletionTimestamp"):
            self._terminate(pod, rt)
            return
        if rt is None:
            if (pod.get("status") or {}).get("phase") in TERMINAL:
                return
            rt = self._admit(pod)
        if rt.stage == "volumes":
            self._check_volumes(pod, rt)

    def _admit(self, pod: Obj) -> _Pod:
        md, spec = pod["metadata"], pod["spec"]
        node = spec["nodeName"]
        containers = [_Container(c, True, reason="PodInitializing")
                      for c in spec.get("initContainers") or ()]
        app_reason = "PodInitializing" if containers else "ContainerCreating"
        containers += [_Container(c, False, reason=app_reason) for c in spec["containers"]]
        if containers[0].init:
            containers[0].reason = "PodInitializing"
        rt = _Pod((md["namespace"], md["name"]), md["uid"], node, self.core.clock.now,
                  containers)
        node_obj = self.core.store.get("Node", "", node)
        addrs = ((node_obj or {}).get("status") or {}).get("addresses") or []
        rt.host_ip = next((a["address"] for a in addrs if a.get("type") == "InternalIP"), "")
        self._pods[md["uid"]] = rt
        self._publish(rt, pod)
        deadline = spec.get("activeDeadlineSeconds")
        if deadline:
            self._timer(rt, float(deadline), lambda: self._deadline(rt))
        return rt

    def _check_volumes(self, pod: Obj, rt: _Pod) -> None:
        problem = self._volume_problem(pod)
        ns = rt.key[0]
        if problem:
            self._waiting[ns].add(rt.key)
            if problem != rt.mount_warned:
                rt.mount_warned = problem
                self.core.events.warning(pod, "FailedMount", problem, component=self.component,
                                         host=rt.node)
            return
        self._waiting[ns].discard(rt.key)
        rt.stage = "sandbox"
        self._timer(rt, SANDBOX_SECONDS, lambda: self._sandbox_ready(rt))

    def _volume_problem(self, pod: Obj) -> str:
        ns = pod["metadata"]["namespace"]
        store = self.core.store
        for v in pod["spec"].get("volumes") or ():
            name = v.get("name", "")
            if "configMap" in v and not v["configMap"].get("optional"):
                cm = v["configMap"].get("name", "")
                if store.get("ConfigMap", ns, cm) is None:
                    return (f'MountVolume.SetUp failed for volume "{name}" : configmap "{cm}" '
                            "not found")
            if "secret" in v and not v["secret"].get("optional"):
                sec = v["secret"].get("secretName", "")
                if store.get("Secret", ns, sec) is None:
                    return (f'MountVolume.SetUp failed for volume "{name}" : secret "{sec}" '
                            "not found")
            claim = (v.get("persistentVolumeClaim") or {}).get("claimName")
            if claim:
                pvc = store.get("PersistentVolumeClaim", ns, claim)
                if pvc is None or (pvc.get("status") or {}).get("phase") != "Bound":
                    return (f"Unable to attach or mount volumes: unmounted volumes=[{name}], "
                            "unattached volumes=[], failed to process volumes=[]: timed out "
                            "waiting for the condition")
        return ""

    def _sandbox_ready(self, rt: _Pod) -> None:
        rt.sandbox = True
        rt.ip = self._allocate_ip(rt.node)
        pod = self._pod(rt)
        if pod is None:
            return
        rt.stage = "init" if rt.inits() else "starting"
        self._publish(rt, pod)
        self._next_container(rt)

    def _next_container(self, rt: _Pod) -> None:
        """Start the next init container, or every app container once inits are done."""
        if rt.stage == "init":
            for c in rt.inits():
                if c.state == "terminated" and c.exit_code == 0 and c.reason == "Completed":
                    continue
                if c.state != "running":
                    self._pull_and_start(rt, c)
                return
            rt.stage = "starting"
            for c in rt.app():
                c.reason = "ContainerCreating"
            pod = self._pod(rt)
            if pod is not None:
                self._publish(rt, pod)
        if rt.stage == "starting":
            delay = 0.0
            for c in rt.app():
                delay = self._pull_and_start(rt, c, delay)

    def _pull_and_start(self, rt: _Pod, c: _Container, after: float = 0.0) -> float:
        """Pull the image (events and time) then start; returns when it will have started."""
        pod = self._pod(rt)
        if pod is None:
            return after
        image = str(c.spec.get("image", ""))
        policy = c.spec.get("imagePullPolicy", "IfNotPresent")
        name = c.spec.get("name", "")
        fp = f"spec.{'initContainers' if c.init else 'containers'}{{{name}}}"
        have = image in self._images[rt.node]
        ev = self.core.events
        if have and policy != "Always":
            ev.normal(pod, "Pulled", f'Container image "{image}" already present on machine',
                      component=self.component, host=rt.node, field_path=fp)
            pull = 0.0
        else:
            ev.normal(pod, "Pulling", f'Pulling image "{image}"', component=self.component,
                      host=rt.node, field_path=fp)
            pull = 0.4 if have else round(1.0 + self.core.rng.random() * 2.0, 1)
        start_at = after + pull + START_SECONDS

        def start() -> None:
            self._start(rt, c, pull)

        self._timer(rt, start_at, start)
        return start_at

    def _start(self, rt: _Pod, c: _Container, pull: float) -> None:
        pod = self._pod(rt)
        if pod is None or rt.stage in ("terminating", "done"):
            return
        image = str(c.spec.get("image", ""))
        name = c.spec.get("name", "")
        fp = f"spec.{'initContainers' if c.init else 'containers'}{{{name}}}"
        ev = self.core.events
        if pull:
            self._images[rt.node].add(image)
            size = 3_000_000 + int(hashlib.sha256(image.encode()).hexdigest()[:6], 16) * 4
            ev.normal(pod, "Pulled", f'Successfully pulled image "{image}" in {int(pull * 1000)}'
                      f"ms ({int(pull * 1000)}ms including waiting). Image size: {size} bytes.",
                      component=self.component, host=rt.node, field_path=fp)
        problem = self._env_problem(pod, c.spec)
        if problem:
            c.state, c.reason, c.message = "waiting", "CreateContainerConfigError", problem
            ev.warning(pod, "Failed", f"Error: {problem}", component=self.component,
                       host=rt.node, field_path=fp)
            self._publish(rt, pod)
            self._timer(rt, 10.0, lambda: self._start(rt, c, 0.0))
            return
        ev.normal(pod, "Created", f"Created container: {name}", component=self.component,
                  host=rt.node, field_path=fp)
        ev.normal(pod, "Started", f"Started container {name}", component=self.component,
                  host=rt.node, field_path=fp)
        now = self.core.clock.now
        env = self.env_of(pod, c.spec)
        hint, attempt = self.core.next_run(pod, name)
        c.run = plan_run(c.spec, env, hint, self.core.rng, attempt=attempt)
        c.container_id = f"containerd://{self.core.rng_names.getrandbits(256):064x}"
        c.state, c.reason, c.message = "running", "", ""
        c.started_at, c.started = now, True
        files = self.core.files
        files.seed_image_files(pod, c.spec, c.container_id, env.get("HOSTNAME", ""))
        for path, text, append in c.run.writes:
            loc = files.locate(pod, name, path, c.container_id)
            if not loc.readonly:
                files.write(loc, text, append=append)
        if not c.init:
            probe = c.spec.get("readinessProbe")
            if probe:
                delay = float(probe.get("initialDelaySeconds", 0) or 0)
                period = float(probe.get("periodSeconds", 10) or 10)
                while delay < c.run.ready_after:
                    delay += period
                self._timer(rt, delay, lambda: self._became_ready(rt, c))
            else:
                c.ready = True
        if c.run.duration is not None:
            run = c.run
            self._timer(rt, run.duration or 0.0, lambda: self._exited(rt, c, run))
        if not c.init and all(x.state == "running" for x in rt.app()):
            rt.stage = "running"
            rt.phase = "Running"
        self._publish(rt, pod)

    def _became_ready(self, rt: _Pod, c: _Container) -> None:
        pod = self._pod(rt)
        if pod is None or c.state != "running" or rt.stage == "terminating":
            return
        c.ready = True
        self._publish(rt, pod)

    def _exited(self, rt: _Pod, c: _Container, run: Run | None) -> None:
        pod = self._pod(rt)
        if pod is None or c.state != "running" or c.run is not run or run is None:
            return
        if rt.stage == "terminating":
            return
        now = self.core.clock.now
        code = run.exit_code
        c.state, c.exit_code, c.finished_at = "terminated", code, now
        c.reason = "Completed" if code == 0 else "Error"
        c.ready = False
        policy = pod["spec"].get("restartPolicy", "Always")
        restart = policy == "Always" or (policy == "OnFailure" and code != 0)
        if c.init and policy == "Always":
            restart = code != 0
        if restart:
            self._schedule_restart(rt, c, pod)
        elif c.init:
            if code != 0:
                self._finish(rt, pod, "Failed")
                return
            self._next_container(rt)
        elif all(x.state == "terminated" for x in rt.app()):
            failed = any(x.exit_code != 0 for x in rt.app())
            self._finish(rt, pod, "Failed" if failed else "Succeeded")
            return
        self._publish(rt, pod)

    def _schedule_restart(self, rt: _Pod, c: _Container, pod: Obj) -> None:
        delay = 0.0 if c.restarts == 0 else min(BACKOFF_MAX,
                                                 BACKOFF_INITIAL * 2 ** (c.restarts - 1))
        last = self._state_dict(c)
        name = c.spec.get("name", "")
        md = pod["metadata"]
        if delay > 0:
            c.last = last
            c.state, c.reason = "waiting", "CrashLoopBackOff"
            c.message = (f"back-off {int(delay) if delay < 60 else f'{int(delay) // 60}m0'}s "
                         f"restarting failed container={name} pod={md['name']}_{md['namespace']}"
                         f"({md['uid']})")
            self.core.events.warning(
                pod, "BackOff", f"Back-off restarting failed container {name} in pod "
                f"{md['name']}_{md['namespace']}({md['uid']})", component=self.component,
                host=rt.node, field_path=f"spec.containers{{{name}}}")

        def restart() -> None:
            p = self._pod(rt)
            if p is None or rt.stage in ("terminating", "done"):
                return
            c.restarts += 1
            c.last = last
            self._start(rt, c, 0.0)

        self._timer(rt, delay + (START_SECONDS if delay == 0 else 0), restart)
        if delay == 0:
            c.last = last

    def _deadline(self, rt: _Pod) -> None:
        pod = self._pod(rt)
        if pod is None or rt.stage in ("done", "terminating"):
            return
        now = self.core.clock.now
        for c in rt.containers:
            if c.state == "running":
                c.state, c.exit_code, c.reason, c.finished_at = "terminated", 137, "Error", now
            c.ready = False
        rt.reason = "DeadlineExceeded"
        rt.message = "Pod was active on the node longer than the specified deadline"
        self.core.events.normal(pod, "DeadlineExceeded", rt.message, component=self.component,
                                host=rt.node)
        self._finish(rt, pod, "Failed")

    def _finish(self, rt: _Pod, pod: Obj, phase: str) -> None:
        rt.phase, rt.stage = phase, "done"
        for c in rt.containers:
            c.ready = False
            if c.state == "waiting" and not c.init:
                c.reason = c.reason or "ContainerCreating"
        self._cancel(rt)
        self._publish(rt, pod)
        self._release_ip(rt)

    # -- termination ------------------------------------------------------------------------
    def _terminate(self, pod: Obj, rt: _Pod | None) -> None:
        md = pod["metadata"]
        if rt is None or rt.stage == "done" or not any(c.state == "running"
                                                        for c in rt.containers):
            self._remove(pod, rt)
            return
        if rt.stage == "terminating":
            return
        rt.stage = "terminating"
        self._cancel(rt)
        now = self.core.clock.now
        # The kubelet counts the grace period from when it starts killing (timestamps only
        # have second precision).
        grace = float(md.get("deletionGracePeriodSeconds",
                             max(0.0, parse_timestamp(md["deletionTimestamp"]) - now)))
        stop = 0.0
        for c in rt.containers:
            if c.state != "running":
                continue
            name = c.spec.get("name", "")
            self.core.events.normal(pod, "Killing", f"Stopping container {name}",
                                    component=self.component, host=rt.node,
                                    field_path=f"spec.containers{{{name}}}")
            quick = c.run is not None and c.run.stops_on_sigterm
            stop = max(stop, min(grace, SIGTERM_STOP_SECONDS) if quick else grace)

        def stopped() -> None:
            p = self._pod(rt)
            if p is None:
                return
            t = self.core.clock.now
            for c in rt.containers:
                if c.state == "running":
                    quick = c.run is not None and c.run.stops_on_sigterm and stop < grace
                    c.state, c.finished_at = "terminated", t
                    c.exit_code = 0 if quick else 137
                    c.reason = "Completed" if quick else "Error"
                c.ready = False
            codes = [c.exit_code for c in rt.app()]
            rt.phase = "Succeeded" if all(x == 0 for x in codes) else "Failed"
            self._publish(rt, p)
            self._remove(p, rt)

        rt.timers.append(self.core.clock.at(now + stop, stopped, f"kubelet stop {md['name']}"))

    def _remove(self, pod: Obj, rt: _Pod | None) -> None:
        md = pod["metadata"]
        if rt is not None:
            self._cancel(rt)
            self._release_ip(rt)
        self.core.store.remove("Pod", md["namespace"], md["name"])

    def _forget(self, uid: str, pod: Obj | None) -> None:
        rt = self._pods.pop(uid, None)
        if rt is not None:
            self._cancel(rt)
            self._release_ip(rt)
            self._waiting[rt.key[0]].discard(rt.key)
        self.core.files.drop_pod(uid)
        self.core.transitions += 1

    # -- status -----------------------------------------------------------------------------
    def _publish(self, rt: _Pod, pod: Obj) -> None:
        """Write the pod status the runtime state implies."""
        now = timestamp(self.core.clock.now)
        old_status = pod.get("status") or {}
        old_conds = {c["type"]: c for c in old_status.get("conditions") or ()}

        def cond(ctype: str, ok: bool, reason: str = "", message: str = "") -> dict[str, Any]:
            prev = old_conds.get(ctype)
            status = "True" if ok else "False"
            ltt = prev["lastTransitionTime"] if prev and prev.get("status") == status else now
            out: dict[str, Any] = {"type": ctype, "status": status, "lastProbeTime": None,
                                   "lastTransitionTime": ltt}
            if not ok and reason:
                out["reason"] = reason
            if not ok and message:
                out["message"] = message
            return out

        inits = rt.inits()
        apps = rt.app()
        pending_inits = [c.spec["name"] for c in inits
                         if not (c.state == "terminated" and c.exit_code == 0)]
        unready = [c.spec["name"] for c in apps if not c.ready]
        terminal = rt.phase in TERMINAL
        why = "PodCompleted" if terminal else "ContainersNotReady"
        msg = "" if terminal else f"containers with unready status: [{' '.join(unready)}]"
        conds = [
            cond("PodReadyToStartContainers", rt.sandbox and not terminal),
            cond("Initialized", not pending_inits or (terminal and not inits),
                 "ContainersNotInitialized" if pending_inits else "PodCompleted",
                 f"containers with incomplete status: [{' '.join(pending_inits)}]"
                 if pending_inits and not terminal else ""),
            cond("Ready", not unready and not terminal, why, msg),
            cond("ContainersReady", not unready and not terminal, why, msg),
        ]
        # A pod created with spec.nodeName never met the scheduler; the kubelet reports it
        # scheduled all the same.
        conds.append(old_conds.get("PodScheduled") or cond("PodScheduled", True))
        status: dict[str, Any] = {
            "phase": rt.phase,
            "conditions": conds,
            "hostIP": rt.host_ip,
            "hostIPs": [{"ip": rt.host_ip}],
            "startTime": timestamp(rt.created),
            "qosClass": old_status.get("qosClass", "BestEffort"),
        }
        if rt.ip:
            status["podIP"] = rt.ip
            status["podIPs"] = [{"ip": rt.ip}]
        if rt.reason:
            status["reason"], status["message"] = rt.reason, rt.message
        if inits:
            status["initContainerStatuses"] = [self._status(c) for c in inits]
        status["containerStatuses"] = [self._status(c) for c in apps]
        before = old_status.get("phase"), _ready(old_status)
        new = self.core.api.update_status({**pod, "status": status})
        if new is not pod and (rt.phase, _ready(status)) != before:
            self.core.transitions += 1

    def _status(self, c: _Container) -> dict[str, Any]:
        image = str(c.spec.get("image", ""))
        digest = _digest(image)
        st: dict[str, Any] = {
            "name": c.spec.get("name", ""),
            "image": _qualified_image(image),
            "imageID": f"{_qualified_image(image).split(':')[0]}@sha256:{digest}"
            if c.container_id else "",
            "ready": c.ready,
            "restartCount": c.restarts,
            "started": c.state == "running",
            "state": self._state_dict(c),
            "lastState": {"terminated": c.last["terminated"]} if c.last and "terminated" in
            c.last else {},
        }
        if c.container_id:
            st["containerID"] = c.container_id
        return st

    def _state_dict(self, c: _Container) -> dict[str, Any]:
        if c.state == "running":
            return {"running": {"startedAt": timestamp(c.started_at)}}
        if c.state == "terminated":
            return {"terminated": {"exitCode": c.exit_code, "reason": c.reason,
                                   "startedAt": timestamp(c.started_at),
                                   "finishedAt": timestamp(c.finished_at),
                                   "containerID": c.container_id}}
        out: dict[str, Any] = {"reason": c.reason}
        if c.message:
            out["message"] = c.message
        return {"waiting": out}

    # -- environment ------------------------------------------------------------------------
    def env_of(self, pod: Obj, container: dict[str, Any]) -> dict[str, str]:
        """The container's environment as the kubelet builds it (fieldRefs resolved)."""
        rt = self._pods.get(pod["metadata"]["uid"])
        return container_env(self.core.store, pod, container,
                             host_ip=rt.host_ip if rt else "", pod_ip=rt.ip if rt else "")

    def _env_problem(self, pod: Obj, container: dict[str, Any]) -> str:
        ns = pod["metadata"]["namespace"]
        store = self.core.store
        for e in container.get("env") or ():
            ref = e.get("valueFrom") or {}
            for kind, field_ in (("ConfigMap", "configMapKeyRef"), ("Secret", "secretKeyRef")):
                r = ref.get(field_)
                if not r or r.get("optional"):
                    continue
                obj = store.get(kind, ns, r.get("name", ""))
                if obj is None:
                    return f'{kind.lower()} "{r.get("name", "")}" not found'
                data = obj.get("data") or {}
                if r.get("key") not in data:
                    return (f"couldn't find key {r.get('key')} in {kind} "
                            f"{ns}/{r.get('name', '')}")
        return ""

    # -- helpers ----------------------------------------------------------------------------
    def runtime(self, uid: str) -> _Pod | None:
        return self._pods.get(uid)

    def container_info(self, pod: Obj, container: str | None
                       ) -> tuple[dict[str, Any], Run | None, float, str, str]:
        """(spec, current run, started at, container id, state) of a container."""
        rt = self._pods.get(pod["metadata"]["uid"])
        specs = [*(pod["spec"].get("initContainers") or ()), *pod["spec"]["containers"]]
        name = container or pod["spec"]["containers"][0]["name"]
        spec = next((c for c in specs if c.get("name") == name), None)
        if spec is None:
            from k8slab.errors import ClusterError

            raise ClusterError(
                f'container {name} is not valid for pod {pod["metadata"]["name"]}',
                reason="BadRequest",
                hint="Containers: " + ", ".join(c.get("name", "") for c in specs))
        if rt is None:
            return spec, None, 0.0, "", "waiting"
        c = next(x for x in rt.containers if x.spec.get("name") == name)
        return spec, c.run, c.started_at, c.container_id, c.state

    def _pod(self, rt: _Pod) -> Obj | None:
        pod = self.core.store.get("Pod", *rt.key)
        if pod is None or pod["metadata"]["uid"] != rt.uid:
            return None
        return pod

    def _timer(self, rt: _Pod, delay: float, fn: Any) -> None:
        """Run `fn` `delay` seconds from now, cancelled if the pod goes away first."""
        now = self.core.clock.now
        rt.timers = [t for t in rt.timers if not t.cancelled and t.time >= now]
        rt.timers.append(self.core.clock.after(delay, fn, f"kubelet {rt.key[1]}"))

    def _cancel(self, rt: _Pod) -> None:
        for t in rt.timers:
            t.cancel()
        rt.timers.clear()

    def _allocate_ip(self, node: str) -> str:
        node_obj = self.core.store.get("Node", "", node) or {}
        cidr = str((node_obj.get("spec") or {}).get("podCIDR", "10.244.0.0/24"))
        prefix = cidr.rsplit(".", 1)[0]
        used = self._ips[prefix]
        n = self._next_ip[prefix]
        for _ in range(254):
            n = n % 254 + 1
            if n >= 2 and n not in used:
                break
        used.add(n)
        self._next_ip[prefix] = n
        return f"{prefix}.{n}"

    def _release_ip(self, rt: _Pod) -> None:
        if rt.ip and not rt.ip_released:
            prefix, _, last = rt.ip.rpartition(".")
            self._ips[prefix].discard(int(last))
            rt.ip_released = True

    def node_removed(self, node: str) -> None:
        self._images.pop(node, None)


def _ready(status: dict[str, Any]) -> bool:
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in status.get("conditions") or ())


@functools.lru_cache(maxsize=1024)
def _digest(image: str) -> str:
    return hashlib.sha256(image.encode()).hexdigest()


@functools.lru_cache(maxsize=1024)
def _qualified_image(image: str) -> str:
    """How the runtime reports an image: `docker.io/library/nginx:alpine`."""
    if not image:
        return image
    name = image
    first = name.split("/", 1)[0]
    if "/" not in name:
        name = f"docker.io/library/{name}"
    elif "." not in first and ":" not in first and first != "localhost":
        name = f"docker.io/{name}"
    last = name.rsplit("/", 1)[-1]
    if ":" not in last and "@" not in last:
        name += ":latest"
    return name


def container_env(store: Any, pod: Obj, container: dict[str, Any], *, host_ip: str = "",
                  pod_ip: str = "") -> dict[str, str]:
    """A container's environment as the kubelet builds it: HOSTNAME and the usual variables,
    envFrom ConfigMaps, and env with fieldRefs, ConfigMap and Secret keys resolved from
    `store` (anything with `get(kind, namespace, name)`). `host_ip` and `pod_ip` stand in
    for status fields the pod does not have yet."""
    md, spec = pod["metadata"], pod["spec"]
    status = pod.get("status") or {}
    env: dict[str, str] = {
        "HOSTNAME": spec.get("hostname") or md["name"],
        "KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443",
        "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "HOME": "/root",
    }
    ns = md["namespace"]
    for src in container.get("envFrom") or ():
        if "configMapRef" in src:
            cm = store.get("ConfigMap", ns, src["configMapRef"].get("name", "")) or {}
            env.update({src.get("prefix", "") + k: str(v)
                        for k, v in (cm.get("data") or {}).items()})
    for e in container.get("env") or ():
        name = e.get("name", "")
        if "value" in e:
            env[name] = str(e["value"])
            continue
        ref = e.get("valueFrom") or {}
        if "fieldRef" in ref:
            path = ref["fieldRef"].get("fieldPath", "")
            env[name] = {
                "metadata.name": md["name"], "metadata.namespace": ns,
                "metadata.uid": md.get("uid", ""), "spec.nodeName": spec.get("nodeName", ""),
                "spec.serviceAccountName": spec.get("serviceAccountName", ""),
                "status.hostIP": status.get("hostIP") or host_ip,
                "status.podIP": status.get("podIP") or pod_ip,
            }.get(path, "")
            if path.startswith("metadata.labels['"):
                env[name] = (md.get("labels") or {}).get(path[17:-2], "")
            elif path.startswith("metadata.annotations['"):  # JOB_COMPLETION_INDEX
                env[name] = (md.get("annotations") or {}).get(path[22:-2], "")
        elif "configMapKeyRef" in ref:
            r = ref["configMapKeyRef"]
            cm = store.get("ConfigMap", ns, r.get("name", "")) or {}
            env[name] = str((cm.get("data") or {}).get(r.get("key", ""), ""))
        elif "secretKeyRef" in ref:
            r = ref["secretKeyRef"]
            sec = store.get("Secret", ns, r.get("name", "")) or {}
            raw = (sec.get("data") or {}).get(r.get("key", ""), "")
            try:
                env[name] = base64.b64decode(raw).decode()
            except Exception:
                env[name] = ""
    return env
