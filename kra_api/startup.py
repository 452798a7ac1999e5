"""`uvicorn kra_api.startup:create_app --factory`: the REST API as `kra up` starts it, saying
in its log from the first second what it does.

Importing the application (FastAPI, Dagster) takes seconds on a quiet machine and minutes on a
busy one; with no line before it, an empty log could not tell a slow start from a hung one.
This module imports only the logging and the settings, logs, and then imports the rest.
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING

from kra_api.logging_setup import configure_logging, get_logger
from kra_api.settings import ApiSettings

if TYPE_CHECKING:  # FastAPI alone takes a second to import
    from fastapi import FastAPI

log = get_logger("kra_api.startup")


def create_app() -> FastAPI:
    """kra_api.app.create_app, with a log line before and after its long import."""
    settings = ApiSettings()
    configure_logging(settings.log_level)
    began = time.monotonic()
    log.info("starting", pid=os.getpid(), doing="importing the application (FastAPI, Dagster)")
    from kra_api.app import create_app as build_app

    log.info("imported", seconds=round(time.monotonic() - began, 1))
    return build_app(settings, configure_logs=False, log_readiness=True)
