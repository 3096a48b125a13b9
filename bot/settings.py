"""Every setting of the assistant, read from the environment in one place.

Entry points call :func:`get_settings`; nothing else reads environment
variables, so the README's table of settings is the whole truth.
"""

from __future__ import annotations

import logging
import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Dict
from urllib.parse import urlsplit

from pydantic import BaseSettings, Field, root_validator, validator

logger = logging.getLogger(__name__)


class Settings(BaseSettings):
    """Defaults give the embedded set-up: SQLite files, everything on loopback."""

    database_url: str = Field("sqlite:///var/app.db", env="DATABASE_URL")
    bind_host: str = Field("127.0.0.1", env="BIND_HOST")
    rasa_port: int = Field(5005, env="RASA_PORT")
    action_port: int = Field(5055, env="ACTION_PORT")
    staff_port: int = Field(8000, env="STAFF_PORT")
    # Rasa's HTTP API always needs a token: this one, else the one kept in the file (made on first start).
    rasa_api_token: str | None = Field(None, env="RASA_API_TOKEN")
    rasa_api_token_file: str = Field("var/rasa_api.token", env="RASA_API_TOKEN_FILE")
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

    # The duty alarm (emergencies): an SMS/call gateway (unset: that route is skipped); the duty
    # group's chat as channel:address (telegram:<chat id>, wechat:<openid>, or rest:<id> to read it
    # in that conversation); minutes before an unacknowledged alarm goes to the next person on the
    # roster; how long after an emergency's first reply the resident, if no alert reached anyone on
    # duty by then, is told to call the duty phone (outside the turn: bot/staff/emergency_follow_up.py).
    alert_gateway_url: str | None = Field(None, env="ALERT_GATEWAY_URL")
    alert_gateway_token: str | None = Field(None, env="ALERT_GATEWAY_TOKEN")
    alert_duty_group: str | None = Field(None, env="ALERT_DUTY_GROUP", regex=r"^(telegram|wechat|rest):\S+$")
    alert_escalate_minutes: float = Field(3.0, env="ALERT_ESCALATE_MINUTES", gt=0)
    alert_confirm_seconds: float = Field(10.0, env="ALERT_CONFIRM_SECONDS", ge=0, le=300)
    # Transcripts and contact details of tickets finished longer ago than this are purged (PIPL).
    retention_days: int = Field(365, env="RETENTION_DAYS", ge=1)

    # `python -m bot run`: each server's log, and the supervisor's state (restarts) that /healthz reports.
    log_dir: str = Field("var/log", env="LOG_DIR")
    supervisor_status_file: str = Field("var/supervisor.json", env="SUPERVISOR_STATUS_FILE")
    # A server that is alive but has not answered its health URL this many probes in a row, one every
    # LIVENESS_PROBE_SECONDS (also each probe's timeout), is killed and restarted (a hung server).
    liveness_probe_seconds: float = Field(5.0, env="LIVENESS_PROBE_SECONDS", gt=0)
    liveness_failures: int = Field(3, env="LIVENESS_FAILURES", ge=1)

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
                "RASA_LOCK_STORE_PASSWORD": "",  # nosec B105
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
        return "localhost" if self.bind_host in ("0.0.0.0", "127.0.0.1", "::") else self.bind_host  # nosec B104

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


def rasa_api_token(settings: Settings) -> str:
    """The token Rasa's HTTP API requires: RASA_API_TOKEN, else the one kept in RASA_API_TOKEN_FILE,
    else a new random one written there (mode 0600) so that the API is never open.

    The file appears complete or not at all (written aside, then linked into place), and when two
    processes start at once the first link wins and both use its token.
    """
    if settings.rasa_api_token:
        return settings.rasa_api_token
    path = Path(settings.rasa_api_token_file)
    kept = _read_token(path)
    if kept:
        return kept
    path.parent.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(32)
    draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="ascii") as draft_file:
            draft_file.write(token)
            draft_file.flush()
            os.fsync(draft_file.fileno())
        if path.exists():  # empty: replaced; nobody can have used an empty token
            os.replace(draft, path)
        else:
            try:
                os.link(draft, path)
            except FileExistsError:  # another process made it a moment ago: use theirs
                return _read_token(path) or token
    finally:
        draft.unlink(missing_ok=True)
    logger.info("made a new Rasa API token in %s", path)
    return token


def _read_token(path: Path) -> str | None:
    try:
        return path.read_text(encoding="ascii").strip() or None
    except FileNotFoundError:
        return None
