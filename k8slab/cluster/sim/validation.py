"""Validation, as the API server rejects objects: field paths and messages in its own words.

`validate(obj, old)` returns the causes (`spec.selector: Required value`); the API server layer
wraps them into `StatefulSet.apps "web" is invalid: ...`.
"""

from __future__ import annotations

import re
from typing import Any

from k8slab.cluster.objects import Obj, selector_matches
from k8slab.cluster.sim import quantity

_DNS1123_SUBDOMAIN = re.compile(
    r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_SUBDOMAIN_MSG = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
                  "characters, '-' or '.', and must start and end with an alphanumeric character "
                  "(e.g. 'example.com', regex used for validation is "
                  "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")
_LABEL_MSG = ("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or "
              "'-', and must start and end with an alphanumeric character (e.g. 'my-name',  or "
              "'123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')")
# Kinds whose names must be DNS labels rather than subdomains.
_LABEL_NAMED = {"Service", "Namespace"}


def go_value(value: Any) -> str:
    """A value as Go's %#v prints it in API error messages."""
    if isinstance(value, dict):
        if all(isinstance(v, str) for v in value.values()):
            inner = ", ".join(f'"{k}":"{v}"' for k, v in sorted(value.items()))
            return "map[string]string{" + inner + "}"
        return "map[string]interface {}{...}"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    return str(value)


def _required(path: str) -> str:
    return f"{path}: Required value"


def _invalid(path: str, value: Any, why: str) -> str:
    return f"{path}: Invalid value: {go_value(value)}: {why}"


def _unsupported(path: str, value: Any, supported: list[str]) -> str:
    return (f"{path}: Unsupported value: {go_value(value)}: supported values: "
            + ", ".join(f'"{s}"' for s in supported))


def _name(obj: Obj) -> list[str]:
    name = (obj.get("metadata") or {}).get("name")
    if not name:
        return ["metadata.name: Required value: name or generateName is required"]
    if obj.get("kind") in _LABEL_NAMED:
        if not _DNS1123_LABEL.match(name) or len(name) > 63:
            return [_invalid("metadata.name", name, _LABEL_MSG)]
    elif not _DNS1123_SUBDOMAIN.match(name) or len(name) > 253:
        return [_invalid("metadata.name", name, _SUBDOMAIN_MSG)]
    return []


def _containers(spec: dict[str, Any], path: str, extra_volumes: set[str] | None = None
                ) -> list[str]:
    out: list[str] = []
    containers = spec.get("containers")
    if not containers:
        return [_required(f"{path}.containers")]
    seen: set[str] = set()
    for group in ("initContainers", "containers"):
        for i, c in enumerate(spec.get(group) or ()):
            cp = f"{path}.{group}[{i}]"
            nm = c.get("name")
            if not nm:
                out.append(_required(f"{cp}.name"))
            elif not _DNS1123_LABEL.match(nm):
                out.append(_invalid(f"{cp}.name", nm, _LABEL_MSG))
            elif nm in seen:
                out.append(f"{cp}.name: Duplicate value: {go_value(nm)}")
            seen.add(nm or "")
            if not c.get("image"):
                out.append(_required(f"{cp}.image"))
            res = c.get("resources") or {}
            for part in ("requests", "limits"):
                for rname, qty in (res.get(part) or {}).items():
                    if not quantity.is_quantity(qty):
                        out.append(_invalid(f"{cp}.resources.{part}[{rname}]", qty,
                                            "quantities must match the regular expression "
                                            "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"))
    vol_names = {v.get("name") for v in spec.get("volumes") or ()} | (extra_volumes or set())
    for i, c in enumerate(spec.get("containers") or ()):
        for j, m in enumerate(c.get("volumeMounts") or ()):
            if m.get("name") not in vol_names:
                out.append(f"{path}.containers[{i}].volumeMounts[{j}].name: Not found: "
                           f"{go_value(m.get('name'))}")
    rp = spec.get("restartPolicy", "Always")
    if rp not in ("Always", "OnFailure", "Never"):
        out.append(_unsupported(f"{path}.restartPolicy", rp, ["Always", "OnFailure", "Never"]))
    return out


def _selector_and_template(obj: Obj, *, template_path: str = "spec.template") -> list[str]:
    spec = obj.get("spec") or {}
    claims = {str((t.get("metadata") or {}).get("name")) for t in
              spec.get("volumeClaimTemplates") or ()}
    out: list[str] = []
    selector = spec.get("selector")
    tmpl = spec.get("template") or {}
    tlabels = (tmpl.get("metadata") or {}).get("labels") or {}
    if not selector or not (selector.get("matchLabels") or selector.get("matchExpressions")):
        out.append(_required("spec.selector"))
    elif not selector_matches(selector, tlabels):
        out.append(_invalid(f"{template_path}.metadata.labels", tlabels,
                            "`selector` does not match template `labels`"))
    if not tmpl.get("spec"):
        out.append(_required(f"{template_path}.spec.containers"))
    else:
        out.extend(_containers(tmpl["spec"], f"{template_path}.spec", claims))
    return out


def _immutable(path: str, value: Any) -> str:
    return _invalid(path, value, "field is immutable")


def statefulset(obj: Obj, old: Obj | None) -> list[str]:
    spec = obj.get("spec") or {}
    out = _selector_and_template(obj)
    if int(spec.get("replicas", 1)) < 0:
        out.append(_invalid("spec.replicas", spec["replicas"],
                            "must be greater than or equal to 0"))
    pmp = spec.get("podManagementPolicy", "OrderedReady")
    if pmp not in ("OrderedReady", "Parallel"):
        out.append(_unsupported("spec.podManagementPolicy", pmp, ["OrderedReady", "Parallel"]))
    us = spec.get("updateStrategy") or {}
    if us.get("type") not in ("RollingUpdate", "OnDelete"):
        out.append(_unsupported("spec.updateStrategy.type", us.get("type"),
                                ["OnDelete", "RollingUpdate"]))
    part = ((us.get("rollingUpdate") or {}).get("partition")) or 0
    if int(part) < 0:
        out.append(_invalid("spec.updateStrategy.rollingUpdate.partition", part,
                            "must be greater than or equal to 0"))
    rp = (spec.get("template") or {}).get("spec", {}).get("restartPolicy", "Always")
    if rp != "Always":
        out.append(_unsupported("spec.template.spec.restartPolicy", rp, ["Always"]))
    for i, t in enumerate(spec.get("volumeClaimTemplates") or ()):
        out.extend(_pvc_spec(t.get("spec") or {}, f"spec.volumeClaimTemplates[{i}].spec"))
    if old is not None:
        ospec = old.get("spec") or {}
        allowed = {"replicas", "ordinals", "template", "updateStrategy",
                   "persistentVolumeClaimRetentionPolicy", "minReadySeconds"}
        if any(spec.get(k) != ospec.get(k) for k in set(spec) | set(ospec) if k not in allowed):
            out.append("spec: Forbidden: updates to statefulset spec for fields other than "
                       "'replicas', 'ordinals', 'template', 'updateStrategy', "
                       "'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are "
                       "forbidden")
    return out


def daemonset(obj: Obj, old: Obj | None) -> list[str]:
    spec = obj.get("spec") or {}
    out = _selector_and_template(obj)
    rp = (spec.get("template") or {}).get("spec", {}).get("restartPolicy", "Always")
    if rp != "Always":
        out.append(_unsupported("spec.template.spec.restartPolicy", rp, ["Always"]))
    us = spec.get("updateStrategy") or {}
    if us.get("type") not in ("RollingUpdate", "OnDelete"):
        out.append(_unsupported("spec.updateStrategy.type", us.get("type"),
                                ["OnDelete", "RollingUpdate"]))
    if old is not None and spec.get("selector") != (old.get("spec") or {}).get("selector"):
        out.append(_immutable("spec.selector", spec.get("selector")))
    return out


def _job_template(spec: dict[str, Any], path: str) -> list[str]:
    out: list[str] = []
    tmpl = spec.get("template") or {}
    if not tmpl.get("spec"):
        return [_required(f"{path}.template.spec.containers")]
    out.extend(_containers(tmpl["spec"], f"{path}.template.spec"))
    rp = tmpl["spec"].get("restartPolicy")
    if rp not in ("OnFailure", "Never"):
        out.append(f'{path}.template.spec.restartPolicy: Required value: valid values: '
                   '"OnFailure", "Never"')
    for field in ("parallelism", "completions", "backoffLimit", "activeDeadlineSeconds",
                  "ttlSecondsAfterFinished"):
        v = spec.get(field)
        if v is not None and int(v) < 0:
            out.append(_invalid(f"{path}.{field}", v, "must be greater than or equal to 0"))
    if spec.get("activeDeadlineSeconds") is not None and int(spec["activeDeadlineSeconds"]) == 0:
        out.append(_invalid(f"{path}.activeDeadlineSeconds", 0, "must be greater than 0"))
    return out


def job(obj: Obj, old: Obj | None) -> list[str]:
    spec = obj.get("spec") or {}
    out = _job_template(spec, "spec")
    sel = spec.get("selector")
    tlabels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
    if sel and not selector_matches(sel, tlabels):
        out.append(_invalid("spec.template.metadata.labels", tlabels,
                            "`selector` does not match template `labels`"))
    if old is not None:
        ospec = old.get("spec") or {}
        if spec.get("template") != ospec.get("template"):
            out.append(_immutable("spec.template", "core.PodTemplateSpec{...}"))
        if spec.get("completions") != ospec.get("completions"):
            out.append(_immutable("spec.completions", spec.get("completions")))
        if spec.get("selector") != ospec.get("selector"):
            out.append(_immutable("spec.selector", spec.get("selector")))
    return out


def cronjob(obj: Obj, old: Obj | None) -> list[str]:
    spec = obj.get("spec") or {}
    out: list[str] = []
    sched = spec.get("schedule")
    # The API server parses schedules with robfig/cron and names its errors (cron.py).
    from k8slab.cluster.cron import MAX_NAME_LENGTH, schedule_problem, time_zone_problem

    if not sched:
        out.append(_required("spec.schedule"))
    elif (problem := schedule_problem(str(sched))) is not None:
        out.append(_invalid("spec.schedule", sched, problem))
    tz = spec.get("timeZone")
    if tz is not None and (problem := time_zone_problem(str(tz))) is not None:
        out.append(_invalid("spec.timeZone", tz, problem))
    name = str((obj.get("metadata") or {}).get("name") or "")
    if old is None and len(name) > MAX_NAME_LENGTH:
        out.append(_invalid("metadata.name", name, "must be no more than 52 characters"))
    cp = spec.get("concurrencyPolicy", "Allow")
    if cp not in ("Allow", "Forbid", "Replace"):
        out.append(_unsupported("spec.concurrencyPolicy", cp, ["Allow", "Forbid", "Replace"]))
    jt = spec.get("jobTemplate") or {}
    out.extend(_job_template(jt.get("spec") or {}, "spec.jobTemplate.spec"))
    return out


def _pvc_spec(spec: dict[str, Any], path: str) -> list[str]:
    out = []
    if not spec.get("accessModes"):
        out.append(_required(f"{path}.accessModes"))
    for m in spec.get("accessModes") or ():
        if m not in ("ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod"):
            out.append(_unsupported(f"{path}.accessModes", m, [
                "ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"]))
    storage = ((spec.get("resources") or {}).get("requests") or {}).get("storage")
    if storage is None:
        out.append(_required(f"{path}.resources[storage]"))
    elif not quantity.is_quantity(storage):
        out.append(_invalid(f"{path}.resources[storage]", storage,
                            "quantities must match the regular expression "
                            "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"))
    return out


def pvc(obj: Obj, old: Obj | None) -> list[str]:
    out = _pvc_spec(obj.get("spec") or {}, "spec")
    if old is not None:
        a = {k: v for k, v in (obj.get("spec") or {}).items() if k not in ("resources",
                                                                           "volumeName")}
        b = {k: v for k, v in (old.get("spec") or {}).items() if k not in ("resources",
                                                                           "volumeName")}
        if a != b:
            out.append("spec: Forbidden: spec is immutable after creation except "
                       "resources.requests and volumeAttributesClassName for bound claims")
    return out


def pod(obj: Obj, old: Obj | None) -> list[str]:
    spec = obj.get("spec") or {}
    out = _containers(spec, "spec")
    if old is not None:
        def strip(s: dict[str, Any]) -> dict[str, Any]:
            s = {k: v for k, v in s.items() if k not in ("activeDeadlineSeconds",
                                                         "tolerations", "nodeName")}
            s["containers"] = [{k: v for k, v in c.items() if k != "image"}
                               for c in s.get("containers") or ()]
            s["initContainers"] = [{k: v for k, v in c.items() if k != "image"}
                                   for c in s.get("initContainers") or ()]
            return s
        if strip(spec) != strip(old.get("spec") or {}):
            out.append("spec: Forbidden: pod updates may not change fields other than "
                       "`spec.containers[*].image`,`spec.initContainers[*].image`,"
                       "`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to "
                       "existing tolerations),`spec.terminationGracePeriodSeconds` (allow it "
                       "to be set to 1 if it was previously negative)")
    return out


def service(obj: Obj, old: Obj | None) -> list[str]:
    spec = obj.get("spec") or {}
    out: list[str] = []
    headless = spec.get("clusterIP") == "None"
    if not spec.get("ports") and not headless and spec.get("type") != "ExternalName":
        out.append(_required("spec.ports"))
    for i, p in enumerate(spec.get("ports") or ()):
        port = p.get("port")
        if not isinstance(port, int) or not 0 < port < 65536:
            out.append(_invalid(f"spec.ports[{i}].port", port,
                                "must be between 1 and 65535, inclusive"))
    if len(spec.get("ports") or ()) > 1:
        for i, p in enumerate(spec.get("ports") or ()):
            if not p.get("name"):
                out.append(_required(f"spec.ports[{i}].name"))
    if old is not None:
        oip = (old.get("spec") or {}).get("clusterIP")
        if spec.get("clusterIP") not in (None, "", oip):
            out.append(_invalid("spec.clusterIPs[0]", spec.get("clusterIP"),
                                "may not change once set"))
    return out


def node(obj: Obj, old: Obj | None) -> list[str]:
    out = []
    for i, t in enumerate((obj.get("spec") or {}).get("taints") or ()):
        if t.get("effect") not in ("NoSchedule", "PreferNoSchedule", "NoExecute"):
            out.append(_unsupported(f"spec.taints[{i}].effect", t.get("effect"),
                                    ["NoExecute", "NoSchedule", "PreferNoSchedule"]))
        if not t.get("key"):
            out.append(_required(f"spec.taints[{i}].key"))
    return out


_VALIDATORS = {
    "StatefulSet": statefulset,
    "DaemonSet": daemonset,
    "Job": job,
    "CronJob": cronjob,
    "PersistentVolumeClaim": pvc,
    "Pod": pod,
    "Service": service,
    "Node": node,
}


def validate(obj: Obj, old: Obj | None = None) -> list[str]:
    """The causes for which the API server would reject `obj` (empty when it is valid)."""
    out = _name(obj)
    fn = _VALIDATORS.get(str(obj.get("kind")))
    if fn is not None:
        out.extend(fn(obj, old))
    for k, v in ((obj.get("metadata") or {}).get("labels") or {}).items():
        if not isinstance(v, str):
            out.append(_invalid("metadata.labels", v, "must be a string"))
            continue
        if len(v) > 63 or (v and not re.match(r"^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$",
                                              v)):
            out.append(_invalid("metadata.labels", v,
                                "a valid label must be an empty string or consist of "
                                "alphanumeric characters, '-', '_' or '.', and must start and "
                                "end with an alphanumeric character"))
        del k
    return out
