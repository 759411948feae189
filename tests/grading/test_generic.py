from __future__ import annotations

from tests.grading.builders import Lab, statefulset


def test_exists_passes_only_once_the_object_is_there() -> None:
    lab = Lab()
    assert not lab.check("exists", kind="sts", name="web").passed
    lab.put(statefulset("web"))
    result = lab.check("exists", kind="sts", name="web")
    assert result.passed
    assert "statefulset/web exists" in result.detail


def test_field_equals_compares_the_value_and_says_what_it_found() -> None:
    lab = Lab()
    lab.put(statefulset("web", replicas=3))
    assert lab.check("field-equals", kind="StatefulSet", name="web", path="spec.replicas",
                     value=3).passed
    wrong = lab.check("field-equals", kind="StatefulSet", name="web", path="spec.replicas",
                      value=5)
    assert not wrong.passed
    assert wrong.detail == "spec.replicas of statefulset/web is 3 (want 5)"
    absent = lab.check("field-equals", kind="StatefulSet", name="web",
                       path="spec.minReadySeconds", value=10)
    assert not absent.passed and "has no spec.minReadySeconds" in absent.detail


def test_field_equals_does_not_confuse_true_with_one() -> None:
    lab = Lab()
    lab.put(statefulset("web", replicas=1))
    assert not lab.check("field-equals", kind="StatefulSet", name="web", path="spec.replicas",
                         value=True).passed
