"""KWOK in a mount namespace whose command directories hold only the container shell.

KWOK serves the kubelet's exec endpoint by starting the command as a local process, as
itself (here: often root) on this machine. A bare name (`sh`, `cat`) is looked up in KWOK's
PATH, but an absolute one (`/bin/sh -c "rm ..."`) would run the host's own binary. So KWOK
runs in a private mount namespace (`unshare --mount`, plus `--user --map-root-user` when not
root) in which /bin, /sbin, /usr/bin, /usr/sbin, /usr/local/bin and /usr/local/sbin are all
bind mounts of one directory of ours. In it each command a lesson can exec is a symlink to
one script, the container shell (container_shell.py): whatever `kubectl exec` asks for, it
is that script or "not found". The mounts are private: the host and the other components
see nothing of them.

The script's interpreter is bind-mounted to `<exec home>/python` first, so that it is still
there when its own directory happens to be one of those covered; PYTHONHOME (set by the
plane) finds its standard library.

    python -S exec_jail.py HOME INTERPRETER -- KWOK-ARGV...     (under unshare)

`main` only mounts and then becomes KWOK (execv: same pid, same process group); it needs
only the standard library, as it runs with `-S` from its path.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

# The commands the sim's exec interpreter knows as a first word (k8slab/cluster/sim/exec.py).
COMMANDS = (
    "sh", "ash", "bash", "echo", "printf", "cat", "ls", "mkdir", "touch", "rm", "hostname",
    "date", "env", "printenv", "pwd", "whoami", "sleep", "true", "false", "sync", "nslookup",
    "curl", "wget", "redis-cli",
)
IMAGE_DIRS = ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")
CONTAINER_PATH = ":".join(IMAGE_DIRS)
SHELL_SCRIPT = ".container-shell"
MS_BIND = 4096
NOT_SET = "is not set"  # what the container shell says when run outside an Exec

REPO = Path(__file__).resolve().parents[2]


def bin_dir(home: Path) -> Path:
    return home / "bin"


def interpreter_path(home: Path) -> Path:
    return home / "python"


def write_commands(home: Path) -> None:
    """The directory mounted over the command directories: the shell script and one symlink
    to it per command (its name is the command the script runs)."""
    bins = bin_dir(home)
    bins.mkdir(parents=True, exist_ok=True)
    interpreter_path(home).touch()  # the bind-mount target of the interpreter
    script = bins / SHELL_SCRIPT
    script.write_text(
        f"#!{interpreter_path(home)} -SB\n"
        "# A container's command on the k8slab test control plane; see exec_jail.py.\n"
        "import sys\n"
        f"sys.path.insert(0, {str(REPO)!r})\n"
        "from tests.controlplane.container_shell import main\n"
        "sys.exit(main())\n"
    )
    script.chmod(0o755)
    for name in COMMANDS:
        link = bins / name
        if not link.is_symlink():
            link.symlink_to(SHELL_SCRIPT)


def jail_argv(home: Path, argv: Sequence[str]) -> list[str]:
    """`argv` started inside the mount namespace (see the module's docstring)."""
    unshare = shutil.which("unshare") or "unshare"
    userns = [] if os.geteuid() == 0 else ["--user", "--map-root-user"]
    python = os.path.realpath(sys.executable)
    return [unshare, "--mount", *userns, "--", python, "-S", str(Path(__file__).resolve()),
            str(home), python, "--", *argv]


def jail_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of the jailed process, and of every command it starts: nothing of
    ours leaks into a container's command but what it needs to run the shell."""
    return {
        "PATH": CONTAINER_PATH,
        "PYTHONHOME": sys.base_prefix,
        "PYTHONUTF8": "1",
        "LANG": "C.UTF-8",
        **(extra or {}),
    }


def probe(home: Path, timeout: float = 30.0) -> str:
    """Why commands cannot be jailed on this machine, or "" when they can: runs `true` in
    the namespace, which must reach the container shell (and it says it is not in a pod)."""
    if shutil.which("unshare") is None:
        return "the `unshare` command (util-linux) is missing"
    try:
        done = subprocess.run(jail_argv(home, ["/usr/bin/true"]), env=jail_env(),
                              capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"running `true` in a mount namespace failed: {e}"
    if done.returncode == 126 and NOT_SET in done.stderr:
        return ""
    why = (done.stderr.strip() or done.stdout.strip() or "no output")[-300:]
    return f"`true` in a mount namespace gave exit code {done.returncode}: {why}"


# ---- inside the namespace -------------------------------------------------------------------


def _bind(libc: ctypes.CDLL, source: str, target: str) -> None:
    if libc.mount(source.encode(), target.encode(), None, MS_BIND, None) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"mount --bind {source} {target}: {os.strerror(err)}")


def main(argv: Sequence[str]) -> int:
    """HOME INTERPRETER -- ARGV...: mount, then exec ARGV."""
    if len(argv) < 4 or argv[2] != "--":
        print("usage: exec_jail.py HOME INTERPRETER -- ARGV...", file=sys.stderr)
        return 2
    home, interpreter, command = Path(argv[0]), argv[1], list(argv[3:])
    libc = ctypes.CDLL(None, use_errno=True)
    _bind(libc, interpreter, str(interpreter_path(home)))
    covered: set[str] = set()
    for d in IMAGE_DIRS:
        real = os.path.realpath(d)  # /bin is often a symlink to usr/bin
        if real not in covered and os.path.isdir(real):
            _bind(libc, str(bin_dir(home)), real)
            covered.add(real)
    os.execv(command[0], command)
    return 127  # not reached


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
