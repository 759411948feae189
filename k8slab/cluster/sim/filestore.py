"""The per-volume file store behind `exec`: where a path written in a container lives.

A path resolves through the container's volumeMounts (longest mountPath first) to a volume:

- a PersistentVolumeClaim → the bound PersistentVolume's files, which outlive the pod;
- an emptyDir → the pod's own scratch space, gone with the pod;
- a hostPath → the node's files at that path, shared by every pod on the node;
- a configMap or secret → a read-only view of the object's keys;
- anything else → the container's writable layer, gone when the container restarts or the
  pod is deleted (a recreated StatefulSet pod starts from the image again).
"""

from __future__ import annotations

import base64
import posixpath
from dataclasses import dataclass
from typing import Any, Protocol

from k8slab.cluster.sim.store import Obj

# Files every image has, so `cat`/`ls` on familiar paths behave.
_NGINX_INDEX = ("<!DOCTYPE html>\n<html>\n<head>\n<title>Welcome to nginx!</title>\n</head>\n"
                "<body>\n<h1>Welcome to nginx!</h1>\n</body>\n</html>\n")


class ObjectReader(Protocol):
    """Objects by kind, namespace and name: the sim's Store, or a real API server."""

    def get(self, kind: str, namespace: str, name: str) -> Obj | None: ...


class HasObjects(Protocol):
    """What the file store needs of a cluster (SimCore is one): claims, ConfigMaps, Secrets."""

    @property
    def store(self) -> ObjectReader: ...


@dataclass(frozen=True, slots=True)
class Location:
    """Where a container path lives: a volume id, the path inside it, and if it is read-only."""

    volume: str
    path: str
    readonly: bool = False
    view: dict[str, str] | None = None  # configMap/secret contents, for read-only views


class FileStore:
    """Files by volume id, then by path inside the volume."""

    def __init__(self, core: HasObjects) -> None:
        self._core = core
        self._volumes: dict[str, dict[str, str]] = {}
        self._dirs: dict[str, set[str]] = {}
        # The owner part of a volume id (a pod uid, a PV or node name) -> its volume ids, so
        # that forgetting a pod costs O(its volumes), not O(all volumes).
        self._owned: dict[str, set[str]] = {}

    # -- resolving --------------------------------------------------------------------------
    def locate(self, pod: Obj, container: str, path: str, container_id: str = "") -> Location:
        """The volume and inner path that `path` (absolute, in `container`) refers to."""
        path = posixpath.normpath("/" + path.lstrip("/"))
        spec = pod["spec"]
        c: dict = next((c for c in [*(spec.get("containers") or ()),
                              *(spec.get("initContainers") or ())]
                  if c.get("name") == container), {})
        mounts = sorted(c.get("volumeMounts") or (), key=lambda m: -len(m.get("mountPath", "")))
        volumes = {v.get("name"): v for v in spec.get("volumes") or ()}
        for m in mounts:
            mp = posixpath.normpath(m.get("mountPath", "/"))
            if path != mp and not path.startswith(mp.rstrip("/") + "/"):
                continue
            inner = "/" + path[len(mp):].lstrip("/")
            if m.get("subPath"):
                inner = "/" + m["subPath"].strip("/") + inner.rstrip("/")
                inner = posixpath.normpath(inner)
            vol = volumes.get(m.get("name")) or {}
            ro = bool(m.get("readOnly"))
            return self._volume_location(pod, vol, inner, ro)
        uid = pod["metadata"]["uid"]
        return Location(f"rootfs:{uid}:{container}:{container_id}", path)

    def _volume_location(self, pod: Obj, vol: dict, inner: str, ro: bool) -> Location:
        ns, uid = pod["metadata"]["namespace"], pod["metadata"]["uid"]
        if "persistentVolumeClaim" in vol:
            claim = vol["persistentVolumeClaim"].get("claimName", "")
            pvc = self._core.store.get("PersistentVolumeClaim", ns, claim) or {}
            pv = (pvc.get("spec") or {}).get("volumeName") or f"unbound-{ns}-{claim}"
            return Location(f"pv:{pv}", inner, ro)
        if "hostPath" in vol:
            node = pod["spec"].get("nodeName", "")
            base = vol["hostPath"].get("path", "/")
            return Location(f"host:{node}", posixpath.normpath(base + inner), ro)
        if "configMap" in vol or "secret" in vol:
            data: dict[str, str] = {}
            if "configMap" in vol:
                cm = self._core.store.get("ConfigMap", ns, vol["configMap"].get("name", ""))
                data = dict((cm or {}).get("data") or {})
            else:
                sec = self._core.store.get("Secret", ns, vol["secret"].get("secretName", ""))
                for k, v in ((sec or {}).get("data") or {}).items():
                    try:
                        data[k] = base64.b64decode(v).decode()
                    except Exception:
                        data[k] = ""
                data.update((sec or {}).get("stringData") or {})
            return Location(f"view:{uid}", inner, True, {"/" + k: v for k, v in data.items()})
        return Location(f"emptydir:{uid}:{vol.get('name', '')}", inner, ro)

    # -- files ------------------------------------------------------------------------------
    def read(self, loc: Location) -> str | None:
        if loc.view is not None:
            return loc.view.get(loc.path)
        return self._volumes.get(loc.volume, {}).get(loc.path)

    def write(self, loc: Location, text: str, *, append: bool = False) -> None:
        if loc.volume not in self._volumes or loc.volume not in self._dirs:
            self._owned.setdefault(_owner(loc.volume), set()).add(loc.volume)
        files = self._volumes.setdefault(loc.volume, {})
        files[loc.path] = (files.get(loc.path, "") if append else "") + text
        dirs = self._dirs.setdefault(loc.volume, set())
        d = posixpath.dirname(loc.path)
        while d not in ("/", ""):
            dirs.add(d)
            d = posixpath.dirname(d)

    def remove(self, loc: Location) -> None:
        self._volumes.get(loc.volume, {}).pop(loc.path, None)

    def exists_dir(self, loc: Location) -> bool:
        if loc.path == "/":
            return True
        if loc.view is not None:
            return False
        return loc.path in self._dirs.get(loc.volume, set())

    def listdir(self, loc: Location) -> list[str]:
        """Names directly under `loc.path`."""
        base = loc.path.rstrip("/") + "/"
        source = loc.view if loc.view is not None else self._volumes.get(loc.volume, {})
        names = set()
        for p in source:
            if p.startswith(base):
                names.add(p[len(base):].split("/", 1)[0])
        for d in self._dirs.get(loc.volume, set()):
            if d.startswith(base):
                names.add(d[len(base):].split("/", 1)[0])
        return sorted(n for n in names if n)

    def seed_image_files(self, pod: Obj, container: dict, container_id: str,
                         hostname: str) -> None:
        """Files the image ships with (nginx's index page, /etc/hostname)."""
        name = container.get("name", "")
        for path, text in (("/etc/hostname", hostname + "\n"),):
            self.write(self.locate(pod, name, path, container_id), text)
        image = str(container.get("image", ""))
        if "nginx" in image:
            loc = self.locate(pod, name, "/usr/share/nginx/html/index.html", container_id)
            if loc.volume.startswith("rootfs:"):
                self.write(loc, _NGINX_INDEX)
            elif self.read(loc) is None and not loc.readonly and loc.view is None:
                # An empty volume over the html dir hides the image's page, as a mount does.
                self._owned.setdefault(_owner(loc.volume), set()).add(loc.volume)
                self._dirs.setdefault(loc.volume, set())

    def snapshot(self) -> dict[str, Any]:
        """The files and directories by volume id, as JSON-ready data for `restore`."""
        return {"volumes": self._volumes,
                "dirs": {vid: sorted(dirs) for vid, dirs in self._dirs.items()}}

    def restore(self, data: dict[str, Any]) -> None:
        """Replace the contents with a `snapshot` (e.g. one kept on disk between processes)."""
        self._volumes = {vid: dict(files) for vid, files in data.get("volumes", {}).items()}
        self._dirs = {vid: set(dirs) for vid, dirs in data.get("dirs", {}).items()}
        self._owned = {}
        for vid in {*self._volumes, *self._dirs}:
            self._owned.setdefault(_owner(vid), set()).add(vid)

    def drop_prefix(self, prefix: str) -> None:
        """Forget every volume whose id starts with `prefix` (`pv:<name>`, `rootfs:<uid>:`)."""
        for vid in [v for v in self._owned.get(_owner(prefix), ()) if v.startswith(prefix)]:
            self._volumes.pop(vid, None)
            self._dirs.pop(vid, None)
            self._owned[_owner(prefix)].discard(vid)

    def drop_pod(self, uid: str) -> None:
        """A pod is gone: its containers' layers and its emptyDirs go with it."""
        for vid in self._owned.pop(uid, ()):
            self._volumes.pop(vid, None)
            self._dirs.pop(vid, None)


def _owner(volume_id: str) -> str:
    """`rootfs:<uid>:<container>:<id>` → `<uid>`; `pv:<name>` → `<name>`."""
    parts = volume_id.split(":")
    return parts[1] if len(parts) > 1 else volume_id
