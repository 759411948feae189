"""The learner's side of a workshop: what `k8slab run` and `k8slab check` do on `--kube` when
the lab namespace is a workshop learner's.

- `detect` asks the namespace's labels once whether it belongs to a workshop;
- `LearnerWorkshop` says, per step, how it runs here and which actions the learner may not
  run (`k8slab.workshop.adapt` decides; this applies it to buttons and keys);
- `merge_progress` joins the progress saved on this machine with the record in the
  namespace's `k8slab-progress` ConfigMap, so a learner who changes laptops, or answered a
  quiz through `check`, keeps their answers, and a fresh start never overwrites them.

Headless: no textual, and `kubernetes` only through the cluster given.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from k8slab.actions import Action
from k8slab.cluster.protocol import Cluster
from k8slab.lessons.model import Lesson
from k8slab.progress import Progress
from k8slab.workshop.adapt import StepView, adapt_lesson, demo_items
from k8slab.workshop.progress_store import Membership, ProgressRecord, membership

OK = StepView("ok")
NODES_ARE_SHARED = ("the nodes are shared by the whole workshop: only the instructor may "
                    "change them")


@dataclass(frozen=True, slots=True)
class LearnerWorkshop:
    """A workshop learner's lab: who they are and how each step of the lesson runs for them.

    Attributes:
        workshop: the workshop's name (`ws-day10`).
        learner: the learner's name (`ana`).
        views: step id → StepView (`ok`, `rewritten` or `demo`, a reason, `earnable`).
        demo_items: checklist items no learner can earn here; the instructor shows them.
    """

    workshop: str
    learner: str
    views: Mapping[str, StepView] = field(default_factory=dict)
    demo_items: frozenset[str] = frozenset()

    @classmethod
    def for_lesson(cls, member: Membership, lesson: Lesson) -> LearnerWorkshop:
        return cls(member.workshop, member.learner, adapt_lesson(lesson),
                   frozenset(demo_items(lesson)))

    def view(self, step_id: str) -> StepView:
        """How the step runs for this learner (`ok` for a step the lesson does not have)."""
        return self.views.get(step_id, OK)

    def blocked(self, step_id: str, action: Action) -> str:
        """Why the learner may not run `action` (of step `step_id`) here; "" if they may.

        Changing nodes is always the instructor's. In a demo step the learner can still earn
        (node labels) everything else stays: they apply their own DaemonSet and watch it
        react. In a demo step they cannot earn, nothing runs: the namespace would refuse it.
        """
        if action.spec.cluster_admin:
            return NODES_ARE_SHARED
        view = self.view(step_id)
        if view.mode == "demo" and not view.earnable:
            return view.reason
        return ""


def detect(cluster: Cluster, lesson: Lesson) -> LearnerWorkshop | None:
    """The workshop the lab namespace belongs to, or None (the sim, or an ordinary
    namespace). One GET of the namespace; never raises."""
    if cluster.backend != "kube":
        return None
    member = membership(cluster)
    return LearnerWorkshop.for_lesson(member, lesson) if member is not None else None


def merge_progress(local: Progress, record: ProgressRecord | None) -> Progress:
    """`local` joined with what the namespace's ConfigMap holds.

    Answers, passed items and finished steps are united; where both have an answer to one
    question, and for the current step, the more recently saved side wins (`local.updated`
    against `record.saved`; a fresh local progress has 0, so the record wins). `local` is
    changed in place and returned.
    """
    if record is None or record.lesson != local.lesson:
        return local
    remote_newer = record.saved > local.updated
    answers = record.answers
    if remote_newer:
        local.answers.update(answers)
    else:
        for question, choice in answers.items():
            local.answers.setdefault(question, choice)
    for item, at in record.passed.items():
        local.passed.setdefault(item, at)
    done = record.progress.get("steps_done")
    if isinstance(done, list):
        local.steps_done.update(s for s in done if isinstance(s, str))
    if record.step and (remote_newer or local.step is None):
        local.step = record.step
    return local
