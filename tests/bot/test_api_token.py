"""Rasa's HTTP API is never open: a token from the settings, else one made once and kept private."""

from __future__ import annotations

import stat

from bot.rasa_cli import with_auth_token
from bot.runner import services
from bot.settings import Settings, rasa_api_token


def test_the_token_of_the_environment_is_used_and_nothing_is_written(tmp_path):
    settings = Settings(rasa_api_token="from-the-environment", rasa_api_token_file=str(tmp_path / "token"))
    assert rasa_api_token(settings) == "from-the-environment"
    assert not (tmp_path / "token").exists()


def test_without_one_a_private_token_is_made_once_and_kept(tmp_path):
    path = tmp_path / "var" / "rasa_api.token"
    settings = Settings(rasa_api_token="", rasa_api_token_file=str(path))
    token = rasa_api_token(settings)
    assert len(token) >= 32
    assert path.read_text() == token
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert rasa_api_token(settings) == token  # a restart keeps it
    assert [entry.name for entry in path.parent.iterdir()] == ["rasa_api.token"]  # no draft left behind


def test_an_empty_token_file_is_replaced(tmp_path):
    path = tmp_path / "rasa_api.token"
    path.write_text("\n")
    token = rasa_api_token(Settings(rasa_api_token_file=str(path)))
    assert token and path.read_text() == token


def test_every_server_gets_the_same_token_and_rasa_none_on_its_command_line(tmp_path):
    settings = Settings(rasa_api_token_file=str(tmp_path / "rasa_api.token"))
    token = rasa_api_token(settings)
    started = services(settings)
    assert {service.env["RASA_API_TOKEN"] for service in started} == {token}
    [rasa] = [service for service in started if service.name == "rasa"]
    assert token not in " ".join(rasa.command) and "--auth-token" not in rasa.command
    assert "--cors" not in rasa.command
    assert rasa.health_url.endswith("/webhooks/rest/")


def test_rasa_run_always_gets_a_token(tmp_path, monkeypatch):
    monkeypatch.setenv("RASA_API_TOKEN", "")
    monkeypatch.setenv("RASA_API_TOKEN_FILE", str(tmp_path / "rasa_api.token"))
    from bot.settings import get_settings

    get_settings.cache_clear()
    try:
        argv = with_auth_token(["rasa", "run", "--enable-api"])
    finally:
        get_settings.cache_clear()
    assert argv == ["rasa", "run", "--enable-api", f"--auth-token={(tmp_path / 'rasa_api.token').read_text()}"]
    assert with_auth_token(["rasa", "run", "--auth-token", "given"]) == ["rasa", "run", "--auth-token", "given"]
    assert with_auth_token(["rasa", "run", "--auth-token=given"]) == ["rasa", "run", "--auth-token=given"]
    assert with_auth_token(["rasa", "train"]) == ["rasa", "train"]


def test_a_token_that_starts_with_a_dash_still_reaches_rasa(tmp_path, monkeypatch):
    """token_urlsafe draws "-" first once in 64 tokens; argparse must not read it as an option."""
    import argparse

    import rasa.cli.arguments.run as run_arguments

    from bot.settings import get_settings

    monkeypatch.setenv("RASA_API_TOKEN", "-starts-with-a-dash")
    get_settings.cache_clear()
    try:
        argv = with_auth_token(["rasa", "run"])
    finally:
        get_settings.cache_clear()
    parser = argparse.ArgumentParser()
    run_arguments.add_server_arguments(parser)
    assert parser.parse_args(argv[2:]).auth_token == "-starts-with-a-dash"


def test_the_action_server_listens_only_where_the_settings_say():
    [actions] = [service for service in services(Settings(bind_host="127.0.0.1")) if service.name == "actions"]
    assert actions.env["SANIC_HOST"] == "127.0.0.1"  # rasa_sdk's own default is 0.0.0.0
