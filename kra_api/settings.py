"""Settings of the REST shim, read from the environment (pydantic-settings)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from typing import Annotated, Any

from pydantic import Field
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEV_API_KEY = "test-api-key-123456789"
# prometheus-client's own switch to multi-process metrics (several uvicorn workers).
MULTIPROCESS_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"
READ = "read"
WRITE = "write"
SCOPES = (READ, WRITE)
# Environments where the public development key and short keys are accepted.
DEVELOPMENT_ENVIRONMENTS = frozenset({"development", "test"})
MIN_KEY_LENGTH = 16
_ENTRY_FIELDS = {"key", "scopes", "name", "rate_limit", "daily_limit"}


class ConfigurationError(RuntimeError):
    """The shim cannot start with this configuration; the message says what to set."""


@dataclass(frozen=True)
class KeyEntry:
    """One accepted key as configured: its scopes and, when given, its own limits."""

    key: str
    scopes: frozenset[str] = frozenset(SCOPES)
    name: str | None = None
    rate_limit: int | None = None
    daily_limit: int | None = None


def _whitespace_error(where: str) -> ConfigurationError:
    return ConfigurationError(
        f"VALID_API_KEYS {where} has spaces or tabs around the key; remove them (a key is "
        "compared exactly, so a caller sending it without them would be refused)"
    )


def _limit(entry: dict[str, Any], field: str, where: str) -> int | None:
    value = entry.get(field)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ConfigurationError(f"VALID_API_KEYS {where}: {field} must be a positive integer")
    return value


def _entry(value: Any, position: int) -> KeyEntry:
    """A JSON array item: a key string, or an object with key, scopes, name and limits."""
    where = f"entry {position}"
    if isinstance(value, str):
        if value != value.strip():
            raise _whitespace_error(where)
        return KeyEntry(value)
    if not isinstance(value, dict) or not isinstance(value.get("key"), str):
        raise ConfigurationError(
            f"VALID_API_KEYS {where} must be a key string or an object like "
            '{"key": "...", "scopes": ["read"], "name": "dashboard"}'
        )
    unknown = set(value) - _ENTRY_FIELDS
    if unknown:
        raise ConfigurationError(
            f"VALID_API_KEYS {where} has unknown field(s) {sorted(unknown)}; "
            f"known: {sorted(_ENTRY_FIELDS)}"
        )
    key = value["key"]
    if key != key.strip():
        raise _whitespace_error(where)
    scopes = value.get("scopes", list(SCOPES))
    if (
        not isinstance(scopes, list)
        or not scopes
        or not all(isinstance(s, str) and s in SCOPES for s in scopes)
    ):
        raise ConfigurationError(
            f"VALID_API_KEYS {where}: scopes must be a non-empty list of {list(SCOPES)}"
        )
    name = value.get("name")
    if name is not None and (not isinstance(name, str) or not name.strip()):
        raise ConfigurationError(f"VALID_API_KEYS {where}: name must be a non-empty string")
    return KeyEntry(
        key,
        frozenset(scopes),
        name.strip() if name else None,
        _limit(value, "rate_limit", where),
        _limit(value, "daily_limit", where),
    )


def parse_key_entries(raw: str | None) -> list[KeyEntry]:
    """VALID_API_KEYS as a JSON array (of keys or key objects) or a comma-separated list.

    Plain keys may read and write, as before scopes existed. Blanks are dropped.
    """
    if raw is None or not raw.strip():
        return []
    text = raw.strip()
    if not text.startswith("["):
        return [KeyEntry(part.strip()) for part in text.split(",") if part.strip()]
    try:
        values = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigurationError(
            "VALID_API_KEYS looks like a JSON array but does not parse "
            f"({exc.msg}); use a JSON array of strings or a comma-separated list"
        ) from exc
    if not isinstance(values, list):
        raise ConfigurationError("VALID_API_KEYS must be a JSON array of strings")
    entries = [
        _entry(value, position)
        for position, value in enumerate(values, 1)
        if not (isinstance(value, str) and not value.strip())
    ]
    names = [entry.name for entry in entries if entry.name]
    if len(names) != len(set(names)):
        raise ConfigurationError("VALID_API_KEYS: two keys share a name; give each its own")
    return entries


def parse_api_keys(raw: str | None) -> list[str]:
    """The raw keys of VALID_API_KEYS, whatever its form."""
    return [entry.key for entry in parse_key_entries(raw)]


class ApiSettings(BaseSettings):
    """Everything the shim reads from the environment, with loopback-safe defaults."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    host: str = Field("127.0.0.1", alias="API_HOST")
    port: int = Field(8000, alias="API_PORT")
    environment: str = Field("development", alias="ENVIRONMENT")
    valid_api_keys_raw: Annotated[str | None, NoDecode] = Field(None, alias="VALID_API_KEYS")
    dagster_webserver_url: str = Field("http://127.0.0.1:3000", alias="DAGSTER_WEBSERVER_URL")
    # A launch while the webserver is (re)starting waits this long before answering 503.
    launch_wait_seconds: float = Field(30.0, alias="DAGSTER_WEBSERVER_WAIT_SECONDS", ge=0)
    sync_wait_seconds: float = Field(60.0, alias="COLLECTION_SYNC_WAIT_SECONDS", ge=0)
    poll_interval_seconds: float = Field(0.5, alias="COLLECTION_POLL_INTERVAL_SECONDS", gt=0)
    metrics_enabled: bool = Field(False, alias="METRICS_ENABLED")
    # Key names and fingerprints in /metrics (kra_api_key_requests) only when asked for.
    metrics_include_keys: bool = Field(False, alias="METRICS_INCLUDE_KEYS")
    # /health/ready and /health/detailed answers are shared for this long (0: every request).
    health_cache_seconds: float = Field(5.0, alias="HEALTH_CACHE_SECONDS", ge=0)
    # Failed authentications (401) per client address and window before 429 (0: no limit).
    auth_failure_limit: int = Field(30, alias="API_AUTH_FAILURE_LIMIT", ge=0)
    auth_failure_window_seconds: float = Field(60.0, alias="API_AUTH_FAILURE_WINDOW_SECONDS", gt=0)
    # A key the store does not know is answered 401 from memory for this long (0: look it up).
    unknown_key_cache_seconds: float = Field(30.0, alias="API_UNKNOWN_KEY_CACHE_SECONDS", ge=0)
    log_level: str = Field("INFO", alias="LOG_LEVEL")
    rate_limit: int = Field(100, alias="API_RATE_LIMIT", ge=0)
    rate_window_seconds: float = Field(60.0, alias="API_RATE_WINDOW_SECONDS", gt=0)
    daily_limit: int = Field(0, alias="API_DAILY_LIMIT", ge=0)
    max_body_bytes: int = Field(256 * 1024, alias="API_MAX_BODY_BYTES", gt=0)
    cors_origins_raw: Annotated[str | None, NoDecode] = Field(None, alias="API_CORS_ORIGINS")
    # A backfill of more partitions than this is launched only with confirm=true (--yes).
    backfill_confirm_partitions: int = Field(1000, alias="API_BACKFILL_CONFIRM_PARTITIONS", ge=0)

    @property
    def is_development(self) -> bool:
        return self.environment.strip().lower() in DEVELOPMENT_ENVIRONMENTS

    @property
    def is_production(self) -> bool:
        """Anything that is not development: staging, prod, production, a typo."""
        return not self.is_development

    @cached_property
    def api_key_entries(self) -> list[KeyEntry]:
        """The configured keys; the dev key in development when none is configured.

        Outside development: keys are required (unless `kra keys` stores them), the dev key is
        refused and every key must be at least MIN_KEY_LENGTH characters.
        """
        entries = parse_key_entries(self.valid_api_keys_raw)
        if self.is_development:
            return entries or [KeyEntry(DEV_API_KEY, name="development")]
        for position, entry in enumerate(entries, 1):
            if entry.key == DEV_API_KEY:
                raise ConfigurationError(
                    f"VALID_API_KEYS entry {position} is the public development key, refused "
                    f"with ENVIRONMENT={self.environment}; issue a secret key (`kra keys add`)"
                )
            if len(entry.key) < MIN_KEY_LENGTH:
                raise ConfigurationError(
                    f"VALID_API_KEYS entry {position} is {len(entry.key)} characters long; "
                    f"with ENVIRONMENT={self.environment} keys need at least {MIN_KEY_LENGTH} "
                    "(`kra keys add` issues long random ones)"
                )
        return entries

    @cached_property
    def api_keys(self) -> list[str]:
        """The accepted raw keys from the environment (see api_key_entries)."""
        return [entry.key for entry in self.api_key_entries]

    @property
    def uses_dev_key(self) -> bool:
        return self.is_development and not parse_key_entries(self.valid_api_keys_raw)

    @property
    def cors_origins(self) -> list[str]:
        """Origins allowed to call from a browser; none (CORS off) unless configured."""
        raw = (self.cors_origins_raw or "").strip()
        return [origin.strip() for origin in raw.split(",") if origin.strip()]
