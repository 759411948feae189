"""Turn what the API server (or the network) said into one sentence and a hint.

Every failure of the kube backend goes through here, so a learner sees "You are not allowed to
list pods in namespace k8slab-day10" rather than an `ApiException` and its traceback. The
server's own words are kept where they are the useful part: the field messages of a 422, the
reason a request was refused.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from k8slab.errors import (
    AlreadyExists,
    ClusterError,
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    Unauthorized,
    Unavailable,
)

DOCTOR = "run `k8slab doctor --kube` to see what this cluster allows"


class Expired(ClusterError):
    """410 Gone: the resourceVersion a watch asked for is older than the server keeps.

    Only the watch machinery sees this: it answers by listing again.
    """

    reason = "Expired"


@dataclass(frozen=True, slots=True)
class Call:
    """What k8slab was doing when something failed, to word the error.

    Attributes:
        verb: the Kubernetes verb (get, list, watch, create, patch, delete) or `exec`/`logs`.
        resource: the plural resource (`statefulsets`, `pods/exec`), or "".
        kind: the kind as people say it (`StatefulSet`), or "".
        name: the object's name, or "" for a collection.
        namespace: the namespace, or "" for cluster-scoped resources.
        server: the API server's URL.
    """

    verb: str
    resource: str = ""
    kind: str = ""
    name: str = ""
    namespace: str = ""
    server: str = ""

    @property
    def target(self) -> str:
        """`statefulset/web`, or `statefulsets` for a collection."""
        if self.name:
            return f"{(self.kind or self.resource).lower()}/{self.name}"
        return self.resource or self.kind.lower() or "objects"

    @property
    def where(self) -> str:
        return f" in namespace {self.namespace}" if self.namespace else " (cluster-wide)"


def parse_status(body: Any) -> dict[str, Any]:
    """The `Status` object in a response body (bytes, text or dict), or {} if there is none."""
    if isinstance(body, dict):
        return body
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    if not isinstance(body, str) or not body.strip():
        return {}
    try:
        parsed = json.loads(body)
    except ValueError:
        return {"message": body.strip()[:300]}
    return parsed if isinstance(parsed, dict) else {}


def field_causes(status: dict[str, Any]) -> list[str]:
    """The server's per-field messages from `details.causes`, as `field: message`."""
    out = []
    for cause in (status.get("details") or {}).get("causes") or []:
        msg = str(cause.get("message") or cause.get("reason") or "").strip()
        where = str(cause.get("field") or "").strip()
        if not msg:
            continue
        out.append(f"{where}: {msg}" if where and not msg.startswith(where) else msg)
    return out


_USER = re.compile(r'User "([^"]+)"')


def from_status(code: int, body: Any, call: Call) -> ClusterError:
    """The ClusterError for an HTTP error `code` whose body is (usually) a `Status`."""
    status = parse_status(body)
    message = str(status.get("message") or "").strip()
    reason = str(status.get("reason") or "")
    details = status.get("details") or {}
    resource = call.target if call.name else None

    if code == 401:
        return Unauthorized(
            f"The cluster at {call.server or 'the API server'} rejected your credentials.",
            "Your kubeconfig's token or client certificate may have expired or been revoked: "
            "log in again (for example refresh your cloud CLI login), or choose another "
            "context with --context.")
    if code == 403 and _terminating(status):
        ns = call.namespace or str(details.get("name") or "")
        return ClusterError(
            f"Namespace {ns} is being deleted, so nothing can be created in it yet.",
            f"Wait until `kubectl get namespace {ns}` no longer lists it, or use another "
            "namespace with --namespace.", resource=resource, reason="NamespaceTerminating")
    if code == 403:
        plural = str(details.get("kind") or call.resource or call.kind.lower() or "objects")
        if details.get("group") and "." not in plural:
            plural = f"{plural}.{details['group']}"
        user = _USER.search(message)
        who = f" (as {user.group(1)})" if user else ""
        verb = "exec into" if call.verb == "exec" else call.verb
        what = f"{plural} {call.name}" if call.name and call.verb != "exec" else plural
        if call.verb == "exec":
            what = f"pod {call.name}"
        return Forbidden(
            f"You are not allowed to {verb} {what}{call.where}{who}.",
            f"Ask a cluster admin for a Role that grants '{_rbac_verb(call.verb)}' on "
            f"{_rbac_resource(call, plural)}{call.where}, or {DOCTOR}.", resource=resource)
    if code == 404:
        return _not_found(status, message, call)
    if code == 409 and reason == "AlreadyExists":
        return AlreadyExists(f"{call.target} already exists{call.where}.",
                             "Delete it first, or apply it instead of creating it.",
                             resource=resource)
    if code == 409:
        return Conflict(
            f"{call.target} was changed by someone else while k8slab was updating it"
            + (f": {message}" if message else "."),
            "Try again; if it keeps happening, another tool is writing the same fields.",
            resource=resource)
    if code == 410:
        return Expired(message or "the requested resourceVersion is too old", resource=resource)
    if code == 422:
        causes = field_causes(status) or ([message] if message else [])
        first = causes[0] if causes else "the object is invalid"
        more = f" (and {len(causes) - 1} more)" if len(causes) > 1 else ""
        return Invalid(f"The cluster rejected {call.target}: {first}{more}.",
                       "Fix the manifest field named above and apply it again.",
                       resource=resource, causes=causes)
    if code == 429:
        return Unavailable(f"The cluster at {call.server} is throttling requests (429).",
                           "Wait a moment and try again.", resource=resource)
    if code in (502, 503, 504) and call.verb not in ("exec", "logs"):
        return Unavailable(
            f"The API server at {call.server} could not {call.verb} {call.target} ({code}"
            + (f": {message})." if message else ")."),
            "The cluster may be starting up or overloaded; try again shortly.",
            resource=resource)
    unreachable = kubelet_unreachable(message, call)
    if unreachable is not None:
        return unreachable
    what = f"{call.verb} {call.target}{call.where}"
    if call.verb in ("exec", "logs"):
        what = f"{'exec into' if call.verb == 'exec' else 'read the logs of'} {call.target}"
    return ClusterError(
        f"The cluster could not {what}: {message or f'HTTP {code}'}.",
        _server_side_hint(call, message), resource=resource, reason=reason or f"HTTP{code}")


# 'error sending request: Post "https://worker-2:10250/exec/ns/web-0/c?...": dial tcp: ...'
_KUBELET = re.compile(r'https://([^:/"]+):\d+/(?:exec|attach|containerLogs|run)/[^"\s]*')


def kubelet_unreachable(message: str, call: Call) -> ClusterError | None:
    """The error for exec or logs failing because the API server cannot reach the node's
    kubelet (always so on KWOK's simulated nodes), or None if that is not what happened."""
    found = _KUBELET.search(message)
    if found is None:
        return None
    detail = message[found.end():].lstrip('": ').strip() or message
    doing = "exec into" if call.verb == "exec" else "read the logs of"
    return ClusterError(
        f"The cluster could not {doing} {call.target}: the API server could not reach the "
        f"kubelet on node {found.group(1)} ({_short(detail, 120)}).",
        "On clusters whose nodes are simulated (KWOK) containers are not real, so exec and "
        "logs cannot work there; elsewhere, check the node's network and kubelet.",
        resource=call.target, reason="KubeletUnreachable")


def _terminating(status: dict[str, Any]) -> bool:
    causes = (status.get("details") or {}).get("causes") or []
    if any(c.get("reason") == "NamespaceTerminating" for c in causes):
        return True
    return "because it is being terminated" in str(status.get("message") or "")


def _not_found(status: dict[str, Any], message: str, call: Call) -> NotFound:
    details = status.get("details") or {}
    if details.get("kind") == "namespaces" or (
            not details and call.namespace and f'namespaces "{call.namespace}"' in message):
        ns = str(details.get("name") or call.namespace)
        return NotFound(f"Namespace {ns} does not exist.",
                        "Run the lab once without --namespace to have it created, or create "
                        f"it with `kubectl create namespace {ns}`.", resource=f"namespace/{ns}")
    if not details and "could not find the requested resource" in message:
        return NotFound(f"The cluster does not serve {call.kind or call.resource}.",
                        "Check the manifest's apiVersion against `kubectl api-resources`.")
    if call.name:
        return NotFound(f"{call.kind or call.resource} {call.name} was not found{call.where}.",
                        f"List what exists with `kubectl get {call.resource or call.kind.lower()}"
                        + (f" -n {call.namespace}`." if call.namespace else "`."),
                        resource=call.target)
    return NotFound(message or f"{call.target} not found{call.where}.")


def _rbac_verb(verb: str) -> str:
    return {"exec": "create", "logs": "get", "apply": "patch"}.get(verb, verb)


def _rbac_resource(call: Call, plural: str) -> str:
    if call.verb == "exec":
        return "pods/exec"
    if call.verb == "logs":
        return "pods/log"
    return plural


def _server_side_hint(call: Call, message: str) -> str:
    if call.verb in ("exec", "logs") and ("dial" in message or "kubelet" in message
                                           or "connect" in message):
        return ("The API server could not reach the node's kubelet; on clusters with simulated "
                "nodes (KWOK) containers are not real, so exec and logs cannot work there.")
    if call.verb in ("exec", "logs"):
        return f"Check that the pod is Running: `kubectl get pod {call.name} -n {call.namespace}`."
    return "Look at the message above; the API server explains what it refused."


def from_transport(exc: BaseException, call: Call, timeout: float | None = None) -> Unavailable:
    """The Unavailable error for a network failure (urllib3 or socket exception)."""
    inner = getattr(exc, "reason", None)
    cause = inner if isinstance(inner, BaseException) else exc
    name = type(cause).__name__
    text = str(cause)
    server = call.server or "the API server"
    if "SSL" in name or "ssl" in text.lower() or "certificate" in text.lower():
        detail = _ssl_detail(text)
        return Unavailable(
            f"The TLS handshake with {server} failed: {detail}.",
            "The certificate authority in your kubeconfig does not match the server's "
            "certificate; refresh the kubeconfig (for example `kind export kubeconfig`).")
    if "NameResolution" in name or "Name or service not known" in text or "nodename" in text:
        return Unavailable(f"The cluster address {server} does not resolve.",
                           "Check the server address in your kubeconfig.")
    if "Timeout" in name or "timed out" in text:
        within = f" within {timeout:g} seconds" if timeout else ""
        return Unavailable(f"The cluster at {server} did not answer{within}.",
                           "Check your network, VPN or proxy, and that the cluster is running.")
    if "refused" in text.lower() or "NewConnection" in name:
        return Unavailable(
            f"Cannot connect to the cluster at {server}: connection refused.",
            "Is the cluster running? Check `kubectl cluster-info` and your --context.")
    return Unavailable(f"The connection to {server} failed: {_short(text)}.",
                       "Check that the cluster is running and reachable.")


def _ssl_detail(text: str) -> str:
    for marker in ("CERTIFICATE_VERIFY_FAILED", "certificate verify failed",
                   "WRONG_VERSION_NUMBER", "hostname", "IP address mismatch"):
        if marker in text:
            m = re.search(r"certificate verify failed: ([^(\])]+)", text)
            return m.group(1).strip() if m else marker.replace("_", " ").lower()
    return _short(text)


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


_HANDSHAKE = re.compile(r"Handshake status (\d{3})")


def from_api_exception(exc: Any, call: Call) -> ClusterError:
    """The ClusterError for a `kubernetes.client.ApiException` (exec, config helpers).

    A failed websocket handshake arrives as status 0 with the HTTP status and the server's
    Status body inside `reason`; both are dug out so it reads like any other API error.
    """
    status = int(getattr(exc, "status", 0) or 0)
    body: Any = getattr(exc, "body", None)
    reason = str(getattr(exc, "reason", "") or "")
    if status == 0:
        m = _HANDSHAKE.search(reason)
        if m:
            status = int(m.group(1))
            start = reason.find("{")
            end = reason.rfind("}")
            body = reason[start:end + 1].encode().decode("unicode_escape") if start >= 0 else ""
        elif any(s in reason for s in ("refused", "SSL", "timed out", "resolve", "Connection")):
            return from_transport(exc, call)
        else:
            return ClusterError(f"The cluster could not {call.verb} {call.target}: "
                                f"{_short(reason)}.", _server_side_hint(call, reason))
    return from_status(status, body, call)
