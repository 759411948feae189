"""Paths, headers and answers of the JSON transport, with a fake connection pool."""

from __future__ import annotations

import json
from typing import Any

import pytest
import urllib3

from k8slab.cluster.kinds import KINDS
from k8slab.cluster.kube.errors import Call
from k8slab.cluster.kube.transport import Api, collection_path, object_path
from k8slab.errors import ClusterError, NotFound, Unavailable


def test_paths_follow_the_api_groups() -> None:
    assert collection_path(KINDS["Pod"], "lab") == "/api/v1/namespaces/lab/pods"
    assert collection_path(KINDS["Node"], "lab") == "/api/v1/nodes"
    assert object_path(KINDS["StatefulSet"], "web", "lab", "scale") == (
        "/apis/apps/v1/namespaces/lab/statefulsets/web/scale")
    assert collection_path(KINDS["CronJob"], None) == "/apis/batch/v1/cronjobs"
    assert object_path(KINDS["Job"], "a b", "lab") == "/apis/batch/v1/namespaces/lab/jobs/a%20b"


class FakeResponse:
    def __init__(self, status: int, body: bytes) -> None:
        self.status, self.body = status, body

    def read(self) -> bytes:
        return self.body

    def release_conn(self) -> None:
        pass


class FakePool:
    def __init__(self, answer: Any) -> None:
        self.answer = answer
        self.sent: list[tuple[str, str, dict[str, str], bytes | None]] = []

    def request(self, method: str, url: str, *, body: bytes | None, headers: dict[str, str],
                **kwargs: Any) -> FakeResponse:
        self.sent.append((method, url, headers, body))
        if isinstance(self.answer, BaseException):
            raise self.answer
        return self.answer


def api(answer: Any) -> tuple[Api, FakePool]:
    from kubernetes import client

    conf = client.Configuration()
    conf.host = "https://k8s.example:6443"
    conf.api_key = {"authorization": "s3cret"}
    conf.api_key_prefix = {"authorization": "Bearer"}
    a = Api(conf)
    pool = FakePool(answer)
    a._pool = pool
    return a, pool


CALL = Call("get", "statefulsets", "StatefulSet", "web", "lab")


def test_requests_carry_the_token_and_query_and_decode_json() -> None:
    a, pool = api(FakeResponse(200, b'{"kind": "StatefulSet"}'))
    found = a.request("PATCH", "/apis/apps/v1/namespaces/lab/statefulsets/web", CALL,
                      body={"spec": {}}, content_type="application/merge-patch+json",
                      query={"fieldManager": "k8slab", "force": True, "dryRun": None})
    assert found == {"kind": "StatefulSet"}
    method, url, headers, body = pool.sent[0]
    assert (method, url) == ("PATCH", "https://k8s.example:6443/apis/apps/v1/namespaces/lab/"
                                      "statefulsets/web?fieldManager=k8slab&force=true")
    assert headers["authorization"] == "Bearer s3cret"
    assert headers["Content-Type"] == "application/merge-patch+json"
    assert json.loads(body or b"") == {"spec": {}}
    assert a.requests == 1


def test_an_error_status_becomes_the_matching_cluster_error() -> None:
    body = json.dumps({"kind": "Status", "code": 404, "reason": "NotFound",
                       "details": {"name": "web", "kind": "statefulsets"}}).encode()
    a, _ = api(FakeResponse(404, body))
    with pytest.raises(NotFound) as caught:
        a.request("GET", "/x", CALL)
    assert caught.value.message == "StatefulSet web was not found in namespace lab."


def test_a_page_that_is_not_json_is_an_error_not_a_crash() -> None:
    a, _ = api(FakeResponse(200, b"<html><body>Please log in</body></html>"))
    with pytest.raises(ClusterError) as caught:
        a.request("GET", "/x", CALL)
    assert caught.value.reason == "BadResponse"
    assert "<html><body>Please log in</body></html>" in caught.value.message


def test_a_network_failure_names_the_server() -> None:
    refused = urllib3.exceptions.NewConnectionError(
        None, "Failed to establish a new connection: [Errno 111] Connection refused")  # type: ignore[arg-type]
    a, _ = api(urllib3.exceptions.MaxRetryError(None, "/x", refused))  # type: ignore[arg-type]
    with pytest.raises(Unavailable) as caught:
        a.request("GET", "/x", CALL)
    assert caught.value.message == ("Cannot connect to the cluster at https://k8s.example:6443: "
                                    "connection refused.")
