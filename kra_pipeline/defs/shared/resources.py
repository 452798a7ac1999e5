"""Dagster resources: the KRA client, the race store and per-run choices."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

import structlog
from dagster import ConfigurableResource, DagsterInstance, Failure, InitResourceContext
from pydantic import Field, PrivateAttr
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from kra_pipeline.contract import (
    CONFIGURATION_ERROR_TAG,
    DAILY_QUOTA_TAG,
    KRA_REACHED_TAG,
    KRA_UNREACHABLE_TAG,
    KST,
    RACE_SELECTION_RESOURCE,
)
from kra_pipeline.defs.shared.names import KRA_CLIENT_RESOURCE
from kra_pipeline.enrichment.plan import reference_max_age_days
from kra_pipeline.kra.client import KraClient
from kra_pipeline.kra.config import KraSettings
from kra_pipeline.kra.daily_quota import next_reset
from kra_pipeline.kra.errors import (
    UNREACHABLE_CODES,
    KraConfigurationError,
    KraDailyQuotaError,
    KraRequestError,
    KraTransientError,
)
from kra_pipeline.logging_config import configure_pipeline_logging
from kra_pipeline.store.db import get_engine, masked_url, permanent_store_fault

log = structlog.get_logger(__name__)


class KraApiResource(ConfigurableResource):
    """A rate-limited KRA client; settings come from KRA_* variables unless overridden here."""

    base_url: str | None = Field(
        default=None, description="Overrides KRA_API_BASE_URL (e.g. the offline simulator)."
    )
    _instance: DagsterInstance | None = PrivateAttr(default=None)
    _run_id: str | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: InitResourceContext) -> None:
        self._instance = context.instance
        self._run_id = context.run.run_id if context.run is not None else None

    @contextmanager
    def client(self) -> Iterator[KraClient]:
        """A client whose configuration errors fail the step at once, without retries."""
        configure_pipeline_logging()
        overrides = {"api_base_url": self.base_url} if self.base_url else {}
        try:
            settings = KraSettings(**overrides)
            with KraClient(settings) as client:
                yield client
                if client.stats.total_calls:
                    self._mark_run(KRA_REACHED_TAG)
        except (KraConfigurationError, KraRequestError, KraDailyQuotaError) as error:
            if isinstance(error, KraConfigurationError):
                self._mark_run(CONFIGURATION_ERROR_TAG)
            elif isinstance(error, KraDailyQuotaError):
                self._mark_run(DAILY_QUOTA_TAG, next_reset(datetime.now(KST)).isoformat())
            raise Failure(description=str(error), allow_retries=False) from error
        except KraTransientError as error:
            if error.code in UNREACHABLE_CODES:
                self._mark_run(KRA_UNREACHABLE_TAG)
            raise  # the step's retry policy decides; the tag tells health checks meanwhile

    def _mark_run(self, tag: str, value: str = "true") -> None:
        """Tag the run with what KRA did, so health checks see it without calling KRA.

        Only a hint for /health/detailed: if Dagster's storage cannot take the tag (it is
        restarting, say), the step goes on and the error it was handling stays the error.
        """
        if self._instance is None or self._run_id is None:
            return
        try:
            self._instance.add_run_tags(self._run_id, {tag: value})
        except Exception as error:
            log.warning("kra.run_tag_lost", tag=tag, error=str(error).splitlines()[0][:200])


class RaceStoreResource(ConfigurableResource):
    """The race store; KRA_DATABASE_URL (or a SQLite file under KRA_HOME) unless set here."""

    database_url: str | None = Field(default=None, description="Overrides KRA_DATABASE_URL.")

    def engine(self) -> Engine:
        return get_engine(self.database_url)

    @contextmanager
    def writable(self) -> Iterator[Engine]:
        """The engine; a store fault no retry can mend fails the step at once, saying what to do.

        Without this the step's retry policy would retry a read-only or full store for minutes,
        and the run would end with "Exceeded max_retries" instead of the cause.
        """
        engine = self.engine()
        try:
            yield engine
        except DBAPIError as error:
            reason = permanent_store_fault(error)
            if reason is None:
                raise
            raise Failure(
                description=(
                    f"the race store at {masked_url(engine.url)} cannot be written ({reason}); "
                    "make it writable (file permissions, a read-only mount or replica, free disk "
                    "space), then re-run: retrying as it is would not help"
                ),
                allow_retries=False,
            ) from error


class RaceSelection(ConfigurableResource):
    """Which races of the day a run handles; empty means the whole day."""

    race_numbers: list[int] = Field(
        default_factory=list, description="Race numbers to collect; empty collects every race."
    )

    def chosen(self) -> set[int] | None:
        return set(self.race_numbers) or None


class ReferenceCache(ConfigurableResource):
    """How long horse, jockey and trainer details stay fresh in the race store."""

    max_age_days: float = Field(
        default_factory=reference_max_age_days,
        description="Details older than this are fetched again (KRA_REFERENCE_MAX_AGE_DAYS).",
    )

    @property
    def max_age(self) -> timedelta:
        return timedelta(days=self.max_age_days)


def default_resources() -> dict[str, ConfigurableResource]:
    return {
        KRA_CLIENT_RESOURCE: KraApiResource(),
        "race_store": RaceStoreResource(),
        RACE_SELECTION_RESOURCE: RaceSelection(),
        "reference_cache": ReferenceCache(),
    }
