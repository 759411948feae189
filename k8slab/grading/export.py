"""A graded checklist as JSON (for scripts and dashboards) or JUnit XML (for CI)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from k8slab.grading.grader import ItemResult, Report


def item_json(item: ItemResult) -> dict[str, Any]:
    return {
        "id": item.id,
        "title": item.title,
        "passed": item.passed,
        "detail": item.detail,
        "hint": item.hint,
        "graded_by": "checks" if item.checks else "quiz",
        "checks": [{"kind": c.kind, "params": dict(c.params), "passed": c.passed,
                    "detail": c.result.detail} for c in item.checks],
        "quiz": [{"question": q.question.id, "answered": q.choice is not None,
                  "passed": q.passed} for q in item.quiz],
    }


def report_json(report: Report) -> dict[str, Any]:
    """One object: lesson, backend, namespace, passed (count), total, ok, items."""
    return {
        "lesson": report.lesson,
        "backend": report.backend,
        "namespace": report.namespace,
        "passed": report.passed,
        "total": report.total,
        "ok": report.all_passed,
        "items": [item_json(i) for i in report.items],
    }


def report_junit(report: Report, *, seconds: float = 0.0,
                 demo: frozenset[str] = frozenset()) -> str:
    """JUnit XML: one testsuite for the lesson, one testcase per checklist item.

    `demo` names the items only an instructor can show (in a workshop learner's namespace):
    unpassed, they are reported as skipped, not as the learner's failures.
    """
    skipped = sum(1 for item in report.items if not item.passed and item.id in demo)
    failures = report.total - report.passed - skipped
    suites = ET.Element("testsuites", name="k8slab", tests=str(report.total),
                        failures=str(failures), errors="0", skipped=str(skipped),
                        time=f"{seconds:.3f}")
    suite = ET.SubElement(suites, "testsuite", name=f"k8slab.{report.lesson}",
                          tests=str(report.total), failures=str(failures), errors="0",
                          skipped=str(skipped), time=f"{seconds:.3f}")
    props = ET.SubElement(suite, "properties")
    for name, value in (("backend", report.backend), ("namespace", report.namespace)):
        ET.SubElement(props, "property", name=name, value=value)
    for item in report.items:
        case = ET.SubElement(suite, "testcase", classname=f"k8slab.{report.lesson}",
                             name=f"{item.id}: {item.title}", time="0")
        lines = [f"{'ok  ' if c.passed else 'FAIL'} {c.kind}: {c.result.detail}"
                 for c in item.checks]
        lines += [f"{'ok  ' if q.passed else 'FAIL'} quiz {q.question.id}: "
                  f"{'answered' if q.choice is not None else 'not answered'}"
                  for q in item.quiz]
        if not item.passed and item.id in demo:
            ET.SubElement(case, "skipped", message=f"an instructor's demonstration in this "
                                                   f"workshop: {item.detail}")
        elif not item.passed:
            failure = ET.SubElement(case, "failure", message=item.detail, type="NotPassed")
            head = [item.detail] + ([f"hint: {item.hint}"] if item.hint else [])
            failure.text = "\n".join([*head, "", *lines])
        else:
            out = ET.SubElement(case, "system-out")
            out.text = "\n".join(lines) or item.detail
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode")
