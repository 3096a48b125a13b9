"""A knowledge base that follows staff edits of the catalogue while the action server runs.

The action server is a separate process that keeps the knowledge base in memory, so staff
edits must reach it without a restart. Looking at the files on every question would cost a
directory listing per message; instead a cheap fingerprint (names, mtimes and sizes) is
compared at most every few seconds, and a change is rebuilt in a background thread (a build
takes about two seconds) while the previous version keeps answering. A new version with
problems is never swapped in: residents keep the last good catalogue and the log says why.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Callable, Tuple

from policy_kb.catalogue import CATALOGUE_DIR, Catalogue, load_catalogue
from policy_kb.retrieval import Answer, BM25KnowledgeBase, KnowledgeBase

logger = logging.getLogger(__name__)

Fingerprint = Tuple[Tuple[str, int, int], ...]
CHECK_EVERY_SECONDS = 5.0


def catalogue_fingerprint(folder: Path = CATALOGUE_DIR) -> Fingerprint:
    """One stat per file: changes whenever a file is saved, added, renamed or removed."""
    items = []
    for path in sorted(folder.glob("*.yml")):
        try:
            stat = path.stat()
        except FileNotFoundError:  # removed between listing and stat; the next check sees it
            continue
        items.append((path.name, stat.st_mtime_ns, stat.st_size))
    return tuple(items)


class ReloadingKnowledgeBase:
    """Serves the newest valid catalogue; implements :class:`KnowledgeBase`."""

    def __init__(
        self,
        folder: Path = CATALOGUE_DIR,
        build: Callable[[Catalogue], KnowledgeBase] = BM25KnowledgeBase,
        check_every: float = CHECK_EVERY_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        background: bool = True,
    ) -> None:
        self._folder = folder
        self._build = build
        self._check_every = check_every
        self._clock = clock
        self._background = background
        self._lock = threading.Lock()
        self._rebuilding = False
        self._fingerprint = catalogue_fingerprint(folder)
        self._current = build(load_catalogue(folder))
        self._checked_at = clock()

    @property
    def catalogue(self) -> Catalogue:
        self._maybe_reload()
        return self._current.catalogue

    def search(self, question: str, service: str | None = None, limit: int = 3) -> Answer:
        self._maybe_reload()
        return self._current.search(question, service=service, limit=limit)

    def _maybe_reload(self) -> None:
        now = self._clock()
        if now - self._checked_at < self._check_every:
            return
        with self._lock:
            if self._rebuilding or now - self._checked_at < self._check_every:
                return
            self._checked_at = now
            fingerprint = catalogue_fingerprint(self._folder)
            if fingerprint == self._fingerprint:
                return
            self._fingerprint = fingerprint  # a broken version is tried once, not at every check
            self._rebuilding = True
        if self._background:
            threading.Thread(target=self._rebuild, name="catalogue-reload", daemon=True).start()
        else:
            self._rebuild()

    def _rebuild(self) -> None:
        try:
            catalogue = load_catalogue(self._folder)
            if catalogue.problems:
                logger.error(
                    "catalogue change not applied (%d problems, listed above); still serving %d entries",
                    len(catalogue.problems),
                    len(self._current.catalogue.entries),
                )
                return
            self._current = self._build(catalogue)
            logger.info("catalogue reloaded: now serving %d entries", len(catalogue.entries))
        except Exception:  # whatever goes wrong, residents keep the previous catalogue
            logger.exception("catalogue reload failed; still serving the previous version")
        finally:
            self._rebuilding = False
