"""ActionRunner: carries out lesson actions against any `Cluster`.

The TUI's buttons, `k8slab check --solve` and the tests all go through `ActionRunner.run()`.
Every action returns an `ActionOutcome` and is recorded in History as an `action` transition
on the lab; a failure is the cluster's clear message, never a traceback.
"""

from __future__ import annotations

import contextlib
import copy
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from k8slab.actions import Action
from k8slab.cluster import objects as o
from k8slab.cluster.kinds import WATCHED_KINDS, kind_of
from k8slab.cluster.protocol import AppliedObject, Cluster, EventStream
from k8slab.errors import ClusterError, K8slabError, NotFound
from k8slab.lessons.model import Lesson, Question, Step
from k8slab.lessons.text import render_text
from k8slab.runner import clock, nodes
from k8slab.runner.cronjob import job_from_cronjob
from k8slab.state.mirror import ClusterState


@dataclass(frozen=True, slots=True)
class ActionOutcome:
    """What an action did.

    Attributes:
        ok: whether it succeeded.
        message: what happened, in kubectl's words where it has them, or why it failed.
        hint: what to do about a failure ("" when none).
        applied: for `apply`, each object's outcome.
    """

    ok: bool
    message: str
    action: Action | None = None
    hint: str = ""
    applied: tuple[AppliedObject, ...] = ()

    def __str__(self) -> str:
        return self.message + (f" (hint: {self.hint})" if self.hint and not self.ok else "")


class ActionFailed(K8slabError):
    """An action ran but did not do what it had to (e.g. exec output lacked `expect`)."""


@dataclass
class _Done:
    message: str
    applied: tuple[AppliedObject, ...] = ()
    objects: tuple[str, ...] = ()  # "Kind/name" of what the action deleted or created
    extra: dict[str, Any] = field(default_factory=dict)


class ActionRunner:
    """Runs actions against a cluster, keeping a ClusterState up to date while it waits.

    Args:
        cluster: the backend.
        lesson: the lesson whose manifests and quiz the actions refer to.
        state: the mirror fed by `stream`; the runner records exec and action transitions in
            its History.
        answers: quiz answers, question id -> choice; `answer` actions write here.
        stream: the watch stream feeding `state`. The runner drains it during waits and after
            each action. When None, the runner starts its own watch at once. Whoever else
            drains the same stream into `state` must hold `runner.lock` while doing so.

    Thread-safety: call from one worker thread at a time; `lock` guards `state`.
    """

    def __init__(self, cluster: Cluster, lesson: Lesson, state: ClusterState, *,
                 answers: dict[str, int] | None = None, stream: EventStream | None = None
                 ) -> None:
        self.cluster = cluster
        self.lesson = lesson
        self.state = state
        self.answers: dict[str, int] = answers if answers is not None else {}
        self.lock = threading.RLock()
        # Watch from the start, so History sees every change the actions cause.
        self._stream = stream if stream is not None else self._open_watch()
        self._handlers: dict[str, Callable[[dict[str, Any]], _Done]] = {
            "apply": self._apply,
            "delete": self._delete,
            "delete-manifest": self._delete_manifest,
            "scale": self._scale,
            "delete-pod": self._delete_pod,
            "label-node": self._label_node,
            "unlabel-node": self._unlabel_node,
            "taint-node": self._taint_node,
            "untaint-node": self._untaint_node,
            "add-node": self._add_node,
            "remove-node": self._remove_node,
            "set-image": self._set_image,
            "rollout-undo": self._rollout_undo,
            "patch": self._patch,
            "exec": self._exec,
            "trigger-cronjob": self._trigger_cronjob,
            "suspend-cronjob": lambda p: self._suspend(p, True),
            "resume-cronjob": lambda p: self._suspend(p, False),
            "advance-clock": lambda p: _Done(clock.advance(self, p)),
            "wait": lambda p: _Done(clock.wait(self, p)),
            "answer": self._answer,
        }

    @property
    def namespace(self) -> str:
        return self.cluster.namespace

    # -- the watch --------------------------------------------------------------------------
    @property
    def stream(self) -> EventStream:
        return self._stream

    def _open_watch(self) -> EventStream:
        """The runner's own watch. The protocol's watch covers the lab namespace; a lesson
        whose manifests stay in another namespace (log-collector in kube-system) needs that
        namespace watched too, which the sim offers as `watch_all` (a real cluster's backend
        moves such objects into the lab namespace instead)."""
        others = {o.namespace(obj) for m in self.lesson.manifests.values() for obj in m.objects
                  if o.namespace(obj) and o.namespace(obj) != self.namespace}
        watch_all = getattr(self.cluster, "watch_all", None)
        if others and watch_all is not None and self.cluster.backend == "sim":
            return watch_all(WATCHED_KINDS)
        return self.cluster.watch()

    def sync(self) -> int:
        """Fold every pending watch event into the state; returns how many there were."""
        with self.lock:
            events = self.stream.drain()
            self.state.apply_all(events)
            # Time passes on the cluster even when nothing changes (a TTL counting down).
            self.state.now = max(self.state.now, self.cluster.now())
            return len(events)

    def settle(self, timeout: float = 15.0) -> None:
        """Wait until the state holds every object the cluster lists (the watch's initial
        list has arrived), or `timeout` seconds of cluster time have passed."""
        clock.settle(self, timeout)

    # -- running ----------------------------------------------------------------------------
    def run(self, action: Action) -> ActionOutcome:
        """Carry out one action. Never raises for a cluster or lesson problem."""
        handler = self._handlers.get(action.kind)
        params = _render(action.params, self.namespace)
        with self.lock:
            try:
                if handler is None:
                    raise K8slabError(f"k8slab cannot run action {action.kind!r}",
                                      "update k8slab, or fix the lesson file")
                done = handler(params)
                outcome = ActionOutcome(True, done.message, action, applied=done.applied)
            except K8slabError as err:
                done = _Done(err.message)
                outcome = ActionOutcome(False, err.message, action, hint=err.hint or "")
            self._record(action, outcome, done)
            # A watch hiccup here is reported by the next sync; the action's outcome stands.
            with contextlib.suppress(ClusterError):
                self.sync()
        return outcome

    def run_all(self, actions: Iterable[Action]) -> list[ActionOutcome]:
        """Run actions in order, stopping after the first failure."""
        out: list[ActionOutcome] = []
        for action in actions:
            outcome = self.run(action)
            out.append(outcome)
            if not outcome.ok:
                break
        return out

    def run_solution(self, step: Step) -> list[ActionOutcome]:
        """Run one step's reference solution, stopping at the first failure."""
        return self.run_all(step.solution)

    def solve(self, lesson: Lesson | None = None) -> list[ActionOutcome]:
        """Run every step's reference solution in order, stopping at the first failing
        action, and answer every quiz question correctly (whatever the actions did)."""
        lesson = lesson or self.lesson
        self.answer_all(lesson)
        out: list[ActionOutcome] = []
        for step in lesson.steps:
            done = self.run_solution(step)
            out.extend(done)
            if done and not done[-1].ok:
                break
        return out

    def answer_all(self, lesson: Lesson | None = None) -> None:
        """Answer every quiz question of the checklist correctly."""
        for item in (lesson or self.lesson).checklist:
            for q in item.quiz:
                self.answers[q.id] = q.answer

    def _record(self, action: Action, outcome: ActionOutcome, done: _Done) -> None:
        try:
            now = self.cluster.now()
        except ClusterError:
            now = self.state.now
        self.state.history.record(
            now, "Lab", self.lesson.id, "action", namespace=self.namespace,
            action=action.kind, params=dict(action.params), ok=outcome.ok,
            message=outcome.message, objects=list(done.objects), **done.extra)

    # -- objects ----------------------------------------------------------------------------
    def manifest_objects(self, name: str) -> list[dict[str, Any]]:
        """A lesson manifest's objects, with `{{namespace}}` placeholders filled in.

        Raises:
            K8slabError: the lesson has no such manifest.
        """
        manifest = self.lesson.manifests.get(name)
        if manifest is None:
            known = ", ".join(sorted(self.lesson.manifests)) or "none"
            raise K8slabError(f"lesson {self.lesson.id} has no manifest {name!r}",
                              f"its manifests: {known}")
        return [_render(copy.deepcopy(obj), self.namespace) for obj in manifest.objects]

    def _apply(self, p: dict[str, Any]) -> _Done:
        objects = self.manifest_objects(p["manifest"])
        applied = tuple(self.cluster.apply(objects))
        return _Done("\n".join(str(a) for a in applied) or f"{p['manifest']}: nothing to apply",
                     applied, tuple(f"{a.kind}/{a.name}" for a in applied))

    def _delete(self, p: dict[str, Any]) -> _Done:
        kind = kind_of(p["kind"]).kind
        self.cluster.delete(kind, p["name"], p.get("namespace"))
        return _Done(f'{_resource(kind)} "{p["name"]}" deleted', objects=(f"{kind}/{p['name']}",))

    def _delete_manifest(self, p: dict[str, Any]) -> _Done:
        lines, gone = [], []
        for obj in reversed(self.manifest_objects(p["manifest"])):
            kind, name = str(obj.get("kind", "")), o.name(obj)
            try:
                self.cluster.delete(kind, name, o.namespace(obj) or None)
                lines.append(f'{_resource(kind)} "{name}" deleted')
                gone.append(f"{kind}/{name}")
            except NotFound:
                lines.append(f'{_resource(kind)} "{name}" was already gone')
        return _Done("\n".join(reversed(lines)), objects=tuple(gone))

    def _scale(self, p: dict[str, Any]) -> _Done:
        kind = kind_of(p.get("kind") or "StatefulSet").kind
        self.cluster.scale(kind, p["name"], int(p["replicas"]))
        return _Done(f"{_resource(kind)}/{p['name']} scaled to {p['replicas']}")

    def _delete_pod(self, p: dict[str, Any]) -> _Done:
        name = p.get("name")
        if not name:
            selector = p.get("selector")
            if not selector:
                raise K8slabError("delete-pod needs a pod name or a selector")
            pods = sorted((pod for pod in self.cluster.list("Pod", label_selector=selector)
                           if not o.dig(pod, "metadata.deletionTimestamp")), key=o.name)
            if not pods:
                raise NotFound(f"No running pod matches {selector} in namespace "
                               f"{self.namespace}.", "apply the workload first")
            name = o.name(pods[0])
        self.cluster.delete("Pod", name)
        return _Done(f'pod "{name}" deleted', objects=(f"Pod/{name}",))

    def _patch(self, p: dict[str, Any]) -> _Done:
        kind = kind_of(p["kind"]).kind
        self.cluster.patch(kind, p["name"], p["patch"], patch_type=p.get("type") or "strategic")
        return _Done(f"{_resource(kind)}/{p['name']} patched")

    def _set_image(self, p: dict[str, Any]) -> _Done:
        kind = kind_of(p["kind"]).kind
        name, container, image = p["name"], p["container"], p["image"]
        obj = self.cluster.get(kind, name)
        spec = o.dig(obj, "spec.template.spec", {}) or {}
        names = [c.get("name") for c in spec.get("containers") or []]
        if container not in names:
            raise NotFound(f'{_resource(kind)}/{name} has no container named "{container}"',
                           f"its containers: {', '.join(map(str, names)) or 'none'}")
        patch = {"spec": {"template": {"spec": {"containers": [
            {"name": container, "image": image}]}}}}
        self.cluster.patch(kind, name, patch, patch_type="strategic")
        return _Done(f"{_resource(kind)}/{name} image updated: {container}={image}")

    def _rollout_undo(self, p: dict[str, Any]) -> _Done:
        kind = kind_of(p.get("kind") or "DaemonSet").kind
        undo = getattr(self.cluster, "rollout_undo", None)
        if undo is None:
            raise ClusterError(f"the {self.cluster.backend} backend cannot undo a rollout",
                               reason="Unsupported")
        result = undo(kind, p["name"])
        if isinstance(result, str) and result:
            return _Done(result)
        to = f" to revision {result}" if isinstance(result, int) else ""
        return _Done(f"{_resource(kind)}/{p['name']} rolled back{to}")

    # -- nodes ------------------------------------------------------------------------------
    def _label_node(self, p: dict[str, Any]) -> _Done:
        node = p.get("node") or nodes.first_worker(self.cluster)
        self.cluster.patch("Node", node, nodes.label_patch(p["labels"]), patch_type="merge")
        shown = ",".join(f"{k}={v}" for k, v in p["labels"].items())
        return _Done(f"node/{node} labeled {shown}")

    def _unlabel_node(self, p: dict[str, Any]) -> _Done:
        keys = [str(k) for k in p["keys"]]
        if p.get("node"):
            targets = [p["node"]]
        else:
            targets = [o.name(n) for n in self.cluster.list("Node")
                       if any(k in o.labels(n) for k in keys)]
            if not targets:
                return _Done(f"no node has label {', '.join(keys)}")
        for node in targets:
            self.cluster.patch("Node", node, nodes.unlabel_patch(keys), patch_type="merge")
        return _Done(f"node/{', '.join(targets)} unlabeled {','.join(k + '-' for k in keys)}")

    def _taint_node(self, p: dict[str, Any]) -> _Done:
        node = self.cluster.get("Node", p["node"])
        effect = p.get("effect") or "NoSchedule"
        patch = nodes.taint_patch(node, p["key"], p.get("value"), effect)
        self.cluster.patch("Node", p["node"], patch, patch_type="merge")
        value = f"={p['value']}" if p.get("value") else ""
        return _Done(f"node/{p['node']} tainted {p['key']}{value}:{effect}")

    def _untaint_node(self, p: dict[str, Any]) -> _Done:
        node = self.cluster.get("Node", p["node"])
        patch, removed = nodes.untaint_patch(node, p["key"])
        if not removed:
            raise NotFound(f'node/{p["node"]} has no taint "{p["key"]}"',
                           "kubectl describe node shows its taints")
        self.cluster.patch("Node", p["node"], patch, patch_type="merge")
        return _Done(f"node/{p['node']} untainted {p['key']}-")

    def _node_editor(self, method: str) -> Callable[..., Any]:
        fn = getattr(self.cluster, method, None)
        if fn is None or not self.cluster.capabilities.edit_nodes:
            raise ClusterError(
                f"{method.replace('_', ' ')} works only on the embedded sim; a real cluster's "
                f"nodes come from its own tooling", "with minikube: minikube node add",
                reason="Unsupported")
        return fn

    def _add_node(self, p: dict[str, Any]) -> _Done:
        add = self._node_editor("add_node")
        add(p["name"], labels=dict(p.get("labels") or {}), cpu=str(p.get("cpu") or "4"),
            memory=str(p.get("memory") or "8Gi"))
        return _Done(f"node/{p['name']} added")

    def _remove_node(self, p: dict[str, Any]) -> _Done:
        self._node_editor("remove_node")(p["name"])
        return _Done(f"node/{p['name']} removed")

    # -- pods and cronjobs ------------------------------------------------------------------
    def _exec(self, p: dict[str, Any]) -> _Done:
        pod, command = p["pod"], [str(c) for c in p["command"]]
        uid = o.uid(self.cluster.get("Pod", pod))
        result = self.cluster.exec(pod, command, container=p.get("container"))
        now = self.cluster.now()
        self.state.history.record(now, "Pod", pod, "exec", namespace=self.namespace, uid=uid,
                                  command=command, stdout=result.stdout, stderr=result.stderr,
                                  exit_code=result.exit_code)
        shown = " ".join(command)
        output = result.stdout.rstrip("\n")
        if not result.ok:
            why = (result.stderr or result.stdout).strip()
            raise ActionFailed(f"{pod}: `{shown}` exited with {result.exit_code}"
                               + (f": {why}" if why else ""))
        expect = p.get("expect")
        if expect and expect not in result.stdout:
            raise ActionFailed(f"{pod}: the output of `{shown}` does not contain {expect!r}"
                               + (f" (it printed {output[:120]!r})" if output else
                                  " (it printed nothing)"))
        return _Done(output or f"{pod}: `{shown}` done")

    def _trigger_cronjob(self, p: dict[str, Any]) -> _Done:
        cj, name = self.cluster.get("CronJob", p["cronjob"]), p["job"]
        try:
            self.cluster.get("Job", name)
        except NotFound:
            pass
        else:
            raise ClusterError(f'jobs.batch "{name}" already exists',
                               "choose another name for the manual Job", reason="AlreadyExists")
        applied = tuple(self.cluster.apply([job_from_cronjob(cj, name)]))
        return _Done(f"job.batch/{name} created", applied, (f"Job/{name}",))

    def _suspend(self, p: dict[str, Any], suspend: bool) -> _Done:
        self.cluster.patch("CronJob", p["cronjob"], {"spec": {"suspend": suspend}},
                           patch_type="merge")
        return _Done(f"cronjob.batch/{p['cronjob']} {'suspended' if suspend else 'resumed'}")

    def _answer(self, p: dict[str, Any]) -> _Done:
        question = self._question(str(p["item"]))
        choice = p.get("choice")
        if choice is None:
            choice = question.answer
        choice = int(choice)
        if not 0 <= choice < len(question.choices):
            raise K8slabError(f"question {question.id} has no choice {choice}",
                              f"choose 0 to {len(question.choices) - 1}")
        self.answers[question.id] = choice
        return _Done(f"answered {question.id}: {question.choices[choice]}")

    def _question(self, ref: str) -> Question:
        for item in self.lesson.checklist:
            for q in item.quiz:
                if q.id == ref:
                    return q
            if item.id == ref and len(item.quiz) == 1:
                return item.quiz[0]
            if item.id == ref and item.quiz:
                raise K8slabError(f"checklist item {ref} has {len(item.quiz)} questions",
                                  "name the question by its id")
        raise K8slabError(f"lesson {self.lesson.id} has no quiz question {ref!r}")


def _resource(kind: str) -> str:
    """kubectl's name for a kind: `statefulset.apps`, `job.batch`, `pod`."""
    k = kind_of(kind)
    group = k.group.split(".")[0] if k.group else ""
    return f"{k.kind.lower()}.{group}" if group else k.kind.lower()


def _render(value: Any, namespace: str) -> Any:
    """Fill `{{namespace}}` placeholders in every string of a manifest or action."""
    if isinstance(value, str):
        return render_text(value, namespace=namespace) if "{{" in value else value
    if isinstance(value, Mapping):
        return {k: _render(v, namespace) for k, v in value.items()}
    if isinstance(value, list):
        return [_render(v, namespace) for v in value]
    return value
