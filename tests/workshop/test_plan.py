"""The objects a workshop creates per learner, and the Role derived from a lesson."""

from __future__ import annotations

import dataclasses
import json

import pytest

from k8slab.workshop.names import PROGRESS_CONFIGMAP
from k8slab.workshop.plan import Limits, cluster_rules, learner_plan, role_rules, workshop_plan
from tests.workshop.lessons import mini_lesson, statefulset_lesson
from tests.workshop.rbac import allows


@pytest.fixture(scope="module")
def rules() -> list[dict]:
    return role_rules(mini_lesson())


@pytest.mark.parametrize(("verb", "resource", "group"), [
    ("create", "statefulsets", "apps"),
    ("patch", "statefulsets", "apps"),
    ("delete", "services", ""),
    ("update", "statefulsets/scale", "apps"),
    ("create", "pods/exec", ""),
    ("get", "pods/log", ""),
    ("delete", "pods", ""),
    ("create", "daemonsets", "apps"),  # kube-system DaemonSets are rewritten into the namespace
    ("create", "cronjobs", "batch"),
    ("create", "jobs", "batch"),  # trigger-cronjob
    ("watch", "controllerrevisions", "apps"),
    ("list", "events", ""),
    ("list", "events", "events.k8s.io"),
    ("watch", "persistentvolumeclaims", ""),
    ("list", "deployments", "apps"),  # kubectl get all
    ("list", "horizontalpodautoscalers", "autoscaling"),
    ("list", "rolebindings", "rbac.authorization.k8s.io"),  # why am I refused?
])
def test_role_allows_what_the_lesson_does(rules: list[dict], verb: str, resource: str,
                                          group: str) -> None:
    assert allows(rules, verb, resource, group)


@pytest.mark.parametrize(("verb", "resource", "group"), [
    ("patch", "nodes", ""),  # label-node is the instructor's
    ("create", "rolebindings", "rbac.authorization.k8s.io"),
    ("create", "roles", "rbac.authorization.k8s.io"),
    ("patch", "roles", "rbac.authorization.k8s.io"),
    ("bind", "clusterroles", "rbac.authorization.k8s.io"),
    ("escalate", "roles", "rbac.authorization.k8s.io"),
    ("create", "storageclasses", "storage.k8s.io"),  # cluster-scoped: a demo
    ("create", "persistentvolumeclaims", ""),  # no manifest declares one
    ("create", "pods", ""),
    ("update", "resourcequotas", ""),
    ("delete", "limitranges", ""),
    ("create", "secrets", ""),
    ("get", "secrets", ""),
    ("patch", "namespaces", ""),
])
def test_role_refuses_everything_else(rules: list[dict], verb: str, resource: str,
                                      group: str) -> None:
    assert not allows(rules, verb, resource, group)


def test_no_wildcards(rules: list[dict]) -> None:
    assert "*" not in json.dumps(rules)


def test_progress_configmap_is_the_only_writable_configmap(rules: list[dict]) -> None:
    assert allows(rules, "patch", "configmaps", name=PROGRESS_CONFIGMAP)
    assert allows(rules, "get", "configmaps", name="anything")
    assert not allows(rules, "patch", "configmaps", name="someone-elses")
    assert not allows(rules, "create", "configmaps")


def test_write_access_follows_the_manifests() -> None:
    only_sts = role_rules(statefulset_lesson())
    assert allows(only_sts, "create", "statefulsets", "apps")
    assert not allows(only_sts, "create", "daemonsets", "apps")
    assert not allows(only_sts, "create", "cronjobs", "batch")
    assert not allows(only_sts, "create", "pods/exec")  # the lesson execs nothing
    assert allows(only_sts, "watch", "daemonsets", "apps")  # but the lab still shows them


def test_rules_are_deterministic() -> None:
    # Identical bytes on every run is what makes a second `create` a no-op.
    assert json.dumps(role_rules(mini_lesson())) == json.dumps(role_rules(mini_lesson()))


def test_cluster_rules_read_nodes_and_only_the_own_namespace() -> None:
    rules = cluster_rules("ws-ana")
    for resource in ("nodes", "persistentvolumes"):
        assert allows(rules, "watch", resource)
        assert not allows(rules, "patch", resource)
    assert allows(rules, "list", "storageclasses", "storage.k8s.io")
    assert allows(rules, "get", "namespaces", name="ws-ana")
    assert not allows(rules, "get", "namespaces", name="ws-ben")
    assert not allows(rules, "list", "namespaces")


def test_learner_plan_objects_and_labels() -> None:
    plan = learner_plan("ws", "ana", mini_lesson())
    kinds = [obj["kind"] for obj in plan.objects]
    assert kinds == ["Namespace", "ServiceAccount", "Role", "RoleBinding", "ClusterRole",
                     "ClusterRoleBinding", "ResourceQuota", "LimitRange", "ConfigMap"]
    assert plan.namespace == "ws-ana"
    for obj in plan.objects:
        labels = obj["metadata"]["labels"]
        assert labels["k8slab.io/workshop"] == "ws"
        assert labels["k8slab.io/learner"] == "ana"
        assert labels["app.kubernetes.io/managed-by"] == "k8slab"
        namespaced = obj["kind"] not in ("Namespace", "ClusterRole", "ClusterRoleBinding")
        assert obj["metadata"].get("namespace") == ("ws-ana" if namespaced else None)
    ns = plan.objects[0]
    assert ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "baseline"
    assert ns["metadata"]["annotations"]["k8slab.io/lesson"] == "mini"
    binding = plan.objects[5]
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "learner",
                                    "namespace": "ws-ana"}]
    assert binding["roleRef"]["name"] == plan.objects[4]["metadata"]["name"]


def test_quota_and_limits() -> None:
    limits = Limits().for_nodes(3)
    plan = learner_plan("ws", "ana", mini_lesson(), limits)
    quota = plan.objects[6]["spec"]["hard"]
    assert quota["pods"] == "36"
    assert quota["services.nodeports"] == "0"
    assert quota["requests.storage"] == "20Gi"
    container = plan.objects[7]["spec"]["limits"][0]
    # Every container gets requests and limits, which a quota on them requires.
    assert container["defaultRequest"] == {"cpu": "50m", "memory": "64Mi"}
    assert container["default"] == {"cpu": "500m", "memory": "256Mi"}


def test_workshop_plan_one_namespace_per_learner() -> None:
    plans = workshop_plan("ws", ["ana", "ben"], mini_lesson())
    assert [p.namespace for p in plans] == ["ws-ana", "ws-ben"]
    assert plans[0].objects[2]["rules"] == plans[1].objects[2]["rules"]
    assert plans[0].objects[4]["metadata"]["name"] != plans[1].objects[4]["metadata"]["name"]


def test_claims_of_volume_claim_templates_can_be_cleaned_up() -> None:
    lesson = statefulset_lesson()
    assert not allows(role_rules(lesson), "delete", "persistentvolumeclaims")
    sts = next(o for m in lesson.manifests.values() for o in m.objects
               if o["kind"] == "StatefulSet")
    with_claims = {**sts, "spec": {**sts["spec"], "volumeClaimTemplates": [
        {"metadata": {"name": "www"}, "spec": {"accessModes": ["ReadWriteOnce"]}}]}}
    m = next(iter(lesson.manifests.values()))
    lesson = dataclasses.replace(lesson, manifests={
        m.name: dataclasses.replace(m, objects=(with_claims,))})
    rules = role_rules(lesson)
    assert allows(rules, "delete", "persistentvolumeclaims")
    assert not allows(rules, "create", "persistentvolumeclaims")


def test_shipped_lessons_grant_their_actions() -> None:
    from k8slab.lessons import load_lesson

    day10 = role_rules(load_lesson("day10"))
    for verb, resource, group in [("create", "statefulsets", "apps"),
                                  ("patch", "daemonsets", "apps"),  # set-image, rollout-undo
                                  ("update", "statefulsets/scale", "apps"),
                                  ("create", "pods/exec", ""), ("delete", "pods", ""),
                                  ("delete", "persistentvolumeclaims", ""),
                                  ("create", "configmaps", "")]:  # the MySQL ConfigMap
        assert allows(day10, verb, resource, group), (verb, resource)
    assert not allows(day10, "create", "jobs", "batch")
    day11 = role_rules(load_lesson("day11"))
    assert allows(day11, "create", "jobs", "batch") and allows(day11, "patch", "cronjobs", "batch")
    assert not allows(day11, "create", "statefulsets", "apps")
    for rules in (day10, day11):
        assert not allows(rules, "patch", "nodes")
        assert not allows(rules, "create", "rolebindings", "rbac.authorization.k8s.io")
