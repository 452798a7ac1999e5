"""Prometheus metrics: HTTP traffic by route template, plus Dagster figures read at scrape time.

With several uvicorn workers, set PROMETHEUS_MULTIPROC_DIR to an empty directory (`kra up
--api-workers N` does): each worker then writes its HTTP samples there and a scrape, whichever
worker answers it, sums them all. Dagster figures come from the instance, the same for all.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from kra_api.gateway import DagsterGateway
from kra_api.logging_setup import get_logger
from kra_api.settings import MULTIPROCESS_DIR_ENV, ConfigurationError

log = get_logger(__name__)


class DagsterCollector(Collector):
    """Runs by status, materialized race days and KRA calls, straight from the instance."""

    def __init__(self, gateway: DagsterGateway) -> None:
        self.gateway = gateway

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        try:
            runs = self.gateway.runs_by_status()
            partitions = self.gateway.materialized_partition_counts()
            kra_calls = self.gateway.kra_calls_total()
        except Exception as exc:  # a scrape must not fail because storage is down
            log.warning("metrics_dagster_unavailable", error=str(exc))
            return
        by_status = GaugeMetricFamily("kra_runs", "Dagster runs by status", labels=["status"])
        for status, count in runs.items():
            by_status.add_metric([status.lower()], count)
        yield by_status
        materialized = GaugeMetricFamily(
            "kra_materialized_partitions", "Race days materialized per asset", labels=["asset"]
        )
        for asset, count in partitions.items():
            materialized.add_metric([asset], count)
        yield materialized
        yield CounterMetricFamily("kra_api_calls", "KRA API calls made by runs", value=kra_calls)


class Metrics:
    """One registry per app, so several apps (tests) never collide on metric names."""

    def __init__(self, gateway: DagsterGateway, include_keys: bool = False) -> None:
        self.registry = CollectorRegistry()
        self.include_keys = include_keys
        self.requests = Counter(
            "kra_http_requests",
            "HTTP requests by route template and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "kra_http_request_duration_seconds",
            "HTTP latency by route template",
            ["method", "route"],
            registry=self.registry,
        )
        # Key names and fingerprints are shown only with METRICS_INCLUDE_KEYS: /metrics needs
        # no key, and a fingerprint ties a caller to its runs.
        self.key_calls = Counter(
            "kra_api_key_requests",
            "Authorised /api/v2 calls by action and status (and key name or fingerprint with "
            "METRICS_INCLUDE_KEYS=true)",
            ["key", "action", "status"] if include_keys else ["action", "status"],
            registry=self.registry,
        )
        self.scrape_registry = _scrape_registry(self.registry)
        self.scrape_registry.register(DagsterCollector(gateway))

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)

    def count_call(self, key: str, action: str, status: int) -> None:
        labels = (key, action, str(status)) if self.include_keys else (action, str(status))
        self.key_calls.labels(*labels).inc()

    def render(self) -> bytes:
        return generate_latest(self.scrape_registry)


def _scrape_registry(own: CollectorRegistry) -> CollectorRegistry:
    """This process's registry, or with several workers one that sums every worker's files."""
    shared = os.environ.get(MULTIPROCESS_DIR_ENV)
    if not shared:
        return own
    if not Path(shared).is_dir():
        raise ConfigurationError(
            f"{MULTIPROCESS_DIR_ENV}={shared} is not a directory: create it (empty) before "
            "starting the API's workers, or unset it when running a single worker"
        )
    summed = CollectorRegistry()
    MultiProcessCollector(summed, path=shared)
    return summed
