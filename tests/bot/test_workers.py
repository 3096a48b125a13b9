"""Several Rasa processes are opt-in, and only with Redis holding the conversation locks."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from rasa.core.lock_store import InMemoryLockStore, LockStore, RedisLockStore
from rasa.core.utils import number_of_sanic_workers, read_endpoints_from_path

from bot.runner import ROOT, services
from bot.settings import Settings


def rasa_environment(settings: Settings) -> dict:
    [rasa] = [service for service in services(settings) if service.name == "rasa"]
    return rasa.env


def endpoints_for(settings: Settings, monkeypatch):
    for name, value in rasa_environment(settings).items():
        monkeypatch.setenv(name, value)
    return read_endpoints_from_path(ROOT / "endpoints.yml")


def test_by_default_one_process_keeps_its_locks_in_memory(monkeypatch):
    monkeypatch.setenv("SANIC_WORKERS", "4")  # left in the shell: the settings decide
    settings = Settings()
    assert rasa_environment(settings)["SANIC_WORKERS"] == "1"
    endpoints = endpoints_for(settings, monkeypatch)
    assert isinstance(LockStore.create(endpoints.lock_store), InMemoryLockStore)
    monkeypatch.setenv("SANIC_WORKERS", "2")
    assert number_of_sanic_workers(endpoints.lock_store) == 1  # Rasa itself refuses workers without Redis


def test_workers_use_the_redis_lock_store_of_the_url(monkeypatch):
    settings = Settings(rasa_workers=2, rasa_lock_store_url="redis://:s3cret@10.0.0.7:6380/4")
    assert rasa_environment(settings)["SANIC_WORKERS"] == "2"
    endpoints = endpoints_for(settings, monkeypatch)
    store = LockStore.create(endpoints.lock_store)  # Redis is only reached on the first lock
    assert isinstance(store, RedisLockStore)
    connection = store.red.connection_pool.connection_kwargs
    assert (connection["host"], connection["port"], connection["db"], connection["password"]) == (
        "10.0.0.7",
        6380,
        4,
        "s3cret",
    )
    assert store.key_prefix == "shequtong:lock:"
    assert number_of_sanic_workers(endpoints.lock_store) == 2


def test_a_url_without_port_or_database_takes_redis_defaults():
    environment = Settings(rasa_lock_store_url="redis://127.0.0.1").lock_store_environment()
    assert (environment["RASA_LOCK_STORE_PORT"], environment["RASA_LOCK_STORE_DB"]) == ("6379", "0")


@pytest.mark.parametrize(
    "overrides",
    [
        {"rasa_workers": 2},
        {"rasa_workers": 0},
        {"rasa_lock_store_url": "http://127.0.0.1:6379"},
        {"rasa_lock_store_url": "redis://127.0.0.1:port"},
        {"rasa_lock_store_url": "redis://127.0.0.1:6379/locks"},
    ],
)
def test_settings_refuse_workers_without_a_usable_redis_url(overrides):
    with pytest.raises(ValidationError):
        Settings(**overrides)
