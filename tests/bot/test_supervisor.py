"""The supervisor of `python -m bot run` restarts a dead server with backoff and keeps the others.

Real child processes (small HTTP servers, shells); only the supervisor's clock is in the test's
hand, so backoff is checked without waiting for it.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Callable, List

import pytest

from bot.runner import Service, free_port
from bot.supervisor import RUNNING, STARTING, WAITING, Supervisor


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def web_server(name: str) -> Service:
    port = free_port()
    command = [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"]
    return Service(name, command, f"http://127.0.0.1:{port}/")


def failing(name: str) -> Service:
    return Service(name, [sys.executable, "-c", "raise SystemExit(3)"], f"http://127.0.0.1:{free_port()}/")


def group_alive(pid: int) -> bool:
    try:
        os.killpg(pid, 0)
    except ProcessLookupError:
        return False
    return True


def eventually(condition: Callable[[], bool], supervisor: Supervisor, within: float = 20) -> None:
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        supervisor.check()
        time.sleep(0.1)


@pytest.fixture
def supervised(tmp_path):
    started: List[Supervisor] = []

    def make(*services: Service, **options: float) -> Supervisor:
        supervisor = Supervisor(list(services), tmp_path, tmp_path / "status.json", clock=Clock(), **options)
        started.append(supervisor)
        supervisor.start_all()
        return supervisor

    yield make
    for supervisor in started:
        supervisor.stop_all(grace=5)


def status(supervisor: Supervisor) -> dict:
    return json.loads(Path(supervisor.status_file).read_text())["services"]


def test_a_killed_server_is_restarted_and_the_others_keep_serving(supervised):
    actions, staff = web_server("actions"), web_server("staff")
    supervisor = supervised(actions, staff)
    eventually(supervisor.all_healthy, supervisor)
    staff_pid, dead_pid = staff.process.pid, actions.process.pid

    os.kill(dead_pid, signal.SIGKILL)
    eventually(lambda: supervisor.watched[0].state == WAITING, supervisor)
    assert status(supervisor)["actions"]["last_exit_code"] == -signal.SIGKILL
    supervisor.check()  # the first restart is at once
    assert actions.process.pid != dead_pid and supervisor.watched[0].state == STARTING
    eventually(supervisor.all_healthy, supervisor)

    assert staff.process.pid == staff_pid and staff.healthy()
    assert {name: entry["restarts"] for name, entry in status(supervisor).items()} == {"actions": 1, "staff": 0}
    assert status(supervisor)["actions"]["state"] == RUNNING


def test_backoff_doubles_to_thirty_seconds_and_resets_after_a_healthy_minute(supervised):
    crashing = failing("actions")
    supervisor = supervised(crashing)
    clock = supervisor.clock
    delays = []
    for _ in range(7):
        crashing.process.wait()
        supervisor.check()
        delays.append(supervisor.watched[0].restart_at - clock.now)
        clock.now = supervisor.watched[0].restart_at
        supervisor.check()
    assert delays == [0, 1, 2, 4, 8, 16, 30]
    assert status(supervisor)["actions"]["restarts"] == 7

    steady = web_server("rasa")
    supervisor = supervised(steady)
    clock = supervisor.clock
    eventually(supervisor.all_healthy, supervisor)
    for _ in range(3):  # three quick deaths: at once, 1, 2
        os.kill(steady.process.pid, signal.SIGKILL)
        eventually(lambda: supervisor.watched[0].state == WAITING, supervisor)
        clock.now = supervisor.watched[0].restart_at
        supervisor.check()
        eventually(supervisor.all_healthy, supervisor)
    assert supervisor.watched[0].backoff == 4
    clock.now += 60
    supervisor.check()
    os.kill(steady.process.pid, signal.SIGKILL)
    eventually(lambda: supervisor.watched[0].state == WAITING, supervisor)
    assert supervisor.watched[0].restart_at == clock.now  # at once again


def test_what_a_dead_server_started_does_not_outlive_it(supervised, tmp_path):
    worker = tmp_path / "worker.pid"
    server = Service("rasa", ["sh", "-c", f"sleep 300 & echo $! > {worker}; wait"], f"http://127.0.0.1:{free_port()}/")
    supervisor = supervised(server)
    leader = server.process.pid
    eventually(lambda: worker.exists() and worker.read_text().strip() != "", supervisor)
    orphan = int(worker.read_text())
    os.kill(leader, signal.SIGKILL)
    eventually(lambda: supervisor.watched[0].state == WAITING, supervisor)
    eventually(lambda: not group_alive(leader), supervisor)
    with pytest.raises(ProcessLookupError):
        os.kill(orphan, 0)


def test_stopping_leaves_no_process_behind_even_during_a_backoff(supervised):
    waiting, serving = failing("actions"), web_server("staff")
    supervisor = supervised(waiting, serving)
    waiting.process.wait()
    supervisor.check()
    assert supervisor.watched[0].state == WAITING
    pid = serving.process.pid
    supervisor.stop_all(grace=5)
    assert not group_alive(pid)
    assert {entry["state"] for entry in status(supervisor).values()} == {"stopped"}


def test_a_hung_server_is_killed_after_failed_probes_and_restarted(supervised):
    hung, other = web_server("actions"), web_server("staff")
    supervisor = supervised(hung, other, probe_every=1, probe_failures=3)
    clock = supervisor.clock
    eventually(supervisor.all_healthy, supervisor)
    stopped = hung.process.pid
    os.kill(stopped, signal.SIGSTOP)  # alive, holds its port, answers nothing

    def killed() -> bool:
        clock.now += 0.5
        return supervisor.watched[0].state == WAITING

    eventually(killed, supervisor)
    assert not group_alive(stopped)
    assert status(supervisor)["actions"]["hung_kills"] == 1
    assert status(supervisor)["actions"]["last_exit_code"] == -signal.SIGKILL
    supervisor.check()  # restarted at once, like a dead one
    eventually(supervisor.all_healthy, supervisor)
    assert hung.process.pid != stopped and hung.healthy()
    assert {name: entry["restarts"] for name, entry in status(supervisor).items()} == {"actions": 1, "staff": 0}


def test_a_server_that_answers_its_probes_is_left_alone(supervised):
    server = web_server("rasa")
    supervisor = supervised(server, probe_every=1, probe_failures=1)
    clock = supervisor.clock
    eventually(supervisor.all_healthy, supervisor)
    pid = server.process.pid
    for _ in range(20):
        clock.now += 0.5
        supervisor.check()
        time.sleep(0.05)
    assert server.process.pid == pid and supervisor.watched[0].state == RUNNING
    assert status(supervisor)["rasa"]["hung_kills"] == 0
