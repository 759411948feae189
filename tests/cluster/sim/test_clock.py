"""The virtual clock and determinism: same seed and actions, same history."""

from __future__ import annotations

from k8slab.cluster.sim.clock import SimClock
from tests.cluster.sim.simlab import SimLab, daemonset, headless, pod, statefulset, sts_ready


def test_happenings_run_in_time_then_schedule_order() -> None:
    clock = SimClock()
    seen: list[str] = []
    clock.at(5, lambda: seen.append("b"))
    clock.at(2, lambda: seen.append("a1"))
    clock.at(2, lambda: seen.append("a2"))
    cancelled = clock.at(3, lambda: seen.append("never"))
    cancelled.cancel()
    assert clock.next_time() == 2
    assert clock.step() == 2 and seen == ["a1"]
    clock.advance(10)
    assert seen == ["a1", "a2", "b"] and clock.now == 12
    assert clock.step() is None


def test_speed_pause_and_tick() -> None:
    clock = SimClock()
    clock.speed = 100
    assert clock.speed == 60
    clock.speed = 0.1
    assert clock.speed == 0.25
    clock.speed = 2
    clock.tick(1.5)
    assert clock.now == 3
    clock.paused = True
    clock.tick(10)
    assert clock.now == 3


def test_next_cron_time_and_jump() -> None:
    clock = SimClock()
    ran: list[float] = []
    clock.at(300, lambda: ran.append(clock.now))
    clock.set_cron("lab/backup", 300)
    clock.set_cron("lab/other", 600)
    assert clock.next_cron_time() == 300
    assert clock.jump_to_next_cron() == 300
    assert ran == [300] and clock.now == 300
    clock.set_cron("lab/backup", None)
    assert clock.next_cron_time() == 600


def _scenario(seed: int) -> list[str]:
    lab = SimLab(seed=seed)
    lab.apply(headless(), statefulset(), daemonset())
    lab.apply(*(pod(f"r{i}", restartPolicy="Never",
                    script="sleep 2; if [ $((RANDOM % 3)) -eq 0 ]; then exit 1; fi")
                for i in range(5)))
    lab.run_until(lambda lb: sts_ready(lb, "web", 3))
    lab.sim.scale("StatefulSet", "web", 1)
    lab.sim.patch("Node", "worker-2", {"metadata": {"labels": {"gpu": "true"}}})
    lab.run(90)
    return [str(t) + repr(sorted(t.detail.items())) + t.uid for t in lab.state.history]


def test_same_seed_same_history() -> None:
    first = _scenario(11)
    assert len(first) > 50
    assert first == _scenario(11)
    assert first != _scenario(12)


def test_pump_stops_at_each_change_and_jumps_idle_time() -> None:
    lab = SimLab()
    lab.apply(pod("p"))
    before = lab.sim.core.store.changes
    lab.sim.pump(1000)
    assert lab.sim.core.store.changes > before
    assert lab.sim.now() < 1
    lab.run_until(lambda lb: bool(lb.history(kind="Pod", what="ready")))
    lab.sim.pump(500)  # nothing is due: time jumps straight there
    assert lab.sim.now() == 500
