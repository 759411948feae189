"""A workshop provisioned on the real control plane for learner-side tests: `k8slab workshop
create`'s objects and kubeconfigs, removed again by `k8slab workshop delete`."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from k8slab.cli import main
from k8slab.lessons import load_lesson
from k8slab.lessons.model import Lesson
from k8slab.workshop.admin import AdminClient
from k8slab.workshop.kubeconfig import parse_duration
from k8slab.workshop.progress_store import ProgressRecord, parse_record
from k8slab.workshop.provision import create_workshop
from tests.controlplane.plane import ControlPlane


@dataclass
class Provisioned:
    """Workshop `name` for lesson `lesson_id`; each learner's kubeconfig is in `out`."""

    cp: ControlPlane
    name: str
    lesson: Lesson
    admin: AdminClient
    out: Path

    def ns(self, learner: str) -> str:
        return f"{self.name}-{learner}"

    def kubeconfig(self, learner: str) -> str:
        return str(self.out / f"{learner}.kubeconfig")

    def client(self, learner: str) -> AdminClient:
        """REST access with the learner's own kubeconfig (not an admin, despite the class)."""
        return AdminClient(kubeconfig=self.kubeconfig(learner))

    def record(self, learner: str, lesson_id: str) -> ProgressRecord | None:
        """The learner's progress record, read with the instructor's credentials."""
        configmap = self.admin.get("ConfigMap", "k8slab-progress", self.ns(learner))
        return parse_record(configmap, lesson_id)


@contextmanager
def provisioned(cp: ControlPlane, out: Path, learners: list[str],
                lesson_id: str = "day10") -> Iterator[Provisioned]:
    name = f"wl{secrets.token_hex(2)}"
    admin = AdminClient(kubeconfig=str(cp.kubeconfig))
    lesson = load_lesson(lesson_id)
    create_workshop(admin, lesson, name, learners, out, parse_duration("1h"))
    try:
        yield Provisioned(cp, name, lesson, admin, out)
    finally:
        main(["workshop", "delete", "--name", name, "--kubeconfig", str(cp.kubeconfig)])
        admin.close()
