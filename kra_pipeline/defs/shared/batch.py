"""Many race-day partitions in one run (BackfillPolicy.multi_run) with per-partition metadata.

A backfill run hands an asset a range of partitions; each is done and stored on its own (one
store transaction per day, so a failure keeps the days before it), and its metadata is attached
to that partition's materialization with `add_asset_metadata(partition_key=...)`. A run of one
partition reports exactly as before. Asset checks have no partition scope in Dagster, so a batch
gets one result per check: passed when every day passed, the failing days named.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from dagster import (
    AssetCheckResult,
    AssetExecutionContext,
    AssetMaterialization,
    BackfillPolicy,
    MaterializeResult,
)

from kra_pipeline.defs.shared.partitions import split_race_day_key

# Race days per backfill run (one meet, consecutive dates): about half a year. Each run pays a
# process start-up and a queue turn of tens of seconds, while a race day cut from a stored month
# answer takes about 0.15 s through all three stages, so bigger batches backfill faster
# (measured over 186 days x 3 meets: 140 partitions/min at 31 per run, 278 at 183). The bound
# is run monitoring's 15 minutes: on the per-day path (no API4_3) a batch spends ~1.3 calls per
# day at 100 per minute, behind up to three other runs' KRA steps.
# KRA_PARTITIONS_PER_RUN changes it (read when the code location loads).
PARTITIONS_PER_RUN = int(os.environ.get("KRA_PARTITIONS_PER_RUN") or 183)
RACE_DAY_BACKFILL_POLICY = BackfillPolicy.multi_run(max_partitions_per_run=PARTITIONS_PER_RUN)


def race_days_of(context: AssetExecutionContext) -> Iterator[tuple[str, str, int]]:
    """(partition key, race date, meet) of every partition of the run, in key order."""
    for key in context.partition_keys:
        race_date, meet = split_race_day_key(key)
        yield key, race_date, meet


class BatchReport:
    """Collects each partition's metadata and check results, then builds the step's result."""

    def __init__(self, context: AssetExecutionContext) -> None:
        self._context = context
        self._batched = len(context.partition_keys) > 1
        self._metadata: dict[str, Any] = {}
        self._checks: dict[str, list[AssetCheckResult]] = {}
        self._finished: dict[str, dict[str, Any]] = {}

    def add(
        self,
        key: str,
        metadata: Mapping[str, Any],
        checks: Sequence[AssetCheckResult] = (),
    ) -> None:
        if self._batched:
            self._context.add_asset_metadata(dict(metadata), partition_key=key)
            self._finished[key] = dict(metadata)
        else:
            self._metadata = dict(metadata)
        self._checks[key] = list(checks)

    @contextmanager
    def keeping_finished(self) -> Iterator[None]:
        """If the batch fails part-way (a spent daily quota, a fault past its retries), record
        the race days it already stored as materialized before the failure goes on: a re-run
        or the quota resume then redoes only the days left, and spends no call on the others."""
        try:
            yield
        except BaseException:
            for key, metadata in self._finished.items():
                self._context.log_event(
                    AssetMaterialization(
                        asset_key=self._context.asset_key, partition=key, metadata=metadata
                    )
                )
            if self._finished:
                self._context.log.info(
                    f"{len(self._finished)} of {len(self._context.partition_keys)} race days "
                    "were stored before the failure and are recorded as materialized"
                )
            raise

    def result(self) -> MaterializeResult:
        """The step's result: the one partition's metadata, or none (each partition has its
        own); the checks of every partition."""
        checks = merge_checks(self._checks) if any(self._checks.values()) else []
        return MaterializeResult(metadata=self._metadata or None, check_results=checks)


def merge_checks(by_key: Mapping[str, Sequence[AssetCheckResult]]) -> list[AssetCheckResult]:
    """One result per check over a batch; a single partition's results pass through as is."""
    if len(by_key) == 1:
        return list(next(iter(by_key.values())))
    merged: dict[str, list[tuple[str, AssetCheckResult]]] = {}
    for key, results in by_key.items():
        for result in results:
            merged.setdefault(str(result.check_name), []).append((key, result))
    out = []
    for name, pairs in merged.items():
        first = pairs[0][1]
        failed = [key for key, result in pairs if not result.passed]
        problems = [
            f"{key}: {result.metadata['problems'].value}"
            for key, result in pairs
            if not result.passed and "problems" in result.metadata
        ]
        out.append(
            AssetCheckResult(
                check_name=name,
                asset_key=first.asset_key,
                passed=not failed,
                severity=first.severity,
                metadata={
                    "partitions": len(pairs),
                    "failed_partitions": ", ".join(failed[:50]) or "none",
                    "problems": "; ".join(problems[:20]) or "none",
                },
            )
        )
    return out
