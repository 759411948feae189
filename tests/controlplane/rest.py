"""A small REST client for the API server, standard library only.

The processes that play exec (exec_play.py, and container_shell.py once per command) must
start fast and run under a bare interpreter, so they use this instead of the `kubernetes`
client: one kept-alive HTTPS connection, bearer-token auth, JSON in and out, and watches read
line by line.
"""

from __future__ import annotations

import http.client
import json
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

API_FILE = "api.json"  # in the plane's exec home: `server`, `token` and `ca_file`


class ApiError(Exception):
    """A non-2xx answer: `code` is the HTTP status, the message is the API's own."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"HTTP {code}: {message}")
        self.code = code


class Rest:
    """Calls to one API server as one user. Not thread-safe: one per thread."""

    def __init__(self, server: str, token: str, ca_file: Path | str, timeout: float = 10.0
                 ) -> None:
        parts = urlsplit(server)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 443
        self.token = token
        self.timeout = timeout
        self._ssl = ssl.create_default_context(cafile=str(ca_file))
        self._conn: http.client.HTTPSConnection | None = None

    @classmethod
    def from_file(cls, path: Path | str) -> Rest:
        """From a JSON file holding `server`, `token` and `ca_file` (see ControlPlane)."""
        conf = json.loads(Path(path).read_text())
        return cls(conf["server"], conf["token"], conf["ca_file"])

    def _connection(self, timeout: float | None = None) -> http.client.HTTPSConnection:
        return http.client.HTTPSConnection(self.host, self.port, context=self._ssl,
                                           timeout=timeout or self.timeout)

    def _headers(self, body: bytes | None, content_type: str) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = content_type
        return headers

    def request(self, method: str, path: str, body: Any = None,
                content_type: str = "application/json") -> Any:
        """The decoded JSON answer; ApiError for a non-2xx status."""
        data = json.dumps(body).encode() if body is not None else None
        for attempt in (1, 2):  # a kept-alive connection the server closed: dial once more
            if self._conn is None:
                self._conn = self._connection()
            try:
                self._conn.request(method, path, body=data,
                                   headers=self._headers(data, content_type))
                resp = self._conn.getresponse()
                raw = resp.read()
                break
            except (http.client.HTTPException, OSError):
                self.close()
                if attempt == 2:
                    raise
        if resp.status >= 300:
            try:
                message = str(json.loads(raw).get("message") or "")
            except ValueError:
                message = raw.decode(errors="replace")
            raise ApiError(resp.status, message or resp.reason)
        return json.loads(raw) if raw else None

    def get(self, path: str) -> Any:
        return self.request("GET", path)

    def watch(self, path: str, timeout: float = 330.0) -> Iterator[dict[str, Any]]:
        """The events of a watch request (`path` carries `watch=1`), on a connection of its
        own; ends when the server ends the watch."""
        conn = self._connection(timeout)
        try:
            conn.request("GET", path, headers=self._headers(None, ""))
            resp = conn.getresponse()
            if resp.status >= 300:
                raise ApiError(resp.status, resp.read().decode(errors="replace"))
            for line in resp:
                if line.strip():
                    yield json.loads(line)
        finally:
            conn.close()

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def api_path(api_version: str, plural: str, namespace: str = "", name: str = "") -> str:
    """`/api/v1/namespaces/ns/pods/name` and the like."""
    base = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
    where = f"/namespaces/{namespace}" if namespace else ""
    return f"{base}{where}/{plural}" + (f"/{name}" if name else "")
