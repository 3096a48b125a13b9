"""Every setting of the assistant, read from the environment in one place.

Entry points call :func:`get_settings`; nothing else reads environment
variables, so the README's table of settings is the whole truth.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Dict
from urllib.parse import urlsplit

from pydantic import BaseSettings, Field, root_validator, validator


class Settings(BaseSettings):
    """Defaults give the embedded set-up: SQLite files, everything on loopback."""

    database_url: str = Field("sqlite:///var/app.db", env="DATABASE_URL")
    bind_host: str = Field("127.0.0.1", env="BIND_HOST")
    rasa_port: int = Field(5005, env="RASA_PORT")
    action_port: int = Field(5055, env="ACTION_PORT")
    staff_port: int = Field(8000, env="STAFF_PORT")
    rasa_api_token: str | None = Field(None, env="RASA_API_TOKEN")
    model_path: str = Field("models/current.tar.gz", env="MODEL_PATH")
    tracker_db: str = Field("var/trackers.db", env="TRACKER_DB")
    # Rasa server processes (Sanic workers). More than one needs Redis as Rasa's lock store, so that
    # one conversation is handled by one process at a time; each process loads its own model (~1.4 GB).
    rasa_workers: int = Field(1, env="RASA_WORKERS", ge=1)
    # redis://[:password@]host[:port][/db]; unset: Rasa keeps its locks in memory (one process only).
    rasa_lock_store_url: str | None = Field(None, env="RASA_LOCK_STORE_URL")

    staff_admin_user: str | None = Field(None, env="STAFF_ADMIN_USER")
    staff_admin_password: str | None = Field(None, env="STAFF_ADMIN_PASSWORD")
    # Signs the console's CSRF tokens; when unset, one is generated once and kept in this file.
    staff_secret_key: str | None = Field(None, env="STAFF_SECRET_KEY")
    staff_secret_file: str = Field("var/staff_secret.key", env="STAFF_SECRET_FILE")
    staff_session_hours: float = Field(8.0, env="STAFF_SESSION_HOURS", gt=0)
    # Set when the console is served over HTTPS (behind a proxy): cookies are then Secure.
    staff_secure_cookies: bool = Field(False, env="STAFF_SECURE_COOKIES")
    # Open311 GeoReport v2: POST requests.json needs this api_key; without it filing is refused.
    open311_api_key: str | None = Field(None, env="OPEN311_API_KEY")

    # The sample community's own facts (幸福社区); a real community sets its own.
    community_name: str = Field("幸福社区", env="COMMUNITY_NAME")
    duty_phone: str = Field("025-8888 0000", env="COMMUNITY_DUTY_PHONE")
    staff_hours: str = Field("周一至周五 8:30-17:30", env="STAFF_HOURS")
    timezone: str = Field("Asia/Shanghai", env="TIMEZONE")

    wechat_token: str | None = Field(None, env="WECHAT_TOKEN")
    wechat_app_id: str | None = Field(None, env="WECHAT_APP_ID")
    wechat_app_secret: str | None = Field(None, env="WECHAT_APP_SECRET")
    wechat_aes_key: str | None = Field(None, env="WECHAT_AES_KEY")
    wechat_api_base: str = Field("https://api.weixin.qq.com/cgi-bin/", env="WECHAT_API_BASE")
    telegram_token: str | None = Field(None, env="TELEGRAM_TOKEN")
    telegram_api_base: str = Field("https://api.telegram.org/bot", env="TELEGRAM_API_BASE")
    telegram_secret_token: str | None = Field(None, env="TELEGRAM_SECRET_TOKEN")

    # Never silence: how long Rasa waits for one action call, how long a REST or Telegram turn may take
    # before the resident gets an honest note (shorter than an action call, so a hung action server
    # still gets them one within ACTION_TIMEOUT_SECONDS), and after how long an emergency gets its hotline.
    action_timeout_seconds: float = Field(8.0, env="ACTION_TIMEOUT_SECONDS", gt=0)
    turn_timeout_seconds: float = Field(7.0, env="TURN_TIMEOUT_SECONDS", gt=0)
    hotline_wait_seconds: float = Field(1.5, env="HOTLINE_WAIT_SECONDS", gt=0)
    # What reaches the NLU is cut to this many characters (the full text stays in the message metadata).
    max_message_chars: int = Field(500, env="MAX_MESSAGE_CHARS", ge=20)
    # Messages a minute on the public webhooks, per sender and per client address (per Rasa process);
    # addresses listed as trusted (local relays such as the web chat and nginx) have no address limit.
    rate_limit_per_sender: int = Field(30, env="RATE_LIMIT_PER_SENDER", ge=1)
    rate_limit_per_ip: int = Field(300, env="RATE_LIMIT_PER_IP", ge=1)
    rate_limit_trusted_ips: str = Field("127.0.0.1,::1", env="RATE_LIMIT_TRUSTED_IPS")

    public_rasa_url_override: str | None = Field(None, env="PUBLIC_RASA_URL")
    log_level: str = Field("INFO", env="LOG_LEVEL")

    @validator("rasa_port", "action_port", "staff_port")
    def _port_in_range(cls, port: int) -> int:
        if not 0 < port < 65536:
            raise ValueError("a port must be between 1 and 65535")
        return port

    @validator("rasa_lock_store_url")
    def _redis_url(cls, url: str | None) -> str | None:
        if url is not None:
            parts = urlsplit(url)
            if parts.scheme != "redis" or not parts.hostname:
                raise ValueError("RASA_LOCK_STORE_URL must look like redis://[:password@]host[:port][/db]")
            parts.port  # noqa: B018  (raises ValueError on a port that is not a number)
            if parts.path.strip("/") and not parts.path.strip("/").isdigit():
                raise ValueError("the Redis database in RASA_LOCK_STORE_URL must be a number")
        return url

    @root_validator(skip_on_failure=True)
    def _workers_need_a_shared_lock_store(cls, values: Dict[str, object]) -> Dict[str, object]:
        if values["rasa_workers"] > 1 and not values["rasa_lock_store_url"]:
            raise ValueError("RASA_WORKERS above 1 needs RASA_LOCK_STORE_URL (Redis), e.g. redis://127.0.0.1:6379/1")
        return values

    def as_environment(self) -> Dict[str, str]:
        """These settings as environment variables, for the processes this one starts."""
        environment = {}
        for name, model_field in self.__fields__.items():
            value = getattr(self, name)
            if value is not None:
                environment[model_field.field_info.extra["env"]] = str(value)
        return environment

    def lock_store_environment(self) -> Dict[str, str]:
        """The ``RASA_LOCK_STORE_*`` values ``endpoints.yml`` reads: in memory, or Redis when a URL is set."""
        if not self.rasa_lock_store_url:
            return {
                "RASA_LOCK_STORE": "in_memory",
                "RASA_LOCK_STORE_HOST": "",
                "RASA_LOCK_STORE_PORT": "0",
                "RASA_LOCK_STORE_DB": "0",
                "RASA_LOCK_STORE_PASSWORD": "",
            }
        parts = urlsplit(self.rasa_lock_store_url)
        return {
            "RASA_LOCK_STORE": "redis",
            "RASA_LOCK_STORE_HOST": parts.hostname or "",
            "RASA_LOCK_STORE_PORT": str(parts.port or 6379),
            "RASA_LOCK_STORE_DB": parts.path.strip("/") or "0",
            "RASA_LOCK_STORE_PASSWORD": parts.password or "",
        }

    @property
    def rasa_url(self) -> str:
        return f"http://{self.bind_host}:{self.rasa_port}"

    @property
    def public_rasa_url(self) -> str:
        """Where a resident's browser reaches Rasa (set PUBLIC_RASA_URL behind a proxy)."""
        return self.public_rasa_url_override or f"http://{self._browser_host}:{self.rasa_port}"

    @property
    def _browser_host(self) -> str:
        return "localhost" if self.bind_host in ("0.0.0.0", "127.0.0.1", "::") else self.bind_host

    @property
    def action_url(self) -> str:
        return f"http://{self.bind_host}:{self.action_port}/webhook"

    @property
    def staff_url(self) -> str:
        return f"http://{self.bind_host}:{self.staff_port}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The validated settings of this process (read once)."""
    return Settings()
