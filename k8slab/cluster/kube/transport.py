"""HTTP to the API server, with objects kept as plain dicts.

The official client's generated API classes deserialize into model objects and their call
signatures change between client releases; k8slab only needs REST on paths it can build from
the kinds registry. So it uses the client's configuration and connection pool (TLS, client
certificates, proxies, token refresh for exec plugins) and speaks JSON itself.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import quote, urlencode

from k8slab.cluster.kinds import Kind
from k8slab.cluster.kube.errors import Call, from_status, from_transport
from k8slab.errors import ClusterError

PATCH_TYPES = {
    "strategic": "application/strategic-merge-patch+json",
    "merge": "application/merge-patch+json",
    "json": "application/json-patch+json",
    "apply": "application/apply-patch+yaml",  # JSON is YAML, so the body is sent as JSON
}
USER_AGENT = "k8slab"
DEFAULT_TIMEOUT = 30.0


def collection_path(kind: Kind, namespace: str | None = None, api_version: str | None = None
                    ) -> str:
    """`/apis/apps/v1/namespaces/ns/statefulsets`; cluster-wide when `namespace` is None."""
    version = api_version or kind.api_version
    base = f"/api/{version}" if "/" not in version else f"/apis/{version}"
    if kind.namespaced and namespace:
        base += f"/namespaces/{quote(namespace, safe='')}"
    return f"{base}/{kind.plural}"


def object_path(kind: Kind, name: str, namespace: str | None = None,
                subresource: str | None = None, api_version: str | None = None) -> str:
    path = f"{collection_path(kind, namespace, api_version)}/{quote(name, safe='')}"
    return f"{path}/{subresource}" if subresource else path


class Api:
    """JSON requests against one API server, raising ClusterError subclasses.

    Args:
        configuration: a `kubernetes.client.Configuration`.
    """

    def __init__(self, configuration: Any) -> None:
        from kubernetes import client

        self.configuration = configuration
        self.server = str(configuration.host).rstrip("/")
        self.api_client = client.ApiClient(configuration)
        self._pool = self.api_client.rest_client.pool_manager
        self.requests = 0  # requests sent, watches included (tests check steady state)

    # -- headers ------------------------------------------------------------------------------
    def headers(self, content_type: str | None = None, accept: str = "application/json"
                ) -> dict[str, str]:
        """Request headers with authentication (refreshing exec-plugin tokens as needed)."""
        out = {"Accept": accept, "User-Agent": USER_AGENT}
        if content_type:
            out["Content-Type"] = content_type
        for setting in (self.configuration.auth_settings() or {}).values():
            if setting.get("in") == "header" and setting.get("value"):
                out[setting["key"]] = setting["value"]
        return out

    def url(self, path: str, query: Mapping[str, Any] | None = None) -> str:
        pairs = [(k, _q(v)) for k, v in (query or {}).items() if v is not None]
        return self.server + path + (f"?{urlencode(pairs)}" if pairs else "")

    # -- requests -----------------------------------------------------------------------------
    def request(self, method: str, path: str, call: Call, *,
                query: Mapping[str, Any] | None = None, body: Any = None,
                content_type: str = "application/json", timeout: float = DEFAULT_TIMEOUT,
                text: bool = False) -> Any:
        """Send one request; return the decoded JSON (or text), raising ClusterError."""
        resp = self._send(method, path, call, query=query, body=body,
                          content_type=content_type, timeout=(min(timeout, 10.0), timeout))
        try:
            data = resp.read()
        except Exception as exc:
            raise from_transport(exc, _with_server(call, self.server), timeout) from None
        finally:
            resp.release_conn()
        if resp.status >= 400:
            raise from_status(resp.status, data, _with_server(call, self.server))
        if text:
            return data.decode("utf-8", "replace")
        return _decode(data, _with_server(call, self.server))

    def request_status(self, method: str, path: str, call: Call, **kwargs: Any
                       ) -> tuple[int, Any]:
        """Like `request`, but also return the HTTP status (201 tells created from updated)."""
        body = kwargs.pop("body", None)
        content_type = kwargs.pop("content_type", "application/json")
        query = kwargs.pop("query", None)
        timeout = kwargs.pop("timeout", DEFAULT_TIMEOUT)
        resp = self._send(method, path, call, query=query, body=body, content_type=content_type,
                          timeout=(min(timeout, 10.0), timeout))
        try:
            data = resp.read()
        finally:
            resp.release_conn()
        if resp.status >= 400:
            raise from_status(resp.status, data, _with_server(call, self.server))
        return resp.status, _decode(data, _with_server(call, self.server))

    def open_stream(self, path: str, call: Call, *, query: Mapping[str, Any],
                    read_timeout: float) -> Any:
        """Start a streaming GET (a watch); return the open urllib3 response.

        The caller reads it with `lines()` and must `release(resp)` it.
        """
        resp = self._send("GET", path, call, query=query, body=None, content_type=None,
                          timeout=(10.0, read_timeout), retries=False)
        if resp.status >= 400:
            try:
                data = resp.read()
            finally:
                resp.release_conn()
            raise from_status(resp.status, data, _with_server(call, self.server))
        return resp

    def close(self) -> None:
        # Best effort: a broken pool must not block shutdown.
        with contextlib.suppress(Exception):
            self.api_client.close()

    # -- internals ----------------------------------------------------------------------------
    def _send(self, method: str, path: str, call: Call, *, query: Mapping[str, Any] | None,
              body: Any, content_type: str | None, timeout: tuple[float, float],
              retries: Any = None) -> Any:
        import urllib3

        payload = None if body is None else json.dumps(body).encode()
        self.requests += 1
        if retries is None:
            # Connection failures are retried (nothing reached the server); reads never are.
            retries = urllib3.Retry(total=2, connect=2, read=0, status=0, redirect=0,
                                    backoff_factor=0.2, raise_on_status=False)
        try:
            return self._pool.request(
                method, self.url(path, query), body=payload,
                headers=self.headers(content_type if payload is not None else None),
                timeout=urllib3.Timeout(connect=timeout[0], read=timeout[1]),
                preload_content=False, retries=retries)
        except ClusterError:
            raise
        except Exception as exc:
            raise from_transport(exc, _with_server(call, self.server), timeout[1]) from None


def lines(resp: Any) -> Iterator[bytes]:
    """The newline-separated records of a streaming response, as they arrive."""
    pending = b""
    for chunk in resp.stream(amt=None, decode_content=True):
        pending += chunk
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            if line.strip():
                yield line
    if pending.strip():
        yield pending


def release(resp: Any) -> None:
    """Abort a streaming response, unblocking a thread reading it."""
    for step in ("shutdown", "close", "release_conn"):
        fn = getattr(resp, step, None)
        if fn is None:
            continue
        with contextlib.suppress(Exception):  # the connection may already be gone
            fn()


def _decode(data: bytes, call: Call) -> Any:
    """The JSON body of a successful response; a proxy's HTML page is an error, not a crash."""
    if not data:
        return None
    try:
        return json.loads(data)
    except ValueError:
        start = " ".join(data[:80].decode("utf-8", "replace").split())
        raise ClusterError(f"{call.server} answered {call.verb} {call.target} with something "
                           f"that is not JSON ({start!r}).",
                           "Is the kubeconfig's server address really a Kubernetes API server? "
                           "A proxy or login page may be in the way.",
                           reason="BadResponse") from None


def _q(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _with_server(call: Call, server: str) -> Call:
    if call.server:
        return call
    return Call(call.verb, call.resource, call.kind, call.name, call.namespace, server)
