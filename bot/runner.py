"""`make run`: start the action server, the Rasa server and the staff/web service,
wait until each is healthy, print where to chat, restart any that dies (bot/supervisor.py),
and stop them all together on Ctrl-C or SIGTERM."""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess  # nosec B404
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List

import httpx

from bot.settings import Settings, rasa_api_token
from bot.supervisor import Supervisor
from tickets.db import migrate

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
START_TIMEOUT_SECONDS = 240
STOP_GRACE_SECONDS = 15
CHECK_EVERY_SECONDS = 0.5


def free_port() -> int:
    """A TCP port nothing listens on right now (for tests and benchmarks)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Service:
    name: str
    command: List[str]
    health_url: str
    env: Dict[str, str] = field(default_factory=dict)
    cwd: Path = ROOT
    process: subprocess.Popen | None = None

    def start(self, log_dir: Path) -> None:
        with open(log_dir / f"{self.name}.log", "ab") as log:  # the child keeps its own copy
            self.process = subprocess.Popen(  # nosec B603
                self.command,
                cwd=self.cwd,
                env={**os.environ, **self.env},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: Ctrl-C is ours to forward
            )
        logger.info("started %s (pid %s)", self.name, self.process.pid)

    def healthy(self, timeout: float = 2) -> bool:
        try:
            return httpx.get(self.health_url, timeout=timeout).status_code == 200
        except httpx.HTTPError:
            return False

    def exited(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)

    def wait_or_kill(self, deadline: float) -> None:
        if self.process is None:
            return
        try:
            self.process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def services(settings: Settings) -> List[Service]:
    host = settings.bind_host
    # No --cors (browsers reach Rasa through the staff service), no --auth-token on the command line
    # (`ps` shows it to every user): bot.rasa_cli passes RASA_API_TOKEN from the environment to Rasa.
    rasa_command = [
        str(BIN / "python"),
        "-m",
        "bot.rasa_cli",
        "run",
        "--enable-api",
        "--model",
        settings.model_path,
        "--endpoints",
        "endpoints.yml",
        "--credentials",
        "credentials.yml",
        "--interface",
        host,
        "--port",
        str(settings.rasa_port),
    ]
    shared_env = {
        **settings.as_environment(),
        "RASA_API_TOKEN": rasa_api_token(settings),
        "PYTHONPATH": str(ROOT),
        "HF_HUB_OFFLINE": "1",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "RASA_TELEMETRY_ENABLED": "false",  # no telemetry or crash reports leave the machine
    }
    return [
        Service(
            "actions",
            [str(BIN / "python"), "-m", "actions", "--port", str(settings.action_port)],
            f"http://{host}:{settings.action_port}/health",
            # rasa_sdk listens on SANIC_HOST, else on every address: its webhook runs any action for any resident.
            env={**shared_env, "SANIC_HOST": host},
        ),
        Service(
            "rasa",
            rasa_command,
            f"{settings.rasa_url}/webhooks/rest/",  # no token needed; answers once the model is loaded
            env={
                **shared_env,
                **settings.lock_store_environment(),
                "ACTION_ENDPOINT_URL": settings.action_url,
                "TRACKER_DB": settings.tracker_db,
                # Always set: a SANIC_WORKERS left in the shell must not start workers the settings did not ask for.
                "SANIC_WORKERS": str(settings.rasa_workers),
            },
        ),
        Service(
            "staff",
            [
                str(BIN / "python"),
                "-m",
                "uvicorn",
                "--factory",
                "bot.staff.main:build",
                "--host",
                host,
                "--port",
                str(settings.staff_port),
                "--log-level",
                "warning",
            ],
            f"{settings.staff_url}/livez",  # the process itself: /healthz also judges the others
            env=shared_env,
        ),
    ]


def run(settings: Settings) -> int:
    """Run everything until a signal; returns the exit code (1 when a service cannot start at all)."""
    if not Path(settings.model_path).exists():
        logger.error("no trained model at %s: run `make run`, which trains first", settings.model_path)
        return 2
    log_dir = Path(settings.log_dir)
    log_dir.mkdir(parents=True, exist_ok=True)
    Path(settings.tracker_db).parent.mkdir(parents=True, exist_ok=True)
    migrate(settings.database_url)

    stopping = False

    def request_stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True
        logger.info("received %s, stopping", signal.Signals(signum).name)

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)

    supervisor = Supervisor(
        services(settings),
        log_dir,
        Path(settings.supervisor_status_file),
        probe_every=settings.liveness_probe_seconds,
        probe_failures=settings.liveness_failures,
    )
    supervisor.start_all()
    try:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not stopping and not supervisor.all_healthy():
            dead = supervisor.died_while_starting()
            if dead:
                logger.error("%s exited during start; see %s", dead[0], log_dir / f"{dead[0]}.log")
                return 1
            if time.monotonic() > deadline:
                logger.error("not healthy after %ss: %s", START_TIMEOUT_SECONDS, supervisor.not_healthy())
                return 1
            supervisor.check()
            time.sleep(CHECK_EVERY_SECONDS)
        if not stopping:
            print_ready(settings)
        while not stopping:
            supervisor.check()
            time.sleep(CHECK_EVERY_SECONDS)
    finally:
        supervisor.stop_all(STOP_GRACE_SECONDS)
        logger.info("all services stopped")
    return 0


def _configured(value: str | None, setting: str) -> str:
    return "on" if value else f"off: set {setting}"


def _login_hint(settings: Settings) -> str:
    if settings.staff_admin_user and settings.staff_admin_password:
        return f"log in as {settings.staff_admin_user}"
    return "no account yet: set STAFF_ADMIN_USER and STAFF_ADMIN_PASSWORD"


def _token_hint(settings: Settings) -> str:
    """Where the token is (never the token itself: this goes to terminals and logs)."""
    if settings.rasa_api_token:
        return "the value of RASA_API_TOKEN"
    return f"in {Path(settings.rasa_api_token_file).resolve()} (readable by this user only)"


def print_ready(settings: Settings) -> None:
    lines = [
        "",
        "社区通 is running (Ctrl-C stops everything):",
        f"  web chat      {settings.staff_url}/chat",
        f"  staff console {settings.staff_url}/  ({_login_hint(settings)})",
        f"  statistics    {settings.staff_url}/stats",
        f"  Open311       {settings.staff_url}/open311/v2/services.json",
        f"  health        {settings.staff_url}/healthz",
        f'  REST channel  POST {settings.rasa_url}/webhooks/rest/webhook  {{"sender": ID, "message": TEXT}}',
        f'  NLU parse     POST {settings.rasa_url}/model/parse?token=TOKEN  {{"text": TEXT}}',
        f"  API token     {_token_hint(settings)}",
        f"  WeChat        {settings.rasa_url}/webhooks/wechat/webhook  "
        f"({_configured(settings.wechat_token, 'WECHAT_TOKEN')})",
        f"  Telegram      {settings.rasa_url}/webhooks/telegram/webhook  "
        f"({_configured(settings.telegram_token, 'TELEGRAM_TOKEN')})",
        f"  logs          {Path(settings.log_dir).resolve()}",
        f"  restarts      {Path(settings.supervisor_status_file).resolve()}",
        "",
    ]
    print("\n".join(lines), flush=True)
