"""Keeps the servers of `python -m bot run` serving when one of them dies or hangs.

A child that exits is started again at once, and after a backoff if it keeps dying (1, 2, 4 …
seconds, at most 30; back to at once after it had been healthy for a minute), while the others
keep serving. A child that is alive but does not answer its health URL (stopped, deadlocked) is
as bad as a dead one: every ``probe_every`` seconds a running child is asked (in a thread of its
own, so a hung child never holds up the others' checks, with ``probe_every`` as the timeout), and
after ``probe_failures`` failed probes in a row it is killed (SIGKILL) and restarted like a dead
one. Every restart is logged and counted in a small JSON file (``SUPERVISOR_STATUS_FILE``) that the
staff service's ``/healthz`` reports, so a crash loop is visible without reading logs.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Dict, List

if TYPE_CHECKING:
    from bot.runner import Service

logger = logging.getLogger(__name__)

FIRST_BACKOFF_SECONDS = 1.0  # before the second restart in a row; the first one is at once
MAX_BACKOFF_SECONDS = 30.0
STEADY_AFTER_SECONDS = 60.0  # healthy this long: the next crash is restarted at once again
PROBE_EVERY_SECONDS = 5.0  # defaults of LIVENESS_PROBE_SECONDS and LIVENESS_FAILURES (bot/settings.py)
PROBE_FAILURES = 3

STARTING, RUNNING, WAITING, STOPPED = "starting", "running", "waiting to restart", "stopped"


def _now_utc() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass
class Watched:
    """One child and what the supervisor knows about it."""

    service: Service
    state: str = STARTING
    restarts: int = 0
    backoff: float = 0.0
    started_at: float = 0.0
    healthy_since: float | None = None
    down_since: float | None = None
    restart_at: float = 0.0
    last_exit_code: int | None = None
    last_restart: str | None = None
    last_recovery_seconds: float | None = None
    failed_probes: int = 0
    hung_kills: int = 0
    next_probe_at: float = 0.0
    probe: Future | None = None

    def public(self) -> Dict[str, object]:
        process = self.service.process
        return {
            "state": self.state,
            "pid": process.pid if process is not None and self.state in (STARTING, RUNNING) else None,
            "restarts": self.restarts,
            "hung_kills": self.hung_kills,
            "last_exit_code": self.last_exit_code,
            "last_restart": self.last_restart,
            "last_recovery_seconds": self.last_recovery_seconds,
        }


class Supervisor:
    """Starts the services, restarts those that die, stops them all; :meth:`check` is one round."""

    def __init__(
        self,
        services: List[Service],
        log_dir: Path,
        status_file: Path,
        clock: Callable[[], float] = time.monotonic,
        probe_every: float = PROBE_EVERY_SECONDS,
        probe_failures: int = PROBE_FAILURES,
    ) -> None:
        self.watched = [Watched(service) for service in services]
        self.log_dir = log_dir
        self.status_file = status_file
        self.clock = clock
        self.probe_every = probe_every
        self.probe_failures = probe_failures
        self._probes = ThreadPoolExecutor(max_workers=max(1, len(services)), thread_name_prefix="liveness")

    def start_all(self) -> None:
        for watched in self.watched:
            self._start(watched)
        self.write_status()

    def not_healthy(self) -> List[str]:
        return [watched.service.name for watched in self.watched if watched.state != RUNNING]

    def all_healthy(self) -> bool:
        return not self.not_healthy()

    def died_while_starting(self) -> List[str]:
        """Services that exited before they were ever healthy (a port taken, a broken model …)."""
        return [w.service.name for w in self.watched if w.restarts == 0 and w.service.exited() is not None]

    def check(self) -> None:
        """Notices deaths, restarts those whose backoff is over, and marks restarted ones healthy."""
        changed = False
        now = self.clock()
        for watched in self.watched:
            if watched.state in (STARTING, RUNNING) and watched.service.exited() is not None:
                self._died(watched, now)
                changed = True
            elif watched.state == WAITING and now >= watched.restart_at:
                watched.restarts += 1
                watched.last_restart = _now_utc()
                self._start(watched)
                logger.warning("restarted %s (restart %d, pid %s)", watched.service.name, watched.restarts,
                               watched.service.process.pid if watched.service.process else None)
                changed = True
            elif watched.state == STARTING and watched.service.healthy():
                self._healthy(watched, self.clock())
                changed = True
            elif watched.state == RUNNING:
                if now - (watched.healthy_since or now) >= STEADY_AFTER_SECONDS:
                    watched.backoff = 0.0
                changed = self._probe(watched, now) or changed
        if changed:
            self.write_status()

    def stop_all(self, grace: float) -> None:
        """SIGTERM to every child's process group, then SIGKILL to whatever is left after ``grace``."""
        for watched in self.watched:
            watched.service.stop()
        deadline = time.monotonic() + grace
        for watched in self.watched:
            watched.service.wait_or_kill(deadline)
            watched.state = STOPPED
        self._probes.shutdown(wait=False, cancel_futures=True)
        self.write_status()

    def write_status(self) -> None:
        """Replaces the status file in one step, so a reader never sees half of it."""
        status = {
            "supervisor_pid": os.getpid(),
            "updated": _now_utc(),
            "services": {watched.service.name: watched.public() for watched in self.watched},
        }
        self.status_file.parent.mkdir(parents=True, exist_ok=True)
        draft = self.status_file.with_name(f".{self.status_file.name}.{os.getpid()}")
        draft.write_text(json.dumps(status, indent=2), encoding="utf-8")
        os.replace(draft, self.status_file)

    def _start(self, watched: Watched) -> None:
        watched.service.start(self.log_dir)
        watched.state = STARTING
        watched.started_at = self.clock()
        watched.healthy_since = None
        watched.probe = None  # a probe of the previous process: its answer no longer counts
        watched.failed_probes = 0

    def _healthy(self, watched: Watched, now: float) -> None:
        watched.state = RUNNING
        watched.healthy_since = now
        watched.next_probe_at = now + self.probe_every
        if watched.down_since is not None:
            watched.last_recovery_seconds = round(now - watched.down_since, 1)
            logger.warning("%s is healthy again, %.1f s after it died", watched.service.name,
                           watched.last_recovery_seconds)
            watched.down_since = None

    def _probe(self, watched: Watched, now: float) -> bool:
        """Starts a liveness probe when one is due, reads a finished one; True when the child was killed."""
        if watched.probe is None:
            if now >= watched.next_probe_at:
                watched.probe = self._probes.submit(watched.service.healthy, self.probe_every)
                watched.next_probe_at = now + self.probe_every
            return False
        if not watched.probe.done():
            return False
        answered = watched.probe.result()
        watched.probe = None
        watched.failed_probes = 0 if answered else watched.failed_probes + 1
        if watched.failed_probes < self.probe_failures:
            return False
        service = watched.service
        logger.error(
            "%s is alive but has not answered %s %d times in a row: killing it",
            service.name,
            service.health_url,
            watched.failed_probes,
        )
        watched.hung_kills += 1
        _kill_group(service)
        if service.process is not None:
            service.process.wait()
        self._died(watched, now)
        return True

    def _died(self, watched: Watched, now: float) -> None:
        service = watched.service
        watched.last_exit_code = service.exited()
        # What the dead child started (Sanic workers …) must not keep its port.
        _kill_group(service)
        watched.state = WAITING
        watched.down_since = now
        watched.restart_at = now + watched.backoff
        logger.error("%s exited (code %s); restarting in %.0f s; see %s", service.name, watched.last_exit_code,
                     watched.backoff, self.log_dir / f"{service.name}.log")
        watched.backoff = min(max(watched.backoff * 2, FIRST_BACKOFF_SECONDS), MAX_BACKOFF_SECONDS)


def _kill_group(service: Service) -> None:
    if service.process is not None:
        with contextlib.suppress(ProcessLookupError, PermissionError):  # nothing of the group is left
            os.killpg(service.process.pid, signal.SIGKILL)
