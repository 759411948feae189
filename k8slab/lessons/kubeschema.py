"""Validating manifests against the Kubernetes OpenAPI schema, with every error placed on the
line of the field it is about.

The schemas come from kubernetes-validate (its strict variant, which rejects unknown fields as
`kubectl apply --validate=strict` does). kubernetes-validate itself stops at the first error;
this module builds the same validator and asks it for all of them, then maps each error's path
back to the ruamel node it came from.
"""

from __future__ import annotations

import difflib
import functools
import re
from typing import TYPE_CHECKING, Any

from k8slab.errors import Location
from k8slab.lessons.source import Node, as_map, describe

if TYPE_CHECKING:
    from jsonschema.protocols import Validator

# The oldest Kubernetes release the lessons promise to work on. A manifest that validates
# against 1.33 validates against every later release (fields are added, not removed).
KUBERNETES_VERSION = "1.33"


def schema_version() -> str:
    """The schema release used: the oldest one kubernetes-validate ships at or after 1.33."""
    from kubernetes_validate.utils import all_versions, major_minor

    want = tuple(int(x) for x in KUBERNETES_VERSION.split("."))
    for version in all_versions():
        if tuple(int(x) for x in major_minor(version).split(".")) >= want:
            return version
    return all_versions()[-1]


@functools.lru_cache(maxsize=1)
def _definitions() -> tuple[str, Any]:
    from kubernetes_validate.utils import schema_contents

    version = schema_version()
    folder = f"kubernetes-json-schema/v{version}-local-strict"
    return folder, schema_contents(f"{folder}/_definitions.json", version)


_API_VERSION = re.compile(r"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?v[0-9]+[a-z0-9]*$")
_KIND = re.compile(r"^[A-Z][A-Za-z0-9]*$")


@functools.lru_cache(maxsize=64)
def _validator(api_version: str, kind: str) -> Validator | None:
    import jsonschema
    from kubernetes_validate.utils import (
        InvalidSchemaError,
        VersionNotSupportedError,
        schema_contents,
    )
    from referencing import Registry, Resource

    # Names that cannot be a schema file's (and must not become a path) have no schema.
    if not _API_VERSION.match(api_version) or not _KIND.match(kind):
        return None
    folder, definitions = _definitions()
    # kubernetes-validate's file naming: rbac.authorization.k8s.io/v1 -> rbac-v1.
    group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    try:
        schema = schema_contents(f"{folder}/{kind.lower()}-{group_version}.json",
                                 schema_version())
    except (OSError, VersionNotSupportedError, InvalidSchemaError):
        return None
    registry = Resource.from_contents(definitions) @ (Resource.from_contents(schema)
                                                      @ Registry())
    cls = jsonschema.validators.Draft202012Validator
    return cls(schema, registry=registry)


def known_kind(api_version: str, kind: str) -> bool:
    """Whether Kubernetes (at KUBERNETES_VERSION) has this kind in this API version."""
    return _validator(api_version, kind) is not None


def schema_errors(doc: Node, obj: dict[str, Any]) -> list[tuple[Location, str]]:
    """Every way `obj` (the plain form of `doc`) breaks the Kubernetes schema, located."""
    validator = _validator(str(obj.get("apiVersion")), str(obj.get("kind")))
    if validator is None:
        return []
    out: list[tuple[Location, str]] = []
    for error in validator.iter_errors(obj):
        out.extend(_explain(doc, list(error.absolute_path), error))
    return out


def field_path(path: list[Any]) -> str:
    """`spec.template.spec.containers[0].image` from ['spec', ..., 0, 'image']."""
    text = ""
    for step in path:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else str(step))
    return text or "(top level)"


_TYPE_WORDS = {"string": "a string", "integer": "an integer", "number": "a number",
               "boolean": "a boolean", "object": "a mapping", "array": "a list"}


def _explain(doc: Node, path: list[Any], error: Any) -> list[tuple[Location, str]]:
    node, found = doc.at(path)
    where = node.location
    name = field_path(path)
    match error.validator:
        case "additionalProperties":
            known = sorted((error.schema.get("properties") or {}).keys())
            extras = [k for k in as_map(error.instance) if k not in known]
            out = []
            for key in extras:
                full = field_path([*path, key])
                close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
                tip = f"; did you mean {close[0]!r}?" if close else ""
                out.append((node.key_location(key), f"unknown field {full!r}{tip}"))
            return out
        case "required":
            missing = error.message.split("'")[1] if "'" in error.message else "?"
            if path:
                parent, _ = doc.at(path[:-1])
                where = parent.key_location(path[-1])
            return [(where, f"missing required field {field_path([*path, missing])!r}")]
        case "type":
            wanted = error.validator_value
            wanted = [wanted] if isinstance(wanted, str) else list(wanted)
            words = " or ".join(_TYPE_WORDS.get(w, w) for w in wanted if w != "null")
            tip = ""
            if "string" in wanted and isinstance(error.instance, (bool, int, float)):
                value = error.instance
                shown = str(value).lower() if isinstance(value, bool) else str(value)
                tip = f' (quote it: "{shown}")'
            return [(where if found else node.location,
                     f"{name} must be {words}, not {describe(error.instance)}{tip}")]
        case "enum":
            allowed = ", ".join(repr(v) for v in error.validator_value)
            return [(where, f"{name} must be one of {allowed}, not {error.instance!r}")]
        case "oneOf" | "anyOf":
            return [(where, f"{name} has the wrong type: {describe(error.instance)} "
                            f"(expected a number or a string such as \"100m\" or \"1Gi\")"
                     if _is_int_or_string(error) else
                     f"{name} does not match the schema: {describe(error.instance)}")]
        case _:
            message = error.message if len(error.message) < 120 else error.message[:117] + "..."
            return [(where, f"{name}: {message}")]


def _is_int_or_string(error: Any) -> bool:
    options = error.validator_value if isinstance(error.validator_value, list) else []
    types: set[str] = set()
    for option in options:
        kind = option.get("type") if isinstance(option, dict) else None
        types.update([kind] if isinstance(kind, str) else kind or [])
    return "string" in types and bool(types & {"integer", "number"})
