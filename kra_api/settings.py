"""Settings of the REST shim, read from the environment (pydantic-settings)."""

from __future__ import annotations

import json
from functools import cached_property
from typing import Annotated

from pydantic import Field
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEV_API_KEY = "test-api-key-123456789"
# prometheus-client's own switch to multi-process metrics (several uvicorn workers).
MULTIPROCESS_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"


class ConfigurationError(RuntimeError):
    """The shim cannot start with this configuration; the message says what to set."""


def parse_api_keys(raw: str | None) -> list[str]:
    """VALID_API_KEYS as a JSON array or a comma-separated list; blanks are dropped."""
    if raw is None or not raw.strip():
        return []
    text = raw.strip()
    if text.startswith("["):
        try:
            values = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigurationError(
                "VALID_API_KEYS looks like a JSON array but does not parse "
                f"({exc.msg}); use a JSON array of strings or a comma-separated list"
            ) from exc
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise ConfigurationError("VALID_API_KEYS must be a JSON array of strings")
        return [v.strip() for v in values if v.strip()]
    return [part.strip() for part in text.split(",") if part.strip()]


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
    log_level: str = Field("INFO", alias="LOG_LEVEL")

    @property
    def is_production(self) -> bool:
        return self.environment.strip().lower() in {"production", "prod"}

    @cached_property
    def api_keys(self) -> list[str]:
        """The accepted keys; the dev key when none is configured outside production."""
        keys = parse_api_keys(self.valid_api_keys_raw)
        if keys:
            return keys
        if self.is_production:
            raise ConfigurationError(
                "VALID_API_KEYS is not set and ENVIRONMENT=production: set VALID_API_KEYS to a "
                'JSON array (["key1","key2"]) or a comma-separated list of API keys'
            )
        return [DEV_API_KEY]

    @property
    def uses_dev_key(self) -> bool:
        return not parse_api_keys(self.valid_api_keys_raw) and not self.is_production
