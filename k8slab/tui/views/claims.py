"""PersistentVolumeClaims per replica: which ordinal owns each claim, whether it is bound, and
which claims outlived their pod after a scale-down."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from k8slab.cluster import objects as o
from k8slab.state.mirror import ClusterState
from k8slab.tui.views.tones import Tone


@dataclass(frozen=True, slots=True)
class ClaimRow:
    """One PVC and the replica it belongs to."""

    name: str
    phase: str
    tone: Tone
    capacity: str
    storage_class: str
    volume: str
    statefulset: str  # "" when the claim is not a StatefulSet's
    ordinal: int | None
    pod: str  # the pod using it now, "" if none
    retained: bool  # the replica was scaled away (or the set deleted) but the claim was kept

    @property
    def owner(self) -> str:
        if self.statefulset and self.ordinal is not None:
            return f"{self.statefulset}-{self.ordinal}"
        return ""

    @property
    def sort_key(self) -> tuple[str, int, str]:
        return (self.statefulset or "~", self.ordinal if self.ordinal is not None else -1,
                self.name)


def _templates(state: ClusterState) -> list[tuple[str, str, int]]:
    """(template name, set name, replicas) for every claim template of every StatefulSet."""
    out = []
    for sts in state.list("StatefulSet"):
        replicas = int(o.dig(sts, "spec.replicas", 1) or 0)
        for tpl in o.dig(sts, "spec.volumeClaimTemplates", []) or []:
            out.append((o.name(tpl), o.name(sts), replicas))
    return out


def _claim_owner(claim_name: str, templates: list[tuple[str, str, int]]
                 ) -> tuple[str, int | None, int]:
    # StatefulSet claims are named <template>-<set>-<ordinal>; the longest match wins so
    # `data-db-0` is not mistaken for template `data-d`'s.
    best: tuple[str, int | None, int] = ("", None, 0)
    best_len = -1
    for tpl, sts, replicas in templates:
        prefix = f"{tpl}-"
        if claim_name.startswith(prefix):
            n = o.ordinal(claim_name[len(prefix):], sts)
            if n is not None and len(tpl) + len(sts) > best_len:
                best, best_len = (sts, n, replicas), len(tpl) + len(sts)
    return best


def _using_pods(state: ClusterState) -> dict[str, str]:
    out: dict[str, str] = {}
    for pod in state.list("Pod"):
        if o.dig(pod, "metadata.deletionTimestamp"):
            continue
        for vol in o.dig(pod, "spec.volumes", []) or []:
            claim = (vol.get("persistentVolumeClaim") or {}).get("claimName")
            if claim:
                out[claim] = o.name(pod)
    return out


def claim_rows(state: ClusterState) -> list[ClaimRow]:
    """Every PVC in the lab namespace, grouped by StatefulSet and ordinal."""
    templates = _templates(state)
    known_sets = {sts for _, sts, _ in templates}
    using = _using_pods(state)
    rows = []
    for pvc in state.list("PersistentVolumeClaim"):
        name = o.name(pvc)
        sts, ordinal, replicas = _claim_owner(name, templates)
        if not sts:
            sts, ordinal = _orphan_owner(pvc)
        phase = str(o.dig(pvc, "status.phase", "Pending") or "Pending")
        retained = bool(sts) and ordinal is not None and (
            sts not in known_sets or ordinal >= replicas)
        rows.append(ClaimRow(
            name=name, phase=phase, tone=_tone(phase, pvc),
            capacity=str(o.dig(pvc, "status.capacity.storage", "")
                         or o.dig(pvc, "spec.resources.requests.storage", "") or ""),
            storage_class=str(o.dig(pvc, "spec.storageClassName", "") or ""),
            volume=str(o.dig(pvc, "spec.volumeName", "") or ""),
            statefulset=sts, ordinal=ordinal, pod=using.get(name, ""), retained=retained))
    return sorted(rows, key=lambda r: r.sort_key)


def _orphan_owner(pvc: dict[str, Any]) -> tuple[str, int | None]:
    """A claim whose StatefulSet is gone still says which set made it, through its labels
    (the controller copies the set's selector labels) and its `<tpl>-<set>-<n>` name."""
    name = o.name(pvc)
    head, _, tail = name.rpartition("-")
    if not tail.isdigit() or "-" not in head:
        return "", None
    return head.split("-", 1)[1], int(tail)


def _tone(phase: str, pvc: dict[str, Any]) -> Tone:
    if o.dig(pvc, "metadata.deletionTimestamp"):
        return "gone"
    tones: dict[str, Tone] = {"Bound": "ok", "Pending": "wait", "Lost": "bad"}
    return tones.get(phase, "wait")
