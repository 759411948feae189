"""The shell of every container on the test control plane: what `kubectl exec` runs there.

There are no containers on KWOK's nodes. When the API server forwards an exec to a node,
KWOK starts the command as a local process (see exec_jail.py for why that process can only
be one of ours): `sh`, `cat`, `ls`, `nslookup`... are all this script. It runs the command
with the sim's own interpreter (k8slab/cluster/sim/exec.py), over

- the real objects, read from the API server: the pod (with the IP KWOK gave it), its claims,
  ConfigMaps, Secrets, and the Services and Pods that `nslookup` resolves;
- the sim's per-volume file store (k8slab/cluster/sim/filestore.py), kept on disk between
  commands: a file on a claim lives with the bound PersistentVolume, one in the container's
  own filesystem or an emptyDir lives with the pod's UID, so it is gone in a re-created pod.

Which pod and container it runs in comes from the environment of the pod's `Exec` object
(kept by exec_play.py). Standard library and k8slab's sim modules only: it starts once per
command.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sys
import time
from collections.abc import Iterator, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, cast

from k8slab.cluster.kinds import kind_of
from k8slab.cluster.protocol import ExecResult
from k8slab.cluster.sim import exec as sim_exec
from k8slab.cluster.sim.filestore import FileStore
from k8slab.cluster.sim.kubelet import container_env
from k8slab.cluster.sim.store import Obj
from tests.controlplane.rest import API_FILE, ApiError, Rest, api_path

ENV_NAMESPACE = "K8SLAB_POD_NAMESPACE"
ENV_POD = "K8SLAB_POD_NAME"
ENV_CONTAINER = "K8SLAB_CONTAINER"
ENV_HOME = "K8SLAB_EXEC_HOME"  # the plane's exec directory: API access and the file store
FILES_FILE = "files.json"
LOCK_FILE = "files.lock"


# ---- what the sim's exec needs of a cluster, over the real API -----------------------------


class ApiObjects:
    """The sim store's `get` and `list`, answered by the API server (cached per command)."""

    def __init__(self, rest: Rest) -> None:
        self.rest = rest
        self._cache: dict[str, Any] = {}

    def _fetch(self, path: str) -> Any:
        if path not in self._cache:
            try:
                self._cache[path] = self.rest.get(path)
            except ApiError as e:
                if e.code != 404:
                    raise
                self._cache[path] = None
        return self._cache[path]

    def get(self, kind: str, namespace: str, name: str) -> Obj | None:
        k = kind_of(kind)
        obj = self._fetch(api_path(k.api_version, k.plural, namespace if k.namespaced else "",
                                   name))
        return cast("Obj | None", obj)

    def list(self, kind: str, namespace: str | None = None) -> list[Obj]:
        k = kind_of(kind)
        found = self._fetch(api_path(k.api_version, k.plural, namespace or ""))
        return list((found or {}).get("items") or [])


class WallClock:
    """Real time: the cluster has no virtual clock."""

    @property
    def now(self) -> float:
        return time.time()


def busybox_date(t: float) -> str:
    """`date` as busybox prints it: `Thu Jan  1 00:00:05 UTC 2026`."""
    dt = datetime.fromtimestamp(t, timezone.utc)
    return dt.strftime("%a %b ") + f"{dt.day:2d}" + dt.strftime(" %H:%M:%S UTC %Y")


def container_id(pod: Obj, container: str) -> str:
    """Tells one run of a container from the next: a restarted container starts from its
    image again, as in the sim. KWOK sets no containerID, so the restart count it is."""
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    for s in statuses:
        if s.get("name") == container:
            return str(s.get("containerID") or s.get("restartCount") or 0)
    return "0"


class Volumes:
    """The file store and what it remembers besides files, kept in one JSON file.

    - `claims`: the claim each PV's files belong to. The plane's PV pool recycles a released
      PV for the next claim; its files must not follow it there.
    - `seeded`: the container runs whose image files (/etc/hostname, nginx's page) are in.
    """

    def __init__(self, core: ShellCore, data: dict[str, Any]) -> None:
        self.core = core
        self.files = FileStore(core)
        self.files.restore(data.get("files") or {})
        self.claims: dict[str, str] = dict(data.get("claims") or {})
        self.seeded: set[str] = set(data.get("seeded") or [])

    def data(self) -> dict[str, Any]:
        return {"files": self.files.snapshot(), "claims": self.claims,
                "seeded": sorted(self.seeded)}

    def prepare(self, pod: Obj) -> None:
        """Make `pod`'s claims its own and put its image files in, once per container run."""
        md, spec = pod["metadata"], pod["spec"]
        for vol in spec.get("volumes") or ():
            claim = (vol.get("persistentVolumeClaim") or {}).get("claimName")
            pvc = self.core.store.get("PersistentVolumeClaim", md["namespace"], claim or "")
            pv = ((pvc or {}).get("spec") or {}).get("volumeName")
            if pvc is not None and pv and self.claims.get(pv) != pvc["metadata"]["uid"]:
                self.files.drop_prefix(f"pv:{pv}")
                self.claims[pv] = pvc["metadata"]["uid"]
        for c in spec.get("containers") or ():
            cid = container_id(pod, c["name"])
            run = f"{md['uid']}:{c['name']}:{cid}"
            if run not in self.seeded:
                self.seeded.add(run)
                self.files.seed_image_files(pod, c, cid, spec.get("hostname") or md["name"])

    def forget_pod(self, uid: str) -> None:
        """The pod is gone: drop its containers' filesystems and emptyDirs."""
        self.files.drop_pod(uid)
        self.seeded = {s for s in self.seeded if not s.startswith(uid + ":")}


class ShellKubelet:
    """The kubelet as the sim's exec asks it (`curl` reads a target pod's nginx files)."""

    def __init__(self, core: ShellCore) -> None:
        self.core = core

    def container_info(self, pod: Obj, container: str) -> tuple[dict[str, Any], None, float,
                                                                  str, str]:
        self.core.volumes.prepare(pod)
        spec = next(c for c in pod["spec"]["containers"] if c["name"] == container)
        return spec, None, 0.0, container_id(pod, container), "running"


class ShellCore:
    """The cluster the sim's exec runs against (k8slab.cluster.sim.exec.ExecCore)."""

    def __init__(self, rest: Rest, data: dict[str, Any]) -> None:
        self.store = ApiObjects(rest)
        self.clock = WallClock()
        self.volumes = Volumes(self, data)
        self.kubelet = ShellKubelet(self)

    @property
    def files(self) -> FileStore:
        return self.volumes.files

    def controller(self, name: str) -> Any:
        if name != "kubelet":
            raise KeyError(name)
        return self.kubelet


def environment(core: ShellCore, pod: Obj, container: str) -> dict[str, str]:
    """The container's environment exactly as the sim's kubelet builds it (the real pod's
    status has the IPs the sim would take from its runtime)."""
    spec: dict[str, Any] = next(
        (c for c in pod["spec"]["containers"] if c["name"] == container), {})
    return container_env(core.store, pod, spec)


# ---- one command ------------------------------------------------------------------------------


@contextlib.contextmanager
def locked(home: Path) -> Iterator[None]:
    """One command at a time changes the file store (exec_play.py takes it too)."""
    with open(home / LOCK_FILE, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def load(home: Path) -> dict[str, Any]:
    try:
        return dict(json.loads((home / FILES_FILE).read_text()))
    except FileNotFoundError:
        return {}


def save(home: Path, data: dict[str, Any]) -> None:
    tmp = home / (FILES_FILE + ".tmp")
    tmp.write_text(json.dumps(data, separators=(",", ":")))
    tmp.replace(home / FILES_FILE)


def run(home: Path, namespace: str, pod_name: str, container: str, argv: Sequence[str],
        rest: Rest | None = None) -> ExecResult:
    """Run `argv` in the container as the sim would, against the real objects (read with
    `rest`, by default the plane's admin access in `home`)."""
    rest = rest or Rest.from_file(home / API_FILE)
    try:
        with locked(home):
            data = load(home)
            core = ShellCore(rest, data)
            pod = core.store.get("Pod", namespace, pod_name)
            if pod is None:
                return ExecResult("", f"container shell: pod {namespace}/{pod_name} is gone\n",
                                  1)
            core.volumes.prepare(pod)
            env = environment(core, pod, container)
            result = sim_exec.run(core, pod, container, container_id(pod, container), argv,
                                  env, busybox_date)
            after = core.volumes.data()
            if after != data:
                save(home, after)
            return result
    finally:
        rest.close()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the command wrappers: argv[0]'s name is the command."""
    argv = list(sys.argv if argv is None else argv)
    command = [os.path.basename(argv[0]), *argv[1:]]
    try:
        home = Path(os.environ[ENV_HOME])
        where = (os.environ[ENV_NAMESPACE], os.environ[ENV_POD], os.environ[ENV_CONTAINER])
    except KeyError as e:
        print(f"container shell: {e.args[0]} is not set: this runs only as a command KWOK "
              "starts for a pod's Exec", file=sys.stderr)
        return 126
    try:
        result = run(home, *where, command)
    except (OSError, ApiError, ValueError) as e:
        print(f"container shell: {type(e).__name__}: {e}", file=sys.stderr)
        return 126
    sys.stdout.write(result.stdout)
    sys.stderr.write(result.stderr)
    return result.exit_code


if __name__ == "__main__":
    sys.exit(main())
