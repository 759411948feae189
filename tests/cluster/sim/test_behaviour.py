"""The shell-idiom interpreter that decides how a container without a hint behaves."""

from __future__ import annotations

from random import Random

from k8slab.cluster.sim.behaviour import plan_run
from k8slab.lessons.model import SimBehaviour

ENV = {"HOSTNAME": "web-0", "NODE_NAME": "worker-1"}


def _run(script: str, image: str = "busybox", seed: int = 0, hint: SimBehaviour | None = None):
    return plan_run({"image": image, "command": ["sh", "-c", script]}, ENV, hint, Random(seed))


def test_sleeps_add_up_and_exit_code() -> None:
    run = _run("echo start; sleep 5; echo mid && sleep 2.5; exit 4")
    assert run.duration == 7.5 and run.exit_code == 4
    assert run.lines == [(0.0, "start"), (5.0, "mid")]


def test_while_true_runs_forever_with_periodic_logs() -> None:
    run = _run('echo "up on $NODE_NAME"\nwhile true; do\n  echo "tick $(hostname)"\n'
               "  sleep 10\ndone")
    assert run.duration is None
    lines = run.log_lines(0.0, 25.0, lambda t: "")
    assert lines == ["up on worker-1", "tick web-0", "tick web-0", "tick web-0"]


def test_for_loop_expands_the_variable() -> None:
    run = _run('for i in 1 2 3; do echo "item $i"; sleep 1; done')
    assert run.duration == 3 and [t for _, t in run.lines] == ["item 1", "item 2", "item 3"]


def test_random_failure_follows_the_rng() -> None:
    codes = {_run("if [ $((RANDOM % 2)) -eq 0 ]; then exit 1; fi; exit 0", seed=s).exit_code
             for s in range(20)}
    assert codes == {0, 1}
    assert _run("if [ $((RANDOM % 2)) -eq 0 ]; then exit 1; fi", seed=3).exit_code == _run(
        "if [ $((RANDOM % 2)) -eq 0 ]; then exit 1; fi", seed=3).exit_code


def test_servers_run_forever_and_stop_on_sigterm() -> None:
    run = _run("echo hi > /usr/share/nginx/html/index.html\nnginx -g 'daemon off;'",
               image="nginx:alpine")
    assert run.duration is None and run.stops_on_sigterm
    assert run.writes == [("/usr/share/nginx/html/index.html", "hi\n", False)]
    db = plan_run({"image": "postgres:15-alpine"}, ENV, None, Random(0))
    assert db.duration is None and db.ready_after > 0
    shell = plan_run({"image": "busybox"}, ENV, None, Random(0))
    assert shell.duration == 0 and shell.exit_code == 0


def test_hint_overrides_the_script() -> None:
    hint = SimBehaviour(match={"kind": "Job", "name": "x"}, duration=12.0, exit_code=3,
                        logs=("custom",))
    run = _run("sleep 1", hint=hint)
    assert (run.duration, run.exit_code, run.lines) == (12.0, 3, [(0.0, "custom")])
    flaky = SimBehaviour(match={"kind": "Job"}, failure_rate=1.0)
    assert _run("sleep 1", hint=flaky).exit_code == 1


def test_fail_first_counts_runs() -> None:
    hint = SimBehaviour(match={"kind": "Job"}, fail_first=2, exit_code=0, duration=2.0)
    codes = [plan_run({"image": "busybox", "command": ["sh", "-c", "sleep 1"]}, ENV, hint,
                      Random(0), attempt=n).exit_code for n in (1, 2, 3)]
    assert codes == [1, 1, 0]


def test_args_alone_go_to_the_image_entrypoint() -> None:
    run = plan_run({"image": "prom/node-exporter:latest",
                    "args": ["--path.procfs=/host/proc"]}, ENV, None, Random(0))
    assert run.duration is None
    redis = plan_run({"image": "redis:7", "args": ["redis-server", "--appendonly", "yes"]},
                     ENV, None, Random(0))
    assert redis.duration is None and redis.stops_on_sigterm
