"""`kubectl exec` in the sim: a small shell over the per-volume file store.

Understands `echo`/`printf` with `>` and `>>`, `cat`, `ls`, `mkdir`, `touch`, `rm`, `hostname`,
`date`, `env`, `pwd`, `whoami`, `sleep`, `true`/`false`, `nslookup`, `curl`/`wget` against
cluster names, `redis-cli SET/GET/DEL/KEYS` (kept in the container's /data), `sh -c "..."` with
`;`, `&&`, `||` and a pipe into `head`/`tail`/`grep`/`wc -l`. Anything else answers like a shell
that lacks the command: `sh: foo: not found`, exit 127.
"""

from __future__ import annotations

import builtins
import re
import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from k8slab.cluster import dns
from k8slab.cluster.protocol import ExecResult
from k8slab.cluster.sim.behaviour import DATE_MARK, SHELLS, expand
from k8slab.cluster.sim.filestore import FileStore, ObjectReader
from k8slab.cluster.sim.store import Obj

REDIS_DIR = "/data/.redis"


class ObjectLister(ObjectReader, Protocol):
    """Objects by key, and every object of a kind (in a namespace, or in all of them)."""

    def list(self, kind: str, namespace: str | None = None) -> builtins.list[Obj]: ...


class Clock(Protocol):
    """The cluster's clock: `now` in seconds, what `date` prints."""

    @property
    def now(self) -> float: ...


class ExecCore(Protocol):
    """What exec needs of a cluster. SimCore is one; the test control plane's container
    shell (tests/controlplane/container_shell.py) is another, over a real API server."""

    @property
    def files(self) -> FileStore: ...

    @property
    def store(self) -> ObjectLister: ...

    @property
    def clock(self) -> Clock: ...

    def controller(self, name: str) -> Any: ...


@dataclass(slots=True)
class _Ctx:
    core: ExecCore
    pod: Obj
    container: str
    container_id: str
    env: dict[str, str]
    date: Callable[[float], str]


def run(core: ExecCore, pod: Obj, container: str, container_id: str, command: Sequence[str],
        env: dict[str, str], date: Callable[[float], str]) -> ExecResult:
    """Run `command` (an argv) in the container and return what it printed."""
    ctx = _Ctx(core, pod, container, container_id, env, date)
    argv = [str(a) for a in command]
    if not argv:
        return ExecResult("", "error: you must specify at least one command for the container",
                          1)
    if argv[0] in SHELLS and len(argv) >= 3 and argv[1] in ("-c", "-ec", "-ce"):
        return _script(ctx, argv[2])
    if argv[0] in SHELLS and len(argv) == 1:
        return ExecResult("", "", 0)
    return _pipeline(ctx, " ".join(shlex.quote(a) for a in argv))


def _split(script: str) -> list[tuple[str, str]]:
    """(statement, operator joining it to the previous) for `;`, newline, `&&` and `||`."""
    out: list[tuple[str, str]] = []
    cur: list[str] = []
    quote, op, i = "", ";", 0
    while i < len(script):
        ch = script[i]
        if quote:
            cur.append(ch)
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
            cur.append(ch)
        elif script[i:i + 2] in ("&&", "||"):
            out.append(("".join(cur).strip(), op))
            op, cur = script[i:i + 2], []
            i += 1
        elif ch in ";\n":
            out.append(("".join(cur).strip(), op))
            op, cur = ";", []
        else:
            cur.append(ch)
        i += 1
    out.append(("".join(cur).strip(), op))
    return [(s, o) for s, o in out if s]


def _script(ctx: _Ctx, script: str) -> ExecResult:
    stdout: list[str] = []
    stderr: list[str] = []
    code = 0
    for stmt, op in _split(script):
        if (op == "&&" and code != 0) or (op == "||" and code == 0):
            continue
        res = _pipeline(ctx, stmt)
        stdout.append(res.stdout)
        stderr.append(res.stderr)
        code = res.exit_code
        if stmt.split(None, 1)[0] == "exit":
            break
    return ExecResult("".join(stdout), "".join(stderr), code)


def _pipeline(ctx: _Ctx, stmt: str) -> ExecResult:
    parts = _split_pipe(stmt)
    res = _command(ctx, parts[0])
    for filt in parts[1:]:
        res = _filter(res, filt)
    return res


def _split_pipe(stmt: str) -> list[str]:
    out: list[str] = []
    cur: list[str] = []
    quote = ""
    for ch in stmt:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "|":
            out.append("".join(cur).strip())
            cur = []
            continue
        cur.append(ch)
    out.append("".join(cur).strip())
    return out


def _filter(res: ExecResult, stmt: str) -> ExecResult:
    words = _words(stmt)
    lines = res.stdout.splitlines(keepends=True)
    cmd = words[0] if words else ""
    n = 10
    for j, w in enumerate(words[1:], 1):
        if w == "-n" and j + 1 < len(words) and words[j + 1].isdigit():
            n = int(words[j + 1])
        elif w.startswith("-") and w[1:].isdigit():
            n = int(w[1:])
    if cmd == "head":
        return ExecResult("".join(lines[:n]), res.stderr, res.exit_code)
    if cmd == "tail":
        return ExecResult("".join(lines[-n:]), res.stderr, res.exit_code)
    if cmd == "grep" and len(words) > 1:
        pat = words[-1]
        hits = [ln for ln in lines if pat in ln]
        return ExecResult("".join(hits), res.stderr, 0 if hits else 1)
    if cmd == "wc" and "-l" in words:
        return ExecResult(f"{len(lines)}\n", res.stderr, res.exit_code)
    return ExecResult("", f"sh: {cmd}: not found\n", 127)


def _words(stmt: str) -> list[str]:
    try:
        return shlex.split(stmt)
    except ValueError:
        return stmt.split()


def _command(ctx: _Ctx, stmt: str) -> ExecResult:
    redirect = re.search(r"\s(>>?)\s*(\S+)\s*$", stmt)
    body = stmt[:redirect.start()] if redirect else stmt
    words = [_expand(ctx, w) for w in _words(body)]
    if not words:
        return ExecResult("")
    res = _builtin(ctx, words)
    if redirect and res.exit_code != 127:
        path = _abs(ctx, _expand(ctx, redirect.group(2).strip("'\"")))
        err = _write(ctx, path, res.stdout, append=redirect.group(1) == ">>")
        if err:
            return ExecResult("", err, 1)
        return ExecResult("", res.stderr, res.exit_code)
    return res


def _expand(ctx: _Ctx, text: str) -> str:
    return expand(text, ctx.env).replace(DATE_MARK, ctx.date(ctx.core.clock.now))


def _abs(ctx: _Ctx, path: str) -> str:
    return path if path.startswith("/") else "/" + path


def _write(ctx: _Ctx, path: str, text: str, *, append: bool) -> str:
    files = ctx.core.files
    loc = files.locate(ctx.pod, ctx.container, path, ctx.container_id)
    if loc.readonly:
        return f"sh: can't create {path}: Read-only file system\n"
    files.write(loc, text, append=append)
    return ""


def _builtin(ctx: _Ctx, words: list[str]) -> ExecResult:
    cmd, args = words[0].rsplit("/", 1)[-1], words[1:]
    files = ctx.core.files
    if cmd in ("echo", "printf"):
        newline = True
        while args and args[0] in ("-n", "-e", "-ne", "-en"):
            newline = newline and "n" not in args[0]
            args = args[1:]
        text = " ".join(args)
        if cmd == "printf":
            text, newline = text.replace("\\n", "\n"), False
        return ExecResult(text + ("\n" if newline else ""))
    if cmd == "cat":
        out: list[str] = []
        err: list[str] = []
        for p in args:
            loc = files.locate(ctx.pod, ctx.container, _abs(ctx, p), ctx.container_id)
            content = files.read(loc)
            if content is None:
                kind = "Is a directory" if files.exists_dir(loc) else "No such file or directory"
                err.append(f"cat: can't open '{p}': {kind}\n")
            else:
                out.append(content)
        return ExecResult("".join(out), "".join(err), 1 if err else 0)
    if cmd == "ls":
        paths = [a for a in args if not a.startswith("-")] or ["/"]
        long = any(a.startswith("-") and "l" in a for a in args)
        out, err = [], []
        for p in paths:
            loc = files.locate(ctx.pod, ctx.container, _abs(ctx, p), ctx.container_id)
            if files.read(loc) is not None:
                out.append(p + "\n")
                continue
            names = files.listdir(loc)
            if not names and not files.exists_dir(loc) and not _is_mount(ctx, p):
                err.append(f"ls: {p}: No such file or directory\n")
                continue
            if len(paths) > 1:
                out.append(f"{p}:\n")
            for n in names:
                out.append(f"-rw-r--r--    1 root     root  {n}\n" if long else n + "\n")
        return ExecResult("".join(out), "".join(err), 1 if err else 0)
    if cmd in ("mkdir", "touch"):
        for p in (a for a in args if not a.startswith("-")):
            loc = files.locate(ctx.pod, ctx.container, _abs(ctx, p), ctx.container_id)
            if loc.readonly:
                return ExecResult("", f"{cmd}: {p}: Read-only file system\n", 1)
            if cmd == "touch":
                if files.read(loc) is None:
                    files.write(loc, "")
            else:
                files.write(files.locate(ctx.pod, ctx.container, _abs(ctx, p) + "/.keep",
                                         ctx.container_id), "")
        return ExecResult("")
    if cmd == "rm":
        for p in (a for a in args if not a.startswith("-")):
            loc = files.locate(ctx.pod, ctx.container, _abs(ctx, p), ctx.container_id)
            if files.read(loc) is None:
                return ExecResult("", f"rm: can't remove '{p}': No such file or directory\n", 1)
            files.remove(loc)
        return ExecResult("")
    if cmd == "hostname":
        return ExecResult(ctx.env.get("HOSTNAME", "") + "\n")
    if cmd == "date":
        return ExecResult(ctx.date(ctx.core.clock.now) + "\n")
    if cmd in ("env", "printenv"):
        if args:
            v = ctx.env.get(args[0])
            return ExecResult(f"{v}\n" if v is not None else "", "", 0 if v is not None else 1)
        return ExecResult("".join(f"{k}={v}\n" for k, v in sorted(ctx.env.items())))
    if cmd == "pwd":
        return ExecResult("/\n")
    if cmd == "whoami":
        return ExecResult("root\n")
    if cmd in ("sleep", "true", ":", "sync"):
        return ExecResult("")
    if cmd == "false":
        return ExecResult("", "", 1)
    if cmd == "exit":
        return ExecResult("", "", int(args[0]) if args and args[0].isdigit() else 0)
    if cmd == "nslookup":
        return _nslookup(ctx, args)
    if cmd in ("curl", "wget"):
        return _http(ctx, cmd, args)
    if cmd == "redis-cli":
        return _redis(ctx, args)
    return ExecResult("", f"sh: {cmd}: not found\n", 127)


def _is_mount(ctx: _Ctx, path: str) -> bool:
    spec = ctx.pod["spec"]
    for c in spec.get("containers") or ():
        if c.get("name") == ctx.container:
            return any(m.get("mountPath", "").rstrip("/") == path.rstrip("/")
                       for m in c.get("volumeMounts") or ())
    return False


def _nslookup(ctx: _Ctx, args: list[str]) -> ExecResult:
    names = [a for a in args if not a.startswith("-")]
    if not names:
        return ExecResult("", "BusyBox v1.36.1 multi-call binary.\n\nUsage: nslookup HOST\n",
                          1)
    store = ctx.core.store
    ns = ctx.pod["metadata"]["namespace"]
    fqdn, addrs = dns.resolve_name(names[0], services=store.list("Service"),
                                   pods=store.list("Pod"), namespace=ns)
    head = "Server:\t\t10.96.0.10\nAddress:\t10.96.0.10:53\n\n"
    if not addrs:
        return ExecResult(head + f"** server can't find {dns.qualify(names[0], ns)}: "
                          "NXDOMAIN\n\n", "", 1)
    body = f"Name:\t{fqdn}\n" + "".join(f"Address: {a}\n" for a in addrs)
    return ExecResult(head + body + "\n")


def _http(ctx: _Ctx, cmd: str, args: list[str]) -> ExecResult:
    urls = [a for a in args if not a.startswith("-") and a not in ("O", "-")]
    if not urls:
        return ExecResult("", f"{cmd}: no URL specified\n", 2)
    url = urls[-1]
    m = re.match(r"^(?:https?://)?([^/:]+)(?::(\d+))?(/.*)?$", url)
    if m is None:
        return ExecResult("", f"{cmd}: bad address '{url}'\n", 1)
    host, path = m.group(1), m.group(3) or "/"
    store = ctx.core.store
    ns = ctx.pod["metadata"]["namespace"]
    _, addrs = dns.resolve_name(host, services=store.list("Service"), pods=store.list("Pod"),
                                namespace=ns)
    if not addrs:
        return ExecResult("", f"{cmd}: bad address '{host}'\n" if cmd == "wget" else
                          f"curl: (6) Could not resolve host: {host}\n",
                          1 if cmd == "wget" else 6)
    target = _pod_for_ip(ctx, addrs, ns)
    if target is None:
        return ExecResult("", f"{cmd}: can't connect to remote host: Connection refused\n", 1)
    page = path if not path.endswith("/") else path + "index.html"
    for c in target["spec"].get("containers") or ():
        if "nginx" not in str(c.get("image", "")):
            continue
        cid = ctx.core.controller("kubelet").container_info(target, c["name"])[3]
        loc = ctx.core.files.locate(target, c["name"], "/usr/share/nginx/html" + page, cid)
        text = ctx.core.files.read(loc)
        if text is not None:
            return ExecResult(text)
        return ExecResult("", f"{cmd}: server returned error: HTTP/1.1 404 Not Found\n", 8)
    return ExecResult("", f"{cmd}: can't connect to remote host: Connection refused\n", 1)


def _pod_for_ip(ctx: _Ctx, addrs: list[str], ns: str) -> Obj | None:
    store = ctx.core.store
    for a in addrs:
        for p in store.list("Pod"):
            if (p.get("status") or {}).get("podIP") == a:
                return p
        for svc in store.list("Service", ns):
            if (svc.get("spec") or {}).get("clusterIP") == a:
                sel = svc["spec"].get("selector") or {}
                for p in store.list("Pod", ns):
                    labels = p["metadata"].get("labels") or {}
                    if sel and all(labels.get(k) == v for k, v in sel.items()) and \
                            (p.get("status") or {}).get("podIP"):
                        return p
    return None


def _redis(ctx: _Ctx, args: list[str]) -> ExecResult:
    words = [a for i, a in enumerate(args) if not (a.startswith("-") or (
        i > 0 and args[i - 1] in ("-h", "-p", "-a", "-n")))]
    if not words:
        return ExecResult("", "", 0)
    op = words[0].upper()
    files = ctx.core.files

    def loc(key: str) -> Any:
        return files.locate(ctx.pod, ctx.container, f"{REDIS_DIR}/{key}", ctx.container_id)

    if op == "PING":
        return ExecResult("PONG\n")
    if op == "SET" and len(words) >= 3:
        files.write(loc(words[1]), " ".join(words[2:]))
        return ExecResult("OK\n")
    if op == "GET" and len(words) >= 2:
        value = files.read(loc(words[1]))
        return ExecResult("\n" if value is None else value + "\n")
    if op == "DEL" and len(words) >= 2:
        found = files.read(loc(words[1])) is not None
        if found:
            files.remove(loc(words[1]))
        return ExecResult(f"(integer) {int(found)}\n")
    if op == "KEYS":
        base = files.locate(ctx.pod, ctx.container, REDIS_DIR, ctx.container_id)
        return ExecResult("".join(k + "\n" for k in files.listdir(base)))
    return ExecResult(f"(error) ERR unknown command '{words[0]}'\n", "", 0)
