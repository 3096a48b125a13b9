"""The servers a benchmark part starts: as `make run` starts them, on fresh SQLite files and free
ports; wait until each answers, then stop them together."""

from __future__ import annotations

import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Collection, Iterator, List, Tuple

from bot.runner import Service, free_port, services
from bot.settings import Settings
from tickets.db import migrate


def wait_healthy(running: List[Service], timeout: float = 300) -> None:
    """Returns once every service answers its health check; raises if one exits or time runs out."""
    deadline = time.monotonic() + timeout
    waiting = list(running)
    while waiting:
        if any(service.exited() is not None for service in running) or time.monotonic() > deadline:
            raise RuntimeError(f"did not become healthy: {[s.name for s in waiting]}")
        waiting = [service for service in waiting if not service.healthy()]
        time.sleep(0.5)


def stop(running: List[Service], grace: float = 15) -> None:
    """Asks every service to stop, then kills whichever has not within ``grace`` seconds."""
    for service in running:
        service.stop()
    for service in running:
        service.wait_or_kill(time.monotonic() + grace)


@contextmanager
def running_stack(
    workdir: Path, *, without: Collection[str] = (), **overrides: Any
) -> Iterator[Tuple[Settings, List[Service]]]:
    """The project's servers (but those named in ``without``) with their databases in ``workdir``,
    each on a free port, ``overrides`` applied to the settings; yields once all of them answer."""
    settings = Settings(
        database_url=f"sqlite:///{workdir}/app.db",
        tracker_db=f"{workdir}/trackers.db",
        rasa_port=free_port(),
        action_port=free_port(),
        staff_port=free_port(),
        **overrides,
    )
    migrate(settings.database_url)
    running = [service for service in services(settings) if service.name not in without]
    for service in running:
        service.start(workdir)
    try:
        wait_healthy(running)
        yield settings, running
    finally:
        stop(running)
