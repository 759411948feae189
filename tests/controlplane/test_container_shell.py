"""The pieces that play `kubectl exec` on the test control plane, without a plane: the
container shell over a fake API, the Exec keeper's reactions to watch events, and the jail.

The whole path (API server -> KWOK -> the shell) is tested in tests/cluster/kube/
test_exec_live.py.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from k8slab.cluster.sim.filestore import FileStore
from tests.controlplane.container_shell import FILES_FILE, ShellCore, run
from tests.controlplane.exec_jail import (
    COMMANDS,
    SHELL_SCRIPT,
    bin_dir,
    jail_argv,
    jail_env,
    probe,
    write_commands,
)
from tests.controlplane.exec_play import PLAYED_BY, ExecPlay, Relist, exec_object
from tests.controlplane.rest import ApiError

POD = "/api/v1/namespaces/lab/pods/db-0"
CLAIM = "/api/v1/namespaces/lab/persistentvolumeclaims/data-db-0"


class FakeApi:
    """Answers GETs from `objects` (404 otherwise) and records every other call."""

    def __init__(self, objects: dict[str, Any] | None = None) -> None:
        self.objects = dict(objects or {})
        self.calls: list[tuple[str, str]] = []
        self.conflict = False

    def get(self, path: str) -> Any:
        if path not in self.objects:
            raise ApiError(404, f"{path} not found")
        return self.objects[path]

    def request(self, method: str, path: str, body: Any = None) -> Any:
        self.calls.append((method, path))
        if method == "POST" and self.conflict:
            raise ApiError(409, "already exists")
        return body

    def close(self) -> None:
        pass


def pod(uid: str = "pod-1", restarts: int = 0) -> dict[str, Any]:
    return {
        "metadata": {"name": "db-0", "namespace": "lab", "uid": uid, "labels": {"app": "db"}},
        "spec": {
            "hostname": "db-0",
            "subdomain": "db",
            "containers": [{"name": "main", "image": "busybox",
                            "volumeMounts": [{"name": "data", "mountPath": "/data"}]}],
            "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "data-db-0"}}],
        },
        "status": {"phase": "Running", "podIP": "10.244.0.7",
                   "conditions": [{"type": "Ready", "status": "True"}],
                   "containerStatuses": [{"name": "main", "restartCount": restarts}]},
    }


def claim(uid: str = "claim-1") -> dict[str, Any]:
    return {"metadata": {"name": "data-db-0", "namespace": "lab", "uid": uid},
            "spec": {"volumeName": "pv-007"}}


@pytest.fixture
def api() -> FakeApi:
    return FakeApi({POD: pod(), CLAIM: claim()})


def sh(home: Path, api: FakeApi, *argv: str) -> Any:
    return run(home, "lab", "db-0", "main", list(argv), rest=api)  # type: ignore[arg-type]


# ---- the container shell ---------------------------------------------------------------------


def test_file_store_snapshots_survive_json() -> None:
    core = ShellCore(FakeApi(), {})  # type: ignore[arg-type]
    files = core.files
    files.write(files.locate(pod(), "main", "/data/a/b.txt", "0"), "x")
    copy = FileStore(core)
    copy.restore(json.loads(json.dumps(files.snapshot())))
    loc = copy.locate(pod(), "main", "/data/a/b.txt", "0")
    assert copy.read(loc) == "x"
    assert copy.listdir(copy.locate(pod(), "main", "/data", "0")) == ["a"]


def test_a_claims_file_outlives_the_pod_and_the_containers_own_does_not(
        tmp_path: Path, api: FakeApi) -> None:
    assert sh(tmp_path, api, "sh", "-c", "echo kept > /data/note; echo lost > /tmp/note"
              ).exit_code == 0
    assert sh(tmp_path, api, "cat", "/tmp/note").stdout == "lost\n"
    api.objects[POD] = pod(uid="pod-2")  # the StatefulSet re-created it
    assert sh(tmp_path, api, "cat", "/data/note").stdout == "kept\n"
    gone = sh(tmp_path, api, "cat", "/tmp/note")
    assert (gone.exit_code, gone.stderr) == (1, "cat: can't open '/tmp/note': No such file or "
                                                "directory\n")
    assert "pv:pv-007" in json.loads((tmp_path / FILES_FILE).read_text())["files"]["volumes"]


def test_a_restarted_container_starts_from_its_image_again(tmp_path: Path, api: FakeApi
                                                           ) -> None:
    sh(tmp_path, api, "sh", "-c", "echo x > /tmp/note")
    api.objects[POD] = pod(restarts=1)
    assert sh(tmp_path, api, "ls", "/tmp").stdout == ""
    assert sh(tmp_path, api, "cat", "/etc/hostname").stdout == "db-0\n"


def test_a_recycled_volume_comes_empty_to_its_next_claim(tmp_path: Path, api: FakeApi) -> None:
    sh(tmp_path, api, "sh", "-c", "echo old > /data/note")
    api.objects[CLAIM] = claim(uid="claim-2")  # pv-007, released and bound again
    assert sh(tmp_path, api, "ls", "/data").stdout == ""


def test_hostname_env_and_nslookup_come_from_the_real_objects(tmp_path: Path, api: FakeApi
                                                              ) -> None:
    headless = {"metadata": {"name": "db", "namespace": "lab"},
                "spec": {"clusterIP": "None", "selector": {"app": "db"}}}
    api.objects["/api/v1/services"] = {"items": [headless]}
    api.objects["/api/v1/pods"] = {"items": [api.objects[POD]]}
    assert sh(tmp_path, api, "hostname").stdout == "db-0\n"
    assert "HOSTNAME=db-0\n" in sh(tmp_path, api, "env").stdout
    answer = sh(tmp_path, api, "nslookup", "db-0.db").stdout
    assert "Name:\tdb-0.db.lab.svc.cluster.local\nAddress: 10.244.0.7\n" in answer


def test_a_pod_gone_meanwhile_is_said_so(tmp_path: Path) -> None:
    result = sh(tmp_path, FakeApi(), "true")
    assert (result.exit_code, result.stderr) == (1, "container shell: pod lab/db-0 is gone\n")


# ---- the Exec keeper ------------------------------------------------------------------------


def test_each_container_gets_an_entry_that_names_its_pod(tmp_path: Path) -> None:
    p = pod()
    p["spec"]["initContainers"] = [{"name": "init"}]
    body = exec_object(p, tmp_path)
    assert body["metadata"] == {"name": "db-0", "namespace": "lab",
                                "labels": {PLAYED_BY: "exec-play"}}
    assert [e["containers"] for e in body["spec"]["execs"]] == [["init"], ["main"]]
    envs = {e["name"]: e["value"] for e in body["spec"]["execs"][1]["local"]["envs"]}
    assert envs == {"K8SLAB_POD_NAMESPACE": "lab", "K8SLAB_POD_NAME": "db-0",
                    "K8SLAB_CONTAINER": "main", "K8SLAB_EXEC_HOME": str(tmp_path)}


def test_execs_follow_the_pods_events(tmp_path: Path, api: FakeApi) -> None:
    play = ExecPlay(api, tmp_path, log=lambda line: None)  # type: ignore[arg-type]
    execs = "/apis/kwok.x-k8s.io/v1alpha1/namespaces/lab/execs"
    assert play.handle({"type": "ADDED", "object": pod()}) is None
    assert play.handle({"type": "MODIFIED", "object": pod()}) is None  # nothing to do
    sh(tmp_path, api, "sh", "-c", "echo x > /tmp/note")
    play.handle({"type": "DELETED", "object": pod()})
    assert api.calls == [("POST", execs), ("DELETE", f"{execs}/db-0")]
    assert "pod-1" not in (tmp_path / FILES_FILE).read_text()  # its rootfs is forgotten
    with pytest.raises(Relist):
        play.handle({"type": "ERROR", "object": {"code": 410, "message": "too old"}})


def test_an_exec_left_over_is_replaced_when_it_differs(tmp_path: Path, api: FakeApi) -> None:
    play = ExecPlay(api, tmp_path, log=lambda line: None)  # type: ignore[arg-type]
    path = "/apis/kwok.x-k8s.io/v1alpha1/namespaces/lab/execs/db-0"
    api.conflict = True
    api.objects[path] = {"metadata": {"resourceVersion": "5"}, "spec": {"execs": []}}
    play.ensure(pod())
    assert api.calls[-1] == ("PUT", path)
    api.objects[path] = exec_object(pod(), tmp_path)
    play.ensure(pod())
    assert api.calls[-1] == ("POST", path.rsplit("/", 1)[0])  # the same: left alone


# ---- the jail ---------------------------------------------------------------------------------


def test_every_command_is_the_container_shell(tmp_path: Path) -> None:
    write_commands(tmp_path)
    for name in COMMANDS:
        assert (bin_dir(tmp_path) / name).resolve() == bin_dir(tmp_path) / SHELL_SCRIPT
    assert (bin_dir(tmp_path) / SHELL_SCRIPT).read_text().startswith(
        f"#!{tmp_path / 'python'} -SB\n")


def test_absolute_paths_in_the_jail_reach_no_host_binary(tmp_path: Path) -> None:
    write_commands(tmp_path)
    problem = probe(tmp_path)
    if problem:
        pytest.skip(problem)

    def jailed(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(jail_argv(tmp_path, argv), env=jail_env(), capture_output=True,
                              text=True, timeout=30)

    mark = tmp_path / "written-by-the-host-shell"
    shell = jailed("/bin/sh", "-c", f"echo x > {mark}")
    assert shell.returncode == 126 and "K8SLAB_EXEC_HOME is not set" in shell.stderr
    assert not mark.exists()
    other = jailed("/usr/bin/id")
    assert other.returncode != 0 and "No such file or directory" in other.stderr
