"""A real Kubernetes control plane on loopback, for the tests.

`ControlPlane` runs etcd, kube-apiserver, kube-controller-manager, kube-scheduler and KWOK
from the binaries that `build.sh` caches, then adds fake nodes (played by KWOK), a default
`standard` StorageClass and a pool of PVs for the real PV controller to bind.

KWOK also answers the kubelet's exec endpoint: the fake nodes' kubelet address is KWOK's
server, and `kubectl exec` runs the sim's exec interpreter over the real objects (see
exec_jail.py, exec_play.py and container_shell.py; `exec_problem` says why not, where not).

Everything lives in one work directory: certificates, kubeconfigs, etcd's data, and one log
file per component. Only the Python standard library is used, so `scripts/controlplane` can
run it without the project's dependencies; `api_client()` imports the `kubernetes` client
lazily.

    with ControlPlane() as cp:
        print(cp.kubeconfig, cp.server, cp.version)
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import ssl
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from tests.controlplane.binaries import (
    BUILD_SCRIPT,
    ControlPlaneError,
    binaries_dir,
    built_versions,
    ensure_binaries,
    missing_binaries,
)
from tests.controlplane.exec_jail import jail_argv, jail_env, probe, write_commands
from tests.controlplane.nodes import DEFAULT_NODES, FAKE_NODE_ANNOTATION, NodeSpec
from tests.controlplane.pki import kubeconfig_text, write_pki
from tests.controlplane.process import (
    Component,
    free_port,
    log_tail,
    pid_alive,
    port_is_listening,
    proc_start_time,
)
from tests.controlplane.rest import API_FILE

__all__ = [
    "DEFAULT_NODES",
    "ControlPlane",
    "ControlPlaneError",
    "NodeSpec",
    "built_versions",
    "default_run_dir",
    "ensure_binaries",
    "pid_alive",
    "port_is_listening",
    "reap_stale",
]

KWOK_STAGES = Path(__file__).resolve().parent / "kwok-stages.yaml"
EXEC_CRD = Path(__file__).resolve().parent / "kwok-exec-crd.json"
EXEC_CRD_NAME = "execs.kwok.x-k8s.io"
REPO = Path(__file__).resolve().parents[2]
STATE_FILE = "state.json"
WORKDIR_PREFIX = "k8slab-cp-"
PV_POOL_LABEL = "k8slab.dev/pool"
SERVICE_CIDR = "10.96.0.0/16"
POD_CIDR = "10.244.0.0/16"
# Static-token users besides `admin` (name -> groups) unless `users=` says otherwise.
# No RBAC is granted to them: tests grant what they check.
DEFAULT_USERS: Mapping[str, Sequence[str]] = {"learner": ("k8slab:learners",)}


# ---- the control plane ----------------------------------------------------------------------


def default_run_dir() -> Path:
    """Where `scripts/controlplane up` keeps the plane it leaves running."""
    base = os.environ.get("XDG_RUNTIME_DIR") or os.environ.get("XDG_CACHE_HOME")
    root = Path(base) if base else Path.home() / ".cache"
    return root / "k8slab" / "controlplane-run"


class ControlPlane:
    """etcd + kube-apiserver + kube-controller-manager + kube-scheduler + KWOK, on 127.0.0.1.

    Attributes once started:
        kubeconfig   admin kubeconfig (token auth, embedded CA), a Path
        server       https://127.0.0.1:<port>
        admin_token  bearer token of `admin` (group system:masters)
        ca_file      CA that signed the API server's certificate, a Path
        version      gitVersion reported by /version, e.g. "v1.37.1"
        workdir      the directory holding certs, kubeconfigs, etcd data and logs/
        nodes        the NodeSpecs of the fake nodes
        exec_problem why `kubectl exec` is not played on this machine; "" when it is
    """

    def __init__(
        self,
        bin_dir: Path | str | None = None,
        workdir: Path | str | None = None,
        nodes: Sequence[NodeSpec] = DEFAULT_NODES,
        pv_count: int = 30,
        pv_size: str = "20Gi",
        pv_access_modes: Sequence[str] = ("ReadWriteOnce",),
        users: Mapping[str, Sequence[str]] | None = None,
        startup_timeout: float = 90.0,
        keep_workdir: bool = False,
    ) -> None:
        """
        Args:
            bin_dir: the binaries; default: build.sh's cache dir (see ensure_binaries).
            workdir: default: a fresh temporary directory, removed by stop() unless keep_workdir.
            nodes: the fake nodes.
            pv_count, pv_size, pv_access_modes: the PV pool of the `standard` class.
            users: static-token users besides admin, name -> groups (default: DEFAULT_USERS);
                see token_for() and kubeconfig_for().
            startup_timeout: seconds allowed for each readiness wait.
        """
        self.bin_dir = Path(bin_dir) if bin_dir else binaries_dir()
        self._own_workdir = workdir is None
        self.workdir = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix=WORKDIR_PREFIX))
        self.nodes = tuple(nodes)
        self.pv_count = pv_count
        self.pv_size = pv_size
        self.pv_access_modes = tuple(pv_access_modes)
        self.startup_timeout = startup_timeout
        self.keep_workdir = keep_workdir
        self.detached = False
        self.components: dict[str, Component] = {}
        self.ports: dict[str, int] = {}
        self.tokens: dict[str, str] = {}
        self.groups: dict[str, list[str]] = {"admin": ["system:masters"]}
        for name, groups in (DEFAULT_USERS if users is None else users).items():
            self.groups[name] = list(groups)
        self.version = ""
        self.startup_seconds = 0.0
        self.timings: dict[str, float] = {}  # seconds each readiness wait took
        self._ssl: ssl.SSLContext | None = None
        self.exec_problem = ""

    # -- paths and public attributes

    @property
    def logs_dir(self) -> Path:
        return self.workdir / "logs"

    @property
    def pki(self) -> Path:
        return self.workdir / "pki"

    @property
    def ca_file(self) -> Path:
        return self.pki / "ca.crt"

    @property
    def kubeconfig(self) -> Path:
        return self.workdir / "admin.kubeconfig"

    @property
    def server(self) -> str:
        return f"https://127.0.0.1:{self.ports['apiserver']}"

    @property
    def exec_home(self) -> Path:
        """Where exec is played from: API access, the container shell's commands and files."""
        return self.workdir / "exec"

    @property
    def exec_served(self) -> bool:
        return not self.exec_problem

    @property
    def admin_token(self) -> str:
        return self.tokens["admin"]

    def __enter__(self) -> ControlPlane:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- lifecycle

    def start(self) -> ControlPlane:
        """Start every component and wait until the cluster is usable. Returns self."""
        missing = missing_binaries(self.bin_dir)
        if missing:
            raise ControlPlaneError(
                f"control-plane binaries missing in {self.bin_dir}: {', '.join(missing)}; "
                f"run {BUILD_SCRIPT}"
            )
        t0 = time.monotonic()
        try:
            self._prepare()
            self._start_component("etcd")
            self._wait("etcd is healthy", self._etcd_healthy, "etcd")
            self._start_component("apiserver")
            self._wait("kube-apiserver /readyz", self._apiserver_ready, "apiserver")
            self.version = self.get("/version")["gitVersion"]
            if self.exec_served:  # KWOK watches Execs from its start: the CRD must be there
                self._create(
                    "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
                    json.loads(EXEC_CRD.read_text()),
                )
            for name in ("controller-manager", "scheduler"):
                self._start_component(name)
            if self.exec_served:
                self._wait("the Exec CRD established", self._exec_crd_established, "apiserver")
            for name in ("kwok", "exec-play"):
                if name in self.components:
                    self._start_component(name)
            self._bootstrap_objects()
            self._wait(
                "kube-controller-manager /healthz",
                lambda: self._component_healthy("controller-manager"),
                "controller-manager",
            )
            self._wait(
                "kube-scheduler /healthz", lambda: self._component_healthy("scheduler"), "scheduler"
            )
            self._wait("kwok /healthz", lambda: self._component_healthy("kwok"), "kwok")
            self._wait(
                "ServiceAccount default/default", self._default_sa_exists, "controller-manager"
            )
            self._wait("nodes Ready and untainted", self._nodes_ready, "kwok", "controller-manager")
            self._wait("PVs Available", self._pvs_available, "controller-manager")
        except BaseException:
            self._dump_logs()
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - t0
        self.save_state()
        return self

    def stop(self) -> None:
        """Stop every process (SIGTERM, then SIGKILL), and remove the workdir if it is ours."""
        for name in ("exec-play", "kwok", "scheduler", "controller-manager", "apiserver", "etcd"):
            comp = self.components.get(name)
            if comp is not None:
                comp.stop()
        for port in self.ports.values():
            deadline = time.monotonic() + 5
            while port_is_listening(port) and time.monotonic() < deadline:
                time.sleep(0.05)
        if self._own_workdir and not self.keep_workdir and not self.detached:
            shutil.rmtree(self.workdir, ignore_errors=True)
        elif self.workdir.exists():
            self.save_state()

    def restart_apiserver(self, grace: float = 2.0, timeout: float | None = None) -> None:
        """Stop kube-apiserver and start it again on the same port; wait for /readyz.

        The API server gets SIGTERM, then SIGKILL after `grace` seconds: a graceful shutdown
        otherwise waits up to --request-timeout (60s) for open watches, which never end by
        themselves. Either way clients see their connections close and must reconnect.
        """
        self.kill_apiserver(grace)
        self.start_apiserver(timeout=timeout)

    def kill_apiserver(self, grace: float = 2.0) -> None:
        """Stop kube-apiserver only (see start_apiserver); its port is free when this returns."""
        self.components["apiserver"].stop(grace=grace)
        deadline = time.monotonic() + 10
        while port_is_listening(self.ports["apiserver"]) and time.monotonic() < deadline:
            time.sleep(0.05)

    def start_apiserver(self, wait: bool = True, timeout: float | None = None) -> None:
        """Start kube-apiserver again after kill_apiserver, on the same port and etcd."""
        comp = self.components["apiserver"]
        if not comp.alive():
            comp.start()
        if wait:
            self._wait(
                "kube-apiserver /readyz", self._apiserver_ready, "apiserver", timeout=timeout
            )
        self.save_state()

    def alive(self) -> dict[str, bool]:
        return {name: comp.alive() for name, comp in self.components.items()}

    def pids(self) -> dict[str, int]:
        return {name: comp.pid for name, comp in self.components.items() if comp.pid is not None}

    def log_path(self, component: str) -> Path:
        return self.logs_dir / f"{component}.log"

    def log_tails(self, lines: int = 30, components: Iterable[str] | None = None) -> str:
        names = list(components) if components is not None else list(self.components)
        return "\n".join(
            f"---- {name} ({self.log_path(name)}) ----\n{log_tail(self.log_path(name), lines)}"
            for name in names
        )

    # -- users and clients

    def token_for(self, user: str) -> str:
        """The static bearer token of `admin` or of a user passed in `users=`."""
        return self.tokens[user]

    def kubeconfig_for(
        self, user: str, namespace: str | None = None, path: Path | None = None
    ) -> Path:
        """Write a kubeconfig for a static-token user."""
        return self.write_kubeconfig(
            path or self.workdir / f"{user}.kubeconfig", user, self.tokens[user], namespace
        )

    def service_account_token(
        self, namespace: str, name: str, expiration_seconds: int = 3600
    ) -> str:
        """A fresh token of a ServiceAccount (TokenRequest API)."""
        body = {
            "apiVersion": "authentication.k8s.io/v1",
            "kind": "TokenRequest",
            "spec": {"expirationSeconds": expiration_seconds},
        }
        out = self.request(
            "POST", f"/api/v1/namespaces/{namespace}/serviceaccounts/{name}/token", body
        )
        return str(out["status"]["token"])

    def kubeconfig_for_service_account(
        self, namespace: str, name: str, path: Path | None = None, expiration_seconds: int = 3600
    ) -> Path:
        token = self.service_account_token(namespace, name, expiration_seconds)
        user = f"system:serviceaccount:{namespace}:{name}"
        return self.write_kubeconfig(
            path or self.workdir / f"sa-{namespace}-{name}.kubeconfig", user, token, namespace
        )

    def write_kubeconfig(
        self, path: Path, user: str, token: str, namespace: str | None = None
    ) -> Path:
        text = kubeconfig_text(self.server, self.ca_file.read_bytes(), user, token, namespace)
        path = Path(path)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(text)
        tmp.chmod(0o600)
        tmp.replace(path)
        return path

    def api_client(self, token: str | None = None) -> Any:
        """A `kubernetes.client.ApiClient` for admin (or for `token`)."""
        from kubernetes import client

        conf = client.Configuration()
        conf.host = self.server
        conf.ssl_ca_cert = str(self.ca_file)
        conf.api_key = {"authorization": token or self.admin_token}
        conf.api_key_prefix = {"authorization": "Bearer"}
        return client.ApiClient(conf)

    # -- raw REST, stdlib only

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        token: str | None = None,
        timeout: float = 10.0,
        content_type: str = "application/json",
    ) -> Any:
        """Call the API server and return the decoded JSON; errors raise urllib.error.HTTPError."""
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.server + path, data=data, method=method)
        req.add_header("Authorization", f"Bearer {token or self.admin_token}")
        req.add_header("Accept", "application/json")
        if data is not None:
            req.add_header("Content-Type", content_type)
        with urllib.request.urlopen(req, timeout=timeout, context=self._ssl_context()) as resp:
            raw = resp.read()
        try:
            return json.loads(raw) if raw else None
        except ValueError:
            return raw.decode()

    def get(self, path: str) -> Any:
        return self.request("GET", path)

    def _ssl_context(self) -> ssl.SSLContext:
        if self._ssl is None:
            self._ssl = ssl.create_default_context(cafile=str(self.ca_file))
        return self._ssl

    # -- state, for scripts/controlplane

    def save_state(self) -> None:
        state = {
            "owner_pid": None if self.detached else os.getpid(),
            "owner_start_time": None if self.detached else proc_start_time(os.getpid()),
            "bin_dir": str(self.bin_dir),
            "workdir": str(self.workdir),
            "own_workdir": self._own_workdir,
            "ports": self.ports,
            "tokens": self.tokens,
            "groups": self.groups,
            "version": self.version,
            "server": self.server if "apiserver" in self.ports else None,
            "kubeconfig": str(self.kubeconfig),
            "nodes": [n.name for n in self.nodes],
            "exec_problem": self.exec_problem,
            "components": {name: c.to_state() for name, c in self.components.items()},
        }
        if not self.workdir.exists():
            return
        tmp = self.workdir / (STATE_FILE + ".tmp")
        tmp.write_text(json.dumps(state, indent=2))
        tmp.replace(self.workdir / STATE_FILE)

    @classmethod
    def attach(cls, workdir: Path | str) -> ControlPlane:
        """A handle on a plane started by another process (e.g. `scripts/controlplane up`)."""
        workdir = Path(workdir)
        try:
            state = json.loads((workdir / STATE_FILE).read_text())
        except (OSError, ValueError) as e:
            raise ControlPlaneError(f"no control plane state in {workdir}: {e}") from e
        cp = cls(
            bin_dir=state["bin_dir"], workdir=workdir, nodes=[NodeSpec(n) for n in state["nodes"]]
        )
        cp._own_workdir = bool(state.get("own_workdir"))
        cp.detached = state.get("owner_pid") is None
        cp.ports = {k: int(v) for k, v in state["ports"].items()}
        cp.tokens = dict(state["tokens"])
        cp.groups = {k: list(v) for k, v in state["groups"].items()}
        cp.version = state.get("version", "")
        cp.exec_problem = state.get("exec_problem", "the plane was started before exec was played")
        cp.components = {name: Component.from_state(c) for name, c in state["components"].items()}
        return cp

    # -- internals: files

    def _prepare(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.logs_dir.mkdir(exist_ok=True)
        self.pki.mkdir(exist_ok=True)
        for name in (
            "etcd-client",
            "etcd-peer",
            "apiserver",
            "controller-manager",
            "scheduler",
            "kwok",
        ):
            self.ports[name] = free_port()
        write_pki(self.pki)
        self.tokens = {user: secrets.token_hex(16) for user in self.groups}
        self.tokens["system:kube-controller-manager"] = secrets.token_hex(16)
        self.tokens["system:kube-scheduler"] = secrets.token_hex(16)
        rows = []
        for user, token in self.tokens.items():
            groups = ",".join(self.groups.get(user, []))
            rows.append(f'{token},{user},{user},"{groups}"' if groups else f"{token},{user},{user}")
        tokens_csv = self.pki / "tokens.csv"
        tokens_csv.write_text("\n".join(rows) + "\n")
        tokens_csv.chmod(0o600)
        self.write_kubeconfig(self.kubeconfig, "admin", self.admin_token)
        for user in ("system:kube-controller-manager", "system:kube-scheduler"):
            short = user.split(":")[-1]
            self.write_kubeconfig(self.workdir / f"{short}.kubeconfig", user, self.tokens[user])
        (self.workdir / "kwok-home").mkdir(
            exist_ok=True
        )  # KWOK also reads ~/.kwok/kwok.yaml: isolate it
        self._prepare_exec()
        self._define_components()

    def _prepare_exec(self) -> None:
        """The container shell's commands and API access; find out if KWOK can be jailed."""
        home = self.exec_home
        home.mkdir(exist_ok=True)
        api = {"server": self.server, "token": self.admin_token, "ca_file": str(self.ca_file)}
        (home / API_FILE).write_text(json.dumps(api))
        (home / API_FILE).chmod(0o600)
        write_commands(home)
        self.exec_problem = probe(home)
        if self.exec_problem:
            print(f"control plane: exec is not played: {self.exec_problem}", file=sys.stderr)

    def _define_components(self) -> None:
        b, w, p, pki = self.bin_dir, self.workdir, self.ports, self.pki
        etcd_url = f"http://127.0.0.1:{p['etcd-client']}"
        peer_url = f"http://127.0.0.1:{p['etcd-peer']}"
        env = {k: v for k, v in os.environ.items() if k not in ("KUBECONFIG", "ETCDCTL_API")}
        argvs: dict[str, list[str]] = {
            "etcd": [
                str(b / "etcd"),
                "--name=k8slab",
                f"--data-dir={w / 'etcd'}",
                f"--listen-client-urls={etcd_url}",
                f"--advertise-client-urls={etcd_url}",
                f"--listen-peer-urls={peer_url}",
                f"--initial-advertise-peer-urls={peer_url}",
                f"--initial-cluster=k8slab={peer_url}",
                "--initial-cluster-state=new",
                "--unsafe-no-fsync=true",  # throwaway data: fsync only slows the tests down
                "--quota-backend-bytes=2147483648",
                "--log-level=warn",
            ],
            "apiserver": [
                str(b / "kube-apiserver"),
                f"--etcd-servers={etcd_url}",
                "--bind-address=127.0.0.1",
                "--advertise-address=127.0.0.1",
                f"--secure-port={p['apiserver']}",
                f"--cert-dir={pki}",
                f"--tls-cert-file={pki / 'apiserver.crt'}",
                f"--tls-private-key-file={pki / 'apiserver.key'}",
                f"--client-ca-file={pki / 'ca.crt'}",
                f"--token-auth-file={pki / 'tokens.csv'}",
                "--authorization-mode=Node,RBAC",
                "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
                f"--service-account-key-file={pki / 'sa.pub'}",
                f"--service-account-signing-key-file={pki / 'sa.key'}",
                f"--service-cluster-ip-range={SERVICE_CIDR}",
                "--allow-privileged=true",
                # The loopback address cannot be an endpoint of the `kubernetes` Service.
                "--endpoint-reconciler-type=none",
                "--profiling=false",
            ],
            "controller-manager": [
                str(b / "kube-controller-manager"),
                f"--kubeconfig={w / 'kube-controller-manager.kubeconfig'}",
                f"--authentication-kubeconfig={w / 'kube-controller-manager.kubeconfig'}",
                f"--authorization-kubeconfig={w / 'kube-controller-manager.kubeconfig'}",
                "--bind-address=127.0.0.1",
                f"--secure-port={p['controller-manager']}",
                f"--cert-dir={w / 'controller-manager-certs'}",
                "--controllers=*",
                "--use-service-account-credentials=true",
                f"--root-ca-file={pki / 'ca.crt'}",
                f"--service-account-private-key-file={pki / 'sa.key'}",
                f"--cluster-signing-cert-file={pki / 'ca.crt'}",
                f"--cluster-signing-key-file={pki / 'ca.key'}",
                f"--service-cluster-ip-range={SERVICE_CIDR}",
                "--leader-elect=false",
                "--node-monitor-period=2s",
                "--profiling=false",
            ],
            "scheduler": [
                str(b / "kube-scheduler"),
                f"--kubeconfig={w / 'kube-scheduler.kubeconfig'}",
                f"--authentication-kubeconfig={w / 'kube-scheduler.kubeconfig'}",
                f"--authorization-kubeconfig={w / 'kube-scheduler.kubeconfig'}",
                "--bind-address=127.0.0.1",
                f"--secure-port={p['scheduler']}",
                f"--cert-dir={w / 'scheduler-certs'}",
                "--leader-elect=false",
                "--profiling=false",
            ],
            "kwok": [
                str(b / "kwok"),
                f"--kubeconfig={self.kubeconfig}",
                f"--config={KWOK_STAGES}",
                "--manage-all-nodes=false",
                f"--manage-nodes-with-annotation-selector={FAKE_NODE_ANNOTATION}=fake",
                f"--cidr={POD_CIDR}",
                "--node-ip=10.0.0.1",
                f"--server-address=127.0.0.1:{p['kwok']}",
                # Renew each node's Lease every 10 s, as a kubelet does. Without a Lease the
                # node controller goes by the node-heartbeat stage alone (every 20-25 s), and
                # one late heartbeat past its 50 s grace marks the node NotReady and every pod
                # on it NotReady for good (KWOK readies only Pending pods).
                "--node-lease-duration-seconds=40",
            ],
        }
        envs = {name: env for name in argvs}
        envs["kwok"] = dict(env, HOME=str(w / "kwok-home"))
        if self.exec_served:
            # The API server dials each node's kubelet at its InternalDNS address (127.0.0.1,
            # see _bootstrap_objects) on the port of the node's daemonEndpoints, which
            # kwok-stages.yaml's node-ready stage fills from --node-port: KWOK's server, which
            # answers TLS (a self-signed certificate the API server does not verify: no
            # --kubelet-certificate-authority) with the kubelet's /exec endpoints.
            argvs["apiserver"].append("--kubelet-preferred-address-types=InternalDNS,InternalIP")
            argvs["kwok"] += [f"--node-port={p['kwok']}", "--enable-crds=Exec"]
            argvs["kwok"] = jail_argv(self.exec_home, argvs["kwok"])
            envs["kwok"] = jail_env({"HOME": str(w / "kwok-home")})
            argvs["exec-play"] = [
                os.path.realpath(sys.executable),
                "-m",
                "tests.controlplane.exec_play",
                str(self.exec_home),
            ]
            envs["exec-play"] = dict(env, PYTHONPATH=str(REPO))
        for name, argv in argvs.items():
            self.components[name] = Component(name, argv, self.log_path(name), env=envs[name])

    def _start_component(self, name: str) -> None:
        self.components[name].start()
        self.save_state()  # from now on reap_stale() can find the process if we die

    # -- internals: readiness

    def _wait(
        self, what: str, check: Callable[[], bool], *components: str, timeout: float | None = None
    ) -> None:
        started = time.monotonic()
        deadline = started + (timeout or self.startup_timeout)
        last_error: BaseException | None = None
        while True:
            for name, comp in self.components.items():
                if comp.pid is not None and not comp.alive():
                    raise ControlPlaneError(
                        f"{name} exited (code {comp.exit_code()}) while waiting for {what}\n"
                        + self.log_tails(60, [name])
                    )
            try:
                if check():
                    self.timings[what] = round(time.monotonic() - started, 2)
                    return
                last_error = None
            except (OSError, urllib.error.URLError, ValueError, KeyError, ssl.SSLError) as e:
                last_error = e
            if time.monotonic() > deadline:
                detail = f" (last error: {last_error})" if last_error else ""
                raise ControlPlaneError(
                    f"timed out after {timeout or self.startup_timeout:.0f}s "
                    f"waiting for {what}{detail}\n"
                    + self.log_tails(40, components or self.components)
                )
            time.sleep(0.2)

    def _etcd_healthy(self) -> bool:
        url = f"http://127.0.0.1:{self.ports['etcd-client']}/health"
        with urllib.request.urlopen(url, timeout=2) as resp:
            return bool(json.loads(resp.read()).get("health") == "true")

    def _apiserver_ready(self) -> bool:
        try:
            return self.request("GET", "/readyz", timeout=3) == "ok"
        except urllib.error.HTTPError:
            return False

    def _component_healthy(self, name: str) -> bool:
        scheme = "http" if name == "kwok" else "https"
        url = f"{scheme}://127.0.0.1:{self.ports[name]}/healthz"
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE  # self-signed serving certs made by the component itself
        try:
            with urllib.request.urlopen(
                url, timeout=2, context=ctx if scheme == "https" else None
            ) as resp:
                return resp.read().strip() == b"ok"
        except urllib.error.HTTPError:
            return False

    def _exec_crd_established(self) -> bool:
        crd = self.get(f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{EXEC_CRD_NAME}")
        conditions = crd.get("status", {}).get("conditions") or []
        return any(c["type"] == "Established" and c["status"] == "True" for c in conditions)

    def _default_sa_exists(self) -> bool:
        try:
            self.get("/api/v1/namespaces/default/serviceaccounts/default")
        except urllib.error.HTTPError as e:
            if e.code == 404:
                return False
            raise
        return True

    def _nodes_ready(self) -> bool:
        items = {n["metadata"]["name"]: n for n in self.get("/api/v1/nodes")["items"]}
        for spec in self.nodes:
            node = items.get(spec.name)
            if node is None:
                return False
            conditions = {
                c["type"]: c["status"] for c in node.get("status", {}).get("conditions", [])
            }
            if conditions.get("Ready") != "True":
                return False
            if any(
                t["key"].startswith("node.kubernetes.io/") for t in node["spec"].get("taints") or []
            ):
                return False
        return True

    def _pvs_available(self) -> bool:
        pvs = self.get(f"/api/v1/persistentvolumes?labelSelector={PV_POOL_LABEL}%3Dstandard")[
            "items"
        ]
        return len(pvs) >= self.pv_count and all(pv.get("status", {}).get("phase") for pv in pvs)

    # -- internals: objects every test expects

    def _create(self, path: str, body: Mapping[str, Any]) -> None:
        try:
            self.request("POST", path, body)
        except urllib.error.HTTPError as e:
            if e.code != 409:
                raise ControlPlaneError(
                    f"creating {body['kind']} {body['metadata']['name']}: "
                    f"HTTP {e.code} {e.read().decode(errors='replace')}"
                ) from e

    def _bootstrap_objects(self) -> None:
        for i, spec in enumerate(self.nodes):
            # Each node its own InternalIP, as on a real cluster: 10.0.0.10, 10.0.0.11, ...
            kubelet = "127.0.0.1" if self.exec_served else ""  # KWOK's server, for exec
            self._create(
                "/api/v1/nodes", spec.manifest(self.version, f"10.0.0.{10 + i}", kubelet)
            )
        self._create(
            "/apis/storage.k8s.io/v1/storageclasses",
            {
                "apiVersion": "storage.k8s.io/v1",
                "kind": "StorageClass",
                "metadata": {
                    "name": "standard",
                    "annotations": {"storageclass.kubernetes.io/is-default-class": "true"},
                },
                "provisioner": "kubernetes.io/no-provisioner",
                "reclaimPolicy": "Retain",
                "volumeBindingMode": "Immediate",
            },
        )
        for i in range(1, self.pv_count + 1):
            name = f"pv-{i:03d}"
            self._create(
                "/api/v1/persistentvolumes",
                {
                    "apiVersion": "v1",
                    "kind": "PersistentVolume",
                    "metadata": {"name": name, "labels": {PV_POOL_LABEL: "standard"}},
                    "spec": {
                        "capacity": {"storage": self.pv_size},
                        "accessModes": list(self.pv_access_modes),
                        "persistentVolumeReclaimPolicy": "Retain",
                        "storageClassName": "standard",
                        "hostPath": {"path": f"/tmp/k8slab-pv/{name}", "type": "DirectoryOrCreate"},
                    },
                },
            )

    def _dump_logs(self) -> None:
        if self.components:
            print(
                f"control plane failed; logs in {self.logs_dir}\n{self.log_tails(30)}", flush=True
            )


# ---- leftovers of killed test runs --------------------------------------------------------


def reap_stale(tmp_root: Path | None = None) -> list[Path]:
    """Stop control planes whose owning process died without stopping them (e.g. a killed pytest).

    Only planes started by a test process (not `scripts/controlplane up`) are reaped. Returns
    the work directories that were cleaned.
    """
    cleaned = []
    root = tmp_root or Path(tempfile.gettempdir())
    for state_file in root.glob(f"{WORKDIR_PREFIX}*/{STATE_FILE}"):
        try:
            state = json.loads(state_file.read_text())
        except (OSError, ValueError):
            continue
        owner = state.get("owner_pid")
        if owner is None or pid_alive(int(owner), state.get("owner_start_time")):
            continue
        cp = ControlPlane.attach(state_file.parent)
        cp.stop()
        shutil.rmtree(state_file.parent, ignore_errors=True)
        cleaned.append(state_file.parent)
    return cleaned
