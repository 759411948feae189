"""Placeholders in lesson text: `{{namespace}}` and `{{cluster_domain}}`.

Lesson text never hard-codes the namespace, because the lab runs in `k8slab-<lesson>` by
default, in `--namespace N` when asked, and in one namespace per learner in a workshop.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

PLACEHOLDERS: dict[str, str] = {
    "namespace": "the lab's namespace, e.g. k8slab-day10",
    "cluster_domain": "the cluster's DNS domain, normally cluster.local",
}

_PLACEHOLDER = re.compile(r"\{\{\s*([^{}\s]*)\s*\}\}")


def placeholders(text: str) -> Iterator[tuple[int, str]]:
    """(offset, name) of every `{{name}}` in `text`."""
    for m in _PLACEHOLDER.finditer(text):
        yield m.start(), m.group(1)


def unknown_placeholders(text: str) -> Iterator[tuple[int, str]]:
    """(offset, message) for every placeholder the renderer would not know."""
    for offset, name in placeholders(text):
        if name not in PLACEHOLDERS:
            known = ", ".join("{{" + k + "}}" for k in PLACEHOLDERS)
            shown = "{{" + name + "}}"
            yield offset, f"unknown placeholder {shown} (known: {known})"


def render_text(text: str, *, namespace: str, cluster_domain: str = "cluster.local") -> str:
    """Fill in a lesson text's placeholders for the lab's namespace.

    >>> render_text("web-0.web.{{namespace}}.svc.{{cluster_domain}}", namespace="lab")
    'web-0.web.lab.svc.cluster.local'
    """
    values = {"namespace": namespace, "cluster_domain": cluster_domain}

    def fill(m: re.Match[str]) -> str:
        return values.get(m.group(1), m.group(0))

    return _PLACEHOLDER.sub(fill, text)
