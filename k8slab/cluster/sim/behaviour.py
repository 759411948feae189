"""How a simulated container behaves: how long it runs, how it exits, what it logs.

The lesson's `SimBehaviour` hints win; otherwise a small interpreter reads the shell idioms of
the seed manifests: `sleep N`, `echo` (to the log, or `>`/`>>` into a file), `exit N`,
`while true` loops (run forever, logging each period), `for i in 1 2 3` loops, a random
failure `if [ $((RANDOM % 2)) -eq 0 ]; then exit 1; fi` (drawn from the sim's seeded RNG), and
long-running servers (`nginx`, `redis-server`, databases by image). Anything else is a command
that runs and returns at once.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from random import Random
from typing import Any

from k8slab.lessons.model import SimBehaviour

SERVERS = ("nginx", "redis-server", "mysqld", "postgres", "httpd", "mongod", "memcached",
           "node_exporter", "fluentd", "elasticsearch", "haproxy", "caddy", "envoy")
SHELLS = ("sh", "/bin/sh", "bash", "/bin/bash", "ash", "/bin/ash", "/usr/bin/env")
# Images whose default entrypoint is a long-running server, and how long until it serves.
IMAGE_SERVERS = {
    "nginx": 0.5, "httpd": 0.5, "redis": 1.0, "mysql": 8.0, "mariadb": 6.0, "postgres": 4.0,
    "mongo": 5.0, "elasticsearch": 15.0, "fluentd": 2.0, "fluent-bit": 1.0,
    "node-exporter": 0.5, "prometheus": 2.0, "memcached": 0.5, "rabbitmq": 8.0,
    "kafka": 10.0, "zookeeper": 4.0, "etcd": 2.0, "pause": 0.0, "agent": 1.0,
}
SHELL_IMAGES = ("busybox", "alpine", "ubuntu", "debian", "bash", "curlimages/curl")
_RANDOM = re.compile(r"\$\(\(\s*RANDOM\s*%\s*(\d+)\s*\)\)\s*\]?\s*-(eq|ne|lt|le|gt|ge)\s+(\d+)")
_DATE = "\0DATE\0"


@dataclass(slots=True)
class Op:
    """One step of an interpreted script."""

    kind: str  # log, write, sleep, exit, server, loop, chance
    text: str = ""
    path: str = ""
    append: bool = False
    seconds: float = 0.0
    code: int = 0
    count: int | None = None  # loop: None = forever
    var: str = ""
    items: tuple[str, ...] = ()
    body: list[Op] = field(default_factory=list)
    other: list[Op] = field(default_factory=list)
    chance: float = 0.0


@dataclass(slots=True)
class Run:
    """One run of a container, decided when it starts."""

    duration: float | None  # None: runs until stopped
    exit_code: int
    lines: list[tuple[float, str]]  # (offset, text) before any endless loop
    loop: tuple[float, float, list[tuple[float, str]]] | None  # (start, period, lines)
    writes: list[tuple[str, str, bool]]  # startup files: (path, text, append)
    ready_after: float  # seconds from start until a readiness probe would pass
    stops_on_sigterm: bool  # a server exits on SIGTERM; a shell as PID 1 ignores it

    def log_lines(self, started: float, until: float, date: Any) -> list[str]:
        """The log lines written between `started` and virtual time `until`."""
        out = []
        end = until if self.duration is None else min(until, started + self.duration)
        for off, text in self.lines:
            if started + off > end:
                break
            out.append(text.replace(_DATE, date(started + off)))
        if self.loop is not None:
            start, period, body = self.loop
            t0 = started + start
            n = 0
            while period > 0 and n < 10000:
                base = t0 + n * period
                if base > end:
                    break
                for off, text in body:
                    if base + off > end:
                        break
                    out.append(text.replace(_DATE, date(base + off)))
                n += 1
        return out[-5000:]


# -- parsing ------------------------------------------------------------------------------------

def _split_statements(script: str) -> list[str]:
    """Split on newlines, `;`, `&&` and `||` outside quotes and $( )."""
    out: list[str] = []
    cur: list[str] = []
    quote = ""
    depth = 0
    i = 0
    while i < len(script):
        ch = script[i]
        if quote:
            cur.append(ch)
            if ch == quote:
                quote = ""
            elif ch == "\\" and quote == '"' and i + 1 < len(script):
                cur.append(script[i + 1])
                i += 1
        elif ch in "'\"":
            quote = ch
            cur.append(ch)
        elif ch == "$" and script[i + 1:i + 2] == "(":
            depth += 1
            cur.append(ch)
        elif ch == ")" and depth:
            depth -= 1
            cur.append(ch)
        elif depth == 0 and (ch in "\n;" or script[i:i + 2] in ("&&", "||")):
            if script[i:i + 2] in ("&&", "||"):
                i += 1
            out.append("".join(cur).strip())
            cur = []
        elif ch == "#" and depth == 0 and (not cur or cur[-1] in " \t"):
            while i < len(script) and script[i] != "\n":
                i += 1
            continue
        else:
            cur.append(ch)
        i += 1
    out.append("".join(cur).strip())
    result = []
    for s in out:
        # `do echo x` / `then exit 1` / `else ...`: the keyword opens a block; keep it apart.
        while True:
            m = re.match(r"^(do|then|else)\s+(.+)$", s)
            if not m:
                break
            result.append(m.group(1))
            s = m.group(2).strip()
        if s:
            result.append(s)
    return result


def _words(stmt: str) -> list[str]:
    import shlex

    try:
        return shlex.split(stmt, posix=True)
    except ValueError:
        return stmt.split()


@functools.lru_cache(maxsize=512)
def parse_script(script: str) -> list[Op]:
    """The ops of a shell script, as far as the sim understands it (cached: treat the result
    as read-only)."""
    stmts = _split_statements(script)
    ops, _ = _block(stmts, 0, ())
    return ops


def _block(stmts: list[str], i: int, ends: tuple[str, ...]) -> tuple[list[Op], int]:
    ops: list[Op] = []
    while i < len(stmts):
        s = stmts[i]
        first = s.split(None, 1)[0] if s else ""
        if first in ends:
            return ops, i
        if first in ("while", "until"):
            cond = s[len(first):].strip()
            body, i = _block(stmts, _skip(stmts, i + 1, "do"), ("done",))
            forever = first == "while" and cond in ("true", ":", "[ 1 ]", "[ true ]")
            ops.append(Op("loop", count=None if forever else 1, body=body))
            i += 1
            continue
        if first == "for":
            m = re.match(r"^for\s+(\w+)\s+in\s+(.*)$", s)
            var, items = (m.group(1), _loop_items(m.group(2))) if m else ("", ("1",))
            body, i = _block(stmts, _skip(stmts, i + 1, "do"), ("done",))
            ops.append(Op("loop", count=len(items), var=var, items=items, body=body))
            i += 1
            continue
        if first == "if":
            cond = s[2:].strip()
            then, i = _block(stmts, _skip(stmts, i + 1, "then"), ("else", "elif", "fi"))
            other: list[Op] = []
            while i < len(stmts) and stmts[i].split(None, 1)[0] in ("else", "elif"):
                other, i = _block(stmts, i + 1, ("fi",))
            i += 1
            m = _RANDOM.search(cond)
            if m:
                n, op, k = int(m.group(1)), m.group(2), int(m.group(3))
                hits = sum(1 for r in range(n) if _compare(r, op, k))
                ops.append(Op("chance", chance=hits / n if n else 0.0, body=then, other=other))
            else:
                ops.extend(then)  # other conditions: assume the happy path
            continue
        ops.extend(_simple(s))
        i += 1
    return ops, i


def _skip(stmts: list[str], i: int, keyword: str) -> int:
    return i + 1 if i < len(stmts) and stmts[i] == keyword else i


def _compare(a: int, op: str, b: int) -> bool:
    return {"eq": a == b, "ne": a != b, "lt": a < b, "le": a <= b, "gt": a > b,
            "ge": a >= b}[op]


def _loop_items(text: str) -> tuple[str, ...]:
    text = text.strip()
    m = re.match(r"^\$\(seq\s+(\d+)(?:\s+(\d+))?\)$", text)
    if m:
        a, b = (1, int(m.group(1))) if m.group(2) is None else (int(m.group(1)),
                                                                 int(m.group(2)))
        return tuple(str(x) for x in range(a, b + 1))
    m = re.match(r"^\{(\d+)\.\.(\d+)\}$", text)
    if m:
        return tuple(str(x) for x in range(int(m.group(1)), int(m.group(2)) + 1))
    return tuple(_words(text)) or ("1",)


def _simple(stmt: str) -> list[Op]:
    words = _words(stmt)
    if not words:
        return []
    cmd = words[0].rsplit("/", 1)[-1]
    if cmd == "exec" and len(words) > 1:
        return _simple(stmt.split(None, 1)[1])
    if cmd in ("echo", "printf"):
        redirect = re.search(r"\s(>>?)\s*(\S+)\s*$", stmt)
        body = stmt[:redirect.start()] if redirect else stmt
        text = _echo_text(body)
        if redirect:
            return [Op("write", text=text, path=redirect.group(2).strip("'\""),
                       append=redirect.group(1) == ">>")]
        return [Op("log", text=text)]
    if cmd == "sleep":
        arg = words[1] if len(words) > 1 else "0"
        if arg in ("infinity", "inf"):
            return [Op("server")]
        try:
            return [Op("sleep", seconds=float(arg.rstrip("s")))]
        except ValueError:
            return []
    if cmd == "exit":
        try:
            return [Op("exit", code=int(words[1]) if len(words) > 1 else 0)]
        except ValueError:
            return [Op("exit", code=1)]
    if cmd == "false":
        return [Op("exit", code=1)]
    if cmd == "date":
        return [Op("log", text=_DATE)]
    if cmd == "hostname":
        return [Op("log", text="$HOSTNAME")]
    if cmd == "tail" and "-f" in words:
        return [Op("server")]
    if any(cmd.startswith(s) for s in SERVERS) or cmd in ("docker-entrypoint.sh",):
        return [Op("server")]
    if cmd == "python" and "http.server" in stmt:
        return [Op("server")]
    return []


def _echo_text(stmt: str) -> str:
    rest = stmt.strip().split(None, 1)
    text = rest[1] if len(rest) > 1 else ""
    text = re.sub(r"^(-[neE]+\s+)+", "", text)
    words = _words(text)
    joined = " ".join(words) if words else ""
    return joined.replace("\\n", "\n")


# -- evaluation ---------------------------------------------------------------------------------

def script_of(container: dict[str, Any]) -> tuple[str | None, list[str]]:
    """(shell script, or None) and the plain argv of a container's command + args."""
    argv = [str(a) for a in (container.get("command") or [])] + [
        str(a) for a in (container.get("args") or [])]
    if argv and argv[0] in SHELLS:
        rest = argv[1:]
        if rest and rest[0] == "sh" and argv[0] == "/usr/bin/env":
            rest = rest[1:]
        for j, a in enumerate(rest):
            if a in ("-c", "-ec", "-ce", "-xc", "-euc", "-exc"):
                return (rest[j + 1] if j + 1 < len(rest) else ""), argv
    return None, argv


def image_name(image: str) -> str:
    """`docker.io/library/nginx:1.25` → `nginx`; `prom/node-exporter:v1` → `node-exporter`."""
    last = image.rsplit("/", 1)[-1]
    return last.split("@")[0].split(":")[0]


def _image_default(image: str) -> tuple[bool, float]:
    """(runs forever, seconds until it serves) for an image run without a command."""
    name = image_name(image)
    for key, ready in IMAGE_SERVERS.items():
        if name == key or name.startswith(key) or key in name:
            return True, ready
    if name in SHELL_IMAGES or any(name.startswith(s) for s in SHELL_IMAGES):
        return False, 0.0  # `sh` with no terminal exits at once
    return True, 1.0  # an application image: assume it serves


def plan_run(container: dict[str, Any], env: dict[str, str], hint: SimBehaviour | None,
             rng: Random, *, attempt: int = 1) -> Run:
    """Decide how one run of `container` goes, using the hint, the command and the RNG.

    `attempt` is the 1-based run of this workload's container (for the hint's fail_first).
    """
    script, argv = script_of(container)
    image = str(container.get("image", ""))
    server_default, ready_default = _image_default(image)
    if script is not None:
        ops = parse_script(script)
    elif argv and not container.get("command") and argv[0].startswith("-"):
        # Only args: flags for the image's own entrypoint (node-exporter --path.procfs=...).
        ops = [Op("server")] if server_default else []
    elif argv:
        ops = _simple(" ".join(_quote(a) for a in argv))
        if not ops and argv[0].rsplit("/", 1)[-1] in ("sleep",):
            ops = []
    else:
        ops = [Op("server")] if server_default else []
    state = _Eval(env, rng)
    state.run(ops)
    run = Run(
        duration=None if state.forever else state.t,
        exit_code=state.code,
        lines=state.lines,
        loop=state.loop,
        writes=state.writes,
        ready_after=ready_default if state.server else 0.0,
        stops_on_sigterm=state.server or "trap " in (script or ""),
    )
    if hint is not None:
        _apply_hint(run, hint, rng, env, attempt)
    return run


def _quote(arg: str) -> str:
    import shlex

    return shlex.quote(arg)


def _apply_hint(run: Run, hint: SimBehaviour, rng: Random, env: dict[str, str],
                attempt: int = 1) -> None:
    if hint.duration is not None:
        run.duration = float(hint.duration)
        run.loop = None if run.loop is None else run.loop
    elif hint.exit_code is not None and run.duration is None:
        run.duration = 1.0
    if hint.exit_code is not None:
        run.exit_code = int(hint.exit_code)
    if hint.failure_rate is not None:
        run.exit_code = 1 if rng.random() < hint.failure_rate else (
            int(hint.exit_code) if hint.exit_code is not None else 0)
        if run.duration is None:
            run.duration = 1.0
    fail_first = getattr(hint, "fail_first", None)
    if fail_first and attempt <= fail_first:
        run.exit_code = 1
        if run.duration is None:
            run.duration = 1.0
    if hint.ready_after is not None:
        run.ready_after = float(hint.ready_after)
    if hint.logs:
        run.lines = [(0.0, _expand(line, env)) for line in hint.logs]
        run.loop = None


class _Eval:
    """Runs ops on a virtual timeline to decide a Run."""

    def __init__(self, env: dict[str, str], rng: Random) -> None:
        self.env = env
        self.rng = rng
        self.t = 0.0
        self.code = 0
        self.lines: list[tuple[float, str]] = []
        self.writes: list[tuple[str, str, bool]] = []
        self.loop: tuple[float, float, list[tuple[float, str]]] | None = None
        self.forever = False
        self.server = False
        self.done = False

    def run(self, ops: list[Op], local: dict[str, str] | None = None) -> None:
        for op in ops:
            if self.done:
                return
            self._one(op, local or {})

    def _one(self, op: Op, local: dict[str, str]) -> None:
        env = {**self.env, **local}
        if op.kind == "log":
            self.lines.append((self.t, _expand(op.text, env)))
        elif op.kind == "write":
            if self.t == 0.0 or not self.writes or len(self.writes) < 20:
                self.writes.append((_expand(op.path, env), _expand(op.text, env) + "\n",
                                    op.append))
        elif op.kind == "sleep":
            self.t += op.seconds
        elif op.kind == "exit":
            self.code, self.done = op.code, True
        elif op.kind == "server":
            self.forever = self.server = self.done = True
        elif op.kind == "chance":
            self.run(op.body if self.rng.random() < op.chance else op.other, local)
        elif op.kind == "loop":
            if op.count is not None:
                for item in (op.items or ("1",) * op.count):
                    self.run(op.body, {**local, op.var: item} if op.var else local)
                    if self.done:
                        return
                return
            self._forever(op, local)

    def _forever(self, op: Op, local: dict[str, str]) -> None:
        risky = _has(op.body, ("exit", "chance"))
        start = self.t
        if not risky:
            before = len(self.lines)
            self.run(op.body, local)
            period = self.t - start
            body = [(off - start, text) for off, text in self.lines[before:]]
            del self.lines[before:]
            if period <= 0:
                period = 1.0  # a busy loop; log as if once a second
            self.loop = (start, period, body)
            self.forever = self.done = True
            return
        for _ in range(500):
            t_before = self.t
            self.run(op.body, local)
            if self.done:
                return
            if self.t == t_before:
                self.t += 1.0
        self.forever = self.done = True


def _has(ops: list[Op], kinds: tuple[str, ...]) -> bool:
    return any(o.kind in kinds or _has(o.body, kinds) or _has(o.other, kinds) for o in ops)


_VAR = re.compile(r"\$\{(\w+)\}|\$(\w+)|\$\((hostname|date[^)]*|whoami)\)")


def _expand(text: str, env: dict[str, str]) -> str:
    def sub(m: re.Match[str]) -> str:
        if m.group(3):
            cmd = m.group(3)
            if cmd == "hostname":
                return env.get("HOSTNAME", "")
            if cmd == "whoami":
                return "root"
            return _DATE
        name = m.group(1) or m.group(2)
        return env.get(name, "")

    return _VAR.sub(sub, text)


def expand(text: str, env: dict[str, str]) -> str:
    """Expand `$VAR`, `${VAR}`, `$(hostname)` (and mark `$(date)`) as a shell would."""
    return _expand(text, env)


DATE_MARK = _DATE
