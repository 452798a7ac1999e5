"""What the race-day sources beside the card share (scratches, track; the pool grids keep
their own factory): one asset shape, and the check they report when they disagree with the
card, a warning naming the first problems, since either side can lag and the rows are kept."""

from collections.abc import Callable
from typing import Any

from dagster import AssetCheckResult, AssetCheckSeverity, AssetCheckSpec, AssetKey, asset

from kra_pipeline.contract import (
    COLLECTED_ASSET,
)
from kra_pipeline.defs.shared.groups import Group
from kra_pipeline.defs.shared.partitions import race_day_partitions
from kra_pipeline.defs.shared.policy import KRA_POOL, KRA_RETRY_POLICY

PROBLEMS_SHOWN = 20


def problems_check(check: str, asset: str, problems: list[str], **counts: int) -> AssetCheckResult:
    return AssetCheckResult(
        check_name=check,
        asset_key=AssetKey(asset),
        passed=not problems,
        severity=AssetCheckSeverity.WARN,
        metadata={"problems": "; ".join(problems[:PROBLEMS_SHOWN]) or "none", **counts},
    )


def race_extra_asset(
    name: str, group: Group, check: str, check_description: str, description: str
) -> Callable[[Callable[..., Any]], Any]:
    """A per-race-day asset after the collected card, calling KRA in the pool, with one check."""
    return asset(
        name=name,
        partitions_def=race_day_partitions,
        deps=[AssetKey(COLLECTED_ASSET)],
        pool=KRA_POOL,
        retry_policy=KRA_RETRY_POLICY,
        group_name=group,
        kinds={"python"},
        check_specs=[AssetCheckSpec(check, asset=AssetKey(name), description=check_description)],
        description=description,
    )
