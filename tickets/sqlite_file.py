"""A SQLite connection writes only to the file that is at the configured path.

SQLite keeps writing through an open connection after its file was deleted: every commit succeeds,
into a file nobody will open again (issue 21: six tickets confirmed to residents and lost when the
database folder was deleted). So each connection remembers which file (device, inode) it opened,
and that is compared with the file now at the path:

* when a connection is taken from the pool: if nothing (or an empty database) is at the path, the
  database is copied back there from this connection, which still reads it (a dump), under the file's write
  lock so that no commit of any process falls between the copy and the switch; then the connection
  is replaced by one on the file at the path (restored, or put there by someone else). A marker
  file (:func:`restored_marker`) tells ``/healthz`` that this happened.
* just before a commit, with the write lock held: a transaction whose file is no longer at the path
  is refused (:class:`DatabaseFileMoved`), so nothing is confirmed that the path does not hold.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Tuple

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError

logger = logging.getLogger(__name__)

FileId = Tuple[int, int]
_OPENED = "sqlite_file_opened"  # key in the pool record's info: the (device, inode) the connection opened


class DatabaseFileMoved(Exception):
    """The database file this connection writes to is no longer the one at the configured path."""


def file_id(path: Path) -> FileId | None:
    try:
        status = os.stat(path)
    except FileNotFoundError:
        return None
    return status.st_dev, status.st_ino


def check_writable(path: Path, timeout: float) -> None:
    """A real write that changes nothing (the header's user version set to itself), rolled back.

    Raises :class:`sqlite3.Error` when nothing is at ``path`` (never creates it), when the file cannot
    be written (in WAL mode taking the write lock alone still succeeds then), or when it stays
    locked beyond ``timeout``.
    """
    connection = sqlite3.connect(f"file:{path}?mode=rw", uri=True, timeout=timeout, isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")
        version = int(connection.execute("PRAGMA user_version").fetchone()[0])
        connection.execute(f"PRAGMA user_version = {version}")
        connection.execute("ROLLBACK")
    finally:
        connection.close()


def restored_marker(path: Path) -> Path:
    """Written beside the database when it was restored; an operator removes it after a look."""
    return path.with_name(f"{path.name}.restored.json")


def guard(engine: Engine, path: Path) -> None:
    """Make ``engine`` (a SQLite file at ``path``) notice a deleted or replaced file; see the module."""

    @event.listens_for(engine, "connect")
    def _remember_file(_dbapi_connection: Any, record: Any) -> None:
        record.info[_OPENED] = file_id(path)

    @event.listens_for(engine, "checkout")
    def _still_the_file(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        opened = record.info.get(_OPENED)
        if opened is None or file_id(path) == opened:
            return
        if _vacant(path):
            try:
                _restore(dbapi_connection, path)
            except (OSError, sqlite3.Error) as exc:
                logger.error("database file %s is gone and could not be restored: %s", path, exc)
                raise DatabaseFileMoved(str(path)) from exc
        logger.warning("database file %s was replaced; reconnecting", path)
        raise DisconnectionError(f"{path} is not the file this connection opened")

    @event.listens_for(engine, "commit")
    def _commit_where_it_lasts(connection: Any) -> None:
        opened = connection.info.get(_OPENED)
        if opened is not None and file_id(path) != opened:
            logger.error("refused a commit: database file %s was deleted or replaced while open", path)
            raise DatabaseFileMoved(str(path))


def _vacant(path: Path) -> bool:
    """Nothing at the path, or a database without tables (opened there by someone since)."""
    try:
        if path.stat().st_size == 0:
            return True
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=2) as probe:
            return probe.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0
    except (OSError, sqlite3.Error):
        return not path.exists()


def _restore(stale: sqlite3.Connection, path: Path) -> None:
    """Copy the database this connection still has open back to ``path``."""
    stale.execute("BEGIN IMMEDIATE")  # no commit of any process between the copy and the switch
    try:
        if not _vacant(path):
            return  # another process restored it while we waited for the lock
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f".{path.name}.restoring.{os.getpid()}")
        draft.unlink(missing_ok=True)
        # SQLite's backup cannot read through a connection that holds the write lock; a dump can.
        target = sqlite3.connect(draft, isolation_level=None)
        try:
            target.executescript("\n".join(stale.iterdump()))
        finally:
            target.close()
        with open(draft, "rb") as copy:
            os.fsync(copy.fileno())
        os.replace(draft, path)
        _fsync_folder(path.parent)
        _write_marker(path)
        logger.error(
            "database file %s was deleted while in use: restored from the copy this process still had open "
            "(nothing lost); see %s",
            path,
            restored_marker(path),
        )
    finally:
        stale.execute("ROLLBACK")


def _fsync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _write_marker(path: Path) -> None:
    note = {"restored": datetime.now(timezone.utc).isoformat(timespec="seconds"), "pid": os.getpid()}
    restored_marker(path).write_text(json.dumps(note), encoding="utf-8")
