"""`python -m bot run` as an operator starts it: the API closed, dead servers restarted, health true.

The real runner in a subprocess with its settings in the environment (free ports, a temporary
database, its own token file); real kill -9 of its servers in the middle of conversations.
The tests run in order on one stack; the last one stops it with SIGTERM.
"""

from __future__ import annotations

import json
import os
import re
import signal
import stat
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterator, List

import httpx
import pytest
from sqlalchemy import select

from bot.runner import ROOT
from bot.settings import Settings
from tests.live import MODEL, START_TIMEOUT_SECONDS, settings_for
from tickets.db import session_scope
from tickets.models import Ticket

pytestmark = pytest.mark.e2e

RECOVERY_SECONDS = 10  # issue 21: the action server or the staff service is back this soon, without a human
TICKET_NUMBER = re.compile(r"GD\d{8}-\d{4}")
COMPLAINT = ["小区北门的路灯不亮了，晚上太黑", "北门", "匿名"]


@dataclass
class Stack:
    settings: Settings
    runner: subprocess.Popen
    output: Path
    acknowledged: Dict[str, str]  # ticket number -> the resident it was given to

    def status(self) -> dict:
        return json.loads(Path(self.settings.supervisor_status_file).read_text())

    def pid(self, service: str) -> int:
        return self.status()["services"][service]["pid"]

    def health(self) -> httpx.Response:
        return httpx.get(f"{self.settings.staff_url}/healthz", timeout=10)

    def token(self) -> str:
        return Path(self.settings.rasa_api_token_file).read_text()

    def say(self, sender: str, message: str) -> List[str]:
        response = httpx.post(
            f"{self.settings.rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": message}, timeout=60
        )
        response.raise_for_status()
        texts = [answer.get("text", "") for answer in response.json()]
        for number in TICKET_NUMBER.findall(" ".join(texts)):
            self.acknowledged[number] = sender
        return texts

    def complain(self, sender: str) -> str:
        """A whole complaint; the ticket number the resident was given."""
        for message in COMPLAINT:
            texts = self.say(sender, message)
        [number] = TICKET_NUMBER.findall(" ".join(texts))
        return number

    def healthy(self) -> bool:
        try:
            return self.health().status_code == 200
        except httpx.TransportError:  # the staff service itself is not (yet) there
            return False

    def seconds_until_healthy(self, since: float, limit: float) -> float:
        while not self.healthy():
            assert self.runner.poll() is None, self.output.read_text()[-3000:]
            assert time.monotonic() - since < limit, f"not healthy in {limit} s: {self.status()}"
            time.sleep(0.2)
        return time.monotonic() - since


def resident() -> str:
    return f"sup-{uuid.uuid4().hex[:12]}"


def kill(pid: int) -> float:
    os.kill(pid, signal.SIGKILL)
    return time.monotonic()


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Iterator[Stack]:
    if not MODEL.exists():
        pytest.fail("no trained model: run the tests with `make test`, which trains first")
    workdir = tmp_path_factory.mktemp("supervised")
    settings = settings_for(workdir)
    env = {
        **{name: value for name, value in os.environ.items() if name != "RASA_API_TOKEN"},
        **settings.as_environment(),
        "PYTHONPATH": str(ROOT),
        "HF_HUB_OFFLINE": "1",
        "RASA_TELEMETRY_ENABLED": "false",
    }
    output = workdir / "runner.out"
    with open(output, "wb") as sink:
        runner = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"], cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT
        )
    running = Stack(settings, runner, output, {})
    try:
        running.seconds_until_healthy(time.monotonic(), START_TIMEOUT_SECONDS)
        yield running
    finally:
        if runner.poll() is None:
            runner.send_signal(signal.SIGTERM)
            try:
                runner.wait(timeout=60)
            except subprocess.TimeoutExpired:
                runner.kill()
                runner.wait()


def test_rasa_api_needs_the_token_and_the_token_stays_private(stack):
    rasa, token = stack.settings.rasa_url, stack.token()
    sender = resident()
    tracker = f"{rasa}/conversations/{sender}/tracker"
    events = f"{tracker}/events"
    handoff = [{"event": "slot", "name": "handoff_active", "value": True}]

    assert httpx.get(tracker, timeout=30).status_code in (401, 403)
    assert httpx.post(events, json=handoff, timeout=30).status_code in (401, 403)
    assert httpx.post(f"{rasa}/model/parse", json={"text": "你好"}, timeout=30).status_code in (401, 403)
    assert httpx.get(f"{rasa}/status", timeout=30).status_code in (401, 403)
    assert httpx.get(f"{rasa}/conversations/{sender}/tracker?token=wrong", timeout=30).status_code in (401, 403)
    assert httpx.get(f"{rasa}/webhooks/rest/", timeout=30).status_code == 200

    assert httpx.post(events, params={"token": token}, json=handoff, timeout=30).status_code == 200
    slots = httpx.get(tracker, params={"token": token}, timeout=30).json()["slots"]
    assert slots["handoff_active"] is True

    token_file = Path(stack.settings.rasa_api_token_file)
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    printed = stack.output.read_text()
    assert str(token_file) in printed and token not in printed
    command_line = Path(f"/proc/{stack.pid('rasa')}/cmdline").read_bytes().decode()
    assert token not in command_line and "--cors" not in command_line


def listening_addresses(port: int) -> set:
    """The IPv4 addresses something listens on at ``port`` (from /proc/net/tcp, LISTEN is state 0A)."""
    addresses = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, port_hex = local.split(":")
        if state == "0A" and int(port_hex, 16) == port:
            addresses.add(".".join(str(int(address[i : i + 2], 16)) for i in (6, 4, 2, 0)))
    return addresses


def test_every_server_listens_on_the_bind_host_only(stack):
    settings = stack.settings
    for port in (settings.rasa_port, settings.action_port, settings.staff_port):
        assert listening_addresses(port) == {"127.0.0.1"}, port


def test_health_is_200_with_every_part_up(stack):
    response = stack.health()
    assert response.status_code == 200
    parts = {name: value for name, value in response.json().items() if name != "holiday_warning"}
    assert parts == {
        "status": "ok",
        "database": "up",
        "tracker_store": "up",
        "rasa": "up",
        "actions": "up",
        "lock_store": "not used",
        "restarts": {"actions": 0, "rasa": 0, "staff": 0},
    }


def test_a_killed_action_server_is_back_and_no_acknowledged_ticket_is_lost(stack, record_property):
    before = stack.complain(resident())
    interrupted = resident()
    assert any("哪里" in text for text in stack.say(interrupted, "楼上天天半夜装修太吵了"))

    killed_at = kill(stack.pid("actions"))
    stack.say(interrupted, "3栋2单元")  # the turn in flight: the action server is gone
    recovered = stack.seconds_until_healthy(killed_at, RECOVERY_SECONDS)
    record_property("actions_recovery_seconds", round(recovered, 1))

    after = stack.complain(resident())
    stack.say(interrupted, "3栋2单元")
    assert TICKET_NUMBER.search(" ".join(stack.say(interrupted, "匿名")))
    with session_scope(stack.settings.database_url) as session:
        stored = dict(session.execute(select(Ticket.number, Ticket.sender_id)).all())
    assert {before, after} <= set(stack.acknowledged)
    assert stack.acknowledged.items() <= stored.items()  # every number a resident was given is stored, as theirs
    assert stack.status()["services"]["actions"]["restarts"] == 1


def test_a_killed_staff_service_is_back(stack, record_property):
    killed_at = kill(stack.pid("staff"))
    recovered = stack.seconds_until_healthy(killed_at, RECOVERY_SECONDS)
    record_property("staff_recovery_seconds", round(recovered, 1))
    assert stack.health().json()["restarts"]["staff"] == 1
    chat = httpx.post(
        f"{stack.settings.staff_url}/chat/send", json={"sender": uuid.uuid4().hex, "message": "你好"}, timeout=60
    )
    assert chat.status_code == 200


def test_a_killed_rasa_is_restarted_and_health_says_so_meanwhile(stack, record_property):
    killed_at = kill(stack.pid("rasa"))
    time.sleep(1)
    degraded = stack.health()
    assert degraded.status_code == 503 and degraded.json()["rasa"] in ("down", "timeout")
    recovered = stack.seconds_until_healthy(killed_at, START_TIMEOUT_SECONDS)
    record_property("rasa_recovery_seconds", round(recovered, 1))
    sys.stderr.write(f"\nRasa was serving again {recovered:.1f} s after kill -9\n")
    number = stack.complain(resident())
    with session_scope(stack.settings.database_url) as session:
        assert session.execute(select(Ticket.id).where(Ticket.number == number)).scalar_one()
    assert stack.status()["services"]["rasa"]["restarts"] == 1


def test_sigterm_stops_every_server(stack):
    pids = [service["pid"] for service in stack.status()["services"].values()]
    stack.runner.send_signal(signal.SIGTERM)
    assert stack.runner.wait(timeout=60) == 0
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.killpg(pid, 0)
    assert {service["state"] for service in stack.status()["services"].values()} == {"stopped"}
