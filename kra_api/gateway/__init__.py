"""The one door to Dagster for the REST shim.

Launches go to the webserver's GraphQL API (`launches`), reads go to the DagsterInstance on
the same DAGSTER_HOME (`history`), and everything returned is plain Python (`records`), so the
rest of the shim never imports Dagster.
"""

from __future__ import annotations

import threading

from dagster import DagsterInstance

from kra_api.gateway.history import FINISHED, IN_FLIGHT, RunHistory
from kra_api.gateway.launches import GatewayUnavailable, GraphQLLaunches, LaunchRejected
from kra_api.gateway.records import (
    LogLine,
    Materialization,
    QuotaStop,
    RunDetail,
    RunView,
    options_tag,
    plain_metadata,
)


class DagsterGateway(GraphQLLaunches, RunHistory):
    """Launch, read and cancel runs of the `kra` code location."""

    def __init__(
        self,
        webserver_url: str,
        instance: DagsterInstance | None = None,
        launch_wait_seconds: float = 0.0,
    ) -> None:
        self.webserver_url = webserver_url.rstrip("/")
        self.launch_wait_seconds = launch_wait_seconds
        self._instance = instance
        self._table_reads = None
        self._lock = threading.Lock()
        self._kra_calls = (None, 0.0)


__all__ = [
    "FINISHED",
    "IN_FLIGHT",
    "DagsterGateway",
    "GatewayUnavailable",
    "LaunchRejected",
    "LogLine",
    "Materialization",
    "QuotaStop",
    "RunDetail",
    "RunView",
    "options_tag",
    "plain_metadata",
]
