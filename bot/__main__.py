"""`python -m bot run` starts the whole assistant; `python -m bot migrate` only the schema;
`python -m bot add-staff NAME --role staff --department 街道城市管理科` creates a staff account
(the password is asked for, never taken from the command line, so it stays out of shell history);
`python -m bot backup [--into DIR]` and `python -m bot restore FOLDER` keep and put back the
tickets and the conversations (see :mod:`bot.backup`)."""

from __future__ import annotations

import argparse
import getpass
import logging
import sys
from pathlib import Path

from bot.settings import Settings, get_settings
from tickets.errors import TicketStoreError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description="社区通 assistant")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="start everything in the foreground")
    commands.add_parser("migrate", help="bring the database schema up to date")
    add_staff = commands.add_parser("add-staff", help="create a staff account (asks for its password)")
    add_staff.add_argument("username")
    add_staff.add_argument("--role", choices=["admin", "staff", "viewer"], default="staff")
    add_staff.add_argument("--name", default="", help="display name, e.g. 张敏")
    add_staff.add_argument("--department", action="append", default=[], help="may be repeated")
    add_staff.add_argument("--grid", action="append", default=[], help="may be repeated")
    backup = commands.add_parser("backup", help="back up the tickets and the conversations")
    backup.add_argument("--into", default="var/backups", help="folder for the backups (default var/backups)")
    restore = commands.add_parser("restore", help="put a backup back (stop the assistant first)")
    restore.add_argument("folder", help="one backup's folder, e.g. var/backups/20261207T150000Z")
    restore.add_argument("--force", action="store_true", help="restore even though the assistant answers")
    args = parser.parse_args(argv)
    settings = get_settings()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # httpx logs every request at INFO: the supervisor's health checks, twice a second, would drown the rest.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    if args.command == "migrate":
        from tickets.db import migrate

        migrate(settings.database_url)
        return 0
    if args.command == "add-staff":
        return _add_staff(settings.database_url, args)
    if args.command in ("backup", "restore"):
        return _backup_or_restore(settings, args)
    from bot.runner import run

    return run(settings)


def _add_staff(database_url: str, args: argparse.Namespace) -> int:
    from tickets.accounts import AccountService
    from tickets.models import StaffRole
    from tickets.service import TicketService

    password = getpass.getpass(f"password for {args.username} (at least 8 characters): ")
    accounts = AccountService(database_url, ensure_schema=TicketService(database_url).ensure_schema)
    try:
        accounts.create_user(
            args.username,
            password,
            role=StaffRole(args.role),
            display_name=args.name,
            departments=args.department,
            grids=args.grid,
        )
    except ValueError as exc:
        print(f"not created: {exc}", file=sys.stderr)
        return 2
    except TicketStoreError as exc:
        print(f"not created: {exc.__class__.__name__} (does the account exist already?)", file=sys.stderr)
        return 1
    print(f"created {args.role} account {args.username}")
    return 0


def _backup_or_restore(settings: Settings, args: argparse.Namespace) -> int:
    from bot.backup import BackupError, backup, restore, stores_of

    stores = stores_of(settings.database_url, settings.tracker_db)
    try:
        if args.command == "backup":
            print(f"backup written to {backup(stores, Path(args.into))}")
            return 0
        if not args.force and _assistant_answers(settings):
            print("the assistant is running: stop it first (or use --force)", file=sys.stderr)
            return 2
        print(f"restored: {', '.join(restore(stores, Path(args.folder)))}")
        return 0
    except BackupError as exc:
        print(f"failed: {exc}", file=sys.stderr)
        return 1


def _assistant_answers(settings: Settings) -> bool:
    """Whether any of the servers answers at its address (restoring under it would lose writes)."""
    import httpx

    action_health = settings.action_url.removesuffix("/webhook") + "/health"
    for url in (f"{settings.rasa_url}/webhooks/rest/", f"{settings.staff_url}/livez", action_health):
        try:
            httpx.get(url, timeout=1.0)
        except httpx.HTTPError:
            continue
        return True
    return False


if __name__ == "__main__":
    sys.exit(main())
