"""API and network failures become one sentence and a hint, with the server's own words."""

from __future__ import annotations

import json

import pytest
import urllib3

from k8slab.cluster.kube.errors import (
    Call,
    Expired,
    from_api_exception,
    from_status,
    from_transport,
)
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

SERVER = "https://127.0.0.1:6443"
STS = Call("apply", "statefulsets", "StatefulSet", "web", "k8slab-day10", SERVER)


def status(code: int, reason: str, message: str, **details: object) -> bytes:
    return json.dumps({"kind": "Status", "apiVersion": "v1", "status": "Failure",
                       "message": message, "reason": reason, "details": details,
                       "code": code}).encode()


def test_unauthorized_names_the_server_and_hints_at_expired_credentials() -> None:
    err = from_status(401, status(401, "Unauthorized", "Unauthorized"), STS)
    assert isinstance(err, Unauthorized)
    assert err.message == f"The cluster at {SERVER} rejected your credentials."
    assert err.hint is not None and "expired" in err.hint


def test_forbidden_says_who_may_not_do_what_where() -> None:
    body = status(403, "Forbidden",
                  'pods is forbidden: User "system:serviceaccount:lab:learner" cannot list '
                  'resource "pods" in API group "" in the namespace "k8slab-day10"', kind="pods")
    err = from_status(403, body, Call("list", "pods", "Pod", namespace="k8slab-day10"))
    assert isinstance(err, Forbidden)
    assert err.message == ("You are not allowed to list pods in namespace k8slab-day10 "
                           "(as system:serviceaccount:lab:learner).")
    assert err.hint is not None and "'list' on pods in namespace k8slab-day10" in err.hint


def test_forbidden_on_a_cluster_scoped_patch_names_the_group_and_object() -> None:
    body = status(403, "Forbidden", 'nodes "worker-1" is forbidden: User "bob" cannot patch',
                  name="worker-1", kind="nodes")
    err = from_status(403, body, Call("patch", "nodes", "Node", "worker-1", "", SERVER))
    assert err.message == "You are not allowed to patch nodes worker-1 (cluster-wide) (as bob)."


def test_forbidden_exec_names_the_pod_and_the_subresource_to_grant() -> None:
    err = from_status(403, status(403, "Forbidden", "forbidden", kind="pods"),
                      Call("exec", "pods/exec", "Pod", "web-0", "lab", SERVER))
    assert err.message == "You are not allowed to exec into pod web-0 in namespace lab."
    assert err.hint is not None and "'create' on pods/exec" in err.hint


def test_a_terminating_namespace_is_its_own_clear_error() -> None:
    body = status(403, "Forbidden",
                  'statefulsets.apps "web" is forbidden: unable to create new content in '
                  "namespace k8slab-day10 because it is being terminated",
                  causes=[{"reason": "NamespaceTerminating", "field": "metadata.namespace"}])
    err = from_status(403, body, STS)
    assert not isinstance(err, Forbidden)
    assert err.reason == "NamespaceTerminating"
    assert err.message == ("Namespace k8slab-day10 is being deleted, so nothing can be created "
                           "in it yet.")


def test_invalid_carries_every_field_message_from_the_server() -> None:
    body = status(422, "Invalid", 'StatefulSet.apps "web" is invalid: ...', name="web",
                  kind="StatefulSet", causes=[
                      {"reason": "FieldValueInvalid", "field": "spec.template.metadata.labels",
                       "message": 'Invalid value: {"app":"x"}: `selector` does not match '
                                  "template `labels`"},
                      {"reason": "FieldValueRequired", "field": "spec.serviceName",
                       "message": "Required value"}])
    err = from_status(422, body, STS)
    assert isinstance(err, Invalid)
    assert err.causes == [
        'spec.template.metadata.labels: Invalid value: {"app":"x"}: `selector` does not '
        "match template `labels`",
        "spec.serviceName: Required value"]
    assert err.message.startswith("The cluster rejected statefulset/web: spec.template")
    assert err.message.endswith("(and 1 more).")
    assert err.resource == "statefulset/web"


def test_conflict_and_already_exists_are_told_apart() -> None:
    body = status(409, "Conflict", 'Operation cannot be fulfilled on statefulsets.apps "web": '
                                   "the object has been modified", name="web")
    conflict = from_status(409, body, STS)
    assert isinstance(conflict, Conflict)
    assert "the object has been modified" in conflict.message
    exists = from_status(409, status(409, "AlreadyExists", "exists", name="web"), STS)
    assert isinstance(exists, AlreadyExists)
    assert exists.message == "statefulset/web already exists in namespace k8slab-day10."


@pytest.mark.parametrize(("details", "message", "expected"), [
    ({"name": "web", "kind": "statefulsets"}, 'statefulsets.apps "web" not found',
     "StatefulSet web was not found in namespace k8slab-day10."),
    ({"name": "k8slab-day10", "kind": "namespaces"}, 'namespaces "k8slab-day10" not found',
     "Namespace k8slab-day10 does not exist."),
    ({}, "the server could not find the requested resource",
     "The cluster does not serve StatefulSet."),
])
def test_not_found_distinguishes_object_namespace_and_api(details: dict, message: str,
                                                         expected: str) -> None:
    err = from_status(404, status(404, "NotFound", message, **details), STS)
    assert isinstance(err, NotFound)
    assert err.message == expected


def test_gone_becomes_expired_for_the_watch_to_relist() -> None:
    err = from_status(410, status(410, "Expired", "too old resource version: 1 (20)"),
                      Call("watch", "pods", "Pod", namespace="lab"))
    assert isinstance(err, Expired)


def test_exec_failing_to_reach_a_kubelet_says_why() -> None:
    body = status(500, "InternalError", "error dialing backend: dial tcp 10.0.0.1:10250: "
                                        "connect: connection refused")
    err = from_status(500, body, Call("exec", "pods/exec", "Pod", "web-0", "lab", SERVER))
    assert type(err) is ClusterError
    assert err.message.startswith("The cluster could not exec into pod/web-0: error dialing")
    assert err.hint is not None and "KWOK" in err.hint


def test_logs_from_an_unreachable_kubelet_name_the_node() -> None:
    body = status(500, "InternalError", 'Get "https://worker-1:10250/containerLogs/lab/web-0/'
                                        'nginx?tailLines=5": dial tcp: lookup worker-1: no such '
                                        "host")
    err = from_status(500, body, Call("logs", "pods/log", "Pod", "web-0", "lab", SERVER))
    assert err.reason == "KubeletUnreachable"
    assert err.message == ("The cluster could not read the logs of pod/web-0: the API server "
                           "could not reach the kubelet on node worker-1 (dial tcp: lookup "
                           "worker-1: no such host).")


def test_a_body_that_is_not_json_is_still_shown() -> None:
    err = from_status(503, b"service unavailable\n", Call("list", "pods", "Pod", server=SERVER))
    assert isinstance(err, Unavailable)
    assert "service unavailable" in err.message


def _max_retry(reason: Exception) -> urllib3.exceptions.MaxRetryError:
    return urllib3.exceptions.MaxRetryError(None, "/api", reason)  # type: ignore[arg-type]


def test_connection_refused_names_the_server() -> None:
    refused = urllib3.exceptions.NewConnectionError(
        None, "Failed to establish a new connection: [Errno 111] Connection refused")  # type: ignore[arg-type]
    err = from_transport(_max_retry(refused), STS)
    assert isinstance(err, Unavailable)
    assert err.message == f"Cannot connect to the cluster at {SERVER}: connection refused."


def test_tls_failure_names_the_verification_problem() -> None:
    ssl_err = urllib3.exceptions.SSLError(
        "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate "
        "in certificate chain (_ssl.c:1006)")
    err = from_transport(_max_retry(ssl_err), STS)
    assert err.message == (f"The TLS handshake with {SERVER} failed: self-signed certificate "
                           "in certificate chain.")
    assert err.hint is not None and "certificate authority" in err.hint


def test_timeout_says_how_long_was_waited() -> None:
    timeout = urllib3.exceptions.ReadTimeoutError(None, "/api", "Read timed out.")  # type: ignore[arg-type]
    err = from_transport(timeout, STS, 30)
    assert err.message == f"The cluster at {SERVER} did not answer within 30 seconds."


def test_a_failed_websocket_handshake_reads_like_any_api_error() -> None:
    from kubernetes.client.exceptions import ApiException

    body = json.dumps({"kind": "Status", "status": "Failure", "reason": "Forbidden",
                       "message": "pods \"web-0\" is forbidden", "code": 403,
                       "details": {"name": "web-0", "kind": "pods"}})
    exc = ApiException(status=0, reason=f"Handshake status 403 Forbidden -+-+- {{}} -+-+- "
                                        f"b'{body}'")
    err = from_api_exception(exc, Call("exec", "pods/exec", "Pod", "web-0", "lab", SERVER))
    assert isinstance(err, Forbidden)
    assert err.message == "You are not allowed to exec into pod web-0 in namespace lab."
