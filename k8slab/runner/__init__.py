"""The action runner: lesson actions carried out against any cluster backend."""

from k8slab.runner.outcome import ActionFailed, ActionOutcome
from k8slab.runner.runner import ActionRunner, open_watch

__all__ = ["ActionFailed", "ActionOutcome", "ActionRunner", "open_watch"]
