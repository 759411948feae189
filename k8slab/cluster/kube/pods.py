"""exec and logs through the API server, as `kubectl exec` and `kubectl logs` do.

exec uses the official client's websocket stream. Before dialing, the pod is read, so that a
missing or not-yet-running pod gets a sentence about the pod rather than a failed handshake.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from k8slab.cluster.kube.errors import Call, from_api_exception, kubelet_unreachable
from k8slab.cluster.kube.transport import Api
from k8slab.cluster.protocol import ExecResult
from k8slab.errors import ClusterError

EXEC_TIMEOUT = 60.0


def check_running(pod: dict[str, Any], container: str | None) -> None:
    """Raise a clear ClusterError unless `container` (or the first one) of `pod` is running."""
    meta, status = pod.get("metadata") or {}, pod.get("status") or {}
    name, ns = meta.get("name", ""), meta.get("namespace", "")
    phase = status.get("phase") or "Pending"
    containers = [c.get("name") for c in (pod.get("spec") or {}).get("containers") or []]
    if container and container not in containers:
        raise ClusterError(f"Pod {name} has no container {container}; it has "
                           f"{', '.join(map(str, containers)) or 'none'}.",
                           "Pick one of those with the container option.",
                           resource=f"pod/{name}", reason="BadRequest")
    if meta.get("deletionTimestamp"):
        raise ClusterError(f"Pod {name} is terminating, so nothing can run in it.",
                           "Wait for its replacement and run the command there.",
                           resource=f"pod/{name}", reason="BadRequest")
    if phase != "Running":
        raise ClusterError(f"Pod {name} is {phase}, not Running, so exec cannot reach it.",
                           f"Wait until `kubectl get pod {name} -n {ns}` shows Running.",
                           resource=f"pod/{name}", reason="BadRequest")


def run_exec(api: Api, pod: str, namespace: str, command: Sequence[str],
             container: str | None = None, timeout: float = EXEC_TIMEOUT) -> ExecResult:
    """Run `command` in the pod's container and collect its output and exit code."""
    from kubernetes import client
    from kubernetes.client.exceptions import ApiException
    from kubernetes.stream import stream
    from kubernetes.stream.ws_client import ERROR_CHANNEL

    call = Call("exec", "pods/exec", "Pod", pod, namespace, api.server)
    core = client.CoreV1Api(api.api_client)
    kwargs: dict[str, Any] = {"command": list(command), "stderr": True, "stdin": False,
                              "stdout": True, "tty": False, "_preload_content": False}
    if container:
        kwargs["container"] = container
    try:
        ws = stream(core.connect_get_namespaced_pod_exec, pod, namespace, **kwargs)
    except ApiException as exc:
        raise from_api_exception(exc, call) from None
    except Exception as exc:  # the websocket library raises its own types
        raise from_api_exception(_as_api_exception(exc), call) from None
    out: list[str] = []
    err: list[str] = []
    try:
        ws.run_forever(timeout=timeout)
        out.append(ws.read_stdout(timeout=0) or "")
        err.append(ws.read_stderr(timeout=0) or "")
        status_text = ws.read_channel(ERROR_CHANNEL)
        timed_out = ws.is_open()
    finally:
        ws.close()
    if timed_out:
        raise ClusterError(f"The command in pod {pod} did not finish within {timeout:g} "
                           "seconds.", "Use a command that exits on its own.",
                           resource=f"pod/{pod}", reason="Timeout")
    return ExecResult("".join(out), "".join(err), exit_code(status_text, pod))


def exit_code(status_text: str, pod: str = "") -> int:
    """The exit code the exec error channel reports (its Status), 0 when it says Success.

    A failure that is not an exit code (the command does not exist, the container is gone)
    is raised as ClusterError carrying the runtime's message.
    """
    if not status_text:
        return 0
    try:
        status = json.loads(status_text)
    except ValueError:
        return 0
    if status.get("status") == "Success":
        return 0
    for cause in (status.get("details") or {}).get("causes") or []:
        if cause.get("reason") == "ExitCode":
            try:
                return int(cause.get("message"))
            except (TypeError, ValueError):
                break
    message = str(status.get("message") or "the command could not be started")
    unreachable = kubelet_unreachable(message, Call("exec", "pods/exec", "Pod", pod))
    if unreachable is not None:
        raise unreachable
    raise ClusterError(f"The command could not run in pod {pod}: {message}.",
                       "Check that the command exists in the container's image.",
                       resource=f"pod/{pod}", reason=str(status.get("reason") or "ExecFailed"))


def _as_api_exception(exc: Exception) -> Any:
    from kubernetes.client.exceptions import ApiException

    return ApiException(status=0, reason=f"{type(exc).__name__}: {exc}")
