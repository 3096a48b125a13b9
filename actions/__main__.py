"""The action server: rasa_sdk's own, on this package, with the process prepared first.

``python -m actions [rasa_sdk options]`` is ``python -m rasa_sdk --actions actions [options]``
after two steps that belong to the process, not to importing the package: log lines lose
residents' phones and names, and the knowledge base starts building so that it is ready before
the first resident asks.
"""

from __future__ import annotations

import sys

from rasa_sdk.__main__ import main_from_args
from rasa_sdk.endpoint import create_argument_parser

from actions.wiring import warm_up_in_background
from bot import log_redaction


def main(argv: list[str] | None = None) -> None:
    args = create_argument_parser().parse_args(["--actions", "actions", *(sys.argv[1:] if argv is None else argv)])
    log_redaction.install()
    warm_up_in_background()
    main_from_args(args)


if __name__ == "__main__":
    main()
