"""How far one race day got: the numbers behind GET /collection/status and `kra diagnose`.

Computed from the newest materialization of each race-day asset for the partition and from the
partition's recent runs, so it never disagrees with what the Dagster UI shows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kra_api.gateway import (
    FINISHED,
    IN_FLIGHT,
    DagsterGateway,
    Materialization,
    QuotaStop,
    RunView,
)
from kra_pipeline.contract import (
    COLLECT_WITH_ENRICHMENT_JOB,
    COLLECTED_ASSET,
    DIVIDENDS_ASSET,
    ENRICHED_ASSET,
    FINISHED_RACE_COUNT,
    RACE_COUNT,
    RAW_ASSET,
    race_day_key_text,
)


def _count(mat: Materialization | None, name: str) -> int:
    if mat is None:
        return 0
    try:
        return int(mat.metadata.get(name) or 0)
    except (TypeError, ValueError):
        return 0


def _stage(mat: Materialization | None, runs: list[RunView], jobs: tuple[str, ...]) -> str:
    """pending|running|completed|failed for one asset, by the runs that would produce it."""
    relevant = [r for r in runs if r.job_name in jobs or not jobs]
    if any(r.status in IN_FLIGHT for r in relevant):
        return "running"
    finished = [r for r in relevant if r.status in FINISHED]
    if finished and finished[0].status == "FAILURE":
        failed_at = finished[0].completed_at or finished[0].created_at
        if mat is None or (failed_at is not None and failed_at > mat.timestamp):
            return "failed"
    return "completed" if mat is not None else "pending"


def _waiting(
    stage: str, mat: Materialization | None, stop: QuotaStop | None, runs: list[RunView]
) -> bool:
    """A stage that a quota-stopped run left undone: nothing stored by that run or since, and
    no run of the day running or failing for another reason after it."""
    if stop is None or stage == "running":
        return False
    if mat is not None and (mat.run_id == stop.run_id or mat.timestamp >= stop.stopped_at):
        return False
    later = [r for r in runs if r.created_at is not None and r.created_at > stop.stopped_at]
    return not any(r.status == "FAILURE" for r in later)


def compute_collection_status(gateway: DagsterGateway, race_date: str, meet: int) -> dict[str, Any]:
    """The status document of one race day (date YYYYMMDD, meet 1..3)."""
    key = race_day_key_text(race_date, meet)
    mats = gateway.latest_materializations(key)
    runs = gateway.partition_runs(key)
    raw = mats.get(RAW_ASSET)
    collected = mats.get(COLLECTED_ASSET)
    enriched = mats.get(ENRICHED_ASSET)

    collected_races = _count(collected, RACE_COUNT)
    enriched_races = _count(enriched, RACE_COUNT)
    total_races = max(_count(raw, RACE_COUNT), collected_races)
    finished_races = _count(collected, FINISHED_RACE_COUNT)

    collection_status = _stage(collected, runs, ())
    enrichment_status = _stage(enriched, runs, (COLLECT_WITH_ENRICHMENT_JOB,))
    if collected is not None and collection_status == "completed" and total_races > collected_races:
        collection_status = "running" if any(r.status in IN_FLIGHT for r in runs) else "pending"
    stop = gateway.quota_stop(key)
    if _waiting(collection_status, collected, stop, runs):
        collection_status = "waiting"

    if collection_status in ("running", "failed", "waiting"):
        overall = collection_status
    elif enrichment_status == "running":
        overall = "running"
    else:
        overall = collection_status

    # Results are complete once every race has finished and the dividends were fetched after
    # the last collection (the market sensor fetches them once results are in).
    dividends = mats.get(DIVIDENDS_ASSET)
    priced = dividends is not None and collected is not None
    priced = priced and dividends.timestamp >= collected.timestamp
    if finished_races == 0:
        result_status = "pending"
    elif finished_races >= collected_races and priced:
        result_status = "completed"
    else:
        result_status = "partial"

    stamps: list[datetime] = [m.timestamp for m in mats.values()]
    stamps += [r.completed_at for r in runs[:1] if r.completed_at is not None]
    return {
        "date": race_date,
        "meet": meet,
        "total_races": total_races,
        "collected_races": collected_races,
        "enriched_races": enriched_races,
        "status": overall,
        "collection_status": collection_status,
        "enrichment_status": enrichment_status,
        "result_status": result_status,
        "last_updated": max(stamps) if stamps else None,
        "waiting_until": stop.resets_at if stop is not None and overall == "waiting" else None,
    }
