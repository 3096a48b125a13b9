"""The servers a benchmark part starts: wait until each answers, then stop them together."""

from __future__ import annotations

import time
from typing import List

from bot.runner import Service


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
