"""The check a race-day source reports when it disagrees with the card: a warning that names
the first problems, since either side can lag and the rows are kept either way."""

from dagster import AssetCheckResult, AssetCheckSeverity, AssetKey

PROBLEMS_SHOWN = 20


def problems_check(check: str, asset: str, problems: list[str], **counts: int) -> AssetCheckResult:
    return AssetCheckResult(
        check_name=check,
        asset_key=AssetKey(asset),
        passed=not problems,
        severity=AssetCheckSeverity.WARN,
        metadata={"problems": "; ".join(problems[:PROBLEMS_SHOWN]) or "none", **counts},
    )
