"""Launching and cancelling through the Dagster webserver's GraphQL API.

Launches go through GraphQL, not the instance, so runs pass the run queue, the `kra_api` pool
and the daemon, show in the UI and can be cancelled there.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx
import requests
from dagster import DagsterInstance, DagsterRunStatus
from dagster_graphql import DagsterGraphQLClient, DagsterGraphQLClientError

from kra_pipeline.contract import (
    CODE_LOCATION,
    RACE_DAY_ASSETS,
)
from kra_pipeline.defs.shared.names import MARKET_HISTORY_JOB
from kra_pipeline.defs.shared.partitions import race_day_partitions, race_month_key

T = TypeVar("T")
STARTING_GRACE_SECONDS = 60.0  # a run worker can take this long to start on a busy machine
# What a caller is told to wait when the webserver is still starting (Retry-After).
RETRY_AFTER_SECONDS = 5.0

_LOCATIONS_QUERY = """
{ workspaceOrError { __typename ... on Workspace { locationEntries {
    name loadStatus
    locationOrLoadError { __typename ... on PythonError { message } }
} } } }
"""

_BACKFILL_MUTATION = """
mutation Backfill($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PythonError { message }
    ... on UnauthorizedError { message }
    ... on PartitionSetNotFoundError { message }
    ... on InvalidSubsetError { message }
    ... on RunConflict { message }
  }
}
"""


_CANCEL_BACKFILL_MUTATION = """
mutation CancelBackfill($backfillId: String!) {
  cancelPartitionBackfill(backfillId: $backfillId) {
    __typename
    ... on CancelBackfillSuccess { backfillId }
    ... on PythonError { message }
    ... on UnauthorizedError { message }
  }
}
"""


class GatewayUnavailable(RuntimeError):
    """The Dagster webserver cannot be reached; the message says which URL to check."""

    def __init__(self, message: str, retry_after: float = 0.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class LaunchRejected(RuntimeError):
    """Dagster refused the launch (unknown job, bad config); the message is Dagster's reason."""


class GraphQLLaunches:
    """Launch runs and backfills, and cancel runs, of the `kra` code location."""

    webserver_url: str
    # How long a launch waits for a webserver that does not answer yet (it may be starting).
    launch_wait_seconds: float = 0.0

    instance: DagsterInstance  # provided by RunHistory

    def _graphql(self) -> DagsterGraphQLClient:
        parts = urlsplit(self.webserver_url)
        return DagsterGraphQLClient(
            parts.hostname or "127.0.0.1",
            port_number=parts.port,
            use_https=parts.scheme == "https",
            timeout=30,
            path_prefix=parts.path.rstrip("/"),
        )

    def _unreachable(self, exc: Exception) -> GatewayUnavailable:
        return GatewayUnavailable(
            f"the Dagster webserver at {self.webserver_url} did not answer "
            f"({exc.__class__.__name__}); start it with `kra up` or set DAGSTER_WEBSERVER_URL"
        )

    def ping_webserver(self) -> str:
        """The webserver's Dagster version; raises GatewayUnavailable when it does not answer."""
        try:
            answer = httpx.post(
                f"{self.webserver_url}/graphql", json={"query": "{ version }"}, timeout=5
            )
            answer.raise_for_status()
            return str(answer.json()["data"]["version"])
        except (httpx.HTTPError, KeyError, ValueError) as exc:
            raise self._unreachable(exc) from exc

    def code_location_loaded(self) -> str:
        """The `kra` location's name once the webserver has loaded it; else raise saying why
        (still loading, or the code server's import error)."""
        try:
            answer = httpx.post(
                f"{self.webserver_url}/graphql", json={"query": _LOCATIONS_QUERY}, timeout=5
            )
            answer.raise_for_status()
            entries = answer.json()["data"]["workspaceOrError"]["locationEntries"]
        except (httpx.HTTPError, KeyError, ValueError, TypeError) as exc:
            raise self._unreachable(exc) from exc
        entry = next((e for e in entries if e["name"] == CODE_LOCATION), None)
        if entry is None:
            raise GatewayUnavailable(f"the webserver has no code location {CODE_LOCATION!r} yet")
        loaded = entry.get("locationOrLoadError") or {}
        if loaded.get("__typename") == "PythonError":
            first = str(loaded.get("message", "")).strip().splitlines()[:1]
            raise GatewayUnavailable(
                f"code location {CODE_LOCATION!r} failed to load: {''.join(first)[:300]}"
            )
        if entry["loadStatus"] != "LOADED" or not loaded:
            raise GatewayUnavailable(f"code location {CODE_LOCATION!r} is still loading")
        return CODE_LOCATION

    def wait_for_webserver(self, seconds: float) -> None:
        """Until the webserver answers with the location loaded, for at most `seconds`; then
        GatewayUnavailable with a retry hint, so a launch right after `kra up` waits, not fails."""
        deadline = time.monotonic() + seconds
        while True:
            try:
                self.code_location_loaded()
                return
            except GatewayUnavailable as exc:
                if time.monotonic() >= deadline:
                    raise GatewayUnavailable(
                        f"{exc} (waited {seconds:g}s)", retry_after=RETRY_AFTER_SECONDS
                    ) from exc
            time.sleep(0.5)

    def launch_run(
        self,
        job_name: str,
        partition_key: str,
        run_config: Mapping[str, Any],
        tags: Mapping[str, str],
    ) -> str:
        """Submit one partitioned run through GraphQL and return its run id."""
        all_tags = {**race_day_partitions.get_tags_for_partition_key(partition_key), **tags}

        def submit() -> str:
            try:
                return self._graphql().submit_job_execution(
                    job_name, run_config=dict(run_config), tags=all_tags
                )
            except DagsterGraphQLClientError as exc:
                if _connection_failed(exc):
                    raise self._unreachable(exc) from exc
                reason = _reason(exc)
                raise LaunchRejected(f"Dagster refused to launch {job_name}: {reason}") from exc

        return self._when_webserver_answers(submit)

    def _when_webserver_answers(self, submit: Callable[[], T]) -> T:
        """`submit()`; if the webserver did not answer, wait for it (bounded) and submit again."""
        try:
            return submit()
        except GatewayUnavailable:
            if self.launch_wait_seconds <= 0:
                raise
        self.wait_for_webserver(self.launch_wait_seconds)
        return submit()

    def launch_backfill(self, partition_keys: Sequence[str], tags: Mapping[str, str]) -> str:
        """A partition backfill of the three race-day assets; answers the backfill id."""
        params = {
            "partitionNames": list(partition_keys),
            "assetSelection": [{"path": [name]} for name in RACE_DAY_ASSETS],
            "tags": [{"key": k, "value": v} for k, v in tags.items()],
            "title": f"kra backfill {partition_keys[0]} .. {partition_keys[-1]}",
        }
        variables = {"params": params}
        result = self._when_webserver_answers(
            lambda: self._mutation(_BACKFILL_MUTATION, variables, "launchPartitionBackfill")
        )
        if result["__typename"] != "LaunchBackfillSuccess":
            raise LaunchRejected(f"Dagster refused the backfill: {result.get('message')}")
        return str(result["backfillId"])

    def launch_market_backfill(
        self, meet_months: Sequence[tuple[int, str]], tags: Mapping[str, str]
    ) -> str:
        """A partition backfill of the market history job over (meet, YYYYMM) partitions;
        its runs carry the job's name, which the quota-resume sensor follows."""
        keys = [race_month_key(month, meet) for meet, month in meet_months]
        params = {
            "selector": {
                "partitionSetName": f"{MARKET_HISTORY_JOB}_partition_set",
                "repositorySelector": {
                    "repositoryName": "__repository__",
                    "repositoryLocationName": CODE_LOCATION,
                },
            },
            "partitionNames": keys,
            "tags": [{"key": k, "value": v} for k, v in tags.items()],
            "title": f"kra backfill --market {keys[0]} .. {keys[-1]}",
        }
        result = self._when_webserver_answers(
            lambda: self._mutation(
                _BACKFILL_MUTATION, {"params": params}, "launchPartitionBackfill"
            )
        )
        if result["__typename"] != "LaunchBackfillSuccess":
            raise LaunchRejected(
                f"Dagster refused the market backfill ({MARKET_HISTORY_JOB}): "
                f"{result.get('message')}"
            )
        return str(result["backfillId"])

    def cancel_backfill(self, backfill_id: str) -> None:
        """Stop a backfill: no new runs start; the daemon cancels those in flight."""
        result = self._mutation(
            _CANCEL_BACKFILL_MUTATION, {"backfillId": backfill_id}, "cancelPartitionBackfill"
        )
        if result["__typename"] != "CancelBackfillSuccess":
            raise LaunchRejected(
                f"Dagster refused to cancel backfill {backfill_id}: {result.get('message')}"
            )

    def _mutation(self, query: str, variables: Mapping[str, Any], field: str) -> dict[str, Any]:
        """One GraphQL mutation; answers the mutation's result object."""
        try:
            answer = httpx.post(
                f"{self.webserver_url}/graphql",
                json={"query": query, "variables": dict(variables)},
                timeout=60,
            )
            answer.raise_for_status()
            return dict(answer.json()["data"][field])
        except (httpx.HTTPError, KeyError, ValueError, TypeError) as exc:
            raise self._unreachable(exc) from exc

    def cancel_run(self, run_id: str) -> None:
        """Drop a queued run from the queue; terminate a running one through GraphQL."""
        run = self.instance.get_run_by_id(run_id)
        if run is not None and run.status in (
            DagsterRunStatus.QUEUED,
            DagsterRunStatus.NOT_STARTED,
        ):
            self.instance.report_run_canceled(run, message="Cancelled through the REST API")
            return
        # Dagster refuses to terminate a run while its process is starting: give it a moment.
        deadline = time.monotonic() + STARTING_GRACE_SECONDS
        while run is not None and run.status == DagsterRunStatus.STARTING:
            if time.monotonic() > deadline:
                break
            time.sleep(0.25)
            run = self.instance.get_run_by_id(run_id)
        try:
            self._graphql().terminate_run(run_id)
        except DagsterGraphQLClientError as exc:
            if _connection_failed(exc):
                raise self._unreachable(exc) from exc
            raise LaunchRejected(f"Dagster refused to cancel run {run_id}: {_reason(exc)}") from exc


def _connection_failed(exc: BaseException) -> bool:
    """The GraphQL client wraps refused connections several layers deep."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, requests.exceptions.ConnectionError | ConnectionError):
            return True
        if "connecting to url" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _reason(exc: DagsterGraphQLClientError) -> str:
    """Dagster's own words (error type and message), without the echoed GraphQL query."""
    parts = [str(arg) for arg in exc.args if arg and "mutation" not in str(arg)]
    return ": ".join(parts)[:500] or exc.__class__.__name__
