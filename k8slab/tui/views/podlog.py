"""Pod transitions indexed by owner, kept up to date by subscribing to the History.

The timeline and the coverage grid ask "what happened to StatefulSet/web's pods" every frame;
scanning the whole history each time would cost more the longer the lab runs. This index costs
one append per transition.
"""

from __future__ import annotations

from collections import defaultdict

from k8slab.state.history import History, Transition


class PodLog:
    """Every Pod transition, grouped by controlling owner (`StatefulSet/web`) and by pod name."""

    def __init__(self, history: History | None = None) -> None:
        self.by_owner: dict[str, list[Transition]] = defaultdict(list)
        self.by_name: dict[str, list[Transition]] = defaultdict(list)
        if history is not None:
            for t in history:
                self.add(t)
            history.subscribe(self.add)

    def add(self, t: Transition) -> None:
        if t.kind != "Pod":
            return
        owner = str(t.detail.get("owner") or "")
        if owner:
            self.by_owner[owner].append(t)
        self.by_name[t.name].append(t)

    def of(self, owner: str) -> list[Transition]:
        """Transitions of the pods `owner` ("Kind/name") controls, in time order."""
        return self.by_owner.get(owner, [])

    def ready_at(self, pod: str, uid: str) -> float | None:
        """When the pod with this name and uid last became Ready, or None."""
        found = None
        for t in self.by_name.get(pod, []):
            if t.uid == uid and t.what == "ready":
                found = t.time
        return found
