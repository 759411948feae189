"""ActionRunner: carries out lesson actions against any `Cluster`.

The TUI's buttons, `k8slab check --solve` and the tests all go through `ActionRunner.run()`.
Every action returns an `ActionOutcome` and is recorded in History as an `action` transition
on the lab; a failure is the cluster's clear message, never a traceback.
"""

from __future__ import annotations

import contextlib
import copy
import threading
from collections.abc import Callable, Iterable
from typing import Any

from k8slab.actions import Action
from k8slab.cluster import objects as o
from k8slab.cluster.kinds import WATCHED_KINDS, kind_of
from k8slab.cluster.protocol import Cluster, EventStream
from k8slab.errors import ClusterError, K8slabError, NotFound
from k8slab.lessons.model import Lesson, Question, Step
from k8slab.runner import clock, cronjob, nodes
from k8slab.runner.outcome import (
    CLUSTER_LIMITS,
    ActionFailed,
    ActionOutcome,
    Done,
    render,
    resource_name,
)
from k8slab.state.mirror import ClusterState


def open_watch(cluster: Cluster, lesson: Lesson) -> EventStream:
    """The watch a lab needs: the protocol's (the lab namespace and cluster-scoped kinds), or
    on the sim every namespace when the lesson's manifests stay in another one (log-collector
    in kube-system). A real cluster's backend moves such objects into the lab namespace."""
    ns = cluster.namespace
    others = {o.namespace(obj) for m in lesson.manifests.values() for obj in m.objects
              if o.namespace(obj) and o.namespace(obj) != ns}
    watch_all = getattr(cluster, "watch_all", None)
    if others and watch_all is not None and cluster.backend == "sim":
        return watch_all(WATCHED_KINDS)
    return cluster.watch()


class ActionRunner:
    """Runs actions against a cluster, keeping a ClusterState up to date while it waits.

    Args:
        cluster: the backend.
        lesson: the lesson whose manifests and quiz the actions refer to.
        state: the mirror fed by `stream`; the runner records exec and action transitions in
            its History.
        answers: quiz answers, question id -> choice; `answer` actions write here.
        stream: the watch stream feeding `state`. The runner drains it during waits and after
            each action. When None, the runner starts its own (`open_watch`). Whoever else
            drains the same stream into `state` must hold `runner.lock` while doing so.

    Thread-safety: actions run one at a time (a second caller waits); `lock` guards `state`
    and is held only while the runner reads or changes it, never across a cluster call.
    """

    def __init__(self, cluster: Cluster, lesson: Lesson, state: ClusterState, *,
                 answers: dict[str, int] | None = None, stream: EventStream | None = None
                 ) -> None:
        self.cluster = cluster
        self.lesson = lesson
        self.state = state
        self.answers: dict[str, int] = answers if answers is not None else {}
        self.lock = threading.RLock()
        self._serial = threading.Lock()
        # Watch from the start, so History sees every change the actions cause.
        self._stream = stream if stream is not None else open_watch(cluster, lesson)
        self._handlers: dict[str, Callable[[dict[str, Any]], Done]] = {
            "apply": self._apply,
            "delete": self._delete,
            "delete-manifest": self._delete_manifest,
            "scale": self._scale,
            "delete-pod": self._delete_pod,
            "label-node": lambda p: Done(nodes.label(self.cluster, p)),
            "unlabel-node": lambda p: Done(nodes.unlabel(self.cluster, p)),
            "taint-node": lambda p: Done(nodes.taint(self.cluster, p)),
            "untaint-node": lambda p: Done(nodes.untaint(self.cluster, p)),
            "add-node": lambda p: Done(nodes.add(self.cluster, p)),
            "remove-node": lambda p: Done(nodes.remove(self.cluster, p)),
            "set-image": self._set_image,
            "rollout-undo": self._rollout_undo,
            "patch": self._patch,
            "exec": self._exec,
            "trigger-cronjob": lambda p: cronjob.trigger(self.cluster, p),
            "suspend-cronjob": lambda p: cronjob.suspend(self.cluster, p["cronjob"], True),
            "resume-cronjob": lambda p: cronjob.suspend(self.cluster, p["cronjob"], False),
            "advance-clock": lambda p: Done(clock.advance(self, p)),
            "wait": lambda p: Done(clock.wait(self, p)),
            "answer": self._answer,
        }

    @property
    def namespace(self) -> str:
        return self.cluster.namespace

    # -- the watch --------------------------------------------------------------------------
    @property
    def stream(self) -> EventStream:
        return self._stream

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
        params = render(action.params, self.namespace)
        # One action at a time; `lock` is held only while the state is touched, so a UI can
        # keep draining the watch while an action waits on the cluster.
        with self._serial:
            try:
                if handler is None:
                    raise K8slabError(f"k8slab cannot run action {action.kind!r}",
                                      "update k8slab, or fix the lesson file")
                done = handler(params)
                outcome = ActionOutcome(True, done.message, action, applied=done.applied)
            except K8slabError as err:
                done = Done(err.message)
                limit = getattr(err, "reason", "") in CLUSTER_LIMITS
                outcome = ActionOutcome(False, err.message, action, hint=err.hint or "",
                                        skipped=limit)
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
        """Run every step's reference solution in order and answer every quiz question
        correctly (whatever the actions did).

        A failing action stops the solve, except one this cluster cannot do at all
        (`ActionOutcome.skipped`): that skips the rest of its step only, so the items that
        need it fail honestly while the rest of the lesson is still graded.
        """
        lesson = lesson or self.lesson
        self.answer_all(lesson)
        out: list[ActionOutcome] = []
        for step in lesson.steps:
            done = self.run_solution(step)
            out.extend(done)
            if done and not done[-1].ok and not done[-1].skipped:
                break
        return out

    def answer_all(self, lesson: Lesson | None = None) -> None:
        """Answer every quiz question of the checklist correctly."""
        for item in (lesson or self.lesson).checklist:
            for q in item.quiz:
                self.answers[q.id] = q.answer

    def _record(self, action: Action, outcome: ActionOutcome, done: Done) -> None:
        try:
            now = self.cluster.now()
        except ClusterError:
            now = self.state.now
        with self.lock:
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
        return [render(copy.deepcopy(obj), self.namespace) for obj in manifest.objects]

    def _apply(self, p: dict[str, Any]) -> Done:
        objects = self.manifest_objects(p["manifest"])
        applied = tuple(self.cluster.apply(objects))
        return Done("\n".join(str(a) for a in applied) or f"{p['manifest']}: nothing to apply",
                     applied, tuple(f"{a.kind}/{a.name}" for a in applied))

    def _delete(self, p: dict[str, Any]) -> Done:
        kind = kind_of(p["kind"]).kind
        self.cluster.delete(kind, p["name"], p.get("namespace"))
        return Done(f'{resource_name(kind)} "{p["name"]}" deleted',
                    objects=(f"{kind}/{p['name']}",))

    def _delete_manifest(self, p: dict[str, Any]) -> Done:
        lines, gone = [], []
        for obj in reversed(self.manifest_objects(p["manifest"])):
            kind, name = str(obj.get("kind", "")), o.name(obj)
            try:
                self.cluster.delete(kind, name, o.namespace(obj) or None)
                lines.append(f'{resource_name(kind)} "{name}" deleted')
                gone.append(f"{kind}/{name}")
            except NotFound:
                lines.append(f'{resource_name(kind)} "{name}" was already gone')
        return Done("\n".join(reversed(lines)), objects=tuple(gone))

    def _scale(self, p: dict[str, Any]) -> Done:
        kind = kind_of(p.get("kind") or "StatefulSet").kind
        self.cluster.scale(kind, p["name"], int(p["replicas"]))
        return Done(f"{resource_name(kind)}/{p['name']} scaled to {p['replicas']}")

    def _delete_pod(self, p: dict[str, Any]) -> Done:
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
        with self.lock:
            uid = o.uid(self.state.get("Pod", name) or {})
        self.cluster.delete("Pod", name)
        self._until_deletion_seen(name, uid)
        return Done(f'pod "{name}" deleted', objects=(f"Pod/{name}",))

    def _until_deletion_seen(self, name: str, uid: str, timeout: float = 10.0) -> None:
        """Wait until the state shows the pod terminating, gone or replaced. A real cluster's
        watch shows the deletion a moment after the API answered (the sim's at once); until
        then a following wait would still see the old pod Ready."""
        deadline = self.cluster.now() + timeout
        while True:
            with self.lock:
                self.sync()
                pod = self.state.get("Pod", name)
            if pod is None or o.uid(pod) != uid or o.dig(pod, "metadata.deletionTimestamp"):
                return
            now = self.cluster.now()
            if now >= deadline:
                return
            self.cluster.pump(min(deadline, now + 0.5))

    def _patch(self, p: dict[str, Any]) -> Done:
        kind = kind_of(p["kind"]).kind
        self.cluster.patch(kind, p["name"], p["patch"], patch_type=p.get("type") or "strategic")
        return Done(f"{resource_name(kind)}/{p['name']} patched")

    def _set_image(self, p: dict[str, Any]) -> Done:
        kind = kind_of(p["kind"]).kind
        name, container, image = p["name"], p["container"], p["image"]
        obj = self.cluster.get(kind, name)
        spec = o.dig(obj, "spec.template.spec", {}) or {}
        names = [c.get("name") for c in spec.get("containers") or []]
        if container not in names:
            raise NotFound(f'{resource_name(kind)}/{name} has no container named "{container}"',
                           f"its containers: {', '.join(map(str, names)) or 'none'}")
        patch = {"spec": {"template": {"spec": {"containers": [
            {"name": container, "image": image}]}}}}
        self.cluster.patch(kind, name, patch, patch_type="strategic")
        return Done(f"{resource_name(kind)}/{name} image updated: {container}={image}")

    def _rollout_undo(self, p: dict[str, Any]) -> Done:
        kind = kind_of(p.get("kind") or "DaemonSet").kind
        undo = getattr(self.cluster, "rollout_undo", None)
        if undo is None:
            raise ClusterError(f"the {self.cluster.backend} backend cannot undo a rollout",
                               reason="Unsupported")
        result = undo(kind, p["name"])
        if isinstance(result, str) and result:
            return Done(result)
        to = f" to revision {result}" if isinstance(result, int) else ""
        return Done(f"{resource_name(kind)}/{p['name']} rolled back{to}")

    # -- pods and cronjobs ------------------------------------------------------------------
    def _exec(self, p: dict[str, Any]) -> Done:
        pod, command = p["pod"], [str(c) for c in p["command"]]
        uid = o.uid(self.cluster.get("Pod", pod))
        result = self.cluster.exec(pod, command, container=p.get("container"))
        now = self.cluster.now()
        with self.lock:
            self.state.history.record(now, "Pod", pod, "exec", namespace=self.namespace,
                                      uid=uid, command=command, stdout=result.stdout,
                                      stderr=result.stderr, exit_code=result.exit_code)
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
        return Done(output or f"{pod}: `{shown}` done")

    def _answer(self, p: dict[str, Any]) -> Done:
        question = self._question(str(p["item"]))
        choice = p.get("choice")
        if choice is None:
            choice = question.answer
        choice = int(choice)
        if not 0 <= choice < len(question.choices):
            raise K8slabError(f"question {question.id} has no choice {choice}",
                              f"choose 0 to {len(question.choices) - 1}")
        self.answers[question.id] = choice
        return Done(f"answered {question.id}: {question.choices[choice]}")

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
