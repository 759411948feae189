"""The action runner: lesson actions carried out against any cluster backend."""

from k8slab.runner.runner import ActionFailed, ActionOutcome, ActionRunner

__all__ = ["ActionFailed", "ActionOutcome", "ActionRunner"]
