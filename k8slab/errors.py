"""The error types that reach a user: each carries one clear sentence and, where possible, a fix.

Nothing outside this hierarchy should escape to the command line; `k8slab.cli` turns these into
a message and an exit code, never a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass


class K8slabError(Exception):
    """Base class for every error k8slab reports to a user.

    Args:
        message: one sentence saying what is wrong.
        hint: one sentence saying what to do about it, or None.
    """

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True, slots=True)
class Location:
    """A place in a file, 1-based as editors show it."""

    path: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if self.line <= 0:
            return self.path
        if self.column <= 0:
            return f"{self.path}:{self.line}"
        return f"{self.path}:{self.line}:{self.column}"


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem found in a lesson or manifest file."""

    location: Location
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


class LessonError(K8slabError):
    """A lesson or one of its manifests is invalid; carries every problem found, not just one."""

    def __init__(self, problems: list[Problem], hint: str | None = None) -> None:
        self.problems = list(problems)
        first = str(self.problems[0]) if self.problems else "invalid lesson"
        more = f" (and {len(self.problems) - 1} more)" if len(self.problems) > 1 else ""
        super().__init__(first + more, hint)

    def report(self) -> str:
        """Every problem, one per line, as `file:line:col: message`."""
        return "\n".join(str(p) for p in self.problems)


class ProgressError(K8slabError):
    """The saved progress file could not be read; it has been set aside."""


class ClusterError(K8slabError):
    """Something the cluster refused or could not do.

    Attributes:
        reason: the Kubernetes status reason (`NotFound`, `Forbidden`, `Invalid`, `Conflict`,
            `AlreadyExists`, `Unauthorized`, `Unavailable`, `BadRequest`, ...).
        resource: `kind/name` (with namespace where it applies), or None.
    """

    reason = "Unknown"

    def __init__(self, message: str, hint: str | None = None, *, resource: str | None = None,
                 reason: str | None = None) -> None:
        super().__init__(message, hint)
        self.resource = resource
        if reason is not None:
            self.reason = reason


class NotFound(ClusterError):
    reason = "NotFound"


class AlreadyExists(ClusterError):
    reason = "AlreadyExists"


class Invalid(ClusterError):
    """The API server (or the sim playing it) rejected an object. `causes` holds field messages."""

    reason = "Invalid"

    def __init__(self, message: str, hint: str | None = None, *, resource: str | None = None,
                 causes: list[str] | None = None) -> None:
        super().__init__(message, hint, resource=resource)
        self.causes = list(causes or [])


class Forbidden(ClusterError):
    reason = "Forbidden"


class Unauthorized(ClusterError):
    reason = "Unauthorized"


class Conflict(ClusterError):
    reason = "Conflict"


class Unavailable(ClusterError):
    """The cluster cannot be reached (connection refused, TLS failure, timeout)."""

    reason = "Unavailable"


class Unsupported(ClusterError):
    """The backend cannot do this (for example, advancing the clock on a real cluster)."""

    reason = "Unsupported"


class CrossNamespace(ClusterError):
    """Manifests name a namespace other than the lab's, and the backend was told to ask first.

    Nothing has been applied. `objects` lists `(kind, name, namespace)` for each such object;
    the caller asks the learner, then applies again choosing to move them into the lab
    namespace or to leave them where they are.
    """

    reason = "CrossNamespace"

    def __init__(self, message: str, hint: str | None = None, *,
                 objects: list[tuple[str, str, str]] | None = None) -> None:
        super().__init__(message, hint)
        self.objects = list(objects or [])
