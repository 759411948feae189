"""Only the dashboard imports textual; nothing in the workshop imports kubernetes eagerly."""

from __future__ import annotations

import subprocess
import sys

HEADLESS = [
    "k8slab.workshop.adapt",
    "k8slab.workshop.plan",
    "k8slab.workshop.progress_store",
    "k8slab.workshop.status",
    "k8slab.workshop.monitor",
    "k8slab.workshop.provision",
    "k8slab.workshop.kubeconfig",
    "k8slab.workshop.resources",
    "k8slab.commands.workshop",
]


def loaded_after(modules: list[str]) -> set[str]:
    code = "import sys\n" + "".join(f"import {m}\n" for m in modules) + \
        "print('\\n'.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                         text=True).stdout
    return set(out.split())


def test_headless_modules_import_neither_textual_nor_kubernetes() -> None:
    loaded = loaded_after(HEADLESS)
    assert not {m for m in loaded if m.split(".")[0] in ("textual", "kubernetes")}


def test_the_dashboard_is_where_textual_comes_in() -> None:
    assert "textual" in loaded_after(["k8slab.workshop.dashboard"])
