"""Resource quantities (`250m`, `1.5`, `64Mi`, `1G`) as the API parses them."""

from __future__ import annotations

import functools
import re
from typing import Any

_SUFFIX = {
    "": 1, "n": 1e-9, "u": 1e-6, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12,
    "P": 1e15, "E": 1e18, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50,
    "Ei": 2**60,
}
_RE = re.compile(r"^([+-]?[0-9.]+(?:[eE][+-]?[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?$")


def parse(value: Any) -> float:
    if isinstance(value, str):
        return _parse_text(value)
    return _parse(value)


@functools.lru_cache(maxsize=4096)
def _parse_text(value: str) -> float:
    return _parse(value)


def _parse(value: Any) -> float:
    """The numeric value of a quantity (`"250m"` → 0.25, `"64Mi"` → 67108864).

    Raises:
        ValueError: not a quantity.
    """
    if isinstance(value, bool):
        raise ValueError(f"quantities must match the regular expression: {value!r}")
    if isinstance(value, (int, float)):
        return float(value)
    m = _RE.match(str(value).strip())
    if m is None:
        raise ValueError(
            "quantities must match the regular expression "
            "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")
    return float(m.group(1)) * _SUFFIX[m.group(2) or ""]


def is_quantity(value: Any) -> bool:
    try:
        parse(value)
    except ValueError:
        return False
    return True


def milli_cpu(value: Any) -> int:
    """CPU in millicores."""
    return round(parse(value) * 1000)


def mem_bytes(value: Any) -> int:
    return int(parse(value))


def pod_requests(pod_spec: dict[str, Any]) -> tuple[int, int]:
    """(millicpu, bytes) a pod requests, as the scheduler computes it: the sum over app
    containers, or the largest init container if that is larger.

    A container with limits but no requests requests its limits (API defaulting).
    """
    def one(c: dict[str, Any]) -> tuple[int, int]:
        res = c.get("resources") or {}
        req = {**(res.get("limits") or {}), **(res.get("requests") or {})}
        cpu = milli_cpu(req["cpu"]) if "cpu" in req else 0
        mem = mem_bytes(req["memory"]) if "memory" in req else 0
        return cpu, mem

    cpu = mem = 0
    for c in pod_spec.get("containers") or ():
        a, b = one(c)
        cpu, mem = cpu + a, mem + b
    for c in pod_spec.get("initContainers") or ():
        a, b = one(c)
        cpu, mem = max(cpu, a), max(mem, b)
    return cpu, mem
