"""`python -m bot run` starts the whole assistant; `python -m bot migrate` only the schema."""

from __future__ import annotations

import argparse
import logging
import sys

from bot.settings import get_settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description="社区通 assistant")
    parser.add_argument("command", choices=["run", "migrate"])
    args = parser.parse_args(argv)
    settings = get_settings()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.command == "migrate":
        from tickets.db import migrate

        migrate(settings.database_url)
        return 0
    from bot.runner import run

    return run(settings)


if __name__ == "__main__":
    sys.exit(main())
