"""KRA client settings, read from the environment (KRA_*), so every process agrees on them."""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from kra_pipeline.kra.errors import KraConfigurationError
from kra_pipeline.paths import kra_home

REAL_SERVICE_BASE_URL = "https://apis.data.go.kr/B551015"
REAL_SERVICE_HOST = "apis.data.go.kr"


class KraSettings(BaseSettings):
    """Where the KRA API is, how to authenticate, and how hard the project may call it."""

    model_config = SettingsConfigDict(env_prefix="KRA_", extra="ignore")

    api_base_url: str = Field(default=REAL_SERVICE_BASE_URL)
    api_key: SecretStr | None = Field(
        default=None, description="The decoded service key; the HTTP client encodes it once."
    )
    rate_limit_per_minute: int = Field(default=100, ge=1)
    rate_limit_window_seconds: float = Field(default=60.0, gt=0)
    api_timeout_seconds: float = Field(default=30.0, gt=0)
    api_max_attempts: int = Field(default=5, ge=1)
    api_backoff_seconds: float = Field(
        default=1.0, gt=0, description="First retry delay; doubles per attempt, with jitter."
    )
    api_page_size: int = Field(default=1000, ge=1)
    history_source: Literal["month", "day"] = Field(
        default="month",
        description="Past race days: 'month' takes them from API4_3 month answers (one call "
        "per meet and month), 'day' asks API214_1 per day (extra fields, ~1 call per day).",
    )
    recent_days: int = Field(
        default=7,
        ge=0,
        description="Days before today (KST) still collected per day from API214_1: results "
        "and late changes settle in this time.",
    )
    daily_quota: int = Field(
        default=3000,
        ge=0,
        description="Calls per API per KST day (KRA's development quota); 0 lifts it.",
    )
    daily_quota_per_api: dict[str, int] = Field(
        default_factory=dict,
        description='Per-API overrides of daily_quota, as JSON: {"API4_3": 10000}.',
    )
    limiter_url: str | None = Field(
        default=None, description="sqlite:///path or postgresql://...; default under KRA_HOME."
    )

    @property
    def is_real_service(self) -> bool:
        """True when the base URL points at the data.go.kr gateway (quota and keys are real)."""
        return urlsplit(self.api_base_url).hostname == REAL_SERVICE_HOST

    def service_key(self) -> str | None:
        """The decoded key to send, or None for a local simulator that needs none.

        Raises KraConfigurationError when the real service is configured without a key.
        """
        key = self.api_key.get_secret_value().strip() if self.api_key else ""
        if key:
            return key
        if self.is_real_service:
            raise KraConfigurationError(
                None,
                "KRA",
                f"KRA_API_KEY is not set but KRA_API_BASE_URL is the real service "
                f"({self.api_base_url}): set KRA_API_KEY to your decoded data.go.kr service key, "
                "or point KRA_API_BASE_URL at the offline simulator (`kra simulator`) to work "
                "without a key",
            )
        return None

    def resolved_limiter_url(self) -> str:
        """KRA_LIMITER_URL, or the SQLite file shared by every process using this KRA_HOME."""
        if self.limiter_url:
            return self.limiter_url
        return f"sqlite:///{kra_home() / 'rate_limiter.sqlite'}"
