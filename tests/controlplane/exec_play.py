"""Keeps one KWOK `Exec` per pod, so that `kubectl exec` reaches the container shell.

KWOK (started with `--enable-crds=Exec`) runs an exec for pod P, container C with the
environment of the `Exec` named P in P's namespace, in its entry for C. Each entry made here
tells the container shell (container_shell.py) which pod and container it runs in, and where
the plane's exec home is. The `Exec` is created when the pod is ADDED and deleted when it is
DELETED; a re-created pod of the same name gets a new one. The pod's containers' files (not
its claims') are forgotten with it.

Runs as a component of the plane (`exec-play`), so that a plane left running by
`scripts/controlplane up` keeps serving exec:

    python -m tests.controlplane.exec_play EXEC_HOME

Standard library and the container shell's modules only. It survives API server restarts:
a failed list or watch is retried with back-off, and a watch that expired is re-listed.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tests.controlplane.container_shell import (
    API_FILE,
    ENV_CONTAINER,
    ENV_HOME,
    ENV_NAMESPACE,
    ENV_POD,
    FILES_FILE,
    ShellCore,
    load,
    locked,
    save,
)
from tests.controlplane.rest import ApiError, Rest, api_path

EXEC_API = "kwok.x-k8s.io/v1alpha1"
PLAYED_BY = "k8slab.dev/played-by"
PLAYER = "exec-play"
WORKDIR = "cwd"  # the commands' working directory: empty, inside the exec home


class Relist(Exception):
    """The watch cannot resume (410 Gone or an ERROR event): list again."""


def exec_object(pod: dict[str, Any], home: Path) -> dict[str, Any]:
    """The `Exec` that sends the pod's execs to the container shell, one entry per container."""
    md, spec = pod["metadata"], pod.get("spec") or {}
    names = [c["name"] for c in [*(spec.get("initContainers") or ()), *spec.get("containers", ())]]

    def entry(container: str) -> dict[str, Any]:
        envs = {ENV_NAMESPACE: md["namespace"], ENV_POD: md["name"],
                ENV_CONTAINER: container, ENV_HOME: str(home)}
        return {"containers": [container],
                "local": {"workDir": str(home / WORKDIR),
                          "envs": [{"name": k, "value": v} for k, v in envs.items()]}}

    return {
        "apiVersion": EXEC_API,
        "kind": "Exec",
        "metadata": {"name": md["name"], "namespace": md["namespace"],
                     "labels": {PLAYED_BY: PLAYER}},
        "spec": {"execs": [entry(c) for c in names]},
    }


class ExecPlay:
    """Watches every pod and keeps the `Exec`s in step."""

    def __init__(self, rest: Rest, home: Path, log: Any = None) -> None:
        self.rest = rest
        self.home = home
        self.log = log or (lambda line: print(line, flush=True))
        (home / WORKDIR).mkdir(parents=True, exist_ok=True)

    # -- one pass

    def resync(self) -> str:
        """Make the `Exec`s match the pods; return the pods' resourceVersion to watch from."""
        pods = self.rest.get("/api/v1/pods")
        execs = self.rest.get(api_path(EXEC_API, "execs") + f"?labelSelector={PLAYED_BY}%3D"
                              + PLAYER)
        want = {(p["metadata"]["namespace"], p["metadata"]["name"]): p for p in pods["items"]}
        have = {(e["metadata"]["namespace"], e["metadata"]["name"]): e for e in execs["items"]}
        for key in have.keys() - want.keys():
            self.delete(*key)
        for key, pod in want.items():
            self.ensure(pod, have.get(key))
        return str(pods["metadata"]["resourceVersion"])

    def ensure(self, pod: dict[str, Any], current: dict[str, Any] | None = None) -> None:
        body = exec_object(pod, self.home)
        md = body["metadata"]
        path = api_path(EXEC_API, "execs", md["namespace"])
        if current is None:
            try:
                self.rest.request("POST", path, body)
                self.log(f"exec for pod {md['namespace']}/{md['name']} created")
                return
            except ApiError as e:
                if e.code == 403 or e.code == 404:  # the namespace is going away
                    return
                if e.code != 409:
                    raise
            current = self.rest.get(f"{path}/{md['name']}")
        if current.get("spec") != body["spec"]:
            body["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"]
            self.rest.request("PUT", f"{path}/{md['name']}", body)
            self.log(f"exec for pod {md['namespace']}/{md['name']} replaced")

    def delete(self, namespace: str, name: str) -> None:
        try:
            self.rest.request("DELETE", api_path(EXEC_API, "execs", namespace, name))
            self.log(f"exec for pod {namespace}/{name} deleted")
        except ApiError as e:
            if e.code != 404:
                raise

    def forget_files(self, uid: str) -> None:
        """Drop a deleted pod's container filesystems and emptyDirs from the file store."""
        path = self.home / FILES_FILE
        if not uid or not path.exists() or uid not in path.read_text():
            return
        with locked(self.home):
            data = load(self.home)
            core = ShellCore(self.rest, data)
            core.volumes.forget_pod(uid)
            save(self.home, core.volumes.data())

    # -- events

    def handle(self, event: dict[str, Any]) -> str | None:
        """Apply one watch event; return its resourceVersion (None for none)."""
        kind, obj = event.get("type"), event.get("object") or {}
        if kind == "ERROR":
            raise Relist(str(obj.get("message") or obj))
        md = obj.get("metadata") or {}
        if kind == "ADDED":
            self.ensure(obj)
        elif kind == "DELETED":
            self.delete(md["namespace"], md["name"])
            self.forget_files(str(md.get("uid") or ""))
        return md.get("resourceVersion")

    def run_forever(self) -> None:
        rv = ""
        backoff = 0.2
        while True:
            try:
                if not rv:
                    rv = self.resync()
                    self.log(f"synced at resourceVersion {rv}")
                for event in self.rest.watch(f"/api/v1/pods?watch=1&resourceVersion={rv}"
                                             "&allowWatchBookmarks=true&timeoutSeconds=300"):
                    rv = self.handle(event) or rv
                backoff = 0.2
            except Relist as e:
                self.log(f"watch expired ({e}); listing again")
                rv = ""
            except (OSError, ApiError, ValueError) as e:
                self.log(f"API unavailable ({type(e).__name__}: {e}); retrying in {backoff:g}s")
                self.rest.close()
                time.sleep(backoff)
                backoff = min(backoff * 2, 2.0)  # pods made right after a restart need it
                rv = ""  # events may have been missed: resync


def main(argv: Sequence[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m tests.controlplane.exec_play EXEC_HOME", file=sys.stderr)
        return 2
    home = Path(argv[0])
    ExecPlay(Rest.from_file(home / API_FILE), home).run_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
