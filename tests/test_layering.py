"""The core never imports textual, and kubernetes is imported only by the kube backend."""

from __future__ import annotations

import subprocess
import sys

CORE = [
    "k8slab.cli",
    "k8slab.cluster",
    "k8slab.cluster.factory",
    "k8slab.state",
    "k8slab.lessons.model",
    "k8slab.grading.catalog",
    "k8slab.actions",
]


def _imported_after(modules: list[str]) -> set[str]:
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in modules)
        + "print('\\n'.join(sorted(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                         text=True).stdout
    return set(out.split())


def test_core_does_not_import_textual_or_kubernetes() -> None:
    loaded = _imported_after(CORE)
    assert not {m for m in loaded if m == "textual" or m.startswith("textual.")}
    assert not {m for m in loaded if m == "kubernetes" or m.startswith("kubernetes.")}
