"""Logging for pipeline processes: structlog through stdlib logging, so Dagster captures it.

The KRA client logs with structlog (retries, waits, odd answers). Sent through stdlib
logging, those lines reach each run's event log in the UI (dagster.yaml lists the loggers
under `python_logs`) instead of being printed unfiltered at debug level.
"""

from __future__ import annotations

import logging

import structlog

PIPELINE_LOGGERS = ("kra_pipeline.kra.client", "kra_pipeline.kra.limiter")


def configure_pipeline_logging(level: int = logging.INFO) -> None:
    """Route structlog to stdlib loggers at `level`; leaves an existing setup alone."""
    if structlog.is_configured():
        return
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            structlog.stdlib.add_log_level,
            structlog.processors.format_exc_info,
            structlog.processors.KeyValueRenderer(key_order=["event"], sort_keys=True),
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    for name in PIPELINE_LOGGERS:
        logging.getLogger(name).setLevel(level)
