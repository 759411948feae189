"""Loading a lesson's manifest files: real multi-document YAML that `kubectl apply -f` accepts.

Besides the Kubernetes schema (see kubeschema.py), this checks what the API server would
reject and the schema cannot express: a selector that does not match its template's labels,
a Job whose pods would restart Always, a cron schedule the CronJob controller cannot parse,
a volume mount without a volume, duplicate container names. It also works out the risks that
need cluster-wide power: another namespace, hostPath, privileged, hostNetwork, hostPID.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from k8slab.cluster.cron import ScheduleError, parse_schedule
from k8slab.errors import Location
from k8slab.lessons import kubeschema
from k8slab.lessons.model import Manifest
from k8slab.lessons.source import (
    Node,
    Problems,
    as_list,
    as_map,
    describe,
    parse_documents,
    plain,
    read_text,
)

# Workloads whose pod template lives at spec.template and must match spec.selector.
SELECTED_WORKLOADS = ("Deployment", "ReplicaSet", "StatefulSet", "DaemonSet")
CLUSTER_SCOPED = ("Namespace", "Node", "PersistentVolume", "StorageClass", "ClusterRole",
                  "ClusterRoleBinding", "PriorityClass", "CustomResourceDefinition")

# Fields whose values the API server restricts but the OpenAPI schema leaves as free strings.
ENUMS: dict[str, tuple[str, ...]] = {
    "concurrencyPolicy": ("Allow", "Forbid", "Replace"),
    "podManagementPolicy": ("OrderedReady", "Parallel"),
    "imagePullPolicy": ("Always", "IfNotPresent", "Never"),
    "restartPolicy": ("Always", "OnFailure", "Never"),
    "whenDeleted": ("Retain", "Delete"),
    "whenScaled": ("Retain", "Delete"),
    "protocol": ("TCP", "UDP", "SCTP"),
    "accessModes": ("ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod"),
}
# The same, for a key that means different things in different places: (parent, key).
NESTED_ENUMS: dict[tuple[str, str], tuple[str, ...]] = {
    ("updateStrategy", "type"): ("RollingUpdate", "OnDelete"),
    ("strategy", "type"): ("RollingUpdate", "Recreate"),
    ("tolerations", "operator"): ("Exists", "Equal"),
    ("tolerations", "effect"): ("NoSchedule", "PreferNoSchedule", "NoExecute", ""),
}

_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_DNS1035 = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")


def load_manifest(path: Path, name: str, where: str, problems: Problems) -> Manifest | None:
    """One manifest file, or None if it cannot be read or parsed (problems say why).

    Objects that break the schema are still returned, so references to them resolve and the
    author sees every problem at once.
    """
    text = read_text(path, problems)
    if text is None:
        return None
    docs = parse_documents(text, where, problems, yaml_11=True)
    if docs is None:
        return None
    objects: list[dict[str, Any]] = []
    risks: list[str] = []
    before = len(problems)
    for doc in docs:
        obj = _check_document(doc, problems)
        if obj is None:
            continue
        objects.append(obj)
        for risk in object_risks(obj):
            if risk not in risks:
                risks.append(risk)
    if not objects and len(problems) == before:
        problems.add(Location(where, 1, 1), "the manifest declares no objects")
    return Manifest(name=name, path=path, text=text, objects=tuple(objects), risks=tuple(risks))


def _check_document(doc: Node, problems: Problems) -> dict[str, Any] | None:
    if not doc.is_map:
        problems.add(doc.location, f"a manifest document must be a mapping with apiVersion, "
                                   f"kind and metadata, not {describe(doc.value)}")
        return None
    obj = plain(doc.value)
    ok = True
    for key in ("apiVersion", "kind"):
        value = obj.get(key)
        if not isinstance(value, str) or not value:
            where = doc.child(key).location if key in obj else doc.location
            problems.add(where, f"{key} must be a non-empty string"
                         + ("" if key in obj else f" (the document has no {key})"))
            ok = False
    if not ok:
        return None
    label = f"{obj['kind']} {_name_of(obj) or '(unnamed)'}"
    if not kubeschema.known_kind(obj["apiVersion"], obj["kind"]):
        problems.add(doc.child("kind").location,
                     f"Kubernetes {kubeschema.KUBERNETES_VERSION} has no kind {obj['kind']!r} "
                     f"in apiVersion {obj['apiVersion']!r}")
        return obj
    for location, message in kubeschema.schema_errors(doc, obj):
        problems.add(location, f"{label}: {message}")
    _check_name(doc, obj, label, problems)
    _check_workload(doc, obj, label, problems)
    _check_enums(doc, "", [], label, problems)
    return obj


def _check_enums(node: Node, parent: str, path: list[Any], label: str,
                 problems: Problems) -> None:
    """Report values outside the API server's fixed sets (see ENUMS), anywhere in `node`."""
    for key, child in node.items():
        if node.is_seq:
            _check_enums(child, parent, [*path, key], label, problems)
            continue
        allowed = ENUMS.get(key) or NESTED_ENUMS.get((parent, key)) or ()
        values = [v for _, v in child.items()] if child.is_seq else [child]
        for value in values if allowed else []:
            if isinstance(value.value, str) and value.value not in allowed:
                shown = ", ".join(repr(a) for a in allowed if a)
                where = kubeschema.field_path([*path, key])
                problems.add(value.location, f"{label}: {where} must be one of {shown}, "
                                             f"not {value.value!r}")
        if child.is_map or child.is_seq:
            _check_enums(child, str(key), [*path, key], label, problems)


def _name_of(obj: dict[str, Any]) -> str:
    meta = obj.get("metadata")
    name = meta.get("name") if isinstance(meta, dict) else None
    return name if isinstance(name, str) else ""


def _check_name(doc: Node, obj: dict[str, Any], label: str, problems: Problems) -> None:
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        return  # the schema has reported it
    name = meta.get("name")
    node, _ = doc.at(["metadata", "name"])
    if name is None:
        hint = " (kubectl apply needs a name; generateName is not enough)" \
            if "generateName" in meta else ""
        problems.add(doc.key_location("metadata"), f"{label}: metadata.name is missing{hint}")
        return
    if not isinstance(name, str):
        return
    if obj["kind"] == "Service" and not _DNS1035.match(name):
        problems.add(node.location, f"{label}: a Service name must be a DNS label: lower case "
                                    f"letters, digits and '-', starting with a letter")
    elif len(name) > 253 or not _SUBDOMAIN.match(name):
        problems.add(node.location, f"{label}: {name!r} is not a valid name: use lower case "
                                    f"letters, digits, '-' and '.'")
    elif obj["kind"] in ("StatefulSet", "DaemonSet", "Job", "CronJob") and len(name) > 52:
        problems.add(node.location, f"{label}: the name is too long for the pods it creates "
                                    f"(at most 52 characters)")


def pod_template_path(kind: str) -> list[str] | None:
    """Where a kind keeps its pod template, as a path from the object."""
    if kind in (*SELECTED_WORKLOADS, "Job"):
        return ["spec", "template"]
    if kind == "CronJob":
        return ["spec", "jobTemplate", "spec", "template"]
    if kind == "Pod":
        return []
    return None


def _check_workload(doc: Node, obj: dict[str, Any], label: str, problems: Problems) -> None:
    kind = obj["kind"]
    tpath = pod_template_path(kind)
    if tpath is None:
        return
    template, found = doc.at(tpath)
    if not found or not template.is_map:
        return
    if kind in SELECTED_WORKLOADS:
        _check_selector(doc, template, label, problems)
    if kind == "CronJob":
        _check_schedule(doc, label, problems)
    spec, found = template.at(["spec"])
    if not found or not spec.is_map:
        return
    _check_restart_policy(kind, template, spec, label, problems)
    _check_pod_spec(doc, kind, spec, label, problems)


def _check_selector(doc: Node, template: Node, label: str, problems: Problems) -> None:
    selector, found = doc.at(["spec", "selector"])
    if not found or not selector.is_map:
        return
    sel = plain(selector.value)
    if not sel.get("matchLabels") and not sel.get("matchExpressions"):
        problems.add(selector.location, f"{label}: spec.selector is empty; the API server "
                                        f"rejects an empty selector for this kind")
        return
    labels_node, has_labels = template.at(["metadata", "labels"])
    labels = plain(labels_node.value) if has_labels and labels_node.is_map else {}
    if not selector_matches(sel, labels):
        where = labels_node.location if has_labels else template.location
        shown = ", ".join(f"{k}={v}" for k, v in labels.items()) or "none"
        problems.add(where, f"{label}: spec.selector does not match the template's labels "
                            f"({shown}); the API server rejects this")


def selector_matches(selector: dict[str, Any], labels: dict[str, Any]) -> bool:
    """Whether a LabelSelector (matchLabels and matchExpressions) selects these labels."""
    for key, value in as_map(selector.get("matchLabels")).items():
        if labels.get(key) != value:
            return False
    for expr in as_list(selector.get("matchExpressions")):
        if not isinstance(expr, dict) or not isinstance(expr.get("key"), str):
            return False
        name, op, values = expr["key"], expr.get("operator"), as_list(expr.get("values"))
        if op == "In" and labels.get(name) not in values:
            return False
        if op == "NotIn" and name in labels and labels[name] in values:
            return False
        if op == "Exists" and name not in labels:
            return False
        if op == "DoesNotExist" and name in labels:
            return False
    return True


def _check_schedule(doc: Node, label: str, problems: Problems) -> None:
    node, found = doc.at(["spec", "schedule"])
    if not found or not isinstance(node.value, str):
        return
    zone, has_zone = doc.at(["spec", "timeZone"])
    time_zone = zone.value if has_zone and isinstance(zone.value, str) else None
    try:
        parse_schedule(node.value, time_zone)
    except ScheduleError as err:
        at = zone.location if time_zone and "time zone" in err.message else node.location
        hint = f" ({err.hint})" if err.hint else ""
        problems.add(at, f"{label}: invalid schedule {node.value!r}: {err.message}{hint}")


def _check_restart_policy(kind: str, template: Node, spec: Node, label: str,
                          problems: Problems) -> None:
    policy = spec.value.get("restartPolicy")
    if kind in ("Job", "CronJob"):
        if policy is None:
            problems.add(template.key_location("spec"),
                         f"{label}: the pod template has no restartPolicy; pods default to "
                         f"Always, which a Job rejects: set restartPolicy: Never or OnFailure")
        elif policy == "Always":
            problems.add(spec.child("restartPolicy").location,
                         f"{label}: a Job's pods cannot use restartPolicy Always (a Job's pods "
                         f"must finish): use Never or OnFailure")
    elif kind in SELECTED_WORKLOADS and policy not in (None, "Always"):
        problems.add(spec.child("restartPolicy").location,
                     f"{label}: a {kind}'s pods must use restartPolicy Always, not {policy!r}")


def _check_pod_spec(doc: Node, kind: str, spec: Node, label: str, problems: Problems) -> None:
    pod = plain(spec.value)
    volumes = _names(as_list(pod.get("volumes")))
    if kind == "StatefulSet":
        claims = as_list(as_map(plain(doc.value).get("spec")).get("volumeClaimTemplates"))
        volumes |= _names(as_map(c).get("metadata") for c in claims)
    seen: set[str] = set()
    for section in ("initContainers", "containers"):
        containers, found = spec.at([section])
        if not found or not containers.is_seq:
            continue
        for _, container in containers.items():
            if not container.is_map:
                continue
            cname = container.value.get("name")
            if isinstance(cname, str):
                if cname in seen:
                    problems.add(container.child("name").location,
                                 f"{label}: two containers are named {cname!r}")
                seen.add(cname)
            mounts, found = container.at(["volumeMounts"])
            if not found or not mounts.is_seq:
                continue
            for _, mount in mounts.items():
                mname = mount.value.get("name") if mount.is_map else None
                if isinstance(mname, str) and mname not in volumes:
                    declared = ", ".join(sorted(v for v in volumes if isinstance(v, str)))
                    problems.add(mount.child("name").location,
                                 f"{label}: volumeMount {mname!r} names no volume "
                                 f"(declared: {declared or 'none'})")


def _names(items: Any) -> set[str]:
    """The string `name`s of the mappings among `items`."""
    return {i["name"] for i in items if isinstance(i, dict) and isinstance(i.get("name"), str)}


def object_risks(obj: dict[str, Any]) -> list[str]:
    """Why applying this object needs more than a namespace's worth of permissions."""
    out: list[str] = []
    kind = obj.get("kind")
    meta = obj.get("metadata")
    namespace = meta.get("namespace") if isinstance(meta, dict) else None
    if namespace == "kube-system":
        out.append("kube-system")
    elif isinstance(namespace, str):
        out.append(f"namespace {namespace}")
    if kind in CLUSTER_SCOPED:
        out.append(f"cluster-scoped {kind}")
    path = pod_template_path(str(kind))
    if path is None:
        return out
    template: Any = obj
    for step in path:
        template = template.get(step) if isinstance(template, dict) else None
    spec = template.get("spec") if isinstance(template, dict) else None
    if not isinstance(spec, dict):
        return out
    for flag in ("hostNetwork", "hostPID", "hostIPC"):
        if spec.get(flag) is True:
            out.append(flag)
    if any(isinstance(v, dict) and "hostPath" in v for v in as_list(spec.get("volumes"))):
        out.append("hostPath")
    containers = [*as_list(spec.get("initContainers")), *as_list(spec.get("containers"))]
    if any(isinstance(c, dict) and isinstance(c.get("securityContext"), dict)
           and c["securityContext"].get("privileged") is True for c in containers):
        out.append("privileged")
    return out
