"""Back up and restore what the assistant keeps: the ticket store and the conversations.

``python -m bot backup [DIR]`` writes one folder per backup (``DIR/<UTC time>/``) holding each
database as its own engine's faithful copy, and a manifest with checksums:

- SQLite: sqlite3's online backup API, a consistent snapshot even while the servers write;
- PostgreSQL: ``pg_dump --format=custom`` (PostgreSQL's own tool; restored with ``pg_restore``).

``python -m bot restore FOLDER`` puts them back after checking the checksums. Restoring replaces
what is there, so it refuses while the assistant answers (stop ``make run`` first) unless forced.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sqlite3
import subprocess  # nosec B404 (see _run)
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy.engine import make_url

logger = logging.getLogger(__name__)

MANIFEST = "manifest.json"
FORMAT_VERSION = 1


class BackupError(RuntimeError):
    """A backup or restore that could not be done; the message says why, for the operator."""


@dataclass(frozen=True)
class Store:
    """One database to keep: its role (the file name in the backup) and its SQLAlchemy URL."""

    name: str
    url: str

    @property
    def is_sqlite(self) -> bool:
        return make_url(self.url).get_backend_name() == "sqlite"

    @property
    def file_name(self) -> str:
        return f"{self.name}.sqlite" if self.is_sqlite else f"{self.name}.pgdump"

    def sqlite_path(self) -> Path:
        database = make_url(self.url).database
        if not database or database == ":memory:":
            raise BackupError(f"{self.name}: an in-memory SQLite database cannot be backed up")
        return Path(database)

    def libpq_url(self) -> str:
        """The URL as pg_dump reads it (no SQLAlchemy driver suffix); the password stays out of argv."""
        url = make_url(self.url)
        return url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)

    def libpq_environment(self) -> dict[str, str]:
        password = make_url(self.url).password
        return {**os.environ, **({"PGPASSWORD": str(password)} if password else {})}


def stores_of(database_url: str, tracker_db: str) -> list[Store]:
    """The ticket store and the conversations (Rasa's tracker store, a SQLite file today)."""
    return [Store("tickets", database_url), Store("conversations", f"sqlite:///{tracker_db}")]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _copy_sqlite(source: Path, target: Path) -> None:
    """Page by page through sqlite3's backup API: consistent while others write, WAL included."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as reading, sqlite3.connect(target) as writing:
        reading.backup(writing)
    # sqlite3's context manager commits but does not close.
    reading.close()
    writing.close()


def _run(command: list[str], store: Store) -> None:
    # pg_dump / pg_restore, PostgreSQL's own tools: a fixed program, our own arguments, no shell.
    result = subprocess.run(  # nosec B603
        command, env=store.libpq_environment(), capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise BackupError(f"{store.name}: {command[0]} failed: {result.stderr.strip()[-500:]}")


def backup(stores: list[Store], into: Path, *, now: datetime | None = None) -> Path:
    """A new folder under ``into`` with every store and a manifest; returns the folder."""
    moment = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    folder = into / moment.strftime("%Y%m%dT%H%M%SZ")
    folder.mkdir(parents=True, exist_ok=False)
    entries = []
    for store in stores:
        target = folder / store.file_name
        if store.is_sqlite:
            source = store.sqlite_path()
            if not source.exists():
                logger.warning("backup: %s has no database yet at %s; skipped", store.name, source)
                continue
            _copy_sqlite(source, target)
        else:
            _run(["pg_dump", "--format=custom", "--no-owner", f"--file={target}", store.libpq_url()], store)
        entries.append({"name": store.name, "file": store.file_name, "sha256": _sha256(target)})
        logger.info("backup: %s written to %s", store.name, target)
    manifest = {"format": FORMAT_VERSION, "created_at": moment.isoformat(), "stores": entries}
    (folder / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    return folder


def restore(stores: list[Store], folder: Path) -> list[str]:
    """Every store found in the backup ``folder`` replaces the current one; returns their names."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BackupError(f"{folder} is not a backup of this assistant ({exc})") from exc
    if manifest.get("format") != FORMAT_VERSION:
        raise BackupError(f"{folder}: backup format {manifest.get('format')} is not {FORMAT_VERSION}")
    by_name = {store.name: store for store in stores}
    entries = manifest["stores"]
    for entry in entries:  # every checksum first: a damaged backup restores nothing
        if entry["name"] not in by_name:
            raise BackupError(f"{folder}: unknown store {entry['name']!r}")
        if by_name[entry["name"]].file_name != entry["file"]:
            raise BackupError(f"{entry['name']}: backup is {entry['file']}, the configured database is another engine")
        if _sha256(folder / entry["file"]) != entry["sha256"]:
            raise BackupError(f"{folder / entry['file']} is damaged (checksum differs)")
    for entry in entries:
        store, source = by_name[entry["name"]], folder / entry["file"]
        if store.is_sqlite:
            _copy_sqlite(source, store.sqlite_path())
        else:
            _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
                  f"--dbname={store.libpq_url()}", str(source)], store)  # fmt: skip
        logger.info("restore: %s restored from %s", store.name, source)
    return [entry["name"] for entry in entries]
