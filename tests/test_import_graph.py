"""Dependencies point one way: the domain packages (text helpers, the catalogue, tickets) never
import the chat server, the action server, the staff service or Rasa."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOMAIN = ("text", "policy_kb", "tickets")
FORBIDDEN = ("bot", "actions", "rasa", "rasa_sdk", "fastapi", "tensorflow")


def _modules(package: str) -> list[str]:
    """Every module of ``package`` by its file, so a module nobody imports yet is checked too."""
    folder = ROOT / package
    return sorted(
        ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for path in folder.rglob("*.py")
        if "migrations" not in path.parts
    )


@pytest.mark.parametrize("package", DOMAIN)
def test_a_domain_package_imports_nothing_of_the_servers_or_rasa(package):
    modules = _modules(package)
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300, check=True
    ).stdout.split()
    assert package in loaded  # the check ran
    assert sorted(set(loaded) & set(FORBIDDEN)) == []
