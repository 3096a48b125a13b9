"""Importing a package of ours does no work: no threads, no hashing, no connections.

Work at import time runs in every process that merely imports (tests, tools, the staff
service), in an order nobody chose; the processes that need it do it in their entry point.
"""

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return result.stdout.strip()


def test_importing_the_actions_starts_no_thread():
    names = _run(
        """
        import threading
        import actions.actions
        print(sorted(t.name for t in threading.enumerate()))
        """
    )
    assert "knowledge-base-warm-up" not in names
    assert names == "['MainThread']"


def test_importing_accounts_hashes_nothing():
    made = _run(
        """
        import tickets.accounts as accounts
        print(accounts._dummy_hash.cache_info().currsize)
        """
    )
    assert made == "0"


def test_the_action_server_entry_point_prepares_the_process(monkeypatch):
    import actions.__main__ as entry

    calls = []
    monkeypatch.setattr(entry.log_redaction, "install", lambda: calls.append("redaction"))
    monkeypatch.setattr(entry, "warm_up_in_background", lambda: calls.append("warm-up"))
    monkeypatch.setattr(entry, "main_from_args", lambda args: calls.append((args.actions, args.port)))
    entry.main(["--port", "5999"])
    assert calls == ["redaction", "warm-up", ("actions", 5999)]
